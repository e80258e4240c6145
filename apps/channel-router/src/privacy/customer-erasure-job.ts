import type { ConversationRecords } from '@omni/conversation';
import type { CustomerRecords, ErasedCustomer } from '@omni/customer-context';
import type { DeadLetterQueues, PendingSessions } from '@omni/messaging';
import type { Logger } from 'pino';
import type { QueueState } from '../queue/queue-state.js';
import {
  ERASURE_STEPS,
  type ErasureJournal,
  type ErasureRecord,
  type ErasureStep,
  type ErasureWork,
  erasureId,
} from './erasure-journal.js';
import type { RedisCustomerTraces } from './redis-customer-traces.js';

/** What the job reads and erases in Cosmos (the customer-context store). */
export interface CustomerRecordStore {
  exportCustomer(customerId: string): Promise<CustomerRecords>;
  eraseCustomer(customerId: string): Promise<ErasedCustomer>;
}

/** The stores an erasure reaches; absent ones are skipped (and the step says so). */
export interface CustomerErasureJobOptions {
  journal: ErasureJournal;
  records: CustomerRecordStore;
  queueState: Pick<QueueState, 'eraseCustomer'>;
  conversations?: ConversationRecords;
  redisTraces?: Pick<RedisCustomerTraces, 'erase'>;
  deadLetters?: Pick<DeadLetterQueues, 'purgeAbout'>;
  pendingSessions?: Pick<PendingSessions, 'purge'>;
  /** Epoch ms; default `Date.now`. */
  clock?: () => number;
  /**
   * How long a runner holds an erasure after its last step (ms); only then may another process resume it.
   * Default 5 minutes (longer than any one step).
   */
  leaseMs?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** An erasure as the ops API reports it: the audit record without its working data. */
export type ErasureReport = Omit<ErasureRecord, 'work' | '_etag' | 'leaseExpiresAt'>;

/** The customer has never been known here (nothing to erase, no erasure on record). */
export class UnknownCustomerError extends Error {
  constructor() {
    super('no such customer');
    this.name = 'UnknownCustomerError';
  }
}

/** The audit view of a journal record. */
export function reportOf(record: ErasureRecord): ErasureReport {
  const { work, _etag, leaseExpiresAt, ...report } = record;
  return report;
}

/**
 * Erases a customer from every store as a resumable job: the journal records the job first (from then on events
 * about the customer are dropped), then each step (Service Bus, Redis, Foundry, Cosmos) as it completes. Every
 * step is idempotent, so a job interrupted anywhere (a crash, a store down) is finished by running it again:
 * `erase` for the same customer, or {@link CustomerErasureJob.resumeUnfinished} (run periodically). Cosmos goes
 * last, because the other steps read what it holds (identity keys, utterances, conversation ids).
 */
export class CustomerErasureJob {
  readonly #o: CustomerErasureJobOptions;
  readonly #clock: () => number;
  readonly #leaseMs: number;

  constructor(options: CustomerErasureJobOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#leaseMs = options.leaseMs ?? 5 * 60_000;
  }

