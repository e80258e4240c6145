import { randomUUID } from 'node:crypto';
import type { FilterSubject } from '@omni/contracts';
import type { Logger } from 'pino';
import { type AmqpMessage, idText } from './amqp-values.js';
import { BrokerError, type Clock, Entity, type EntityCounts } from './entity.js';
import type { DuplicateDetectionSettings, NamespaceSettings, TopicSettings } from './namespace-config.js';
import { annotatedCopy, compileRule, filterSubjectOf, type Rule } from './rules.js';

/** Remembers message ids for the duplicate detection window of a queue or topic. */
class DuplicateDetector {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly settings: DuplicateDetectionSettings,
    private readonly clock: Clock,
  ) {}

  /** True when the id was seen within the window (the message must be dropped); records it otherwise. */
  isDuplicate(messageId: string | undefined): boolean {
    if (!this.settings.requiresDuplicateDetection || messageId === undefined) return false;
    const now = this.clock.now();
    const window = this.settings.duplicateDetectionHistoryTimeWindowMs;
    for (const [id, at] of this.seen) {
      if (at + window > now) break;
      this.seen.delete(id);
    }
    const at = this.seen.get(messageId);
    if (at !== undefined && at + window > now) return true;
    this.seen.delete(messageId);
    this.seen.set(messageId, now);
    return false;
  }

  clear(): void {
    this.seen.clear();
  }
}

/** A subscription with its compiled rules. */
interface Subscription {
  readonly name: string;
  readonly entity: Entity;
  readonly rules: readonly Rule[];
}

/**
 * What a subscription receives of a message, as Service Bus documents it: one copy when any rule without an action
 * selects it (rules without actions are OR-ed; no rules at all selects everything), plus one annotated copy per
 * selecting rule with an action.
 */
function copiesFor(
  subscription: Subscription,
  subject: FilterSubject,
  amqp: AmqpMessage,
  extra: { readonly sequenceNumber: number; readonly enqueuedAt: number },
): AmqpMessage[] {
  if (subscription.rules.length === 0) return [amqp];
  const selecting = subscription.rules.filter((rule) => rule.matches(subject));
  const copies = selecting.some((rule) => rule.action === undefined) ? [amqp] : [];
  for (const rule of selecting) {
    if (rule.action !== undefined) copies.push(annotatedCopy(amqp, { ...rule, action: rule.action }, extra));
  }
  return copies;
}

/** A message scheduled on a topic, fanned out when due. */
interface ScheduledOnTopic {
  readonly sequenceNumber: number;
  readonly amqp: AmqpMessage;
  readonly scheduledAt: number;
  readonly ttlMs: number;
}

/** A topic: fans messages out to the subscriptions whose rules match. */
export class Topic {
  readonly subscriptions: readonly Subscription[];
  private readonly duplicates: DuplicateDetector;
  private readonly scheduled = new Map<number, ScheduledOnTopic>();
  private nextSequence = 1;

  constructor(
    readonly settings: TopicSettings,
    private readonly clock: Clock,
  ) {
    this.duplicates = new DuplicateDetector(settings, clock);
    this.subscriptions = settings.subscriptions.map((subscription) => ({
      name: subscription.name,
      entity: new Entity(
        `${settings.name}/Subscriptions/${subscription.name}`,
        'subscription',
        subscription,
        clock,
      ),
      rules: subscription.rules.map(compileRule),
    }));
  }

  /** The topic name. */
  get name(): string {
    return this.settings.name;
  }

  /** Accepts a message: dropped when a duplicate, held when scheduled, else copied to matching subscriptions. */
  publish(amqp: AmqpMessage, scheduledAt: number | undefined): number | undefined {
    if (this.duplicates.isDuplicate(idText(amqp.message_id))) return undefined;
    this.checkSessions(amqp);
    const sequenceNumber = this.nextSequence++;
    const ttlMs = Math.min(amqp.ttl ?? Number.POSITIVE_INFINITY, this.settings.defaultMessageTimeToLiveMs);
    if (scheduledAt !== undefined && scheduledAt > this.clock.now()) {
      this.scheduled.set(sequenceNumber, { sequenceNumber, amqp, scheduledAt, ttlMs });
    } else {
      this.fanOut(sequenceNumber, amqp, ttlMs);
    }
    return sequenceNumber;
  }

