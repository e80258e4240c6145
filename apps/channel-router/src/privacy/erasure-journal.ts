import type { Container } from '@azure/cosmos';
import { erasureId } from '@omni/customer-context';

/** The steps of an erasure, in the order they run (Cosmos last: the others read what it still holds). */
export const ERASURE_STEPS = ['service-bus', 'redis', 'foundry', 'cosmos'] as const;
/** One step of an erasure. */
export type ErasureStep = (typeof ERASURE_STEPS)[number];

/** What a running erasure still needs; removed when it completes (it names the customer). */
export interface ErasureWork {
  readonly customerId: string;
  /** Service Bus session ids of the customer: its id, merged ids, and identity keys (inbound messages). */
  readonly sessionIds: readonly string[];
  /** Foundry conversations to delete. */
  readonly conversationIds: readonly string[];
}

/**
 * The journal entry of one erasure, and its audit record once completed: the id is a hash of the customer id, so
 * the record recognises the erased customer (later events about it are dropped) without naming it. No personal
 * data is kept once `status` is `completed`: counts, times and how the request was authenticated.
 */
export interface ErasureRecord {
  /** `erasure_<sha256 of the customer id>`. */
  readonly id: string;
  readonly type: 'erasure';
  status: 'running' | 'completed';
  readonly requestedAt: string;
  /** How the request was authenticated (`api-key`, `entra`), never who the customer is. */
  readonly requestedBy: string;
  completedAt: string | null;
  /** Runs so far (more than one: it was interrupted and resumed). */
  runs: number;
  /** While running: until when (epoch ms) the current runner holds it; resumption waits for it to pass. */
  leaseExpiresAt?: number;
  /** Steps done, with what each removed (counts per store). */
  steps: Partial<Record<ErasureStep, { readonly at: string; readonly removed: Record<string, number> }>>;
  /** Present while running. */
  work?: ErasureWork;
  _etag?: string;
}

export { erasureId };

/** Where erasures are recorded. */
export interface ErasureJournal {
  /** The erasure of a customer, running or completed; undefined when never erased. */
  get(customerId: string): Promise<ErasureRecord | undefined>;
  /** Creates the record; when one exists already (a concurrent request), returns that one. */
  begin(record: ErasureRecord): Promise<ErasureRecord>;
  /** Stores the record (last writer wins: one job runs an erasure at a time per process). */
  save(record: ErasureRecord): Promise<ErasureRecord>;
  /** Erasures still running (interrupted ones, to resume). */
  unfinished(): Promise<ErasureRecord[]>;
}

/** The journal in memory (unit tests). */
export class MemoryErasureJournal implements ErasureJournal {
  readonly #records = new Map<string, string>();

  async get(customerId: string): Promise<ErasureRecord | undefined> {
    const json = this.#records.get(erasureId(customerId));
    return json === undefined ? undefined : (JSON.parse(json) as ErasureRecord);
  }

  async begin(record: ErasureRecord): Promise<ErasureRecord> {
    const existing = this.#records.get(record.id);
    if (existing !== undefined) return JSON.parse(existing) as ErasureRecord;
    return this.save(record);
  }

  async save(record: ErasureRecord): Promise<ErasureRecord> {
    this.#records.set(record.id, JSON.stringify(record));
    return JSON.parse(JSON.stringify(record)) as ErasureRecord;
  }

  async unfinished(): Promise<ErasureRecord[]> {
    return [...this.#records.values()]
      .map((json) => JSON.parse(json) as ErasureRecord)
      .filter((record) => record.status === 'running');
  }
}

const status = (error: unknown) => (error as { code?: number; statusCode?: number }).code;

/** The journal in the Cosmos `erasures` container (partition key `/id`); no TTL: the audit trail stays. */
export class CosmosErasureJournal implements ErasureJournal {
  constructor(private readonly container: Container) {}

  async get(customerId: string): Promise<ErasureRecord | undefined> {
    const id = erasureId(customerId);
    const { resource } = await this.container.item(id, id).read<ErasureRecord>();
    return resource;
  }

  async begin(record: ErasureRecord): Promise<ErasureRecord> {
    try {
      const { resource } = await this.container.items.create(record);
      return resource as ErasureRecord;
    } catch (error) {
      if (status(error) !== 409) throw error;
      const { resource } = await this.container.item(record.id, record.id).read<ErasureRecord>();
      if (resource === undefined) throw error;
      return resource;
    }
  }

  async save(record: ErasureRecord): Promise<ErasureRecord> {
    const { _etag, ...body } = record;
    const { resource } = await this.container.items.upsert(body);
    return resource as unknown as ErasureRecord;
  }

  async unfinished(): Promise<ErasureRecord[]> {
    const { resources } = await this.container.items
      .query<ErasureRecord>("SELECT * FROM c WHERE c.type = 'erasure' AND c.status = 'running'")
      .fetchAll();
    return resources;
  }
}
