import { type AssuranceLevel, assuranceAtLeast, type Channel, maxAssurance } from '@omni/contracts';
import { type Customer, type CustomerDocuments, capSessions, toCustomer } from './customer-documents.js';
import type { Consent, CustomerDocument, Session, SessionStatus } from './documents.js';

/** WhatsApp's customer service window: business-initiated free-form messages only within 24 h of the last inbound. */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** How a session reached its assurance level, as the ops timeline shows it. */
export type AssuranceMethod =
  | 'caller-id'
  | 'whatsapp'
  | 'handoff-link'
  | 'knowledge-check'
  | 'one-time-code'
  | (string & {});

/** Options of {@link CustomerSessions.startSession}. */
export interface StartSessionOptions {
  readonly at?: Date;
  /** The level the channel gives this session (raised, never lowered, when the session exists). */
  readonly assurance?: AssuranceLevel;
  readonly method?: AssuranceMethod;
}

/** The outcome of a failed verification: how many failures in a row, and the lock-out when the limit was hit. */
export interface VerificationFailure {
  readonly failures: number;
  readonly lockedUntil: Date | undefined;
}

/** Attempt limits of verification. */
export interface VerificationLimits {
  /** Failed attempts in a row that lock verification. Default 3. */
  readonly maxFailures?: number;
  /** How long a lock-out lasts, ms. Default 15 minutes. */
  readonly lockMs?: number;
}

/**
 * The assurance level of a customer's session: the level stored with it, at least `floor` (what the channel
 * itself vouches for on this message).
 */
export function sessionAssurance(
  customer: Pick<Customer, 'sessions'>,
  channel: Channel,
  sessionId: string,
  floor: AssuranceLevel = 'none',
): AssuranceLevel {
  const session = customer.sessions.find((s) => s.channel === channel && s.sessionId === sessionId);
  return maxAssurance(session?.assurance ?? 'none', floor);
}

/** When verification is locked for a customer (too many failed attempts), else undefined. */
export function verificationLockedUntil(
  customer: Pick<Customer, 'verificationFailures'>,
  now: number,
): Date | undefined {
  const until = customer.verificationFailures?.lockedUntil;
  if (until === null || until === undefined) return undefined;
  const at = Date.parse(until);
  return at > now ? new Date(at) : undefined;
}

/**
 * Sessions, assurance, verified accounts, the WhatsApp window and consent: everything on the customer document
 * that one channel's session changes. Every write is an If-Match read-modify-write through
 * {@link CustomerDocuments} and idempotent.
 */
export class CustomerSessions {
  readonly #docs: CustomerDocuments;
  readonly #clock: () => number;
  readonly #maxSessions: number;

  constructor(docs: CustomerDocuments, clock: () => number, maxSessions: number) {
    this.#docs = docs;
    this.#clock = clock;
    this.#maxSessions = maxSessions;
  }

  /**
   * Records a session as started, with the assurance level its channel gives it. Idempotent: a known session
   * (even one already ended) keeps its start; its level is only ever raised.
   */
  async startSession(
    customerId: string,
    channel: Channel,
    sessionId: string,
    options: StartSessionOptions = {},
  ): Promise<Customer> {
    const startedAt = (options.at ?? new Date(this.#clock())).toISOString();
    const assurance = options.assurance ?? 'none';
    const doc = await this.#docs.mutate(customerId, 'startSession', (current) => {
      const existing = current.sessions.find((s) => s.channel === channel && s.sessionId === sessionId);
      if (existing !== undefined) return raised(current, existing, assurance, options.method);
      const session: Session = {
        channel,
        sessionId,
        startedAt,
        endedAt: null,
        status: 'active',
        assurance,
        assuranceMethod: options.method ?? null,
      };
      return { ...current, sessions: capSessions([...current.sessions, session], this.#maxSessions) };
    });
    return toCustomer(doc);
  }

  /**
   * Raises a session's assurance level (a verification passed, a handoff link redeemed); creates the session
   * when it is not recorded yet. A lower or equal level changes nothing.
   */
  async raiseAssurance(
    customerId: string,
    channel: Channel,
    sessionId: string,
    level: AssuranceLevel,
    method: AssuranceMethod,
  ): Promise<Customer> {
    return this.startSession(customerId, channel, sessionId, { assurance: level, method });
  }

  /**
   * Records a session as ended with `status`. Idempotent: an ended session keeps its first end. An end that
   * arrives before its start (deliveries are not ordered) records the session as ended.
   */
  async endSession(
    customerId: string,
    channel: Channel,
    sessionId: string,
    status: Exclude<SessionStatus, 'active'>,
    at?: Date,
  ): Promise<Customer> {
    const endedAt = (at ?? new Date(this.#clock())).toISOString();
    const doc = await this.#docs.mutate(customerId, 'endSession', (current) => {
      const existing = current.sessions.find((s) => s.channel === channel && s.sessionId === sessionId);
      if (existing?.endedAt != null) return undefined;
      const ended: Session = existing
        ? { ...existing, endedAt, status }
        : {
            channel,
            sessionId,
            startedAt: endedAt,
            endedAt,
            status,
            assurance: 'none',
            assuranceMethod: null,
          };
      const sessions = existing
        ? current.sessions.map((s) => (s === existing ? ended : s))
        : capSessions([...current.sessions, ended], this.#maxSessions);
      return { ...current, sessions };
    });
    return toCustomer(doc);
  }

  /**
   * Links an account (`account:<number>`, `order:<id>`) to the customer after a verification; tools then
   * disclose and change it for this customer. Linking a linked account changes nothing.
   */
  async linkVerifiedAccount(customerId: string, ref: string, method: AssuranceMethod): Promise<Customer> {
    const linkedAt = new Date(this.#clock()).toISOString();
    const doc = await this.#docs.mutate(customerId, 'linkVerifiedAccount', (current) => {
      const accounts = current.verifiedAccounts ?? [];
      const cleared = current.verificationFailures === null ? {} : { verificationFailures: null };
      if (accounts.some((a) => a.ref === ref)) {
        return current.verificationFailures === null ? undefined : { ...current, ...cleared };
      }
      return { ...current, ...cleared, verifiedAccounts: [...accounts, { ref, linkedAt, method }] };
    });
    return toCustomer(doc);
  }

  /**
   * Counts a failed verification attempt; at `maxFailures` in a row verification locks for `lockMs`. A lock
   * that ran out starts a new count.
   */
  async recordVerificationFailure(
    customerId: string,
    limits: VerificationLimits = {},
  ): Promise<VerificationFailure> {
    const maxFailures = limits.maxFailures ?? 3;
    const lockMs = limits.lockMs ?? 15 * 60_000;
    const now = this.#clock();
    const doc = await this.#docs.mutate(customerId, 'recordVerificationFailure', (current) => {
      const previous = current.verificationFailures;
      const expired = previous?.lockedUntil != null && Date.parse(previous.lockedUntil) <= now;
      const count = (expired || previous === null ? 0 : previous.count) + 1;
      const lockedUntil = count >= maxFailures ? new Date(now + lockMs).toISOString() : null;
      return { ...current, verificationFailures: { count, lockedUntil } };
    });
    const failures = doc.verificationFailures;
    return {
      failures: failures?.count ?? 0,
      lockedUntil: failures?.lockedUntil ? new Date(failures.lockedUntil) : undefined,
    };
  }

