import type { Container, ItemDefinition } from '@azure/cosmos';
import type { CustomerContextContainers } from './cosmos.js';
import { type CustomerDocuments, customerKey } from './customer-documents.js';
import { identityCacheKey, MAX_MERGE_DEPTH } from './customer-identities.js';
import type { CustomerDocument } from './documents.js';
import { isNotFound, type OptimisticRetryOptions, withThrottleRetry } from './retry.js';

/** The outcome of {@link CustomerErasure.erase}: what the caller still has to delete elsewhere. */
export interface ErasedCustomer {
  /** The erased customer (the survivor, when a merged id was given). */
  readonly customerId: string;
  /** The customer's Foundry conversation, to delete through Foundry; null when there was none. */
  readonly foundryConversationId: string | null;
  /** Conversations of customers merged into this one, to delete as well. */
  readonly mergedConversationIds: readonly string[];
  /** False when nothing was left to erase (a repeated erase). */
  readonly existed: boolean;
  /** Documents deleted per container (identities, idempotency and call records included). */
  readonly deleted: Readonly<Record<string, number>>;
}

/** Every record the Cosmos containers hold about one customer (system properties stripped). */
export interface CustomerRecords {
  /** The customer (the survivor, when a merged id was given). */
  readonly customerId: string;
  /** The customer document; null when there is none. */
  readonly customer: Record<string, unknown> | null;
  /** Identity documents pointing at the customer. */
  readonly identities: readonly Record<string, unknown>[];
  /** Tombstones of customers merged into this one. */
  readonly mergedCustomers: readonly Record<string, unknown>[];
  /**
   * Every document of the customer's partition in each container, by container id (`transcripts`, `handoffs`
   * and any container another feature adds): turns, merge audits, handoff records, saga states, state documents.
   */
  readonly partitions: Readonly<Record<string, readonly Record<string, unknown>[]>>;
  /** Idempotency records whose key names the customer. */
  readonly idempotency: readonly Record<string, unknown>[];
  /** Voice call state documents of the customer (when the voice adapter keeps them in Cosmos). */
  readonly calls: readonly Record<string, unknown>[];
}

/** Dependencies of a {@link CustomerErasure}. */
export interface CustomerErasureOptions {
  containers: Omit<CustomerContextContainers, 'client'>;
  /** The customer documents and the context cache (erased entries are cached as "gone"). */
  docs: CustomerDocuments;
  retry?: OptimisticRetryOptions;
}

type Raw = ItemDefinition & { id: string } & Record<string, unknown>;

const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_ts', '_attachments', '_lsn'];

function withoutSystemProperties(raw: Raw): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...raw };
  for (const name of SYSTEM_PROPERTIES) delete copy[name];
  return copy;
}

/**
 * Erasure and export of one customer across the Cosmos containers. Erasure works by partition: every container
 * of the database is listed, and the customer's partition (and those of customers merged into it) is emptied in
 * each, so document kinds other features add to a customer-partitioned container are erased without being named
 * here. Identities, idempotency records keyed by the customer and voice call documents live in `/id` containers
 * and are found by query. The customer document goes last, so an interrupted erase can be repeated: it finds
 * everything again through it. Every step is idempotent.
 */
export class CustomerErasure {
  readonly #containers: Omit<CustomerContextContainers, 'client'>;
  readonly #docs: CustomerDocuments;
  readonly #retry: OptimisticRetryOptions;

  constructor(options: CustomerErasureOptions) {
    this.#containers = options.containers;
    this.#docs = options.docs;
    this.#retry = options.retry ?? {};
  }

