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
  handoff?: { handoffId: string; toChannel: string };
  queuedAt?: string;
  /** CloudEvent ids already handled (the most recent ones), for duplicate deliveries. */
  handled: string[];
  readonly createdAt: string;
  updatedAt: string;
}

/** How many handled event ids a session remembers. */
export const HANDLED_EVENTS_KEPT = 200;

/** Port: per-call state, keyed by the call's ref and findable by its call connection id. */
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
    this.#sessions.set(session.ref, JSON.stringify(session));
    if (session.callConnectionId !== undefined) this.#connections.set(session.callConnectionId, session.ref);
  }

  async refOfConnection(callConnectionId: string): Promise<string | undefined> {
    return this.#connections.get(callConnectionId);
  }

  async close(): Promise<void> {}
}

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
    const multi = this.redis
      .multi()
      .set(
        `${this.options.prefix}call:${session.ref}`,
        JSON.stringify(session),
        'EX',
        this.options.ttlSeconds,
      );
    if (session.callConnectionId !== undefined) {
      multi.set(
        `${this.options.prefix}conn:${session.callConnectionId}`,
        session.ref,
        'EX',
        this.options.ttlSeconds,
      );
    }
    await multi.exec();
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

  async get(ref: string): Promise<CallSession | undefined> {
    const { resource } = await this.container.item(`call:${ref}`, `call:${ref}`).read<CallDocument>();
    return resource?.session;
  }

  async put(session: CallSession): Promise<void> {
    const doc: CallDocument = {
      id: `call:${session.ref}`,
      kind: 'call',
      ref: session.ref,
      session,
      ttl: this.ttlSeconds,
    };
    await this.container.items.upsert(doc);
    if (session.callConnectionId !== undefined) {
      const id = `conn:${session.callConnectionId}`;
      await this.container.items.upsert({ id, kind: 'connection', ref: session.ref, ttl: this.ttlSeconds });
    }
  }

  async refOfConnection(callConnectionId: string): Promise<string | undefined> {
    const id = `conn:${callConnectionId}`;
    const { resource } = await this.container.item(id, id).read<CallDocument>();
    return resource?.ref;
  }

  async close(): Promise<void> {}
}
