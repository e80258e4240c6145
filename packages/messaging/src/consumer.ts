import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ServiceBusClient,
  ServiceBusReceivedMessage,
  ServiceBusReceiver,
  ServiceBusSessionReceiver,
} from '@azure/service-bus';
import {
  type OmniEvent,
  parseEvent,
  parseIsoDuration,
  type ServiceBusTopology,
  serviceBusTopology,
} from '@omni/contracts';
import { type ClaimResult, type DedupeStore, InMemoryDedupeStore } from '@omni/service-kit';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import {
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_IDLE_MS,
} from './consumer-settings.js';
import { DEFAULT_RETRY_POLICY, decideFailure, holdMs, type RetryPolicy } from './failure-policy.js';
import { type MessagingMetrics, messagingMetrics } from './metrics.js';

/** How long receivers renew message and session locks (`maxAutoLockRenewalDurationInMs` below). */
const LOCK_RENEWAL_MS = 5 * 60_000;
/** How long `stop()` waits for the SDK to stop a subscription before closing the receiver itself. */
const SUBSCRIPTION_CLOSE_WAIT_MS = 3_000;
/** Where a consumer receives from. */
export type ConsumerSource = { topic: string; subscription: string } | { queue: string };

/** What a handler learns about the message besides the event. */
export interface MessageContext {
  messageId: string;
  /** 1 on the first delivery. */
  attempt: number;
  sessionId: string | undefined;
  /** A logger bound to the message and event ids (never the payload). */
  log: Logger;
  /**
   * Throws {@link LockLostError} unless this receiver still holds the message's lock (on a session entity: the
   * session's) for at least another second. Call it right before a side effect that another replica could also make:
   * once the lock has lapsed (a process starved or paused past its renewals) the broker may have given the
   * session to another replica, which handles the customer's next messages, so acting now would act twice or out
   * of order.
   */
  assertLockHeld(): void;
}

/** The lock of the message being handled has lapsed (or is about to): the handler must stop before acting. */
export class LockLostError extends Error {
  constructor(readonly lockedUntil: Date | undefined) {
    super(
      `The message lock ${lockedUntil === undefined ? 'is unknown' : `ended (or ends within the margin) at ${lockedUntil.toISOString()}`}; another receiver may hold it now.`,
    );
    this.name = 'LockLostError';
  }
}

/** How close to its end a lock counts as lost for {@link MessageContext.assertLockHeld} (ms). */
const LOCK_MARGIN_MS = 1_000;
/** How often a delivery whose event another attempt is handling looks again (ms). */
const IN_PROGRESS_POLL_MS = 250;

/** Handles one event. Throw to retry (or `PermanentError` to dead-letter at once). Must be idempotent. */
export type EventHandler = (event: OmniEvent, context: MessageContext) => Promise<void>;

/** Options for an {@link EventConsumer}. */
export interface EventConsumerOptions {
  client: ServiceBusClient;
  source: ConsumerSource;
  handler: EventHandler;
  topology?: ServiceBusTopology;
  /** Whether the entity needs session receivers; read from the topology when omitted. */
  sessions?: boolean;
  /**
   * Remembers handled message ids so a redelivery does not run the handler again. In-memory by default; with
   * several replicas pass a shared one (`RedisDedupeStore`), or a redelivery on another replica runs again.
   */
  dedupe?: DedupeStore;
  retry?: RetryPolicy;
  /** Messages in flight at once on an entity without sessions. Default 8 (`SERVICEBUS_MAX_CONCURRENCY`). */
  maxConcurrency?: number;
  /**
   * Session entities: sessions held at once, each handled one message at a time. Default `maxConcurrency` when
   * that is given, else 64 (`SERVICEBUS_MAX_SESSIONS`, see `consumerSettingsOf`).
   */
  maxSessions?: number;
  /**
   * Sessions: release a session after this long without messages and take the next one. Default 20 ms
   * (`SERVICEBUS_SESSION_IDLE_MS`): an idle session held longer blocks one of the slots other customers wait for.
   */
  sessionIdleMs?: number;
  registry?: Registry;
  logger?: Logger;
}

/** The path of a source, e.g. `handoff-events/Subscriptions/channel-router`. */
export function sourcePath(source: ConsumerSource): string {
  return 'queue' in source ? source.queue : `${source.topic}/Subscriptions/${source.subscription}`;
}

function receiverSettingsOf(source: ConsumerSource, topology: ServiceBusTopology) {
  if ('queue' in source) return topology.queues.find((q) => q.name === source.queue);
  return topology.topics
    .find((t) => t.name === source.topic)
    ?.subscriptions.find((s) => s.name === source.subscription);
}

