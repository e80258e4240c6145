import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { AssuranceLevel, Channel, CustomerId } from '@omni/contracts';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { type Customer, type CustomerDocuments, stripEtag } from './customer-documents.js';
import type { CustomerIdentities, IdentityInput } from './customer-identities.js';
import { MAX_MERGE_DEPTH } from './customer-identities.js';
import {
  type CustomerDocument,
  type HandoffDocument,
  handoffDocumentSchema,
  type OpenHandoff,
  openHandoffSchema,
  parseDocument,
  REDEEMED_HANDOFF_OPEN_MS,
} from './documents.js';
import { TokenExpiredError, TokenInvalidError, TokenUsedError } from './errors.js';
import { type HandoffTokens, hashToken, sameDigest } from './handoff-tokens.js';
import { isConflict, type OptimisticRetryOptions, withOptimisticRetry, withThrottleRetry } from './retry.js';

/** The outcome of {@link HandoffRecords.issueHandoffToken}. */
export interface IssuedHandoffToken {
  /** The URL-safe token to put in the link. Only its SHA-256 hash is stored. */
  readonly token: string;
  /** The handoff document id. */
  readonly handoffId: string;
  /** When the token stops working. */
  readonly expiresAt: Date;
}

/** A redeemed handoff link: the customer, and the assurance level the redeeming session inherits. */
export type RedeemedHandoff = Customer & {
  readonly handoff: { readonly handoffId: string; readonly assurance: AssuranceLevel };
};

/** What {@link HandoffRecords} works with. */
export interface HandoffRecordsOptions {
  readonly handoffs: Container;
  readonly customers: Container;
  readonly docs: CustomerDocuments;
  readonly identities: CustomerIdentities;
  readonly tokens: HandoffTokens | undefined;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'warn' | 'error'> | undefined;
  readonly retry: OptimisticRetryOptions;
}

/** Handoff tokens and their records: issue (only the token's hash is stored), redeem once, list. */
export class HandoffRecords {
  readonly #handoffs: Container;
  readonly #customers: Container;
  readonly #docs: CustomerDocuments;
  readonly #identities: CustomerIdentities;
  readonly #tokens: HandoffTokens | undefined;
  readonly #clock: Clock;
  readonly #logger: Pick<Logger, 'warn' | 'error'> | undefined;
  readonly #retry: OptimisticRetryOptions;

  constructor(options: HandoffRecordsOptions) {
    this.#handoffs = options.handoffs;
    this.#customers = options.customers;
    this.#docs = options.docs;
    this.#identities = options.identities;
    this.#tokens = options.tokens;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#retry = options.retry;
  }

