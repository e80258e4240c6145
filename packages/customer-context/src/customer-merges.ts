import type { Container, ItemDefinition } from '@azure/cosmos';
import type { Channel, CustomerId, IdentityKey } from '@omni/contracts';
import { withTurns } from './customer-conversation.js';
import {
  type Customer,
  type CustomerDocuments,
  capSessions,
  emptyCustomer,
  toCustomer,
} from './customer-documents.js';
import type { CustomerIdentities } from './customer-identities.js';
import type { CustomerDocument, MergeAuditDocument, OpenHandoff } from './documents.js';
import { CustomerNotFoundError, InvalidMergeError } from './errors.js';
import { openEntry, queryHandoffs } from './handoff-records.js';
import { deleteIgnoringMissing, queryByCustomer } from './partition-items.js';
import { isConflict, type OptimisticRetryOptions, withOptimisticRetry, withThrottleRetry } from './retry.js';

/** What {@link CustomerMerges} works with. */
export interface CustomerMergesOptions {
  readonly identities: Container;
  readonly handoffs: Container;
  readonly transcripts: Container;
  readonly docs: CustomerDocuments;
  readonly people: CustomerIdentities;
  readonly retry: OptimisticRetryOptions;
  readonly maxSessions: number;
}

/** Merges of two customers into one: fold, tombstone, re-pointed identities, moved documents, audit. */
export class CustomerMerges {
  readonly #identities: Container;
  readonly #handoffs: Container;
  readonly #transcripts: Container;
  readonly #docs: CustomerDocuments;
  readonly #people: CustomerIdentities;
  readonly #retry: OptimisticRetryOptions;
  readonly #maxSessions: number;

  constructor(options: CustomerMergesOptions) {
    this.#identities = options.identities;
    this.#handoffs = options.handoffs;
    this.#transcripts = options.transcripts;
    this.#docs = options.docs;
    this.#people = options.people;
    this.#retry = options.retry;
    this.#maxSessions = options.maxSessions;
  }

