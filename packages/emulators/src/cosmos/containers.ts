/** The Cosmos DB database that holds the customer context (ARCHITECTURE.md section 5). */
export const COSMOS_DATABASE = 'omnichannel';

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
 * The containers of the `omnichannel` database with their partition keys: the one definition the local emulator
 * creates, product code names containers from, and the infrastructure (Terraform) mirrors.
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
    description: 'Channel handoffs of a customer: offered, dispatched, completed or expired.',
  },
  {
    id: 'transcripts',
    partitionKeyPath: '/customerId',
    description: 'The vendor-neutral transcript: one document per turn.',
  },
  {
    id: 'idempotency',
    partitionKeyPath: '/id',
    defaultTtl: -1,
    description:
      'Results of side-effecting tools and webhook dedupe keys; each document carries its own `ttl`.',
  },
  {
    id: 'calls',
    partitionKeyPath: '/id',
    defaultTtl: -1,
    description:
      'Per-call state of the voice adapter when Redis is not configured (call flow phase, handled callbacks); each document carries its own `ttl`.',
  },
];
