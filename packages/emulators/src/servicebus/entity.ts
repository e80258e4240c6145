import { randomUUID } from 'node:crypto';
import type { AmqpMessage } from './amqp-values.js';
import type { ReceiverSettings } from './namespace-config.js';

/** Reads the current time; injectable so tests can move time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** An error the broker reports with an AMQP condition the SDK maps to a `ServiceBusError` code. */
export class BrokerError extends Error {
  /**
   * @param condition - AMQP error condition, e.g. `com.microsoft:message-lock-lost`
   * @param description - what happened
   * @param statusCode - the management status code for the same error
   */
  constructor(
    readonly condition: string,
    description: string,
    readonly statusCode = 400,
  ) {
    super(description);
    this.name = 'BrokerError';
  }
}

/** The lock held on a message received in peek-lock mode. */
export interface MessageLock {
  /** The lock token (RFC 4122 text). */
  readonly token: string;
  /** When the lock ends, in epoch milliseconds. */
  lockedUntil: number;
  /** The consumer the message was delivered to; undefined when locked through `$management`. */
  readonly consumerId: string | undefined;
}

/** Where a message is in its life. Numbers are the `x-opt-message-state` values. */
export type MessageState = 'active' | 'deferred' | 'scheduled';

/** A message held by an entity. */
export interface BrokeredMessage {
  readonly sequenceNumber: number;
  /** The message as sent (broker annotations are added when it is delivered). */
  amqp: AmqpMessage;
  enqueuedAt: number;
  /** Epoch milliseconds after which the message expires (`Infinity` = never). */
  expiresAt: number;
  /** Deliveries that ended without settlement (the AMQP `delivery-count` header). */
  deliveryCount: number;
  state: MessageState;
  /** When a scheduled message becomes active. */
  scheduledAt?: number;
  readonly sessionId: string | undefined;
  lock?: MessageLock;
}

/** Something an entity delivers messages to: the broker side of a receiver link. */
export interface Consumer {
  /** Unique per broker. */
  readonly id: string;
  /** `peekLock` (settle later) or `receiveAndDelete` (gone once sent). */
  readonly receiveMode: 'peekLock' | 'receiveAndDelete';
  /** The session this consumer holds, on session entities. */
  readonly sessionId: string | undefined;
  /** How many messages it can take now (link credit). */
  capacity(): number;
  /** Hands a message over; `lock` is undefined in receive-and-delete mode. */
  deliver(message: BrokeredMessage, lock: MessageLock | undefined): void;
  /** Ends the consumer with an error (its session lock expired). */
  terminate(condition: string, description: string): void;
}

/** How a message was settled. */
export type Disposition =
  | { readonly kind: 'complete' }
  | { readonly kind: 'abandon'; readonly properties?: Readonly<Record<string, unknown>> }
  | { readonly kind: 'defer'; readonly properties?: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'deadLetter';
      readonly reason?: string;
      readonly description?: string;
      readonly properties?: Readonly<Record<string, unknown>>;
    };

/** Message counts of an entity, as the inspection API shows them. */
export interface EntityCounts {
  /** Active messages, locked or not. */
  readonly active: number;
  readonly locked: number;
  readonly deferred: number;
  readonly scheduled: number;
  readonly deadLetter: number;
}

/** A session of a session-enabled entity. */
interface SessionRecord {
  readonly id: string;
  state: Buffer | undefined;
  holder: string | undefined;
  lockedUntil: number;
}

/** A consumer waiting for any session with messages (`acceptNextSession`). */
interface SessionWaiter {
  readonly consumerId: string;
  readonly resolve: (sessionId: string, lockedUntil: number) => void;
}

const LOCK_LOST =
  'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.';

/** `x-opt-message-state` values. */
export const MESSAGE_STATE_CODES: Readonly<Record<MessageState, number>> = {
  active: 0,
  deferred: 1,
  scheduled: 2,
};