  private checkSessions(amqp: AmqpMessage): void {
    if (typeof amqp.group_id === 'string') return;
    const subject = filterSubjectOf(amqp);
    const needsSession = this.subscriptions.find(
      (subscription) => subscription.entity.requiresSession && this.selects(subscription, subject),
    );
    if (needsSession !== undefined) {
      throw new BrokerError(
        'amqp:not-allowed',
        `The SessionId was not set on a message, and it cannot be sent to the entity. Subscription '${needsSession.name}' of topic '${this.name}' requires sessions.`,
      );
    }
  }

  private selects(subscription: Subscription, subject: ReturnType<typeof filterSubjectOf>): boolean {
    return subscription.rules.length === 0 || subscription.rules.some((rule) => rule.matches(subject));
  }

  private fanOut(sequenceNumber: number, amqp: AmqpMessage, ttlMs: number): void {
    const extra = { sequenceNumber, enqueuedAt: this.clock.now() };
    const subject = filterSubjectOf(amqp, extra);
    for (const subscription of this.subscriptions) {
      const ttl = Math.min(ttlMs, subscription.entity.settings.defaultMessageTimeToLiveMs);
      copiesFor(subscription, subject, amqp, extra).forEach((copy, index) => {
        // Each rule with an action adds a copy; copies after the first take sequence numbers of their own.
        subscription.entity.enqueue(index === 0 ? sequenceNumber : this.nextSequence++, copy, { ttlMs: ttl });
      });
    }
  }

  /** Removes a scheduled message; false when there is none with that number. */
  cancelScheduled(sequenceNumber: number): boolean {
    return this.scheduled.delete(sequenceNumber);
  }

  /** Messages scheduled on the topic, in order. */
  scheduledMessages(): { sequenceNumber: number; amqp: AmqpMessage; scheduledAt: number }[] {
    return [...this.scheduled.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  }

  /** Fans out due scheduled messages and applies time to the subscriptions. */
  sweep(): void {
    const now = this.clock.now();
    for (const message of [...this.scheduled.values()]) {
      if (message.scheduledAt > now) continue;
      this.scheduled.delete(message.sequenceNumber);
      this.fanOut(message.sequenceNumber, message.amqp, message.ttlMs);
    }
    for (const subscription of this.subscriptions) subscription.entity.sweep();
  }

  /** Drops messages and the duplicate history. */
  clear(): void {
    this.scheduled.clear();
    this.duplicates.clear();
    for (const subscription of this.subscriptions) subscription.entity.clear();
  }
}

/** A queue: an entity that is also sent to. */
export class Queue {
  readonly entity: Entity;
  private readonly duplicates: DuplicateDetector;
  private nextSequence = 1;

  constructor(
    readonly settings: NamespaceSettings['queues'][number],
    clock: Clock,
  ) {
    this.entity = new Entity(settings.name, 'queue', settings, clock);
    this.duplicates = new DuplicateDetector(settings, clock);
  }

  /** The queue name. */
  get name(): string {
    return this.settings.name;
  }

  /** Accepts a message; returns its sequence number, or undefined when it was a duplicate (dropped). */
  publish(amqp: AmqpMessage, scheduledAt: number | undefined): number | undefined {
    if (this.duplicates.isDuplicate(idText(amqp.message_id))) return undefined;
    if (this.entity.requiresSession && typeof amqp.group_id !== 'string') {
      throw new BrokerError(
        'amqp:not-allowed',
        `The SessionId was not set on a message, and it cannot be sent to the entity. Entities that have session support enabled can only receive messages that have the SessionId set. Queue: '${this.name}'.`,
      );
    }
    const sequenceNumber = this.nextSequence++;
    const ttlMs = Math.min(amqp.ttl ?? Number.POSITIVE_INFINITY, this.settings.defaultMessageTimeToLiveMs);
    this.entity.enqueue(sequenceNumber, amqp, {
      ttlMs,
      ...(scheduledAt === undefined ? {} : { scheduledAt }),
    });
    return sequenceNumber;
  }

