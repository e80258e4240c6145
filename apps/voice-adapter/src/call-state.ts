import type { CustomerContextContainers } from '@omni/customer-context';
import type { Redis } from 'ioredis';

/** Where a call is in the voice flow. */
export type CallPhase =
  /** Answered; waiting for CallConnected. */
  | 'connecting'
  /** Turn by turn with the voice agent. */
  | 'talking'
  /** The switch to another channel was offered; waiting for yes or no. */
  | 'offering'
  /** A withheld caller accepted the switch; keying in a number. */
  | 'collecting-number'
  /** `handoff.requested` published; the confirmation is playing, then the call ends. */
  | 'handing-off'
  /** In the human queue, on hold with estimated-wait announcements. */
  | 'queued'
  /** `call.assigned` arrived; the transfer is under way. */
  | 'transferring'
  /** A goodbye is playing, then the call ends. */
  | 'ending'
  /** The call is over. */
  | 'ended';

/** What the adapter remembers about one call (JSON; survives a restart in Redis or Cosmos). */
export interface CallSession {
  /** The adapter's id of the call: the path segment of its callback URL. */
  readonly ref: string;
  /** The per-call secret the callback URL carries. */
  readonly secret: string;
  callConnectionId?: string;
  readonly serverCallId: string;
  readonly correlationId: string;
  readonly customerId: string;
  /** The caller's E.164 number; absent when withheld (until keyed in). */
  phone?: string;
  phase: CallPhase;
  /** Increments with every media operation; the expected callback carries `<kind>:<seq>`. */
  seq: number;
  /** The operationContext of the media operation whose outcome is awaited. */
  awaiting?: string;
  /** Re-prompts in a row after silence or no match. */
  reprompts: number;
  /** The last thing asked, for re-prompts. */
  lastPrompt?: string;
  /** User turns so far (engine turn ids are `<ref>:t<n>`). */
  turns: number;
  offer?: { channels: string[]; estimatedWaitSeconds: number };
  /** The channel the caller picked by name or key (web chat); otherwise WhatsApp when offered. */
  chosenChannel?: 'webchat';
  handoff?: { handoffId: string; toChannel: string };
  queuedAt?: string;
  /** CloudEvent ids already handled (the most recent ones), for duplicate deliveries. */
  handled: string[];
  readonly createdAt: string;
  updatedAt: string;
  /** Writes so far (0: never stored); `put` succeeds only over the version it read (optimistic concurrency). */
  version: number;
}

/** Another writer stored the call since it was read; re-read and retry. */
export class CallStateConflictError extends Error {
  constructor(readonly ref: string) {
    super(`the state of call ${ref} changed since it was read`);
    this.name = 'CallStateConflictError';
  }
}

/** How many handled event ids a session remembers. */
export const HANDLED_EVENTS_KEPT = 200;

/**
 * Port: per-call state, keyed by the call's ref and findable by its call connection id. `put` stores the session
 * only if the stored version is still `session.version` (0: not stored yet), then increments `session.version`;
 * otherwise it throws {@link CallStateConflictError}.
 */