function withProperties(
  amqp: AmqpMessage,
  properties: Readonly<Record<string, unknown>> | undefined,
): AmqpMessage {
  if (properties === undefined) return amqp;
  const applicationProperties: Record<string, unknown> = { ...(amqp.application_properties ?? {}) };
  for (const [key, value] of Object.entries(properties)) {
    if (value !== undefined && value !== null) applicationProperties[key] = value;
  }
  return { ...amqp, application_properties: applicationProperties };
}

/**
 * A queue, a subscription or a dead-letter queue: the messages, their locks, sessions and consumers of one
 * entity messages are received from. Every method takes the current time from the clock it was built with.
 */
export class Entity {
  /** The dead-letter sub-queue (`<path>/$DeadLetterQueue`); none on a dead-letter queue itself. */
  readonly deadLetterQueue: Entity | undefined;
  private readonly messages = new Map<number, BrokeredMessage>();
  private readonly locks = new Map<string, BrokeredMessage>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly consumers = new Map<string, Consumer>();
  private readonly sessionWaiters: SessionWaiter[] = [];
  private rotation = 0;
  private pumping = false;

  /**
   * @param path - the entity path, e.g. `orders`, `events/Subscriptions/audit`, `orders/$DeadLetterQueue`
   * @param kind - what the entity is
   * @param settings - lock duration, delivery count, time to live, sessions
   * @param clock - the time source
   */
  constructor(
    readonly path: string,
    readonly kind: 'queue' | 'subscription' | 'deadLetter',
    readonly settings: ReceiverSettings,
    private readonly clock: Clock,
  ) {
    this.deadLetterQueue =
      kind === 'deadLetter'
        ? undefined
        : new Entity(
            `${path}/$DeadLetterQueue`,
            'deadLetter',
            { ...settings, requiresSession: false, deadLetteringOnMessageExpiration: false },
            clock,
          );
  }

  /** Whether receivers must be session receivers. */
  get requiresSession(): boolean {
    return this.kind !== 'deadLetter' && this.settings.requiresSession;
  }

  // ---------------------------------------------------------------------------------------------
  // Enqueue
  // ---------------------------------------------------------------------------------------------

  /** Stores a message (active, or scheduled when `scheduledAt` is in the future) and delivers what it can. */
  enqueue(
    sequenceNumber: number,
    amqp: AmqpMessage,
    options: { readonly ttlMs: number; readonly scheduledAt?: number },
  ): BrokeredMessage {
    const now = this.clock.now();
    const scheduled = options.scheduledAt !== undefined && options.scheduledAt > now;
    const message: BrokeredMessage = {
      sequenceNumber,
      amqp,
      enqueuedAt: now,
      expiresAt: now + options.ttlMs,
      deliveryCount: 0,
      state: scheduled ? 'scheduled' : 'active',
      sessionId: typeof amqp.group_id === 'string' ? amqp.group_id : undefined,
      ...(scheduled ? { scheduledAt: options.scheduledAt } : {}),
    };
    this.messages.set(sequenceNumber, message);
    if (!scheduled) this.pump();
    return message;
  }

  /** Removes a scheduled message; false when there is no scheduled message with that number. */
  cancelScheduled(sequenceNumber: number): boolean {
    const message = this.messages.get(sequenceNumber);
    if (message?.state !== 'scheduled') return false;
    this.messages.delete(sequenceNumber);
    return true;
  }

  /** Moves a message to the dead-letter queue with a reason (an application property, as Service Bus does). */
  private deadLetter(
    message: BrokeredMessage,
    reason: string | undefined,
    description: string | undefined,
    properties?: Readonly<Record<string, unknown>>,
  ): void {
    this.remove(message);
    const target = this.deadLetterQueue;
    if (target === undefined) return;
    const amqp = withProperties(message.amqp, {
      ...properties,
      DeadLetterReason: reason,
      DeadLetterErrorDescription: description,
    });
    const copy: BrokeredMessage = {
      sequenceNumber: message.sequenceNumber,
      amqp,
      enqueuedAt: message.enqueuedAt,
      expiresAt: Number.POSITIVE_INFINITY,
      deliveryCount: message.deliveryCount,
      state: 'active',
      sessionId: message.sessionId,
    };
    target.messages.set(copy.sequenceNumber, copy);
    target.pump();
  }

