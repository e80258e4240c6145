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
  purge(entity: string, retentionMs: number): Promise<number> {
    const cutoff = this.#clock() - retentionMs;
    return this.purgeWhere(entity, (message) => {
      const enqueued = message.enqueuedTimeUtc?.getTime();
      return enqueued !== undefined && enqueued <= cutoff;
    });
  }

  /**
   * Removes the dead letters of `entity` that `predicate` picks (it sees the whole message, body included, and
   * must be pure: it is asked on a peek and nothing else). The others stay in place. Returns how many were removed.
   */
  async purgeWhere(
    entity: string,
    predicate: (message: ServiceBusReceivedMessage) => boolean,
  ): Promise<number> {
    const receiver = this.#receiver(this.#source(entity));
    const wanted = new Set<string>();
    try {
      const peeked = await receiver.peekMessages(1_000, { fromSequenceNumber: Long.ZERO });
      for (const message of peeked) if (predicate(message)) wanted.add(String(message.sequenceNumber ?? ''));
      let removed = 0;
      // Peek-lock in batches; complete the wanted ones, give the others back at once.
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
      return removed;
    } finally {
      await receiver.close();
    }
  }

  /**
   * Removes every dead letter about a customer from every entity (erasure): messages whose session id, event
   * subject or `data.customerId` is one of `ids` (the customer id, and identity keys for inbound messages).
   * Returns how many were removed per entity (entities with none are left out).
   */
  async purgeAbout(ids: readonly string[]): Promise<Record<string, number>> {
    const wanted = new Set(ids);
    const removed: Record<string, number> = {};
    for (const entity of this.entities) {
      const count = await this.purgeWhere(entity, (message) => isAbout(message, wanted));
      if (count > 0) removed[entity] = count;
    }
    return removed;
  }
}

/** Whether a message concerns one of `ids`: by session id, the envelope's subject or its data's customer/sender. */
export function isAbout(
  message: Pick<ServiceBusReceivedMessage, 'sessionId' | 'body'>,
  ids: ReadonlySet<string>,
): boolean {
  if (message.sessionId !== undefined && ids.has(message.sessionId)) return true;
  let body: unknown = message.body;
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    try {
      body = JSON.parse(body.toString());
    } catch {
      return false;
    }
  }
  if (typeof body !== 'object' || body === null) return false;
  const envelope = body as { subject?: unknown; data?: { customerId?: unknown; senderKey?: unknown } };
  return [envelope.subject, envelope.data?.customerId, envelope.data?.senderKey].some(
    (value) => typeof value === 'string' && ids.has(value),
  );
}
