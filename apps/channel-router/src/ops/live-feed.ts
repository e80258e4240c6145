import { EventEmitter } from 'node:events';

/** What the live feed carries: queue snapshots and handoff transitions. */
export type LiveFeedKind = 'queue' | 'handoff' | 'assignment';

/** One message of the live feed. */
export interface LiveFeedMessage {
  readonly kind: LiveFeedKind;
  readonly data: unknown;
}

/**
 * The in-process fan-out behind `GET /api/stream` (SSE): the queue monitor and the saga publish here, every
 * open stream listens. Each replica streams what it sees itself (see the README's known limits).
 */
export class LiveFeed {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per open dashboard; many dashboards are fine.
    this.#emitter.setMaxListeners(0);
  }

  /** Sends a message to every open stream. */
  publish(kind: LiveFeedKind, data: unknown): void {
    this.#emitter.emit('message', { kind, data } satisfies LiveFeedMessage);
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
}
