import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus';
import { type ServiceBusTopology, serviceBusTopology } from '@omni/contracts';
import { maskPhoneNumbersIn } from '@omni/service-kit';
import Long from 'long';
import { type ConsumerSource, sourcePath } from './consumer.js';

/** A dead-lettered message as operators see it: where, why, how old, what kind. Never the body; numbers masked. */
export interface DeadLetterSummary {
  /** E.g. `handoff-events/Subscriptions/channel-router`. */
  readonly entity: string;
  readonly sequenceNumber: string;
  readonly messageId: string;
  /** The event type (the message subject); `unknown` when it had none. */
  readonly eventType: string;
  readonly reason: string;
  readonly description: string;
  readonly enqueuedAt: string | null;
  readonly ageSeconds: number | null;
}

/** Every queue and subscription of a topology, as consumer sources. */
export function deadLetterSources(topology: ServiceBusTopology = serviceBusTopology): ConsumerSource[] {
  return [
    ...topology.queues.map((queue) => ({ queue: queue.name })),
    ...topology.topics.flatMap((topic) =>
      topic.subscriptions.map((subscription) => ({ topic: topic.name, subscription: subscription.name })),
    ),
  ];
}

function summaryOf(entity: string, message: ServiceBusReceivedMessage, now: number): DeadLetterSummary {
  const enqueued = message.enqueuedTimeUtc?.getTime();
  return {
    entity,
    sequenceNumber: String(message.sequenceNumber ?? ''),
    messageId: String(message.messageId ?? ''),
    eventType:
      typeof message.subject === 'string' && message.subject.length > 0 ? message.subject : 'unknown',
    reason: message.deadLetterReason ?? 'unknown',
    // Error texts may quote a customer's number: masked like the logs.
    description: maskPhoneNumbersIn((message.deadLetterErrorDescription ?? '').slice(0, 1_000)),
    enqueuedAt: enqueued === undefined ? null : new Date(enqueued).toISOString(),
    ageSeconds: enqueued === undefined ? null : Math.max(0, Math.round((now - enqueued) / 1000)),
  };
}

/** Options of {@link DeadLetterQueues}. */
export interface DeadLetterQueuesOptions {
  client: ServiceBusClient;
  topology?: ServiceBusTopology;
  /** Epoch ms; default `Date.now`. */
  clock?: () => number;
}

/**
 * The dead-letter queues of every queue and subscription, read as operators need them: listed with reason, age
 * and event type (bodies never leave the broker: they hold customer messages), and purged past a retention.
 */
export class DeadLetterQueues {
  readonly #client: ServiceBusClient;
  readonly #sources: ConsumerSource[];
  readonly #clock: () => number;

  constructor(options: DeadLetterQueuesOptions) {
    this.#client = options.client;
    this.#sources = deadLetterSources(options.topology);
    this.#clock = options.clock ?? Date.now;
  }

  /** The entity paths whose dead letters this reads. */
  get entities(): string[] {
    return this.#sources.map(sourcePath);
  }

  #source(entity: string): ConsumerSource {
    const source = this.#sources.find((candidate) => sourcePath(candidate) === entity);
    if (source === undefined) throw new RangeError(`no queue or subscription ${entity}`);
    return source;
  }

  #receiver(source: ConsumerSource, receiveMode: 'peekLock' | 'receiveAndDelete' = 'peekLock') {
    const options = { subQueueType: 'deadLetter' as const, receiveMode };
    return 'queue' in source
      ? this.#client.createReceiver(source.queue, options)
      : this.#client.createReceiver(source.topic, source.subscription, options);
  }

  /** Up to `limit` dead letters of one entity, oldest first (a peek: nothing is locked or removed). */
  async list(entity: string, limit = 100): Promise<DeadLetterSummary[]> {
    const receiver = this.#receiver(this.#source(entity));
    try {
      const messages = await receiver.peekMessages(limit, { fromSequenceNumber: Long.ZERO });
      const now = this.#clock();
      return messages.map((message) => summaryOf(entity, message, now));
    } finally {
      await receiver.close();
    }
  }

  /** Dead-letter counts per entity (each counted up to `limit`). */
  async counts(limit = 1_000): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const entity of this.entities) counts[entity] = (await this.list(entity, limit)).length;
    return counts;
  }

  /**
   * Removes the dead letters of `entity` older than `retentionMs` (they hold customer messages: kept no longer
   * than the retention). Younger ones are left in place. Returns how many were removed.
   */
  async purge(entity: string, retentionMs: number): Promise<number> {
    const cutoff = this.#clock() - retentionMs;
    const old = (await this.list(entity, 1_000)).filter(
      (summary) => summary.enqueuedAt !== null && Date.parse(summary.enqueuedAt) <= cutoff,
    );
    if (old.length === 0) return 0;
    const wanted = new Set(old.map((summary) => summary.sequenceNumber));
    const receiver = this.#receiver(this.#source(entity));
    let removed = 0;
    try {
      // Peek-lock in batches; complete the old ones, give the young ones back at once.
      for (let round = 0; round < 20 && removed < wanted.size; round++) {
        const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: 500 });
        if (batch.length === 0) break;
        for (const message of batch) {
          if (wanted.has(String(message.sequenceNumber ?? ''))) {
            await receiver.completeMessage(message);
            removed++;
          } else {
            await receiver.abandonMessage(message);
          }
        }
      }
    } finally {
      await receiver.close();
    }
    return removed;
  }
}