  /** Drops messages and the duplicate history. */
  clear(): void {
    this.duplicates.clear();
    this.entity.clear();
  }
}

/** What an AMQP address names. */
export type ResolvedAddress =
  | { readonly kind: 'queue'; readonly queue: Queue; readonly entity: Entity }
  | { readonly kind: 'topic'; readonly topic: Topic }
  | { readonly kind: 'subscription'; readonly topic: Topic; readonly entity: Entity }
  | { readonly kind: 'deadLetter'; readonly entity: Entity };

/** One row of the inspection API's entity list. */
export interface EntitySummary extends EntityCounts {
  /** The entity path, e.g. `escalations` or `handoff-events/Subscriptions/channel-router`. */
  readonly path: string;
  readonly kind: 'queue' | 'subscription' | 'topic';
  readonly requiresSession: boolean;
}

/** Options of {@link Broker}. */
export interface BrokerOptions {
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The in-memory Service Bus namespace: queues, topics with subscriptions, and their dead-letter queues.
 * Addresses are case-insensitive, as in Service Bus.
 */
export class Broker {
  readonly namespace: string;
  private readonly queues = new Map<string, Queue>();
  private readonly topics = new Map<string, Topic>();
  private readonly clock: Clock;
  private readonly logger: Logger;

  /**
   * @param settings - the entities to host
   * @param options - clock and logger
   * @throws `SqlFilterError` when a rule's SQL filter does not parse
   */
  constructor(settings: NamespaceSettings, options: BrokerOptions) {
    this.namespace = settings.name;
    this.clock = options.clock;
    this.logger = options.logger;
    for (const queue of settings.queues)
      this.queues.set(queue.name.toLowerCase(), new Queue(queue, this.clock));
    for (const topic of settings.topics)
      this.topics.set(topic.name.toLowerCase(), new Topic(topic, this.clock));
  }

  /**
   * Resolves an entity path (`queue`, `topic`, `topic/Subscriptions/sub`, either with `/$DeadLetterQueue`),
   * accepting a leading `/` or a full `sb://host/...` address.
   */
  resolve(address: string): ResolvedAddress | undefined {
    const path = entityPathOf(address);
    const parts = path.split('/');
    const lower = parts.map((part) => part.toLowerCase());
    const deadLetter = lower.at(-1) === '$deadletterqueue';
    const base = deadLetter ? lower.slice(0, -1) : lower;
    let resolved: ResolvedAddress | undefined;
    if (base.length === 1) {
      const queue = this.queues.get(base[0] ?? '');
      if (queue !== undefined) resolved = { kind: 'queue', queue, entity: queue.entity };
      const topic = this.topics.get(base[0] ?? '');
      if (topic !== undefined && !deadLetter) resolved = { kind: 'topic', topic };
    } else if (base.length === 3 && base[1] === 'subscriptions') {
      const topic = this.topics.get(base[0] ?? '');
      const subscription = topic?.subscriptions.find((candidate) => candidate.name.toLowerCase() === base[2]);
      if (topic !== undefined && subscription !== undefined) {
        resolved = { kind: 'subscription', topic, entity: subscription.entity };
      }
    }
    if (resolved === undefined || !deadLetter) return resolved;
    if (resolved.kind === 'topic') return undefined;
    const dlq = resolved.entity.deadLetterQueue;
    return dlq === undefined ? undefined : { kind: 'deadLetter', entity: dlq };
  }