  /**
   * Merges customer `mergeId` into `keepId` and writes an audit record. Identities are re-pointed to the
   * survivor; its Foundry conversation id is kept and the other's noted in `mergedConversationIds`; sessions,
   * transcripts and handoffs move to it; collected data, consent and summary are merged (survivor wins); the
   * merged customer becomes a tombstone (`mergedInto`), so its id and identities resolve to the survivor.
   * Every step is idempotent: repeating a merge that was interrupted finishes it.
   *
   * @throws {@link InvalidMergeError} for a self-merge or a survivor that was itself merged away
   * @throws {@link CustomerNotFoundError}
   */
  async mergeCustomers(keepId: string, mergeId: string, reason: string): Promise<Customer> {
    if (keepId === mergeId) throw new InvalidMergeError('cannot merge a customer into itself');
    const keep = await this.#docs.read(keepId);
    if (keep === undefined) throw new CustomerNotFoundError(keepId);
    if (keep.mergedInto !== undefined) {
      throw new InvalidMergeError(
        `customer ${keepId} was merged into ${keep.mergedInto}; merge into that one`,
      );
    }
    const survivor = keep.customerId;
    // A document written before open handoffs were kept with the customer: its handoffs, queried.
    const keepLegacyOpen = keep.openHandoffs === undefined ? await this.#openHandoffsOf(survivor) : undefined;
    // 1. Fold the merged customer's data into the survivor, then tombstone it with If-Match: if it changed in
    //    between, fold again (folding is idempotent), so no write to the merged customer is lost.
    const merged = await withOptimisticRetry(
      'mergeCustomers',
      async () => {
        const doc = await this.#docs.read(mergeId);
        if (doc === undefined) throw new CustomerNotFoundError(mergeId);
        if (doc.mergedInto !== undefined) {
          if (doc.mergedInto === survivor) return doc;
          throw new InvalidMergeError(`customer ${mergeId} was already merged into ${doc.mergedInto}`);
        }
        const mergeOpen = doc.openHandoffs ?? (await this.#openHandoffsOf(mergeId));
        await this.#docs.mutate(
          survivor,
          'mergeCustomers',
          (target) =>
            foldInto(
              { ...target, openHandoffs: target.openHandoffs ?? keepLegacyOpen },
              { ...doc, openHandoffs: mergeOpen },
              this.#maxSessions,
            ),
          {
            follow: false,
          },
        );
        const now = this.#docs.iso();
        const tombstone: CustomerDocument = {
          ...emptyCustomer(doc.customerId, now),
          createdAt: doc.createdAt,
          foundryConversationId: null,
          mergedInto: survivor as CustomerId,
          mergedAt: now,
          version: doc.version + 1,
        };
        await this.#docs.replace(doc, tombstone);
        return doc;
      },
      this.#retry,
    );
    // 2. Re-point the identities.
    const movedIdentities = await this.#repointIdentities(mergeId, survivor, merged.identities);
    // 3. Move transcripts and handoffs (create in the survivor's partition, then delete the original).
    const movedTurns = await this.#movePartition(this.#transcripts, mergeId, survivor, 'turn');
    const movedHandoffs = await this.#movePartition(this.#handoffs, mergeId, survivor, 'handoff');
    // 4. Audit.
    const audit: MergeAuditDocument = {
      id: `merge-audit:${mergeId}`,
      type: 'merge-audit',
      customerId: survivor as CustomerId,
      mergedCustomerId: mergeId as CustomerId,
      reason,
      at: this.#docs.iso(),
      movedIdentities,
      movedTurns,
      movedHandoffs,
      mergedConversationId: merged.foundryConversationId,
    };
    await withThrottleRetry('mergeCustomers', () => this.#transcripts.items.upsert(audit), this.#retry);
    return toCustomer(await this.#docs.load(survivor, { fresh: true }));
  }

  /** The merge audit records of a customer (as survivor), oldest first. */
  async mergeAudit(customerId: string): Promise<Omit<MergeAuditDocument, '_etag'>[]> {
    const { resources } = await this.#transcripts.items
      .query({
        query: "SELECT * FROM c WHERE c.customerId = @id AND c.type = 'merge-audit' ORDER BY c.at ASC",
        parameters: [{ name: '@id', value: customerId }],
      })
      .fetchAll();
    return resources.map((raw) => {
      const { _etag, ...audit } = raw as MergeAuditDocument;
      return audit;
    });
  }

  async #repointIdentities(fromId: string, toId: string, known: readonly string[]): Promise<string[]> {
    const keys = new Set<string>(known);
    for (const raw of await this.#queryByCustomer(this.#identities, fromId)) keys.add(raw.id);
    const moved: string[] = [];
    for (const key of keys) {
      await withOptimisticRetry(
        'mergeCustomers: re-point identity',
        async () => {
          const identity = await this.#people.readIdentity(key);
          if (identity === undefined || identity.customerId !== fromId) return;
          await this.#people.repointIdentity(identity, toId);
          moved.push(key);
        },
        this.#retry,
      );
    }
    return moved;
  }

  /** Moves every document of `type` from one customer's partition to another's: create (409 ok), then delete. */
  async #movePartition(container: Container, fromId: string, toId: string, type: string): Promise<number> {
    let moved = 0;
    for (const raw of await this.#queryByCustomer(container, fromId)) {
      if (raw.type !== type) continue;
      const { _etag, _rid, _self, _ts, _attachments, ...body } = raw as ItemDefinition &
        Record<string, unknown>;
      try {
        await withThrottleRetry(
          'mergeCustomers: move',
          () => container.items.create({ ...body, customerId: toId }),
          this.#retry,
        );
      } catch (error) {
        if (!isConflict(error)) throw error; // 409: moved by an earlier, interrupted merge
      }
      await this.#deleteIgnoringMissing(container, raw.id, fromId);
      moved += 1;
    }
    return moved;
  }

  /** A customer's handoffs as open-handoff entries (the survivor's next change drops those no longer open). */
  async #openHandoffsOf(customerId: string): Promise<OpenHandoff[]> {
    const records = await withThrottleRetry(
      'mergeCustomers: open handoffs',
      () => queryHandoffs(this.#handoffs, customerId),
      this.#retry,
    );
    return records.map(openEntry);
  }

  async #queryByCustomer(container: Container, customerId: string) {
    return queryByCustomer(container, customerId, this.#retry);
  }

  async #deleteIgnoringMissing(container: Container, id: string, partitionKey: string): Promise<void> {
    await deleteIgnoringMissing(container, id, partitionKey, this.#retry);
  }
}

/** Folds a merged customer's data into the survivor (survivor wins); undefined when nothing changes. */
function foldInto(
  keep: CustomerDocument,
  merge: CustomerDocument,
  maxSessions: number,
): CustomerDocument | undefined {
  const identities = [...new Set([...keep.identities, ...merge.identities])] as IdentityKey[];
  const conversations = [merge.foundryConversationId, ...merge.mergedConversationIds].filter(
    (id): id is string => id !== null,
  );
  const foundryConversationId = keep.foundryConversationId ?? conversations[0] ?? null;
  const mergedConversationIds = [
    ...new Set([
      ...keep.mergedConversationIds,
      ...conversations.filter((id) => id !== foundryConversationId),
    ]),
  ];
  const sessions = capSessions(
    [
      ...keep.sessions,
      ...merge.sessions.filter(
        (s) => !keep.sessions.some((k) => k.channel === s.channel && k.sessionId === s.sessionId),
      ),
    ].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)),
    maxSessions,
  );
  const lastInboundAt = { ...merge.lastInboundAt };
  for (const [channel, at] of Object.entries(keep.lastInboundAt) as [Channel, string][]) {
    const other = lastInboundAt[channel];
    if (other === undefined || Date.parse(at) > Date.parse(other)) lastInboundAt[channel] = at;
  }
  // The newest turns of both (the transcripts move too); unknown when either kept none (queried then).
  const recentTurns =
    keep.recentTurns === undefined || merge.recentTurns === undefined
      ? undefined
      : withTurns(keep.recentTurns, merge.recentTurns);
  // Both customers' open handoffs (the records move to the survivor).
  const openHandoffs = [
    ...(keep.openHandoffs ?? []),
    ...(merge.openHandoffs ?? []).filter((h) => !keep.openHandoffs?.some((k) => k.id === h.id)),
  ];
  const next: CustomerDocument = {
    ...keep,
    recentTurns,
    openHandoffs,
    displayName: keep.displayName ?? merge.displayName,
    identities,
    foundryConversationId,
    mergedConversationIds,
    summary: keep.summary ?? merge.summary,
    collectedData: { ...merge.collectedData, ...keep.collectedData },
    sessions,
    consent: { ...merge.consent, ...keep.consent },
    lastInboundAt,
  };
  return JSON.stringify(next) === JSON.stringify(keep) ? undefined : next;
}
