import type { Container } from '@azure/cosmos';
import type { OmniEvent } from '@omni/contracts';
import type { HandoffState, HandoffStatus } from '../domain/handoff-saga.js';

/** An event the saga still has to publish (or schedule, with `at`); kept in the saga document (an outbox). */
export interface OutboxEntry {
  readonly event: OmniEvent;
  /** Deliver at this time (a saga timer), ISO 8601. */
  readonly at?: string;
}

/** A saga as loaded, with the ETag its next save must match. */
export interface LoadedSaga {
  readonly state: HandoffState;
  readonly outbox: readonly OutboxEntry[];
  readonly etag: string | undefined;
}

/** Thrown when a save lost a race (ETag mismatch, or a create that found a document): reload and retry. */
export class SagaConflictError extends Error {
  constructor(handoffId: string) {
    super(`handoff saga ${handoffId} changed meanwhile`);
    this.name = 'SagaConflictError';
  }
}

/** Where saga state lives. */
export interface SagaRepository {
  load(customerId: string, handoffId: string): Promise<LoadedSaga | undefined>;
  /** Creates (`etag` undefined) or replaces (If-Match `etag`) the saga. @throws {@link SagaConflictError} */
  save(
    state: HandoffState,
    outbox: readonly OutboxEntry[],
    etag: string | undefined,
  ): Promise<string | undefined>;
  /** Sagas of a customer. */
  ofCustomer(customerId: string): Promise<HandoffState[]>;
  /** Every saga, optionally with one status (a cross-partition query). */
  list(status?: HandoffStatus): Promise<HandoffState[]>;
  /** The sagas whose saved outbox is not empty (not yet published): what the outbox sweeper re-publishes. */
  withPendingOutbox(): Promise<SagaKey[]>;
}

/** Where a saga is found. */
export interface SagaKey {
  readonly customerId: string;
  readonly handoffId: string;
}

interface SagaDocument {
  id: string;
  type: 'handoff-saga';
  customerId: string;
  handoffId: string;
  status: HandoffStatus;
  state: HandoffState;
  outbox: OutboxEntry[];
  /** Whether `outbox` is not empty; a plain field so the sweeper's query needs no array functions. */
  outboxPending?: boolean;
  updatedAt: string;
  _etag?: string;
}

const TYPE = 'handoff-saga';

function statusOf(error: unknown): number | undefined {
  const { code, statusCode } = (error ?? {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/**
 * Saga documents in the Cosmos `handoffs` container (pk `/customerId`), next to customer-context's handoff
 * records (type `handoff`), as type `handoff-saga` with id `saga:<handoffId>`. Writes are If-Match.
 */
export class CosmosSagaRepository implements SagaRepository {
  readonly #container: Container;

  constructor(handoffs: Container) {
    this.#container = handoffs;
  }

  async load(customerId: string, handoffId: string): Promise<LoadedSaga | undefined> {
    const { resource } = await this.#container.item(`saga:${handoffId}`, customerId).read<SagaDocument>();
    if (resource === undefined) return undefined;
    return { state: resource.state, outbox: resource.outbox, etag: resource._etag };
  }

  async save(
    state: HandoffState,
    outbox: readonly OutboxEntry[],
    etag: string | undefined,
  ): Promise<string | undefined> {
    const doc: SagaDocument = {
      id: `saga:${state.handoffId}`,
      type: TYPE,
      customerId: state.customerId,
      handoffId: state.handoffId,
      status: state.status,
      state,
      outbox: [...outbox],
      outboxPending: outbox.length > 0,
      updatedAt: new Date().toISOString(),
    };
    try {
      if (etag === undefined) {
        const { resource } = await this.#container.items.create(doc);
        return resource?._etag;
      }
      const { resource } = await this.#container
        .item(doc.id, doc.customerId)
        .replace(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
      return resource?._etag;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412) throw new SagaConflictError(state.handoffId);
      throw error;
    }
  }

  async ofCustomer(customerId: string): Promise<HandoffState[]> {
    const { resources } = await this.#container.items
      .query<SagaDocument>(
        {
          query: 'SELECT * FROM c WHERE c.customerId = @id AND c.type = @type',
          parameters: [
            { name: '@id', value: customerId },
            { name: '@type', value: TYPE },
          ],
        },
        { partitionKey: customerId },
      )
      .fetchAll();
    return resources.map((doc) => doc.state);
  }

  async list(status?: HandoffStatus): Promise<HandoffState[]> {
    const { resources } = await this.#container.items
      .query<SagaDocument>({
        query:
          status === undefined
            ? 'SELECT * FROM c WHERE c.type = @type'
            : 'SELECT * FROM c WHERE c.type = @type AND c.status = @status',
        parameters: [
          { name: '@type', value: TYPE },
          ...(status === undefined ? [] : [{ name: '@status', value: status }]),
        ],
      })
      .fetchAll();
    return resources.map((doc) => doc.state);
  }

  async withPendingOutbox(): Promise<SagaKey[]> {
    const { resources } = await this.#container.items
      .query<SagaDocument>({
        query: 'SELECT * FROM c WHERE c.type = @type AND c.outboxPending = true',
        parameters: [{ name: '@type', value: TYPE }],
      })
      .fetchAll();
    return resources.map((doc) => ({ customerId: doc.customerId, handoffId: doc.handoffId }));
  }
}
