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

/**
 * Keeps the latest `queue.status.changed` snapshot per queue from a service's `queue-status` subscription.
 * Snapshots supersede each other, so one older (by its `at`) than the one held is ignored: a late or
 * redelivered message never moves the view back. Pass {@link handle} to an `EventConsumer`; read with
 * {@link statusOf}, or give the conversation engine {@link portFor} as its `queueStatus` port.
 */
export class QueueStatusView {
  readonly #latest = new Map<string, QueueStatusSnapshot>();

  /** The `EventConsumer` handler: other event types are ignored. */
  readonly handle = async (event: OmniEvent, _context?: MessageContext): Promise<void> => {
    this.apply(event);
  };

  /** Applies one event; returns whether it changed the view. */
  apply(event: OmniEvent): boolean {
    if (event.type !== 'queue.status.changed') return false;
    const data = event.data;
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

  /** A `queueStatus()` port for one queue (the conversation engine's `QueueSnapshot` is a subset). */
  portFor(queue: string): () => Promise<QueueStatusSnapshot> {
    return async () => this.statusOf(queue);
  }
}
