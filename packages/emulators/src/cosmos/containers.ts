/** The Cosmos DB database that holds the customer context (ARCHITECTURE.md section 5). */
export const COSMOS_DATABASE = 'omnichannel';

const DAY_SECONDS = 24 * 60 * 60;

/** One container of {@link COSMOS_DATABASE}: its id, partition key and time-to-live setting. */
export interface CosmosContainerDefinition {
  /** Container id, as the services name it. */
  readonly id: string;
  /** The single partition key path (`/id`, `/customerId`). */
  readonly partitionKeyPath: string;
  /**
   * The container's default time to live in seconds; `-1` turns TTL on without a default, so only documents
   * carrying their own `ttl` expire. Absent: TTL off. The local emulator expires documents as Cosmos DB does.
   */
  readonly defaultTtl?: number;
  /** What the container holds. */
  readonly description: string;
}

/**
 * The containers of the `omnichannel` database with their partition keys and retention (default TTL, counted from
 * a document's last write): the one definition the local emulator creates, product code names containers from,
 * and the infrastructure (Terraform, `infra/cosmos_containers.json`) mirrors. Retention: transcripts 90 days,
 * handoffs (and saga states) 30 days, idempotency records 7 days, voice call state 1 day; customers, identities
 * and the erasure audit have none (they live until the customer is erased).
 */
export const cosmosContainers: readonly CosmosContainerDefinition[] = [
  {
    id: 'customers',
    partitionKeyPath: '/id',
    description: 'One document per customer: identities, Foundry conversation, summary, sessions, consent.',
  },
  {
    id: 'identities',
    partitionKeyPath: '/id',
    description:
      'One document per channel identity (`phone:+14255550123`, `webchat:<userId>`); creating it is the uniqueness guard.',
  },
  {
    id: 'handoffs',
    partitionKeyPath: '/customerId',
    defaultTtl: 30 * DAY_SECONDS,
    description: 'Channel handoffs of a customer: offered, dispatched, completed or expired.',
  },
  {
    id: 'transcripts',
    partitionKeyPath: '/customerId',
    defaultTtl: 90 * DAY_SECONDS,
    description: 'The vendor-neutral transcript: one document per turn.',
  },
  {
    id: 'idempotency',
    partitionKeyPath: '/id',
    defaultTtl: 7 * DAY_SECONDS,
    description:
      'Results of side-effecting tools and webhook dedupe keys; each document carries its own `ttl` (at most the default).',
  },
  {
    id: 'calls',
    partitionKeyPath: '/id',
    defaultTtl: DAY_SECONDS,
    description:
      'Per-call state of the voice adapter when Redis is not configured (call flow phase, handled callbacks); each document carries its own `ttl`.',
  },
  {
    id: 'erasures',
    partitionKeyPath: '/id',
    description:
      "The channel-router's customer erasure journal and audit trail: a hash of the customer id, steps, counts; no personal data once completed.",
  },
];