  /**
   * Issues a one-time handoff token bound to the customer and the target channel, valid for `ttlSeconds`
   * (default 15 minutes), and records the handoff with the token's SHA-256 hash (never the token).
   *
   * With `handoffId` and `expiresAt` (a saga replaying its step), the call is idempotent: the same inputs sign
   * the same token, and a handoff already recorded with that token's hash is returned instead of a conflict.
   */
  async issueHandoffToken(
    customerId: string,
    toChannel: Channel,
    ttlSeconds = 900,
    options: {
      fromChannel?: Channel;
      reason?: string;
      handoffId?: string;
      expiresAt?: Date;
      /** The level the redeeming session inherits; default: the newest session on `fromChannel`. */
      issuerAssurance?: AssuranceLevel;
    } = {},
  ): Promise<IssuedHandoffToken> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 86_400) {
      throw new RangeError('ttlSeconds must be an integer from 1 to 86400');
    }
    const ownerDoc = await this.#docs.load(customerId);
    const owner = ownerDoc.customerId;
    const now = this.#clock();
    const handoffId = options.handoffId ?? `ho_${randomUUID()}`;
    const expiresAt = options.expiresAt?.getTime() ?? now + ttlSeconds * 1000;
    const token = this.#handoffTokens().sign({ handoffId, customerId: owner, toChannel, expiresAt });
    const doc: HandoffDocument = {
      id: handoffId,
      type: 'handoff',
      customerId: owner as CustomerId,
      fromChannel: options.fromChannel ?? null,
      toChannel,
      status: 'offered',
      tokenHash: hashToken(token),
      reason: options.reason ?? null,
      offeredAt: new Date(now).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      redeemedAt: null,
      redeemedBy: null,
      issuerAssurance: options.issuerAssurance ?? issuingAssurance(ownerDoc, options.fromChannel),
    };
    try {
      await withThrottleRetry('issueHandoffToken', () => this.#handoffs.items.create(doc), this.#retry);
    } catch (error) {
      if (options.handoffId === undefined || !isConflict(error)) throw error;
      const existing = await this.#findHandoff(handoffId, owner);
      if (existing === undefined || existing.tokenHash !== doc.tokenHash) throw error;
      if (existing.status !== 'offered') return { token, handoffId, expiresAt: new Date(expiresAt) };
    }
    // Then the customer's list of open handoffs (a replayed issue adds it once): what turns read.
    await this.#changeOpen(ownerDoc, 'issueHandoffToken', (open) => [
      ...open.filter((h) => h.id !== handoffId),
      openEntry(doc),
    ]);
    return { token, handoffId, expiresAt: new Date(expiresAt) };
  }

  /**
   * Redeems a handoff token: single use (of concurrent redeems exactly one succeeds, by If-Match on the
   * handoff document), then links `identity` to the customer and returns the customer. With `channel`, the
   * token must have been issued for that channel.
   *
   * @throws {@link TokenInvalidError} tampered, foreign, unknown or wrong-channel token
   * @throws {@link TokenExpiredError} genuine but expired
   * @throws {@link TokenUsedError} already redeemed
   * @throws {@link IdentityConflictError} the identity belongs to another customer (with `'merge-anonymous'`: to
   *   a customer who is not anonymous;
   *   the token stays redeemable)
   */
  async redeemHandoffToken(
    token: string,
    identity: IdentityInput,
    options: { channel?: Channel; onConflict?: 'fail' | 'merge-anonymous' } = {},
  ): Promise<RedeemedHandoff> {
    const claims = this.#handoffTokens().verify(token, this.#clock());
    if (options.channel !== undefined && options.channel !== claims.toChannel) {
      throw new TokenInvalidError('issued for another channel');
    }
    const key = this.#identities.identityKeyOf(identity);
    const tokenHash = hashToken(token);
    const redeemed = await withOptimisticRetry(
      'redeemHandoffToken',
      async () => {
        const handoff = await this.#findHandoff(claims.handoffId, claims.customerId);
        if (handoff === undefined || !sameDigest(tokenHash, handoff.tokenHash)) {
          throw new TokenInvalidError('unknown handoff');
        }
        if (handoff.status === 'redeemed') throw new TokenUsedError(handoff.id);
        if (this.#clock() >= Date.parse(handoff.expiresAt))
          throw new TokenExpiredError(new Date(handoff.expiresAt));
        const next: HandoffDocument = {
          ...stripEtag(handoff),
          status: 'redeemed',
          redeemedAt: this.#docs.iso(),
          redeemedBy: key,
        };
        const { resource } = await this.#handoffs
          .item(handoff.id, handoff.customerId)
          .replace(next, { accessCondition: { type: 'IfMatch', condition: handoff._etag ?? '' } });
        return parseDocument(handoffDocumentSchema, 'handoffs', resource);
      },
      this.#retry,
    );
    const reopen = (open: readonly OpenHandoff[]) =>
      open.map((h) =>
        h.id === redeemed.id ? { ...h, status: 'offered' as const, redeemedAt: null, redeemedBy: null } : h,
      );
    try {
      await this.#changeOpen(redeemed.customerId, 'redeemHandoffToken', (open) =>
        open.map((h) => (h.id === redeemed.id ? openEntry(redeemed) : h)),
      );
      const customer = await this.#identities.linkIdentity(redeemed.customerId, identity, {
        onConflict: options.onConflict ?? 'fail',
        reason: `handoff ${redeemed.id}`,
      });
      return { ...customer, handoff: { handoffId: redeemed.id, assurance: redeemed.issuerAssurance } };
    } catch (error) {
      // Give the token back, so the customer can try again once the conflict is sorted out.
      await this.#handoffs
        .item(redeemed.id, redeemed.customerId)
        .replace(
          { ...stripEtag(redeemed), status: 'offered', redeemedAt: null, redeemedBy: null },
          { accessCondition: { type: 'IfMatch', condition: redeemed._etag ?? '' } },
        )
        .then(() => this.#changeOpen(redeemed.customerId, 'release a handoff token', reopen))
        .catch((releaseError: unknown) =>
          this.#logger?.warn({ err: releaseError }, 'could not release a handoff token'),
        );
      throw error;
    }
  }

  /**
   * The customer's open handoffs (offered and not expired; redeemed less than a day ago and not closed), from
   * the customer document: inside a turn, no request of its own. A customer document written before the list
   * was kept: queried.
   */
  async openHandoffs(customerId: string): Promise<OpenHandoff[]> {
    if (this.#docs.createdInTurn(customerId)) return [];
    const doc = await this.#docs.load(customerId);
    const open = doc.openHandoffs ?? (await this.handoffs(doc.customerId)).map(openEntry);
    return stillOpen(open, this.#clock());
  }

  /**
   * Closes an open handoff (it completed): it leaves the customer's list, with the turn's write inside a turn.
   * The handoff record stays as it is (the audit).
   */
  async closeHandoff(customerId: string, handoffId: string): Promise<void> {
    await this.#docs.deferOrMutate(customerId, 'closeHandoff', (current) =>
      current.openHandoffs?.some((h) => h.id === handoffId) === true
        ? { ...current, openHandoffs: current.openHandoffs.filter((h) => h.id !== handoffId) }
        : undefined,
    );
  }

  /** A change of the customer's open handoffs (expired ones leave with it); seeds a legacy document's list. */
  async #changeOpen(
    customer: string | CustomerDocument,
    operation: string,
    change: (open: readonly OpenHandoff[]) => OpenHandoff[],
  ): Promise<void> {
    const doc = typeof customer === 'string' ? await this.#docs.load(customer) : customer;
    // A document never loses the list once it has one, so a cached copy tells a legacy document apart.
    const legacy =
      doc.openHandoffs === undefined ? (await this.#queryHandoffs(doc.customerId)).map(openEntry) : undefined;
    await this.#docs.mutate(doc.customerId, operation, (current) => {
      const before = current.openHandoffs ?? legacy ?? [];
      const openHandoffs = stillOpen(change(before), this.#clock());
      const same =
        current.openHandoffs !== undefined && JSON.stringify(openHandoffs) === JSON.stringify(before);
      return same ? undefined : { ...current, openHandoffs };
    });
  }

  /** The handoff records of a customer (token hashes, statuses). */
  async handoffs(customerId: string): Promise<Omit<HandoffDocument, '_etag'>[]> {
    // A customer this turn created has no handoff yet.
    if (this.#docs.createdInTurn(customerId)) return [];
    // Queried while the customer is read; a merged id is queried again under its survivor.
    const [doc, records] = await Promise.all([this.#docs.load(customerId), this.#queryHandoffs(customerId)]);
    const owner = doc.customerId;
    if (owner === customerId) return records;
    return this.#docs.createdInTurn(owner) ? [] : this.#queryHandoffs(owner);
  }

  #queryHandoffs(owner: string): Promise<Omit<HandoffDocument, '_etag'>[]> {
    return queryHandoffs(this.#handoffs, owner);
  }

  #handoffTokens(): HandoffTokens {
    if (this.#tokens === undefined) {
      throw new Error('this service has no HANDOFF_TOKEN_KEY: it cannot issue or redeem handoff tokens');
    }
    return this.#tokens;
  }

  async #findHandoff(handoffId: string, customerId: string): Promise<HandoffDocument | undefined> {
    let owner: string | undefined = customerId;
    for (let depth = 0; owner !== undefined && depth < MAX_MERGE_DEPTH; depth += 1) {
      const id: string = owner;
      const { resource } = await this.#handoffs.item(handoffId, id).read();
      if (resource !== undefined) return parseDocument(handoffDocumentSchema, 'handoffs', resource);
      // Moved by a merge? Follow the customer's tombstone.
      const customer = await this.#customers.item(id, id).read();
      owner = (customer.resource as { mergedInto?: string } | undefined)?.mergedInto;
    }
    return undefined;
  }
}