/**
 * Receives events from a queue or subscription and runs a handler for each, at least once and, with the
 * dedupe store, effectively once:
 * - a message that is not a valid event is dead-lettered with reason `InvalidEvent` and the field that failed;
 * - a handler error is classified (failure-policy): a transient or unknown one is retried, the message held
 *   (lock renewed) for the policy's wait (1 s, 5 s, 30 s, 2 min, 10 min ... by default, cut to the lock renewal
 *   window and the message's TTL) then abandoned, so the broker redelivers it, and after `retry.maxAttempts`
 *   dead-lettered with reason `MaxAttemptsExceeded`; a permanent one (a `PermanentError`, a schema error, an
 *   HTTP 4xx that will not change) is dead-lettered at once with its reason;
 * - a message whose id was handled already is completed without running the handler;
 * - on session entities each session (customer) is processed strictly in order, one message at a time;
 * - `stop()` stops receiving, lets in-flight handlers finish and settle, then closes the receivers.
 */
export class EventConsumer {
  readonly #options: EventConsumerOptions;
  readonly #path: string;
  readonly #sessions: boolean;
  readonly #dedupe: DedupeStore;
  readonly #retry: RetryPolicy;
  readonly #lockMs: number;
  readonly #log: Logger;
  readonly #metrics: MessagingMetrics | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];
  #receiver: ServiceBusReceiver | undefined;
  #subscription: { close(): Promise<void> } | undefined;
  #running = false;
  #lastError: Error | undefined;

  constructor(options: EventConsumerOptions) {
    this.#options = options;
    const topology = options.topology ?? serviceBusTopology;
    const settings = receiverSettingsOf(options.source, topology);
    this.#path = sourcePath(options.source);
    this.#sessions = options.sessions ?? settings?.requiresSession ?? false;
    this.#lockMs = (settings && parseIsoDuration(settings.lockDuration)) || 60_000;
    this.#dedupe = options.dedupe ?? new InMemoryDedupeStore();
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#log = (options.logger ?? pino({ level: 'silent' })).child({ entity: this.#path });
    this.#metrics = options.registry ? messagingMetrics(options.registry) : undefined;
  }

  /** True while receiving; a readiness check for the service. */
  get running(): boolean {
    return this.#running;
  }

