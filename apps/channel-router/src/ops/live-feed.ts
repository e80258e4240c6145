import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

/** What the live feed carries: queue snapshots and handoff transitions. */
export type LiveFeedKind = 'queue' | 'handoff' | 'assignment';

/** One message of the live feed. */
export interface LiveFeedMessage {
  readonly kind: LiveFeedKind;
  readonly data: unknown;
}

/** Carries feed messages between router replicas (Redis pub/sub); see {@link RedisFeedRelay}. */
export interface FeedRelay {
  /** Sends a serialised message to every replica (this one included). */
  publish(payload: string): Promise<void>;
  /** Calls `listener` with each payload any replica published, until `close`. */
  listen(listener: (payload: string) => void): Promise<void>;
  close(): Promise<void>;
}

/**
 * The fan-out behind `GET /api/stream` (SSE): the queue monitor and the saga publish here, every open stream
 * listens. A handoff event is handled by ONE router replica while a dashboard is connected to any of them, so
 * with a {@link FeedRelay} every message also goes to the other replicas' streams; without one (the
 * single-process sandbox) the feed is this process's only.
 */
export class LiveFeed {
  readonly #emitter = new EventEmitter();
  readonly #relay: FeedRelay | undefined;
  readonly #origin = randomUUID();
  readonly #onRelayError: (error: unknown) => void;

  constructor(options: { relay?: FeedRelay; onRelayError?: (error: unknown) => void } = {}) {
    // One listener per open dashboard; many dashboards are fine.
    this.#emitter.setMaxListeners(0);
    this.#relay = options.relay;
    this.#onRelayError = options.onRelayError ?? (() => {});
  }

  /**
   * Starts listening to the other replicas (no-op without a relay). Never fails the boot: without Redis the
   * dashboards of this replica see what it does itself (ioredis subscribes again when Redis is back).
   */
  async start(): Promise<void> {
    await this.#relay
      ?.listen((payload) => {
        try {
          const message = JSON.parse(payload) as LiveFeedMessage & { origin?: string };
          if (message.origin === this.#origin) return;
          this.#emitter.emit('message', { kind: message.kind, data: message.data } satisfies LiveFeedMessage);
        } catch (error) {
          this.#onRelayError(error);
        }
      })
      .catch(this.#onRelayError);
  }

  /** Sends a message to every open stream, of this replica at once and of the others through the relay. */
  publish(kind: LiveFeedKind, data: unknown): void {
    this.#emitter.emit('message', { kind, data } satisfies LiveFeedMessage);
    this.#relay?.publish(JSON.stringify({ origin: this.#origin, kind, data })).catch(this.#onRelayError);
  }

  /** Listens until the returned function is called. */
  subscribe(listener: (message: LiveFeedMessage) => void): () => void {
    this.#emitter.on('message', listener);
    return () => this.#emitter.off('message', listener);
  }

  /** Open streams. */
  get listeners(): number {
    return this.#emitter.listenerCount('message');
  }

  /** Stops listening to the other replicas. */
  async close(): Promise<void> {
    await this.#relay?.close();
  }
}

/** The default pub/sub channel of the router's live feed. */
export const LIVE_FEED_CHANNEL = 'omni:router:live-feed';

/**
 * A {@link FeedRelay} over Redis pub/sub: one connection publishes, a second one (a subscribed ioredis
 * connection can do nothing else) listens. At most once: a dashboard that misses a message catches up from
 * the next queue snapshot or from `GET /api/handoffs`.
 */
export class RedisFeedRelay implements FeedRelay {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;

  /** @param redis - a connection to publish on; the relay subscribes on a duplicate of it and closes both */
  constructor(redis: Redis, channel = LIVE_FEED_CHANNEL) {
    this.#publisher = redis;
    this.#subscriber = redis.duplicate();
    this.#channel = channel;
  }

  async publish(payload: string): Promise<void> {
    await this.#publisher.publish(this.#channel, payload);
  }

  async listen(listener: (payload: string) => void): Promise<void> {
    this.#subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.#channel) listener(payload);
    });
    await this.#subscriber.subscribe(this.#channel);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#subscriber.quit(), this.#publisher.quit()]);
  }
}
