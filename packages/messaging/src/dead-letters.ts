import type { ServiceBusClient, ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import {
  parseIsoDuration,
  REDRIVE_PROPERTY,
  type ServiceBusTopology,
  serviceBusTopology,
} from '@omni/contracts';
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

/** Which dead letters of one entity to redrive: by message id, by reason, or all of them. */
export type RedriveSelection =
  | { readonly messageIds: readonly string[] }
  | { readonly reason: string }
  | { readonly all: true };

/** What a redrive did. */
export interface RedriveResult {
  readonly entity: string;
  /** Sent back to their queue / subscription (same message id, session id and body) and removed from the DLQ. */
  readonly redriven: number;
  /**
   * Selected but left in the dead-letter queue: still inside the entity's duplicate-detection window, where the
   * broker would silently drop a message with the same id. Redrive them again after `retryAfterSeconds`.
   */
  readonly tooRecent: number;
  readonly retryAfterSeconds: number | null;
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

function selects(selection: RedriveSelection, summary: DeadLetterSummary): boolean {
  if ('all' in selection) return selection.all;
  if ('reason' in selection) return summary.reason === selection.reason;
  return selection.messageIds.includes(summary.messageId);
}

/** Dead-letter bookkeeping the broker adds; not sent back with a redriven message. */
const DEAD_LETTER_PROPERTIES = new Set(['DeadLetterReason', 'DeadLetterErrorDescription']);

/**
 * The message a dead letter is redriven as: same id, session id, body, subject and properties (its trace context
 * included), and for a subscription the {@link REDRIVE_PROPERTY} naming it, so only that subscription's
 * `redrive` rule selects it when it is sent to the topic.
 */
function redriveMessageOf(message: ServiceBusReceivedMessage, source: ConsumerSource): ServiceBusMessage {
  const properties = Object.fromEntries(
    Object.entries(message.applicationProperties ?? {}).filter(([name]) => !DEAD_LETTER_PROPERTIES.has(name)),
  );
  if ('subscription' in source) properties[REDRIVE_PROPERTY] = source.subscription;
  return {
    body: message.body,
    messageId: message.messageId,
    applicationProperties: properties,
    ...(message.sessionId === undefined ? {} : { sessionId: message.sessionId }),
    ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
    ...(message.subject === undefined ? {} : { subject: message.subject }),
    ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
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
  readonly #topology: ServiceBusTopology;

  constructor(options: DeadLetterQueuesOptions) {
    this.#client = options.client;
    this.#topology = options.topology ?? serviceBusTopology;
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

  /**
   * Every dead letter about a customer on every entity, with its event (an export: "send me everything you hold
   * about me"); a peek, nothing is locked or removed. `ids` as for {@link DeadLetterQueues.purgeAbout}.
   */
  async listAbout(ids: readonly string[], limit = 1_000): Promise<DeadLetterAbout[]> {
    const wanted = new Set(ids);
    const found: DeadLetterAbout[] = [];
    const now = this.#clock();
    for (const entity of this.entities) {
      const receiver = this.#receiver(this.#source(entity));
      try {
        for (const message of await receiver.peekMessages(limit, { fromSequenceNumber: Long.ZERO })) {
          if (!isAbout(message, wanted)) continue;
          found.push({ ...summaryOf(entity, message, now), event: bodyOf(message) });
        }
      } finally {
        await receiver.close();
      }
    }
    return found;
  }

  /** The duplicate-detection window of the queue or topic an entity's redrives are sent to (0 when off). */
  #duplicateWindowMs(source: ConsumerSource): number {
    const entity =
      'queue' in source
        ? this.#topology.queues.find((queue) => queue.name === source.queue)
        : this.#topology.topics.find((topic) => topic.name === source.topic);
    if (entity === undefined || !entity.requiresDuplicateDetection) return 0;
    return parseIsoDuration(entity.duplicateDetectionHistoryTimeWindow) ?? 0;
  }

  /**
   * Sends the selected dead letters of `entity` back to it and removes them from its dead-letter queue. A queue's
   * go to the queue; a subscription's to its topic with {@link REDRIVE_PROPERTY}, which only that subscription
   * selects (ADR 0085). Message id, session id and body are kept, so handlers dedupe as for any redelivery.
   * Dead letters still inside the duplicate-detection window are left (see {@link RedriveResult.tooRecent}).
   */
  async redrive(entity: string, selection: RedriveSelection): Promise<RedriveResult> {
    const source = this.#source(entity);
    const windowMs = this.#duplicateWindowMs(source);
    const now = this.#clock();
    const selected = (await this.list(entity, 1_000)).filter((summary) => selects(selection, summary));
    const enqueuedAt = (summary: DeadLetterSummary) =>
      summary.enqueuedAt === null ? now : Date.parse(summary.enqueuedAt);
    const ready = selected.filter((summary) => enqueuedAt(summary) + windowMs <= now);
    const recent = selected.filter((summary) => enqueuedAt(summary) + windowMs > now);
    const retryAfterMs = Math.max(0, ...recent.map((summary) => enqueuedAt(summary) + windowMs - now));
    const result = (redriven: number): RedriveResult => ({
      entity,
      redriven,
      tooRecent: recent.length,
      retryAfterSeconds: recent.length === 0 ? null : Math.ceil(retryAfterMs / 1000),
    });
    if (ready.length === 0) return result(0);

    const wanted = new Set(ready.map((summary) => summary.sequenceNumber));
    const receiver = this.#receiver(source);
    const sender = this.#client.createSender('queue' in source ? source.queue : source.topic);
    const heldBack: ServiceBusReceivedMessage[] = [];
    let redriven = 0;
    try {
      // Peek-lock in batches; send each wanted one back, then complete it (a send whose completion fails is
      // redriven twice, which the handlers' dedupe absorbs). The others are held and given back at the end.
      for (let round = 0; round < 20 && redriven < wanted.size; round++) {
        const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: 500 });
        if (batch.length === 0) break;
        for (const message of batch) {
          if (!wanted.has(String(message.sequenceNumber ?? ''))) {
            heldBack.push(message);
            continue;
          }
          await sender.sendMessages(redriveMessageOf(message, source));
          await receiver.completeMessage(message);
          redriven++;
        }
      }
    } finally {
      for (const message of heldBack) await receiver.abandonMessage(message).catch(() => {});
      await sender.close();
      await receiver.close();
    }
    return result(redriven);
  }
}

/** A dead letter about a customer, with the event it carries (for the customer's export only). */
export type DeadLetterAbout = DeadLetterSummary & { readonly event: unknown };

/** A message body as JSON when it is JSON (bodies arrive as objects, strings or buffers). */
function bodyOf(message: Pick<ServiceBusReceivedMessage, 'body'>): unknown {
  const body: unknown = message.body;
  if (!Buffer.isBuffer(body) && typeof body !== 'string') return body;
  try {
    return JSON.parse(body.toString());
  } catch {
    return body.toString();
  }
}

/** Whether a message concerns one of `ids`: by session id, the envelope's subject or its data's customer/sender. */
export function isAbout(
  message: Pick<ServiceBusReceivedMessage, 'sessionId' | 'body'>,
  ids: ReadonlySet<string>,
): boolean {
  if (message.sessionId !== undefined && ids.has(message.sessionId)) return true;
  const body = bodyOf(message);
  if (typeof body !== 'object' || body === null) return false;
  const envelope = body as { subject?: unknown; data?: { customerId?: unknown; senderKey?: unknown } };
  return [envelope.subject, envelope.data?.customerId, envelope.data?.senderKey].some(
    (value) => typeof value === 'string' && ids.has(value),
  );
}
