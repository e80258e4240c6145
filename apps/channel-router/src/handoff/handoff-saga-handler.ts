import { createHash } from 'node:crypto';
import {
  type Channel,
  type ContactAddress,
  createEvent,
  type EventOfType,
  type OmniEvent,
  parseIdentityKey,
} from '@omni/contracts';
import { type Customer, CustomerNotFoundError, type IssuedHandoffToken } from '@omni/customer-context';
import type { MessageContext } from '@omni/messaging';
import {
  chooseFallback,
  evolve,
  type FallbackKind,
  type HandoffFacts,
  type HandoffState,
  isCustomerStranded,
  markDispatched,
  type SagaAction,
  type SagaInput,
  validateHandoff,
} from '../domain/handoff-saga.js';
import type { LiveFeed } from '../ops/live-feed.js';
import type { QueueState } from '../queue/queue-state.js';
import { type OutboxEntry, SagaConflictError, type SagaRepository } from './saga-repository.js';

const SOURCE = '/apps/channel-router';
const MAX_SAVE_ATTEMPTS = 8;

/** What the saga reads and writes in the customer context. */
export interface SagaCustomerStore {
  getCustomer(customerId: string): Promise<Customer>;
  issueHandoffToken(
    customerId: string,
    toChannel: Channel,
    ttlSeconds?: number,
    options?: { fromChannel?: Channel; reason?: string; handoffId?: string; expiresAt?: Date },
  ): Promise<IssuedHandoffToken>;
}

/** How the saga publishes: at once, or scheduled (timers). */
export interface SagaPublisher {
  publish(event: OmniEvent): Promise<void>;
  schedule(event: OmniEvent, at: Date): Promise<bigint>;
}

/** Saga settings from the configuration. */
export interface SagaSettings {
  /** Channels handoffs may go to. */
  readonly enabledChannels: readonly Channel[];
  /** How long a handoff (and its token) stays open, ms. */
  readonly expiryMs: number;
  /** Base of web chat links: `${webchatPublicUrl}/?handoff=<token>`. */
  readonly webchatPublicUrl: string;
  /** What a failed or expired handoff falls back to. */
  readonly fallback: FallbackKind;
  /** Priority of callback escalations (0-9). */
  readonly callbackPriority: number;
  /** Handoff messages one phone number may receive per day (unset: no cap). */
  readonly maxPerDestinationPerDay?: number;
}

/** What {@link HandoffSagaHandler} needs. */
export interface HandoffSagaHandlerOptions {
  readonly repository: SagaRepository;
  readonly store: SagaCustomerStore;
  readonly publisher: SagaPublisher;
  readonly settings: SagaSettings;
  /** Where the per-destination send cap is counted (the shared queue state: Redis or memory). */
  readonly sendCap?: Pick<QueueState, 'admitCapped'>;
  readonly feed?: LiveFeed;
  /** Epoch ms; default `Date.now`. */
  readonly clock?: () => number;
}

/** A short, stable id for an event derived from a handoff (event ids are at most 128 characters). */
function derivedId(step: string, handoffId: string): string {
  return `${step}-${createHash('sha256').update(handoffId).digest('hex').slice(0, 40)}`;
}

/** The address a customer can be reached at, from their identities. */
function addressOfIdentities(identities: readonly string[]): ContactAddress {
  const address: { phone?: string; whatsappBsuid?: string; webchatUserId?: string } = {};
  for (const key of identities) {
    try {
      const identity = parseIdentityKey(key);
      if (identity.kind === 'phone') address.phone ??= identity.value;
      else if (identity.kind === 'whatsapp-bsuid') address.whatsappBsuid ??= identity.value;
      else if (identity.kind === 'webchat') address.webchatUserId ??= identity.value;
    } catch {
      // An identity this router does not understand is no address.
    }
  }
  return address as ContactAddress;
}

/**
 * The handoff saga, driven by `handoff-events` (sessions per customer, so one customer's events arrive in
 * order): requested -> validated -> recorded (customer-context handoff record + token) -> `handoff.dispatched`
 * and a scheduled `handoff.timer.elapsed` -> delivered / failed -> completed or expired -> fallback.
 *
 * Each event is applied with {@link evolve} to the saga document (ETag), and the events it causes are written
 * to the same document (an outbox) before they are published, so a crash or a restart anywhere publishes them
 * on the next delivery. Every derived event has a stable id, so re-publishing is harmless.
 */