/** The handoff records of a customer, as stored (a query: not for a turn's path). */
export async function queryHandoffs(
  handoffs: Container,
  owner: string,
): Promise<Omit<HandoffDocument, '_etag'>[]> {
  const { resources } = await handoffs.items
    .query({
      query: "SELECT * FROM c WHERE c.customerId = @id AND c.type = 'handoff'",
      parameters: [{ name: '@id', value: owner }],
    })
    .fetchAll();
  return resources.map((raw) => stripEtag(parseDocument(handoffDocumentSchema, 'handoffs', raw)));
}

/** The customer document's entry of a handoff: its fields that `openHandoffSchema` keeps (no token hash). */
export function openEntry(handoff: Omit<HandoffDocument, '_etag'>): OpenHandoff {
  return openHandoffSchema.parse(handoff);
}

/** The handoffs still open at `now`: offered and not expired, or redeemed less than a day ago. */
function stillOpen(handoffs: readonly OpenHandoff[], now: number): OpenHandoff[] {
  return handoffs.filter((h) =>
    h.status === 'offered'
      ? Date.parse(h.expiresAt) > now
      : h.redeemedAt !== null && now - Date.parse(h.redeemedAt) < REDEEMED_HANDOFF_OPEN_MS,
  );
}

/**
 * The assurance a handoff link carries: that of the customer's newest session on the channel the handoff
 * leaves (a caller-ID call: `asserted`; a WhatsApp chat: `channel-verified`; a verified session: `verified`).
 * WhatsApp vouches for the number even when no session was recorded.
 */
function issuingAssurance(customer: CustomerDocument, fromChannel: Channel | undefined): AssuranceLevel {
  if (fromChannel === undefined) return 'none';
  const sessions = customer.sessions.filter((s) => s.channel === fromChannel);
  const newest = sessions.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt))[0];
  if (newest !== undefined) return newest.assurance;
  return fromChannel === 'whatsapp' ? 'channel-verified' : 'none';
}