  /**
   * Accepts a message sent to a queue or topic. `x-opt-scheduled-enqueue-time` in the future schedules it.
   *
   * @returns the sequence number, or undefined when duplicate detection dropped it
   * @throws {@link BrokerError} when the address cannot be sent to
   */
  send(address: string, sent: AmqpMessage, scheduledAt?: number): number | undefined {
    const target = this.resolve(address);
    // Service Bus gives a message without an id a new one (a GUID without dashes).
    const amqp =
      sent.message_id === undefined || sent.message_id === null
        ? { ...sent, message_id: randomUUID().replace(/-/g, '') }
        : sent;
    const annotated = amqp.message_annotations?.['x-opt-scheduled-enqueue-time'];
    const when = scheduledAt ?? (annotated instanceof Date ? annotated.getTime() : undefined);
    if (target === undefined) throw notFound(this.namespace, address);
    if (target.kind === 'queue' || target.kind === 'topic') {
      const sequenceNumber =
        target.kind === 'queue' ? target.queue.publish(amqp, when) : target.topic.publish(amqp, when);
      if (sequenceNumber === undefined) {
        this.logger.debug({ address, messageId: idText(amqp.message_id) }, 'duplicate message dropped');
      }
      return sequenceNumber;
    }
    throw new BrokerError(
      'amqp:not-allowed',
      `Cannot send to '${address}': only queues and topics accept messages.`,
    );
  }

  /**
   * Cancels scheduled messages of a queue or topic.
   *
   * @throws {@link BrokerError} `com.microsoft:message-not-found` for a number that is not scheduled
   */
  cancelScheduled(address: string, sequenceNumbers: readonly number[]): void {
    const target = this.resolve(address);
    for (const sequenceNumber of sequenceNumbers) {
      const cancelled =
        target?.kind === 'queue'
          ? target.entity.cancelScheduled(sequenceNumber)
          : target?.kind === 'topic'
            ? target.topic.cancelScheduled(sequenceNumber)
            : false;
      if (!cancelled) {
        throw new BrokerError(
          'com.microsoft:message-not-found',
          `The scheduled message with sequence number ${sequenceNumber} was not found.`,
          404,
        );
      }
    }
  }

  /** Every entity messages are received from (queues and subscriptions). */
  receivableEntities(): Entity[] {
    return [
      ...[...this.queues.values()].map((queue) => queue.entity),
      ...[...this.topics.values()].flatMap((topic) =>
        topic.subscriptions.map((subscription) => subscription.entity),
      ),
    ];
  }

  /** The queues. */
  allQueues(): Queue[] {
    return [...this.queues.values()];
  }

  /** The topics. */
  allTopics(): Topic[] {
    return [...this.topics.values()];
  }

  /** Counts per queue, topic (scheduled messages held on the topic) and subscription. */
  summaries(): EntitySummary[] {
    const rows: EntitySummary[] = [];
    for (const queue of this.queues.values()) {
      rows.push({
        path: queue.name,
        kind: 'queue',
        requiresSession: queue.entity.requiresSession,
        ...queue.entity.counts(),
      });
    }
    for (const topic of this.topics.values()) {
      rows.push({
        path: topic.name,
        kind: 'topic',
        requiresSession: false,
        active: 0,
        locked: 0,
        deferred: 0,
        scheduled: topic.scheduledMessages().length,
        deadLetter: 0,
      });
      for (const subscription of topic.subscriptions) {
        rows.push({
          path: subscription.entity.path,
          kind: 'subscription',
          requiresSession: subscription.entity.requiresSession,
          ...subscription.entity.counts(),
        });
      }
    }
    return rows;
  }

  /** Applies the passage of time everywhere (lock expiry, scheduled messages, time to live, sessions). */
  sweep(): void {
    for (const queue of this.queues.values()) queue.entity.sweep();
    for (const topic of this.topics.values()) topic.sweep();
  }

  /** Drops every message, dead letter, scheduled message, session state and duplicate history. */
  reset(): void {
    for (const queue of this.queues.values()) queue.clear();
    for (const topic of this.topics.values()) topic.clear();
  }
}

/** The entity path of an AMQP address (no scheme, host or leading slash). */
export function entityPathOf(address: string): string {
  const withoutScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
  return withoutScheme.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** The error Service Bus gives for an unknown entity (the SDK maps it to `MessagingEntityNotFound`). */
export function notFound(namespace: string, address: string): BrokerError {
  return new BrokerError(
    'amqp:not-found',
    `The messaging entity '${namespace}:${entityPathOf(address)}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`,
    404,
  );
}