export class HandoffSagaHandler {
  readonly #o: HandoffSagaHandlerOptions;
  readonly #clock: () => number;

  constructor(options: HandoffSagaHandlerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** The `EventConsumer` handler of `handoff-events` / `channel-router`. */
  readonly handle = async (event: OmniEvent, context: MessageContext): Promise<void> => {
    switch (event.type) {
      case 'handoff.requested':
        await this.#apply(event.data.customerId, event.data.handoffId, async (state) =>
          state === undefined || state.status === 'pending'
            ? {
                kind: 'requested',
                event,
                validation: await this.#validate(event),
                tokenExpiresAt: new Date(
                  Date.parse(event.data.requestedAt) + this.#o.settings.expiryMs,
                ).toISOString(),
              }
            : {
                kind: 'requested',
                event,
                validation: { ok: false, reason: 'already handled' },
                tokenExpiresAt: '',
              },
        );
        break;
      case 'handoff.delivered':
        await this.#apply(event.data.customerId, event.data.handoffId, async () => ({
          kind: 'delivered',
          event,
        }));
        break;
      case 'handoff.failed':
        await this.#apply(event.data.customerId, event.data.handoffId, async () => ({
          kind: 'failed',
          event,
        }));
        break;
      case 'handoff.completed':
        await this.#apply(event.data.customerId, event.data.handoffId, async () => ({
          kind: 'completed',
          event,
        }));
        break;
      case 'handoff.timer.elapsed':
        await this.#apply(event.data.customerId, event.data.handoffId, async () => ({
          kind: 'timer',
          event,
        }));
        break;
      default:
        return;
    }
    context.log.debug({ eventType: event.type }, 'handoff saga step applied');
  };

  async #validate(event: EventOfType<'handoff.requested'>) {
    const data = event.data;
    let customer: Customer | undefined;
    try {
      customer = await this.#o.store.getCustomer(data.customerId);
    } catch (error) {
      if (!(error instanceof CustomerNotFoundError)) throw error;
    }
    const consent: Partial<Record<Channel, boolean>> = {};
    for (const [channel, decision] of Object.entries(customer?.consent ?? {})) {
      if (decision !== undefined) consent[channel as Channel] = decision.granted;
    }
    const facts: HandoffFacts = {
      customerExists: customer !== undefined,
      enabledChannels: this.#o.settings.enabledChannels,
      consent,
      address: { ...addressOfIdentities(customer?.identities ?? []), ...(data.address ?? {}) },
    };
    const validation = validateHandoff(data.toChannel, facts);
    const cap = this.#o.settings.maxPerDestinationPerDay;
    const phone = validation.ok ? validation.address.phone : undefined;
    if (phone !== undefined && cap !== undefined && this.#o.sendCap !== undefined) {
      // A spoofed caller ID can ask for handoffs to someone's number again and again: cap the messages a number
      // gets per day, counted once per handoff across replicas.
      const day = new Date(this.#clock()).toISOString().slice(0, 10);
      const admitted = await this.#o.sendCap.admitCapped(
        `destination:${phone}:${day}`,
        data.handoffId,
        cap,
        24 * 60 * 60_000,
        this.#clock(),
      );
      if (!admitted) return { ok: false as const, reason: 'too many handoff messages to this number today' };
    }
    return validation;
  }

  /**
   * Publishes the saved outbox of one saga, if it still has one (the outbox sweeper: a saga whose every
   * publish attempt failed, its message since given up, still sends its events and its expiry timer).
   * Returns how many events it published.
   */
  async flushOutbox(customerId: string, handoffId: string): Promise<number> {
    const loaded = await this.#o.repository.load(customerId, handoffId);
    if (loaded === undefined || loaded.outbox.length === 0) return 0;
    await this.#flush(loaded.state, loaded.outbox, loaded.etag);
    return loaded.outbox.length;
  }

  /** Loads, evolves, saves (with the outbox), then publishes; retries on a lost ETag race. */
  async #apply(
    customerId: string,
    handoffId: string,
    inputOf: (state: HandoffState | undefined) => Promise<SagaInput>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (attempt > MAX_SAVE_ATTEMPTS) throw new SagaConflictError(handoffId);
      const loaded = await this.#o.repository.load(customerId, handoffId);
      if (loaded !== undefined && loaded.outbox.length > 0) {
        // A previous delivery saved but did not finish publishing: finish it first.
        await this.#flush(loaded.state, loaded.outbox, loaded.etag);
        continue;
      }
      const input = await inputOf(loaded?.state);
      const step = evolve(loaded?.state, input);
      if (loaded !== undefined && step.state === loaded.state) return;
      try {
        const { state, outbox } = await this.#carryOut(step.state, step.actions);
        const etag = await this.#o.repository.save(state, outbox, loaded?.etag);
        await this.#flush(state, outbox, etag);
        return;
      } catch (error) {
        if (!(error instanceof SagaConflictError)) throw error;
      }
    }
  }

  /** Publishes a saga's outbox, then saves it emptied (a lost race leaves the next delivery to retry). */
  async #flush(state: HandoffState, outbox: readonly OutboxEntry[], etag: string | undefined): Promise<void> {
    for (const entry of outbox) {
      if (entry.at === undefined) await this.#o.publisher.publish(entry.event);
      else await this.#o.publisher.schedule(entry.event, new Date(entry.at));
    }
    if (outbox.length > 0) {
      try {
        await this.#o.repository.save(state, [], etag);
      } catch (error) {
        if (!(error instanceof SagaConflictError)) throw error;
      }
    }
    this.#o.feed?.publish('handoff', handoffView(state));
  }

  /** Turns a transition's actions into the events to publish (issuing tokens and starting fallbacks). */
  async #carryOut(
    initial: HandoffState,
    actions: readonly SagaAction[],
  ): Promise<{ state: HandoffState; outbox: OutboxEntry[] }> {
    let state = initial;
    const outbox: OutboxEntry[] = [];
    const options = (step: string) => ({
      source: SOURCE,
      correlationId: state.correlationId,
      id: derivedId(step, state.handoffId),
    });
    for (const action of actions) {
      switch (action.kind) {
        case 'dispatch': {
          const { dispatched, timer, dueAt } = await this.#dispatch(state);
          state = markDispatched(state, dispatched.data.dispatchedAt, dispatched.id);
          outbox.push({ event: dispatched }, { event: timer, at: dueAt });
          break;
        }
        case 'reject':
          outbox.push({
            event: createEvent(
              'handoff.failed',
              {
                handoffId: state.handoffId,
                customerId: state.customerId,
                toChannel: state.toChannel,
                reason: `rejected: ${action.reason}`,
                retryable: false,
                failedAt: new Date(this.#clock()).toISOString(),
              },
              options('rejected'),
            ),
          });
          break;
        case 'expire':
          outbox.push({
            event: createEvent(
              'handoff.expired',
              {
                handoffId: state.handoffId,
                customerId: state.customerId,
                toChannel: state.toChannel,
                expiredAt: state.expiredAt ?? new Date(this.#clock()).toISOString(),
              },
              options('expired'),
            ),
          });
          break;
        case 'fallback': {
          const fallback = await this.#fallback(state, action.cause);
          if (fallback === undefined) break;
          state = { ...state, fallback: fallback.record };
          outbox.push(...fallback.outbox);
          break;
        }
      }
    }
    return { state, outbox };
  }

  async #dispatch(state: HandoffState) {
    const expiresAt = new Date(state.tokenExpiresAt ?? this.#clock() + this.#o.settings.expiryMs);
    const issued = await this.#o.store.issueHandoffToken(state.customerId, state.toChannel, 900, {
      handoffId: state.handoffId,
      expiresAt,
      ...(state.fromChannel !== undefined ? { fromChannel: state.fromChannel } : {}),
      ...(state.reason !== undefined ? { reason: state.reason.slice(0, 256) } : {}),
    });
    const link =
      state.toChannel === 'webchat'
        ? `${this.#o.settings.webchatPublicUrl.replace(/\/+$/, '')}/?handoff=${encodeURIComponent(issued.token)}`
        : undefined;
    const dispatchedAt = new Date(this.#clock()).toISOString();
    const common = { source: SOURCE, correlationId: state.correlationId };
    const dispatched = createEvent(
      'handoff.dispatched',
      {
        handoffId: state.handoffId,
        customerId: state.customerId,
        fromChannel: state.fromChannel ?? (state.toChannel === 'voice' ? 'whatsapp' : 'voice'),
        toChannel: state.toChannel,
        deliveryChannel: state.deliveryChannel ?? state.toChannel,
        address: state.address ?? {},
        ...(link !== undefined ? { link } : {}),
        tokenExpiresAt: expiresAt.toISOString(),
        ...(state.customerName !== undefined ? { customerName: state.customerName } : {}),
        ...(state.topic !== undefined ? { topic: state.topic } : {}),
        dispatchedAt,
      },
      { ...common, id: derivedId('dispatched', state.handoffId) },
    );
    const timer = createEvent(
      'handoff.timer.elapsed',
      {
        handoffId: state.handoffId,
        customerId: state.customerId,
        toChannel: state.toChannel,
        timer: 'expiry',
        dueAt: expiresAt.toISOString(),
      },
      { ...common, id: derivedId('expiry', state.handoffId) },
    );
    return { dispatched, timer, dueAt: expiresAt.toISOString() };
  }

  async #fallback(state: HandoffState, cause: 'failed' | 'expired') {
    const kind = chooseFallback(state, this.#o.settings.fallback);
    if (kind === undefined) return undefined;
    const now = this.#clock();
    const at = new Date(now).toISOString();
    if (kind === 'sms-link' && state.address?.phone !== undefined) {
      const childId = derivedId('sms', state.handoffId);
      await this.#startSmsFallback(state, childId, state.address.phone, at);
      return { record: { kind, cause, handoffId: childId, at } as const, outbox: [] };
    }
    const escalationId = derivedId('callback', state.handoffId);
    const escalation = createEvent(
      'escalation.requested',
      {
        escalationId,
        customerId: state.customerId,
        channel: 'voice',
        reason: `callback: handoff to ${state.toChannel} ${cause}`,
        summary: state.summary ?? '',
        collectedData: state.collectedData ?? {},
        priority: this.#o.settings.callbackPriority,
        requestedAt: at,
      },
      { source: SOURCE, correlationId: state.correlationId, id: escalationId },
    );
    return {
      record: { kind: 'callback', cause, escalationId, at } as const,
      outbox: [{ event: escalation }],
    };
  }

  /** Starts the SMS-link fallback as a saga of its own (it completes when the customer opens web chat). */
  async #startSmsFallback(parent: HandoffState, childId: string, phone: string, at: string): Promise<void> {
    await this.#apply(parent.customerId, childId, async () => ({
      kind: 'fallback-requested',
      eventId: derivedId('fallback', parent.handoffId),
      parent,
      childId,
      phone,
      at,
      tokenExpiresAt: new Date(Date.parse(at) + this.#o.settings.expiryMs).toISOString(),
    }));
  }
}