  /** Records an inbound message on a channel (keeps the latest time; an older one changes nothing). */
  async recordInbound(customerId: string, channel: Channel, at: Date): Promise<CustomerDocument> {
    const iso = at.toISOString();
    // Inside a turn: written with the turn's write (the turn reads it at once).
    return this.#docs.deferOrMutate(customerId, 'recordInbound', (current) => {
      const previous = current.lastInboundAt[channel];
      if (previous !== undefined && Date.parse(previous) >= at.getTime()) return undefined;
      return { ...current, lastInboundAt: { ...current.lastInboundAt, [channel]: iso } };
    });
  }

  /** When the customer last wrote on `channel`, or undefined. */
  async lastInbound(customerId: string, channel: Channel): Promise<Date | undefined> {
    const at = (await this.#docs.load(customerId)).lastInboundAt[channel];
    return at === undefined ? undefined : new Date(at);
  }

  /**
   * True when the customer wrote on `channel` within `windowMs` before `now` (WhatsApp: 24 h, inside which
   * free-form messages may be sent; outside it only approved templates).
   */
  async isWithinWindow(
    customerId: string,
    channel: Channel,
    now: Date = new Date(this.#clock()),
    windowMs: number = WHATSAPP_WINDOW_MS,
  ): Promise<boolean> {
    const last = await this.lastInbound(customerId, channel);
    if (last === undefined) return false;
    const age = now.getTime() - last.getTime();
    return age >= 0 && age < windowMs;
  }

  /** Records the customer's consent decision for a channel (read it in `customer.consent[channel]`). */
  async setConsent(
    customerId: string,
    channel: Channel,
    granted: boolean,
    options: { at?: Date; source?: string } = {},
  ): Promise<Customer> {
    const consent: Consent = {
      granted,
      at: (options.at ?? new Date(this.#clock())).toISOString(),
      ...(options.source === undefined ? {} : { source: options.source }),
    };
    const doc = await this.#docs.mutate(customerId, 'setConsent', (current) => {
      const existing = current.consent[channel];
      if (existing !== undefined && Date.parse(existing.at) > Date.parse(consent.at)) return undefined;
      if (existing !== undefined && JSON.stringify(existing) === JSON.stringify(consent)) return undefined;
      return { ...current, consent: { ...current.consent, [channel]: consent } };
    });
    return toCustomer(doc);
  }
}

/** The customer with `session` raised to `level`, or undefined when the level is not higher. */
function raised(
  current: CustomerDocument,
  session: Session,
  level: AssuranceLevel,
  method: AssuranceMethod | undefined,
): CustomerDocument | undefined {
  if (assuranceAtLeast(session.assurance, level)) return undefined;
  const next: Session = { ...session, assurance: level, assuranceMethod: method ?? null };
  return { ...current, sessions: current.sessions.map((s) => (s === session ? next : s)) };
}

/**
 * Whether a customer is anonymous: known only by web chat ids, with no session above `none` and no verified
 * account. Only such a customer may be folded into another without proof (a browser that chatted anonymously
 * and then redeems a handoff link).
 */
export function isAnonymousCustomer(
  customer: Pick<CustomerDocument, 'identities' | 'sessions' | 'verifiedAccounts'>,
): boolean {
  return (
    customer.identities.every((key) => key.startsWith('webchat:')) &&
    customer.sessions.every((s) => s.assurance === 'none') &&
    (customer.verifiedAccounts ?? []).length === 0
  );
}