  /** The last receive error, if the most recent attempt to receive failed. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /**
   * A readiness check for `app.readiness.register(...)`: fails while the consumer is stopped or its latest
   * attempt to receive failed (broker unreachable, entity missing, credentials refused).
   */
  readonly readinessCheck = async (): Promise<void> => {
    if (!this.#running) throw new Error(`consumer of ${this.#path} is not running`);
    if (this.#lastError) throw new Error(`cannot receive from ${this.#path}: ${this.#lastError.message}`);
  };

  /** Starts receiving. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#sessions) {
      const slots = this.#options.maxSessions ?? this.#options.maxConcurrency ?? DEFAULT_MAX_SESSIONS;
      for (let i = 0; i < slots; i++) this.#loops.push(this.#sessionLoop());
      return;
    }
    const concurrency = this.#options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    const { client, source } = this.#options;
    const receiver =
      'queue' in source
        ? client.createReceiver(source.queue, { maxAutoLockRenewalDurationInMs: 5 * 60_000 })
        : client.createReceiver(source.topic, source.subscription, {
            maxAutoLockRenewalDurationInMs: 5 * 60_000,
          });
    this.#receiver = receiver;
    this.#subscription = receiver.subscribe(
      {
        processMessage: (message) => this.#track(this.#process(message, receiver).then(() => {})),
        processError: async ({ error }) => {
          this.#lastError = error;
          this.#log.warn({ err: error }, 'receive error (the SDK retries)');
        },
      },
      { autoCompleteMessages: false, maxConcurrentCalls: concurrency },
    );
  }

  /** Stops receiving and waits until every message in flight has been handled and settled. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort();
    // Stop new deliveries. The SDK's close waits out its own attach retries when the link never came up (a
    // missing entity: ~30 s), so it is bounded; closing the receiver below closes the link in any case.
    const closing = this.#subscription?.close();
    await Promise.race([closing, sleep(SUBSCRIPTION_CLOSE_WAIT_MS, undefined, { ref: false })]);
    closing?.catch(() => {});
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#receiver?.close();
  }

  async #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    try {
      await work;
    } finally {
      this.#inFlight.delete(work);
    }
  }

  async #sessionLoop(): Promise<void> {
    const { client, source } = this.#options;
    while (this.#running) {
      let receiver: ServiceBusSessionReceiver;
      try {
        // The SDK cannot cancel a pending accept (abortSignal is not honoured once the link attach is on its
        // way; the broker holds it until a session frees up or ~60 s pass). So `stop()` does not wait for
        // accepts: one that returns after stop releases its session at once, before receiving anything.
        const options = { maxAutoLockRenewalDurationInMs: 5 * 60_000, abortSignal: this.#abort.signal };
        receiver =
          'queue' in source
            ? await client.acceptNextSession(source.queue, options)
            : await client.acceptNextSession(source.topic, source.subscription, options);
        this.#lastError = undefined;
      } catch (error) {
        if (!this.#running) return;
        const code = (error as { code?: string }).code;
        // No session had messages within the broker's wait: not a failure, just nothing to do. The broker
        // answered, so an earlier failure (a dropped connection) is over: readiness recovers.
        if (code === 'ServiceTimeout' || code === 'SessionCannotBeLocked') {
          this.#lastError = undefined;
        } else {
          this.#lastError = error as Error;
          this.#log.warn({ err: error }, 'could not accept a session; retrying');
        }
        await sleep(250, undefined, { signal: this.#abort.signal }).catch(() => {});
        continue;
      }
      if (!this.#running) {
        await receiver.close().catch(() => {});
        return;
      }
      await this.#track(this.#drainSession(receiver));
    }
  }

  /** Handles a held session's messages one at a time, in order, until it stays idle or the consumer stops. */
  async #drainSession(receiver: ServiceBusSessionReceiver): Promise<void> {
    const idleMs = this.#options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    try {
      while (this.#running) {
        // One message per receive: the SDK's `receiveMessages(n > 1)` waits up to a further second after the
        // first message for the batch to fill, which delayed every lone message (a customer's turn) by ~1 s.
        const messages = await receiver.receiveMessages(1, { maxWaitTimeInMs: idleMs });
        if (messages.length === 0) break;
        // One at a time: order within a session (a customer) is the point of sessions. A message received
        // is finished even when the consumer is stopping, so none is left locked.
        let lockLost = false;
        for (const message of messages) lockLost = (await this.#process(message, receiver)) === 'lock-lost';
        // The session is another receiver's now: let go of it rather than receive on a lock we no longer hold.
        if (lockLost) break;
      }
    } catch (error) {
      this.#lastError = error as Error;
      this.#log.warn(
        { err: error, sessionId: receiver.sessionId },
        'session receive error; releasing the session',
      );
    } finally {
      await receiver.close().catch(() => {});
    }
  }