/** The JSON shape of a handoff in the ops API and the SSE stream. */
export interface HandoffView {
  readonly handoffId: string;
  readonly customerId: string;
  readonly status: HandoffState['status'];
  readonly fromChannel: Channel | null;
  readonly toChannel: Channel;
  readonly deliveryChannel: Channel | null;
  readonly requestedAt: string | null;
  readonly dispatchedAt: string | null;
  readonly deliveredAt: string | null;
  readonly completedAt: string | null;
  readonly expiredAt: string | null;
  readonly failedAt: string | null;
  readonly failureReason: string | null;
  readonly switchLatencyMs: number | null;
  readonly fallbackOf: string | null;
  readonly fallback: HandoffState['fallback'] | null;
  /** No digital channel is left to reach the customer on ("customer stranded" in the ops console). */
  readonly stranded: boolean;
  readonly transitions: HandoffState['transitions'];
}

/** A saga as the ops API shows it (no addresses, summaries or collected data). */
export function handoffView(state: HandoffState): HandoffView {
  return {
    handoffId: state.handoffId,
    customerId: state.customerId,
    status: state.status,
    fromChannel: state.fromChannel ?? null,
    toChannel: state.toChannel,
    deliveryChannel: state.deliveryChannel ?? null,
    requestedAt: state.requestedAt ?? null,
    dispatchedAt: state.dispatchedAt ?? null,
    deliveredAt: state.deliveredAt ?? null,
    completedAt: state.completedAt ?? null,
    expiredAt: state.expiredAt ?? null,
    failedAt: state.failedAt ?? null,
    failureReason: state.failureReason ?? null,
    switchLatencyMs: state.switchLatencyMs ?? null,
    fallbackOf: state.fallbackOf ?? null,
    fallback: state.fallback ?? null,
    stranded: isCustomerStranded(state),
    transitions: state.transitions,
  };
}