  /** Whether a customer is erased or being erased (events about it are to be dropped). */
  async isErased(customerId: string): Promise<boolean> {
    return (await this.#o.journal.get(customerId)) !== undefined;
  }

  /**
   * Erases a customer (a merged customer's id erases the survivor), or finishes an interrupted erasure of it.
   *
   * @throws {@link UnknownCustomerError} when the customer is unknown and was never erased
   */
  async erase(customerId: string, requestedBy: string): Promise<ErasureReport> {
    const existing = await this.#o.journal.get(customerId);
    if (existing !== undefined) return reportOf(await this.#run(existing));
    const records = await this.#o.records.exportCustomer(customerId);
    if (records.customer === null) {
      // A merged id resolves to its survivor; the survivor's erasure may be on record.
      const survivor = await this.#o.journal.get(records.customerId);
      if (survivor !== undefined) return reportOf(await this.#run(survivor));
      if (records.identities.length === 0 && Object.keys(records.partitions).length === 0)
        throw new UnknownCustomerError();
    }
    const work = workOf(records);
    const record = await this.#o.journal.begin({
      id: erasureId(work.customerId),
      type: 'erasure',
      status: 'running',
      requestedAt: new Date(this.#clock()).toISOString(),
      requestedBy,
      completedAt: null,
      runs: 0,
      leaseExpiresAt: this.#clock() + this.#leaseMs,
      steps: {},
      work,
    });
    return reportOf(await this.#run(record));
  }

  /** Finishes every interrupted erasure (whose runner's lease ran out); returns how many were finished. */
  async resumeUnfinished(): Promise<number> {
    let finished = 0;
    for (const record of await this.#o.journal.unfinished()) {
      if ((record.leaseExpiresAt ?? 0) > this.#clock()) continue;
      await this.#run(record);
      finished++;
    }
    return finished;
  }

  async #run(started: ErasureRecord): Promise<ErasureRecord> {
    if (started.status === 'completed' || started.work === undefined) return started;
    const work = started.work;
    let record = await this.#o.journal.save({
      ...started,
      runs: started.runs + 1,
      leaseExpiresAt: this.#clock() + this.#leaseMs,
    });
    for (const step of ERASURE_STEPS) {
      if (record.steps[step] !== undefined) continue;
      let removed: Record<string, number>;
      try {
        removed = await this.#step(step, work);
      } catch (error) {
        // Give the erasure back at once so the next resume retries it (a crashed process cannot: its lease runs out).
        await this.#o.journal.save({ ...record, leaseExpiresAt: this.#clock() }).catch(() => undefined);
        this.#o.logger?.warn({ err: error, erasureId: record.id, step }, 'erasure step failed; it resumes');
        throw error;
      }
      record.steps = { ...record.steps, [step]: { at: new Date(this.#clock()).toISOString(), removed } };
      record.leaseExpiresAt = this.#clock() + this.#leaseMs;
      record = await this.#o.journal.save(record);
      this.#o.logger?.info({ erasureId: record.id, step, removed }, 'erasure step done');
    }
    const { work: _done, leaseExpiresAt: _lease, ...rest } = record;
    const completed: ErasureRecord = {
      ...rest,
      status: 'completed',
      completedAt: new Date(this.#clock()).toISOString(),
    };
    return this.#o.journal.save(completed);
  }

  async #step(step: ErasureStep, work: ErasureWork): Promise<Record<string, number>> {
    switch (step) {
      case 'service-bus': {
        const removed: Record<string, number> = {};
        if (this.#o.pendingSessions !== undefined) {
          const pending = await this.#o.pendingSessions.purge(work.sessionIds);
          for (const [entity, n] of Object.entries(pending.removed)) removed[`pending:${entity}`] = n;
          if (pending.busy.length > 0) removed.busySessions = pending.busy.length;
        }
        if (this.#o.deadLetters !== undefined) {
          const dead = await this.#o.deadLetters.purgeAbout(work.sessionIds);
          for (const [entity, n] of Object.entries(dead)) removed[`dead-letter:${entity}`] = n;
        }
        return removed;
      }
      case 'redis': {
        const queue = await this.#o.queueState.eraseCustomer(work.customerId);
        if (this.#o.redisTraces === undefined) return { queue };
        const records = await this.#o.records.exportCustomer(work.customerId);
        return { queue, ...(await this.#o.redisTraces.erase(work.customerId, customerUtterances(records))) };
      }
      case 'foundry': {
        if (this.#o.conversations === undefined) return { skipped: work.conversationIds.length };
        let conversations = 0;
        for (const id of work.conversationIds) if (await this.#o.conversations.delete(id)) conversations++;
        return { conversations };
      }
      case 'cosmos': {
        const erased = await this.#o.records.eraseCustomer(work.customerId);
        return { ...erased.deleted };
      }
    }
  }
}

/** What the steps need, read from the customer's records before anything is erased. */
export function workOf(records: CustomerRecords): ErasureWork {
  const customer = records.customer as {
    foundryConversationId?: string | null;
    mergedConversationIds?: string[];
  } | null;
  const conversationIds = [
    customer?.foundryConversationId,
    ...(customer?.mergedConversationIds ?? []),
  ].filter((id): id is string => typeof id === 'string' && id.length > 0);
  const sessionIds = [
    records.customerId,
    ...records.mergedCustomers.map((doc) => String(doc.id)),
    ...records.identities.map((doc) => String(doc.id)),
  ];
  return { customerId: records.customerId, sessionIds: [...new Set(sessionIds)], conversationIds };
}

/** The customer's own words in the transcript (the classification cache is keyed by them). */
function customerUtterances(records: CustomerRecords): string[] {
  return (records.partitions.transcripts ?? [])
    .filter((doc) => doc.type === 'turn' && doc.role === 'customer' && typeof doc.text === 'string')
    .map((doc) => String(doc.text));
}
