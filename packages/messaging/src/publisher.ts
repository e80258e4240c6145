import type { ServiceBusClient, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';
import {
  type OmniEvent,
  parseEvent,
  type ServiceBusTopology,
  serviceBusTopology,
  topicOf,
} from '@omni/contracts';
import Long from 'long';
import type { Registry } from 'prom-client';
import { toServiceBusMessage } from './message.js';
import { type MessagingMetrics, messagingMetrics } from './metrics.js';
import { MessageTooLargeError, SendCoalescer } from './send-coalescer.js';

/** Thrown when asked to publish an event that does not match its schema: nothing is sent. */
export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Options for an {@link EventPublisher}. */
export interface EventPublisherOptions {
  client: ServiceBusClient;
  topology?: ServiceBusTopology;
  /** Where the `messaging_published_total` counter lives (the service's `/metrics` registry). */
  registry?: Registry;
}

/**
 * Publishes events to the queue or topic the topology routes them to. Every event is validated first, so
 * an invalid event fails at its producer instead of being dead-lettered at every consumer.
 */
export class EventPublisher {
  readonly #client: ServiceBusClient;
  readonly #topology: ServiceBusTopology;
  readonly #metrics: MessagingMetrics | undefined;
  readonly #senders = new Map<string, ServiceBusSender>();
  readonly #coalescer = new SendCoalescer();

  constructor(options: EventPublisherOptions) {
    this.#client = options.client;
    this.#topology = options.topology ?? serviceBusTopology;
    this.#metrics = options.registry ? messagingMetrics(options.registry) : undefined;
  }

  /**
   * Publishes one event. Resolves once the broker has accepted it. Concurrent publishes to one entity (on
   * session entities: to one session) are coalesced: a lone event is sent at once, the ones that arrive while
   * a send is in flight go out together in the next batch ({@link SendCoalescer}).
   */
  async publish(event: OmniEvent): Promise<void> {
    this.#validate(event);
    const entity = topicOf(event.type);
    try {
      await this.#coalescer.send(this.#sender(entity), toServiceBusMessage(event, this.#topology));
    } catch (error) {
      if (error instanceof MessageTooLargeError) {
        throw new InvalidEventError(`${event.type} ${event.id} is larger than a Service Bus message may be`);
      }
      throw error;
    }
    this.#count(entity, [event]);
  }

  /**
   * Publishes several events with as few round trips as possible: one batch per entity (split when a
   * batch is full), in the given order within each entity.
   */
  async publishAll(events: readonly OmniEvent[]): Promise<void> {
    const byEntity = new Map<string, OmniEvent[]>();
    for (const event of events) {
      this.#validate(event);
      const entity = topicOf(event.type);
      const list = byEntity.get(entity) ?? [];
      list.push(event);
      byEntity.set(entity, list);
    }
    for (const [entity, list] of byEntity) {
      const sender = this.#sender(entity);
      let batch = await sender.createMessageBatch();
      let inBatch: OmniEvent[] = [];
      const flush = async () => {
        if (batch.count === 0) return;
        await sender.sendMessages(batch);
        this.#count(entity, inBatch);
        batch = await sender.createMessageBatch();
        inBatch = [];
      };
      for (const event of list) {
        const message = toServiceBusMessage(event, this.#topology);
        if (batch.tryAddMessage(message)) {
          inBatch.push(event);
          continue;
        }
        await flush();
        if (!(batch as ServiceBusMessageBatch).tryAddMessage(message)) {
          throw new InvalidEventError(
            `${event.type} ${event.id} is larger than a Service Bus message may be`,
          );
        }
        inBatch.push(event);
      }
      await flush();
    }
  }

  /**
   * Publishes an event to be delivered at `at` (saga timers: handoff expiry, hold announcements).
   * Returns the sequence number that {@link cancelScheduled} takes.
   */
  async schedule(event: OmniEvent, at: Date): Promise<bigint> {
    this.#validate(event);
    const entity = topicOf(event.type);
    const [sequence] = await this.#sender(entity).scheduleMessages(
      toServiceBusMessage(event, this.#topology),
      at,
    );
    this.#count(entity, [event]);
    return BigInt(String(sequence));
  }

  /** Cancels a scheduled event that has not been delivered yet. */
  async cancelScheduled(eventType: OmniEvent['type'], sequenceNumber: bigint): Promise<void> {
    await this.#sender(topicOf(eventType)).cancelScheduledMessages(
      Long.fromString(sequenceNumber.toString()),
    );
  }

  /** Closes every sender. */
  async close(): Promise<void> {
    await Promise.all([...this.#senders.values()].map((s) => s.close()));
    this.#senders.clear();
  }

  #sender(entity: string): ServiceBusSender {
    let sender = this.#senders.get(entity);
    if (!sender) {
      sender = this.#client.createSender(entity);
      this.#senders.set(entity, sender);
    }
    return sender;
  }

  #validate(event: OmniEvent): void {
    const result = parseEvent(event);
    if (!result.ok)
      throw new InvalidEventError(`refusing to publish an invalid event: ${result.error.message}`);
  }

  #count(entity: string, events: OmniEvent[]): void {
    for (const event of events) this.#metrics?.published.inc({ entity, type: event.type });
  }
}