  async #process(
    message: ServiceBusReceivedMessage,
    receiver: ServiceBusReceiver,
  ): Promise<'lock-lost' | undefined> {
    const attempt = (message.deliveryCount ?? 0) + 1;
    const messageId = String(message.messageId ?? '');
    const log = this.#log.child({ messageId, sessionId: message.sessionId, attempt });
    const parsed = parseEvent(message.body);
    if (!parsed.ok) {
      await this.#deadLetter(receiver, message, 'unknown', 'InvalidEvent', parsed.error.message, log);
      return;
    }
    const event = parsed.event;
    const labels = { entity: this.#path, type: event.type };
    // Keyed by event id: the same event re-published (outside the broker's duplicate window, or with a
    // different message id) is still handled once.
    const key = `${this.#path}|${event.id}`;
    // Another delivery of the same event is being handled (or was, by a replica that died mid-handler): hold this
    // message (its lock is renewed) and look again until that claim is completed, released or has lapsed.
    // Abandoning instead would spend a delivery on every look, and the broker dead-letters at maxDeliveryCount
    // (the scale-out suite lost a killed replica's customers that way).
    const claim = await this.#claimWhenFree(key, event.type, log);
    if (claim === 'done') {
      log.debug({ eventType: event.type }, 'duplicate delivery: already handled');
      await this.#settle(() => receiver.completeMessage(message), log);
      this.#metrics?.processed.inc({ ...labels, outcome: 'duplicate' });
      return;
    }
    if (claim === 'in-progress') {
      // Stopping: give the message back for the next consumer.
      await this.#settle(() => receiver.abandonMessage(message), log);
      return;
    }

    const parent = propagation.extract(context.active(), message.applicationProperties ?? {});
    const span = trace.getTracer('@omni/messaging').startSpan(
      `process ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.destination.name': this.#path, 'messaging.message.id': messageId },
      },
      parent,
    );
    const timer = this.#metrics?.handlerDuration.startTimer(labels);
    try {
      const assertLockHeld = () => this.#assertLockHeld(receiver, message);
      await context.with(trace.setSpan(parent, span), () =>
        this.#options.handler(event, {
          messageId,
          attempt,
          sessionId: message.sessionId,
          log,
          assertLockHeld,
        }),
      );
    } catch (error) {
      timer?.();
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      await this.#dedupe.release(key);
      if (error instanceof LockLostError) {
        // Not a failure of the handler: the message (or its session) belongs to another receiver now, which
        // handles it; no retry wait is held here.
        log.warn({ eventType: event.type, lockedUntil: error.lockedUntil }, 'lock lost; handler stopped');
        // A session's messages go back with the session; a lone message's lock may still be ours to give back.
        if (!this.#sessions) await this.#settle(() => receiver.abandonMessage(message), log);
        this.#metrics?.processed.inc({ ...labels, outcome: 'lock-lost' });
        return 'lock-lost';
      }
      const outcome = decideFailure(error, attempt, this.#retry);
      if (outcome.kind === 'dead-letter') {
        await this.#deadLetter(receiver, message, event.type, outcome.reason, outcome.description, log);
        return;
      }
      // Hold the message (the SDK renews its lock) through the wait, then give it back for the next attempt:
      // waits that span minutes outlast an outage without a store of their own. Stopping ends the wait.
      const hold = holdMs(outcome.delayMs, {
        renewalMs: LOCK_RENEWAL_MS,
        lockMs: this.#lockMs,
        expiresAtMs: message.expiresAtUtc?.getTime(),
        now: Date.now(),
      });
      log.warn(
        { err: error, eventType: event.type, failure: outcome.failure, retryInMs: hold },
        'handler failed; will retry',
      );
      await sleep(hold, undefined, { signal: this.#abort.signal }).catch(() => {});
      await this.#settle(() => receiver.abandonMessage(message), log);
      this.#metrics?.processed.inc({ ...labels, outcome: 'retried' });
      return;
    }
    timer?.();
    span.end();
    await this.#dedupe.complete(key);
    await this.#settle(() => receiver.completeMessage(message), log);
    this.#metrics?.processed.inc({ ...labels, outcome: 'completed' });
  }

  /**
   * Claims `key` in the dedupe store, waiting while another attempt holds it; `in-progress` only when stopping.
   * The claim lapses with the message lock: a replica killed mid-handler blocks the redelivery (to any replica,
   * through a shared dedupe store) no longer than the broker does.
   */
  async #claimWhenFree(key: string, eventType: string, log: Logger): Promise<ClaimResult> {
    const waitingSince = Date.now();
    let told = false;
    let claim = await this.#dedupe.claim(key, this.#lockMs);
    while (claim === 'in-progress' && this.#running) {
      await sleep(IN_PROGRESS_POLL_MS, undefined, { signal: this.#abort.signal }).catch(() => {});
      if (!this.#running) break;
      claim = await this.#dedupe.claim(key, this.#lockMs);
      if (!told && Date.now() - waitingSince > 5_000) {
        told = true;
        log.info({ eventType }, 'waiting for another delivery of this event to finish');
      }
    }
    return claim;
  }

  /** See {@link MessageContext.assertLockHeld}: the session's lock on session entities, else the message's. */
  #assertLockHeld(receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage): void {
    const lockedUntil =
      'sessionLockedUntilUtc' in receiver
        ? (receiver as ServiceBusSessionReceiver).sessionLockedUntilUtc
        : message.lockedUntilUtc;
    // The SDK renews a lock when half of it or 10 s are left (locks are 5 s at least), so a receiver whose
    // renewals run never gets within a second of the end: one that does has stalled past them.
    if (lockedUntil === undefined || lockedUntil.getTime() - Date.now() < LOCK_MARGIN_MS) {
      throw new LockLostError(lockedUntil);
    }
  }

  async #deadLetter(
    receiver: ServiceBusReceiver,
    message: ServiceBusReceivedMessage,
    type: string,
    reason: string,
    description: string,
    log: Logger,
  ): Promise<void> {
    log.warn({ reason, eventType: type }, 'dead-lettering message');
    await this.#settle(
      () =>
        receiver.deadLetterMessage(message, {
          deadLetterReason: reason,
          deadLetterErrorDescription: description,
        }),
      log,
    );
    this.#metrics?.processed.inc({ entity: this.#path, type, outcome: 'dead-lettered' });
    this.#metrics?.deadLettered.inc({ entity: this.#path, reason });
  }

  /**
   * Settles a message. If the lock was lost meanwhile the broker redelivers the message: handled messages
   * are then completed by the dedupe check, others retried, so a failed settlement loses nothing.
   */
  async #settle(settle: () => Promise<void>, log: Logger): Promise<void> {
    try {
      await settle();
    } catch (error) {
      log.warn({ err: error }, 'could not settle the message; it will be redelivered');
    }
  }
}
