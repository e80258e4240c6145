import type { OmniEvent } from '@omni/contracts';
import type { MessageContext } from './consumer.js';

/** The latest snapshot of one human-agent queue, as `queue.status.changed` carries it. */
export interface QueueStatusSnapshot {
  readonly queue: string;
  readonly depth: number;
  readonly longestWaitSeconds: number;
  readonly estimatedWaitSeconds: number;
  readonly availableAgents: number;
  readonly level: 'normal' | 'high' | 'critical';
  readonly massEvent: boolean;
  /** When the queue monitor took it (ISO 8601); the epoch for the default snapshot. */
  readonly at: string;
}

/** The snapshot of a queue nothing has been heard about: empty, no wait, `normal`. */
export function normalQueueStatus(queue: string): QueueStatusSnapshot {
  return {
    queue,
    depth: 0,
    longestWaitSeconds: 0,
    estimatedWaitSeconds: 0,
    availableAgents: 0,
    level: 'normal',
    massEvent: false,
    at: new Date(0).toISOString(),
  };
}

/** The Redis commands a shared {@link QueueStatusView} uses; an `ioredis` client fits. */
export interface QueueStatusCommands {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
}

/** KEYS the snapshots hash; ARGV queue, at (ISO 8601, comparable as text), snapshot JSON. Newer wins. */
const PUT_IF_NEWER = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and cjson.decode(held).at >= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/** Options of a {@link QueueStatusView}. */
export interface QueueStatusViewOptions {
  /**
   * Redis shared by the replicas. A `queue-status` subscription is one competing consumer for all replicas of
   * a service, so each snapshot reaches ONE replica: it writes it here, the others read it (at most once per
   * `refreshMs` per queue, so a turn does not pay a round trip).
   */
  readonly redis?: QueueStatusCommands;
  /** Key of the shared hash; default `omni:shared:queue-status`. */
  readonly key?: string;
  /** How stale the local copy may get before a read looks at Redis, ms. Default 1 000. */
  readonly refreshMs?: number;
  readonly clock?: () => number;
}

/**
 * Keeps the latest `queue.status.changed` snapshot per queue from a service's `queue-status` subscription.
 * Snapshots supersede each other, so one older (by its `at`) than the one held is ignored: a late or
 * redelivered message never moves the view back. Pass {@link handle} to an `EventConsumer`; read with
 * {@link statusOf}, or give the conversation engine {@link portFor} as its `queueStatus` port.
 */
export class QueueStatusView {
  readonly #latest = new Map<string, QueueStatusSnapshot>();
  readonly #fetchedAt = new Map<string, number>();
  readonly #options: QueueStatusViewOptions;

  constructor(options: QueueStatusViewOptions = {}) {
    this.#options = options;
  }

  /** The `EventConsumer` handler: other event types are ignored. Shared with the other replicas when configured. */
  readonly handle = async (event: OmniEvent, _context?: MessageContext): Promise<void> => {
    if (!this.apply(event) || event.type !== 'queue.status.changed') return;
    const redis = this.#options.redis;
    const snapshot = this.#latest.get(event.data.queue);
    if (redis === undefined || snapshot === undefined) return;
    // Redis down: this replica has it; the others keep theirs until the next snapshot (one every few seconds).
    await redis
      .eval(PUT_IF_NEWER, 1, this.#key, snapshot.queue, snapshot.at, JSON.stringify(snapshot))
      .catch(() => {});
  };

  get #key(): string {
    return this.#options.key ?? 'omni:shared:queue-status';
  }

  /** Applies one event; returns whether it changed the view. */
  apply(event: OmniEvent): boolean {
    if (event.type !== 'queue.status.changed') return false;
    return this.#hold(event.data);
  }

  #hold(data: QueueStatusSnapshot): boolean {
    const held = this.#latest.get(data.queue);
    if (held !== undefined && Date.parse(held.at) >= Date.parse(data.at)) return false;
    this.#latest.set(data.queue, {
      queue: data.queue,
      depth: data.depth,
      longestWaitSeconds: data.longestWaitSeconds,
      estimatedWaitSeconds: data.estimatedWaitSeconds,
      availableAgents: data.availableAgents,
      level: data.level,
      massEvent: data.massEvent,
      at: data.at,
    });
    return true;
  }

  /** The latest snapshot of a queue, or a `normal` one when none has arrived. */
  statusOf(queue: string): QueueStatusSnapshot {
    return this.#latest.get(queue) ?? normalQueueStatus(queue);
  }

  /**
   * A `queueStatus()` port for one queue (the conversation engine's `QueueSnapshot` is a subset). Shared: what
   * another replica received is picked up within `refreshMs`; a Redis error keeps the local copy.
   */
  portFor(queue: string): () => Promise<QueueStatusSnapshot> {
    return async () => {
      const redis = this.#options.redis;
      if (redis !== undefined) {
        const now = (this.#options.clock ?? Date.now)();
        if (
          now - (this.#fetchedAt.get(queue) ?? Number.NEGATIVE_INFINITY) >=
          (this.#options.refreshMs ?? 1_000)
        ) {
          this.#fetchedAt.set(queue, now);
          const raw = await redis.hget(this.#key, queue).catch(() => null);
          if (raw !== null) this.#hold(JSON.parse(raw) as QueueStatusSnapshot);
        }
      }
      return this.statusOf(queue);
    };
  }
}