  private remove(message: BrokeredMessage): void {
    this.messages.delete(message.sequenceNumber);
    if (message.lock !== undefined) this.locks.delete(message.lock.token);
    message.lock = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Consumers and delivery
  // ---------------------------------------------------------------------------------------------

  /** Adds a consumer and delivers to it. */
  attach(consumer: Consumer): void {
    this.consumers.set(consumer.id, consumer);
    this.pump();
  }

  /**
   * Removes a consumer. Its session (if any) is released: unsettled messages of that session become
   * available again with one more delivery counted. Peek-lock messages of other entities stay locked until
   * their lock expires, so they can still be settled through `$management`.
   */
  detach(consumerId: string): void {
    if (!this.consumers.delete(consumerId)) return;
    const waiter = this.sessionWaiters.findIndex((candidate) => candidate.consumerId === consumerId);
    if (waiter >= 0) this.sessionWaiters.splice(waiter, 1);
    for (const session of this.sessions.values()) {
      if (session.holder === consumerId) this.releaseSession(session);
    }
    this.pump();
  }

  /** Delivers available messages to consumers with capacity, round robin, until nothing more moves. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.serveSessionWaiters();
      let moved = true;
      while (moved) {
        moved = false;
        const consumers = [...this.consumers.values()];
        if (consumers.length === 0) break;
        this.rotation = (this.rotation + 1) % consumers.length;
        for (let i = 0; i < consumers.length; i += 1) {
          const consumer = consumers[(this.rotation + i) % consumers.length];
          if (consumer === undefined || consumer.capacity() <= 0) continue;
          if (this.requiresSession && consumer.sessionId === undefined) continue;
          const message = this.nextAvailable(this.requiresSession ? consumer.sessionId : undefined);
          if (message === undefined) continue;
          this.deliverTo(consumer, message);
          moved = true;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private isAvailable(message: BrokeredMessage, now: number): boolean {
    return message.state === 'active' && message.lock === undefined && message.expiresAt > now;
  }

  private nextAvailable(sessionId: string | undefined): BrokeredMessage | undefined {
    const now = this.clock.now();
    let best: BrokeredMessage | undefined;
    for (const message of this.messages.values()) {
      if (!this.isAvailable(message, now)) continue;
      if (this.requiresSession && message.sessionId !== sessionId) continue;
      if (best === undefined || message.sequenceNumber < best.sequenceNumber) best = message;
    }
    return best;
  }

  private deliverTo(consumer: Consumer, message: BrokeredMessage): void {
    if (consumer.receiveMode === 'receiveAndDelete') {
      this.remove(message);
      consumer.deliver(message, undefined);
      return;
    }
    const lock = this.lockFor(message, consumer.id);
    consumer.deliver(message, lock);
  }

  private lockFor(message: BrokeredMessage, consumerId: string | undefined): MessageLock {
    const session = message.sessionId === undefined ? undefined : this.sessions.get(message.sessionId);
    const lockedUntil =
      this.requiresSession && session !== undefined
        ? session.lockedUntil
        : this.clock.now() + this.settings.lockDurationMs;
    const lock: MessageLock = { token: randomUUID(), lockedUntil, consumerId };
    message.lock = lock;
    this.locks.set(lock.token, message);
    return lock;
  }

  // ---------------------------------------------------------------------------------------------
  // Settlement and locks
  // ---------------------------------------------------------------------------------------------

  /** The locked message with this token, or a `message-lock-lost` error. */
  private locked(token: string): BrokeredMessage {
    const message = this.locks.get(token);
    if (message === undefined || message.lock === undefined) {
      throw new BrokerError('com.microsoft:message-lock-lost', LOCK_LOST, 410);
    }
    if (!this.requiresSession && message.lock.lockedUntil <= this.clock.now()) {
      this.expireLock(message);
      throw new BrokerError('com.microsoft:message-lock-lost', LOCK_LOST, 410);
    }
    return message;
  }

  /** Whether a lock token belongs to this entity. */
  holdsLock(token: string): boolean {
    return this.locks.has(token);
  }

  /**
   * Settles a locked message: complete removes it, abandon makes it available again (one more delivery
   * counted, dead-lettered past MaxDeliveryCount), defer sets it aside for `receiveDeferredMessages`,
   * dead-letter moves it to the dead-letter queue.
   *
   * @throws {@link BrokerError} `com.microsoft:message-lock-lost` for an unknown or expired lock
   */
  settle(token: string, disposition: Disposition): void {
    const message = this.locked(token);
    this.locks.delete(token);
    message.lock = undefined;
    switch (disposition.kind) {
      case 'complete':
        this.remove(message);
        break;
      case 'abandon':
        message.amqp = withProperties(message.amqp, disposition.properties);
        this.countFailedDelivery(message);
        break;
      case 'defer':
        message.amqp = withProperties(message.amqp, disposition.properties);
        message.state = 'deferred';
        break;
      case 'deadLetter':
        this.deadLetter(message, disposition.reason, disposition.description, disposition.properties);
        break;
    }
    this.pump();
  }

  /** One more delivery that ended without settlement; past MaxDeliveryCount the message is dead-lettered. */
  private countFailedDelivery(message: BrokeredMessage): void {
    message.deliveryCount += 1;
    if (this.kind !== 'deadLetter' && message.deliveryCount >= this.settings.maxDeliveryCount) {
      this.deadLetter(
        message,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
      );
    }
  }

  private expireLock(message: BrokeredMessage): void {
    if (message.lock === undefined) return;
    this.locks.delete(message.lock.token);
    message.lock = undefined;
    if (message.state === 'active') this.countFailedDelivery(message);
  }

  /**
   * Extends a message lock by the lock duration.
   *
   * @returns the new lock expiry
   * @throws {@link BrokerError} for an unknown or expired lock, or a session message (renew the session)
   */
  renewLock(token: string): number {
    const message = this.locked(token);
    if (this.requiresSession) {
      throw new BrokerError(
        'amqp:not-allowed',
        'Messages of a session entity are locked by the session: renew the session lock instead.',
      );
    }
    const lock = message.lock as MessageLock;
    lock.lockedUntil = this.clock.now() + this.settings.lockDurationMs;
    return lock.lockedUntil;
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions
  // ---------------------------------------------------------------------------------------------

  private session(id: string): SessionRecord {
    let record = this.sessions.get(id);
    if (record === undefined) {
      record = { id, state: undefined, holder: undefined, lockedUntil: 0 };
      this.sessions.set(id, record);
    }
    return record;
  }

  /**
   * Locks a named session for a consumer.
   *
   * @returns the session lock expiry
   * @throws {@link BrokerError} `com.microsoft:session-cannot-be-locked` when another receiver holds it
   */
  acceptSession(consumerId: string, sessionId: string): number {
    const record = this.session(sessionId);
    if (record.holder !== undefined && record.holder !== consumerId) {
      throw new BrokerError(
        'com.microsoft:session-cannot-be-locked',
        `The requested session '${sessionId}' cannot be accepted. It may be locked by another receiver.`,
        410,
      );
    }
    record.holder = consumerId;
    record.lockedUntil = this.clock.now() + this.settings.lockDurationMs;
    return record.lockedUntil;
  }

  /**
   * Locks the free session with the oldest available message for a consumer, now or (through `resolve`)
   * as soon as one has messages.
   *
   * @returns a function that stops waiting
   */
  acceptNextSession(
    consumerId: string,
    resolve: (sessionId: string, lockedUntil: number) => void,
  ): () => void {
    const waiter: SessionWaiter = { consumerId, resolve };
    this.sessionWaiters.push(waiter);
    this.serveSessionWaiters();
    return () => {
      const index = this.sessionWaiters.indexOf(waiter);
      if (index >= 0) this.sessionWaiters.splice(index, 1);
    };
  }

  private serveSessionWaiters(): void {
    while (this.sessionWaiters.length > 0) {
      const free = this.freeSession();
      if (free === undefined) return;
      const waiter = this.sessionWaiters.shift() as SessionWaiter;
      const lockedUntil = this.acceptSession(waiter.consumerId, free);
      waiter.resolve(free, lockedUntil);
    }
  }

  private freeSession(): string | undefined {
    const now = this.clock.now();
    let best: BrokeredMessage | undefined;
    for (const message of this.messages.values()) {
      if (message.sessionId === undefined || !this.isAvailable(message, now)) continue;
      if (this.sessions.get(message.sessionId)?.holder !== undefined) continue;
      if (best === undefined || message.sequenceNumber < best.sequenceNumber) best = message;
    }
    return best?.sessionId;
  }

  private releaseSession(record: SessionRecord): void {
    const holder = record.holder;
    record.holder = undefined;
    record.lockedUntil = 0;
    for (const message of [...this.messages.values()]) {
      if (
        message.sessionId === record.id &&
        message.lock !== undefined &&
        message.lock.consumerId === holder
      ) {
        this.expireLock(message);
      }
    }
    if (record.state === undefined) this.sessions.delete(record.id);
  }

  private heldSession(sessionId: string): SessionRecord {
    const record = this.sessions.get(sessionId);
    if (record?.holder === undefined || record.lockedUntil <= this.clock.now()) {
      throw new BrokerError(
        'com.microsoft:session-lock-lost',
        `The session lock has expired on the MessageSession '${sessionId}'. Accept a new MessageSession.`,
        410,
      );
    }
    return record;
  }

  /** Extends a held session's lock; returns the new expiry. */
  renewSessionLock(sessionId: string): number {
    const record = this.heldSession(sessionId);
    record.lockedUntil = this.clock.now() + this.settings.lockDurationMs;
    for (const message of this.messages.values()) {
      if (message.sessionId === sessionId && message.lock !== undefined)
        message.lock.lockedUntil = record.lockedUntil;
    }
    return record.lockedUntil;
  }

  /** The state stored for a held session. */
  sessionState(sessionId: string): Buffer | undefined {
    return this.heldSession(sessionId).state;
  }

  /** Stores (or with `undefined` clears) the state of a held session. */
  setSessionState(sessionId: string, state: Buffer | undefined): void {
    this.heldSession(sessionId).state = state;
  }

  /** Session ids with messages or state. */
  sessionIds(): string[] {
    const ids = new Set<string>();
    for (const message of this.messages.values())
      if (message.sessionId !== undefined) ids.add(message.sessionId);
    for (const record of this.sessions.values()) if (record.state !== undefined) ids.add(record.id);
    return [...ids];
  }

  // ---------------------------------------------------------------------------------------------
  // Management
  // ---------------------------------------------------------------------------------------------

  /** Messages from a sequence number on, in order, without locking them (all states but dead-lettered). */
  peek(fromSequenceNumber: number, count: number, sessionId?: string): BrokeredMessage[] {
    return [...this.messages.values()]
      .filter(
        (message) =>
          message.sequenceNumber >= fromSequenceNumber &&
          (sessionId === undefined || message.sessionId === sessionId),
      )
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
      .slice(0, count);
  }

  /** Every message in one state, in sequence order (for the inspection API). */
  list(state: MessageState | 'all'): BrokeredMessage[] {
    return [...this.messages.values()]
      .filter((message) => state === 'all' || message.state === state)
      .sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  }

  /**
   * Receives deferred messages by sequence number: locked (peek-lock) or removed (receive-and-delete).
   *
   * @throws {@link BrokerError} `com.microsoft:message-not-found` when one is not a deferred message here
   */
  receiveDeferred(
    sequenceNumbers: readonly number[],
    receiveMode: 'peekLock' | 'receiveAndDelete',
    sessionId: string | undefined,
  ): { message: BrokeredMessage; lock: MessageLock | undefined }[] {
    const found = sequenceNumbers.map((sequenceNumber) => {
      const message = this.messages.get(sequenceNumber);
      if (
        message === undefined ||
        message.state !== 'deferred' ||
        message.lock !== undefined ||
        (sessionId !== undefined && message.sessionId !== sessionId)
      ) {
        throw new BrokerError(
          'com.microsoft:message-not-found',
          `Failed to lock one or more specified messages. The message with sequence number ${sequenceNumber} does not exist or is not deferred.`,
          404,
        );
      }
      return message;
    });
    return found.map((message) => {
      if (receiveMode === 'receiveAndDelete') {
        this.remove(message);
        return { message, lock: undefined };
      }
      return { message, lock: this.lockFor(message, undefined) };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Time
  // ---------------------------------------------------------------------------------------------

  /**
   * Applies the passage of time: expired message locks make messages available again (one more delivery
   * counted), expired session locks end their receivers, due scheduled messages become active, and
   * expired messages are dropped or dead-lettered (`TTLExpiredException`).
   */
  sweep(): void {
    const now = this.clock.now();
    let changed = false;
    for (const record of [...this.sessions.values()]) {
      if (record.holder !== undefined && record.lockedUntil <= now) {
        const consumer = this.consumers.get(record.holder);
        this.releaseSession(record);
        if (consumer !== undefined) {
          this.consumers.delete(consumer.id);
          consumer.terminate(
            'com.microsoft:session-lock-lost',
            `The session lock has expired on the MessageSession '${record.id}'. Accept a new MessageSession.`,
          );
        }
        changed = true;
      }
    }
    for (const message of [...this.messages.values()]) {
      if (message.lock !== undefined) {
        if (!this.requiresSession && message.lock.lockedUntil <= now) {
          this.expireLock(message);
          changed = true;
        }
        continue;
      }
      if (message.state === 'scheduled') {
        if ((message.scheduledAt ?? 0) <= now) {
          const ttl = message.expiresAt - message.enqueuedAt;
          message.state = 'active';
          message.enqueuedAt = now;
          message.expiresAt = now + ttl;
          changed = true;
        }
        continue;
      }
      if (message.expiresAt <= now) {
        if (this.settings.deadLetteringOnMessageExpiration) {
          this.deadLetter(message, 'TTLExpiredException', 'The message expired and was dead lettered.');
        } else {
          this.remove(message);
        }
        changed = true;
      }
    }
    if (changed) this.pump();
    this.deadLetterQueue?.sweep();
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection
  // ---------------------------------------------------------------------------------------------

  /** Message counts. */
  counts(): EntityCounts {
    let active = 0;
    let locked = 0;
    let deferred = 0;
    let scheduled = 0;
    for (const message of this.messages.values()) {
      if (message.state === 'active') active += 1;
      if (message.state === 'deferred') deferred += 1;
      if (message.state === 'scheduled') scheduled += 1;
      if (message.lock !== undefined) locked += 1;
    }
    return { active, locked, deferred, scheduled, deadLetter: this.deadLetterQueue?.messages.size ?? 0 };
  }

  /** Drops every message, lock and session state (entities and consumers stay). */
  clear(): void {
    this.messages.clear();
    this.locks.clear();
    for (const record of [...this.sessions.values()]) {
      record.state = undefined;
      if (record.holder === undefined) this.sessions.delete(record.id);
    }
    this.deadLetterQueue?.clear();
  }
}