export interface CallStateStore {
  get(ref: string): Promise<CallSession | undefined>;
  put(session: CallSession): Promise<void>;
  refOfConnection(callConnectionId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Per-call state in memory (unit tests; not restart-safe). */
export class InMemoryCallStateStore implements CallStateStore {
  readonly #sessions = new Map<string, string>();
  readonly #connections = new Map<string, string>();

  async get(ref: string): Promise<CallSession | undefined> {
    const json = this.#sessions.get(ref);
    return json === undefined ? undefined : (JSON.parse(json) as CallSession);
  }

  async put(session: CallSession): Promise<void> {
    const stored = this.#sessions.get(session.ref);
    const version = stored === undefined ? 0 : (JSON.parse(stored) as CallSession).version;
    if (version !== session.version) throw new CallStateConflictError(session.ref);
    this.#sessions.set(session.ref, JSON.stringify({ ...session, version: version + 1 }));
    session.version = version + 1;
    if (session.callConnectionId !== undefined) this.#connections.set(session.callConnectionId, session.ref);
  }

  async refOfConnection(callConnectionId: string): Promise<string | undefined> {
    return this.#connections.get(callConnectionId);
  }

  async close(): Promise<void> {}
}

/** Stores KEYS[1] = ARGV[1] if its JSON `version` is ARGV[2] (absent counts as 0), and KEYS[2] = ARGV[4] when given. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
local version = 0
if current then version = cjson.decode(current).version or 0 end
if version ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4], 'EX', tonumber(ARGV[3])) end
return 1
`;

/** Per-call state in Redis: `<prefix>call:<ref>` (JSON) and `<prefix>conn:<callConnectionId>` -> ref, with a TTL. */
export class RedisCallStateStore implements CallStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; ttlSeconds: number; ownsClient: boolean },
  ) {}

  async get(ref: string): Promise<CallSession | undefined> {
    const json = await this.redis.get(`${this.options.prefix}call:${ref}`);
    return json === null ? undefined : (JSON.parse(json) as CallSession);
  }

  async put(session: CallSession): Promise<void> {
    const next = { ...session, version: session.version + 1 };
    const connection = session.callConnectionId;
    const stored = await this.redis.eval(
      COMPARE_AND_SET,
      2,
      `${this.options.prefix}call:${session.ref}`,
      `${this.options.prefix}conn:${connection ?? ''}`,
      JSON.stringify(next),
      String(session.version),
      String(this.options.ttlSeconds),
      connection === undefined ? '' : session.ref,
    );
    if (stored !== 1) throw new CallStateConflictError(session.ref);
    session.version = next.version;
  }

  async refOfConnection(callConnectionId: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.options.prefix}conn:${callConnectionId}`)) ?? undefined;
  }

  async close(): Promise<void> {
    if (this.options.ownsClient) await this.redis.quit();
  }
}

interface CallDocument {
  id: string;
  kind: 'call' | 'connection';
  ref: string;
  session?: CallSession;
  ttl: number;
}

/** Per-call state in the Cosmos `calls` container (partition key `/id`), each document with its own `ttl`. */
export class CosmosCallStateStore implements CallStateStore {
  constructor(
    private readonly container: CustomerContextContainers['customers'],
    private readonly ttlSeconds: number,
  ) {}

  /** The `_etag` of each call document this process read or wrote. */
  readonly #etags = new Map<string, string>();
  /** Call connection ids whose index document this process wrote. */
  readonly #indexed = new Set<string>();

  async get(ref: string): Promise<CallSession | undefined> {
    const { resource } = await this.container
      .item(`call:${ref}`, `call:${ref}`)
      .read<CallDocument & { _etag?: string }>();
    if (resource?._etag !== undefined) this.#etags.set(ref, resource._etag);
    return resource?.session;
  }

  async put(session: CallSession): Promise<void> {
    const id = `call:${session.ref}`;
    const next = { ...session, version: session.version + 1 };
    const doc: CallDocument = { id, kind: 'call', ref: session.ref, session: next, ttl: this.ttlSeconds };
    try {
      if (session.version === 0) {
        const { resource } = await this.container.items.create(doc);
        if (resource?._etag !== undefined) this.#etags.set(session.ref, resource._etag);
      } else {
        let etag = this.#etags.get(session.ref);
        if (etag === undefined) {
          const stored = await this.get(session.ref);
          if (stored?.version !== session.version) throw new CallStateConflictError(session.ref);
          etag = this.#etags.get(session.ref);
        }
        const { resource } = await this.container
          .item(id, id)
          .replace(doc, etag === undefined ? {} : { accessCondition: { type: 'IfMatch', condition: etag } });
        if (resource?._etag !== undefined) this.#etags.set(session.ref, resource._etag);
      }
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 409 || code === 412) throw new CallStateConflictError(session.ref);
      throw error;
    }
    session.version = next.version;
    if (session.callConnectionId !== undefined && !this.#indexed.has(session.callConnectionId)) {
      this.#indexed.add(session.callConnectionId);
      const connection = `conn:${session.callConnectionId}`;
      await this.container.items.upsert({
        id: connection,
        kind: 'connection',
        ref: session.ref,
        ttl: this.ttlSeconds,
      });
    }
  }

  async refOfConnection(callConnectionId: string): Promise<string | undefined> {
    const id = `conn:${callConnectionId}`;
    const { resource } = await this.container.item(id, id).read<CallDocument>();
    return resource?.ref;
  }

  async close(): Promise<void> {}
}