  /**
   * Erases a customer: the customer's partition in every container, identities, tombstones of customers merged
   * into it, idempotency records naming it, voice call documents, then the customer document. A merged customer's
   * id erases the survivor. Returns the Foundry conversation ids for the caller to delete. Idempotent.
   */
  async erase(customerId: string): Promise<ErasedCustomer> {
    const doc = await this.#survivor(customerId);
    const id = doc?.customerId ?? customerId;
    const deleted: Record<string, number> = {};
    const count = (container: string, n: number) => {
      deleted[container] = (deleted[container] ?? 0) + n;
    };
    const tombstones = await this.#tombstones(id);
    const owners = [id, ...tombstones.map((t) => t.id)];

    for (const key of await this.#identityKeys(doc, owners)) {
      const { resource } = await this.#containers.identities.item(key, key).read();
      if (resource !== undefined && owners.includes(String((resource as Raw).customerId))) {
        count('identities', await this.#delete(this.#containers.identities, key, key));
      }
      await this.#docs.cacheDelete(identityCacheKey(key));
    }
    for (const container of await this.#allContainers()) {
      if (container.id === this.#containers.customers.id || container.id === this.#containers.identities.id)
        continue;
      for (const owner of owners) {
        for (const raw of await this.#partition(container, owner)) {
          count(container.id, await this.#delete(container, raw.id, owner));
        }
      }
    }
    for (const raw of await this.#idempotencyRecords(owners)) {
      count('idempotency', await this.#delete(this.#containers.idempotency, raw.id, raw.id));
    }
    for (const raw of await this.#callDocuments(owners)) {
      const calls = await this.#callsContainer();
      if (calls !== undefined) count(calls.id, await this.#delete(calls, raw.id, raw.id));
    }
    for (const tombstone of tombstones) {
      count('customers', await this.#delete(this.#containers.customers, tombstone.id, tombstone.id));
      await this.#docs.cacheSet(customerKey(tombstone.id), tombstone.version + 1, null);
    }
    if (doc !== undefined) {
      count('customers', await this.#delete(this.#containers.customers, id, id));
      await this.#docs.cacheSet(customerKey(id), doc.version + 1, null);
    }
    return {
      customerId: id,
      foundryConversationId: doc?.foundryConversationId ?? null,
      mergedConversationIds: doc?.mergedConversationIds ?? [],
      existed: doc !== undefined,
      deleted,
    };
  }

  /** Every record the containers hold about a customer (a merged id exports the survivor). Reads only. */
  async export(customerId: string): Promise<CustomerRecords> {
    const { resource } = await this.#containers.customers.item(customerId, customerId).read<Raw>();
    let raw = resource;
    for (let depth = 0; raw?.mergedInto !== undefined && depth < MAX_MERGE_DEPTH; depth += 1) {
      const next = String(raw.mergedInto);
      raw = (await this.#containers.customers.item(next, next).read<Raw>()).resource;
    }
    const id = raw?.id ?? customerId;
    const tombstones = await this.#tombstones(id);
    const owners = [id, ...tombstones.map((t) => t.id)];
    const { resources: identities } = await this.#containers.identities.items
      .query<Raw>({
        query: 'SELECT * FROM c WHERE ARRAY_CONTAINS(@owners, c.customerId)',
        parameters: [{ name: '@owners', value: owners }],
      })
      .fetchAll();
    const partitions: Record<string, Record<string, unknown>[]> = {};
    for (const container of await this.#allContainers()) {
      if (container.id === this.#containers.customers.id || container.id === this.#containers.identities.id)
        continue;
      const docs: Record<string, unknown>[] = [];
      for (const owner of owners) {
        docs.push(...(await this.#partition(container, owner)).map(withoutSystemProperties));
      }
      if (docs.length > 0) partitions[container.id] = docs;
    }
    const idempotency = (await this.#idempotencyRecords(owners)).map(withoutSystemProperties);
    const calls = (await this.#callDocuments(owners)).map(withoutSystemProperties);
    return {
      customerId: id,
      customer: raw === undefined ? null : withoutSystemProperties(raw),
      identities: identities.map(withoutSystemProperties),
      mergedCustomers: await Promise.all(
        tombstones.map(async (t) => {
          const read = await this.#containers.customers.item(t.id, t.id).read<Raw>();
          return read.resource === undefined ? { id: t.id } : withoutSystemProperties(read.resource);
        }),
      ),
      partitions,
      idempotency,
      calls,
    };
  }

  async #survivor(customerId: string): Promise<CustomerDocument | undefined> {
    let doc = await this.#docs.read(customerId);
    for (let depth = 0; doc?.mergedInto !== undefined && depth < MAX_MERGE_DEPTH; depth += 1) {
      doc = await this.#docs.read(doc.mergedInto);
    }
    return doc;
  }

  async #tombstones(id: string): Promise<{ id: string; version: number }[]> {
    const { resources } = await this.#containers.customers.items
      .query<{ id: string; version: number }>({
        query: 'SELECT c.id, c.version FROM c WHERE c.mergedInto = @id',
        parameters: [{ name: '@id', value: id }],
      })
      .fetchAll();
    return resources;
  }

  async #identityKeys(doc: CustomerDocument | undefined, owners: readonly string[]): Promise<Set<string>> {
    const keys = new Set<string>(doc?.identities ?? []);
    const { resources } = await this.#containers.identities.items
      .query<{ id: string }>({
        query: 'SELECT c.id FROM c WHERE ARRAY_CONTAINS(@owners, c.customerId)',
        parameters: [{ name: '@owners', value: [...owners] }],
      })
      .fetchAll();
    for (const raw of resources) keys.add(raw.id);
    return keys;
  }

  /** Every container of the database (so containers added later are covered), the known ones at least. */
  async #allContainers(): Promise<Container[]> {
    // The stores pass the containers object as is (with its client): keep the containers only.
    const known = (Object.values(this.#containers) as unknown[]).filter(
      (value): value is Container =>
        typeof value === 'object' && value !== null && 'database' in value && 'items' in value,
    );
    const database = this.#containers.customers.database;
    const { resources } = await withThrottleRetry(
      'list containers',
      () => database.containers.readAll().fetchAll(),
      this.#retry,
    );
    const byId = new Map(known.map((container) => [container.id, container]));
    for (const definition of resources) {
      if (!byId.has(definition.id)) byId.set(definition.id, database.container(definition.id));
    }
    return [...byId.values()];
  }

  async #callsContainer(): Promise<Container | undefined> {
    return (await this.#allContainers()).find((container) => container.id === 'calls');
  }

  /** The documents of one partition (a single-partition query). */
  async #partition(container: Container, partitionKey: string): Promise<Raw[]> {
    const { resources } = await withThrottleRetry(
      'read partition',
      () => container.items.query<Raw>('SELECT * FROM c', { partitionKey }).fetchAll(),
      this.#retry,
    );
    return resources;
  }

  /** Idempotency records whose key names one of the customers (`refund:<customerId>:...`). */
  async #idempotencyRecords(owners: readonly string[]): Promise<Raw[]> {
    const found = new Map<string, Raw>();
    for (const owner of owners) {
      const { resources } = await withThrottleRetry(
        'query idempotency',
        () =>
          this.#containers.idempotency.items
            .query<Raw>({
              query: 'SELECT * FROM c WHERE CONTAINS(c.key, @id)',
              parameters: [{ name: '@id', value: owner }],
            })
            .fetchAll(),
        this.#retry,
      );
      for (const raw of resources) found.set(raw.id, raw);
    }
    return [...found.values()];
  }

  /** The voice adapter's call documents of the customers, with their connection index documents. */
  async #callDocuments(owners: readonly string[]): Promise<Raw[]> {
    const calls = await this.#callsContainer();
    if (calls === undefined) return [];
    const { resources: sessions } = await calls.items
      .query<Raw>({
        query: "SELECT * FROM c WHERE c.kind = 'call' AND ARRAY_CONTAINS(@owners, c.session.customerId)",
        parameters: [{ name: '@owners', value: [...owners] }],
      })
      .fetchAll();
    const refs = sessions.map((doc) => String(doc.ref));
    if (refs.length === 0) return [];
    const { resources: connections } = await calls.items
      .query<Raw>({
        query: "SELECT * FROM c WHERE c.kind = 'connection' AND ARRAY_CONTAINS(@refs, c.ref)",
        parameters: [{ name: '@refs', value: refs }],
      })
      .fetchAll();
    return [...sessions, ...connections];
  }

  /** Deletes a document; 1 when it was there, 0 when it was already gone. */
  async #delete(container: Container, id: string, partitionKey: string): Promise<number> {
    try {
      await withThrottleRetry('erase', () => container.item(id, partitionKey).delete(), this.#retry);
      return 1;
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }
}
