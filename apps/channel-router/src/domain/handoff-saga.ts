import type { Channel, CollectedData, ContactAddress, EventOfType } from '@omni/contracts';
import { allowedDeliveryChannels } from '@omni/contracts';

/**
 * Where a handoff stands. `pending` is a record made by an outcome that arrived before its request
 * (out-of-order delivery); `dispatching` means the dispatch is decided and its events may not all be out yet.
 */
export type HandoffStatus =
  | 'pending'
  | 'dispatching'
  | 'dispatched'
  | 'delivered'
  | 'completed'
  | 'expired'
  | 'failed'
  | 'rejected';

/** Statuses after which nothing more is dispatched for a handoff (a late completion is still recorded). */
export const TERMINAL_STATUSES: ReadonlySet<HandoffStatus> = new Set([
  'completed',
  'expired',
  'failed',
  'rejected',
]);

/** What a failed or expired handoff falls back to. */
export type FallbackKind = 'sms-link' | 'callback' | 'none';

/** The fallback a handoff took. */
export interface FallbackRecord {
  readonly kind: Exclude<FallbackKind, 'none'>;
  /** Why: `failed` or `expired`. */
  readonly cause: 'failed' | 'expired';
  /** The web chat link handoff sent by SMS (`sms-link`). */
  readonly handoffId?: string;
  /** The escalation asking a human to call back (`callback`). */
  readonly escalationId?: string;
  readonly at: string;
}

/** One transition, for the timeline and the SSE stream. */
export interface HandoffTransition {
  readonly status: HandoffStatus;
  readonly at: string;
  readonly eventId: string;
}

/** The state of one handoff saga, persisted per handoff (Cosmos `handoffs`, type `handoff-saga`). */
export interface HandoffState {
  readonly handoffId: string;
  readonly customerId: string;
  readonly status: HandoffStatus;
  readonly correlationId: string;
  readonly fromChannel?: Channel;
  readonly toChannel: Channel;
  readonly deliveryChannel?: Channel;
  readonly address?: ContactAddress;
  readonly reason?: string;
  readonly summary?: string;
  readonly collectedData?: CollectedData;
  readonly customerName?: string;
  readonly topic?: string;
  readonly requestedAt?: string;
  readonly dispatchedAt?: string;
  readonly deliveredAt?: string;
  readonly completedAt?: string;
  readonly expiredAt?: string;
  readonly failedAt?: string;
  readonly failureReason?: string;
  readonly tokenExpiresAt?: string;
  readonly switchLatencyMs?: number;
  /** The parent handoff when this one is an SMS-link fallback; fallbacks have no fallback of their own. */
  readonly fallbackOf?: string;
  readonly fallback?: FallbackRecord;
  readonly transitions: readonly HandoffTransition[];
  /** Ids of the events already applied (the latest ones), so a redelivery changes nothing. */
  readonly applied: readonly string[];
}

/** What the router checked about a requested handoff before dispatching it. */
export interface HandoffFacts {
  readonly customerExists: boolean;
  /** The channels the router may hand off to. */
  readonly enabledChannels: readonly Channel[];
  /** Consent per channel; only an explicit refusal blocks a handoff. */
  readonly consent: Partial<Record<Channel, boolean>>;
  /** The customer's known address (from the request, else from their identities). */
  readonly address: ContactAddress;
}

/** The outcome of validating a request: where the notice goes, or why it cannot. */
export type HandoffValidation =
  | { readonly ok: true; readonly deliveryChannel: Channel; readonly address: ContactAddress }
  | { readonly ok: false; readonly reason: string };

function reachable(channel: Channel, address: ContactAddress): boolean {
  if (channel === 'whatsapp') return address.phone !== undefined || address.whatsappBsuid !== undefined;
  if (channel === 'webchat') return address.webchatUserId !== undefined;
  return address.phone !== undefined;
}

/**
 * Validates a handoff request: the customer exists, the target channel is enabled, the customer has not
 * refused it, and the notice has an address. A web chat link goes by WhatsApp when the customer can be
 * reached there (and has not refused it), else by SMS.
 */
export function validateHandoff(toChannel: Channel, facts: HandoffFacts): HandoffValidation {
  if (!facts.customerExists) return { ok: false, reason: 'customer not found' };
  if (!facts.enabledChannels.includes(toChannel))
    return { ok: false, reason: `channel ${toChannel} is not enabled` };
  if (facts.consent[toChannel] === false) return { ok: false, reason: `no consent for ${toChannel}` };
  for (const deliveryChannel of allowedDeliveryChannels(toChannel)) {
    if (facts.consent[deliveryChannel] === false) continue;
    if (reachable(deliveryChannel, facts.address))
      return { ok: true, deliveryChannel, address: facts.address };
  }
  return { ok: false, reason: `no address to reach the customer for ${toChannel}` };
}

/** What happened to a saga, as input to {@link evolve}. */
export type SagaInput =
  | {
      readonly kind: 'requested';
      readonly event: EventOfType<'handoff.requested'>;
      readonly validation: HandoffValidation;
      readonly tokenExpiresAt: string;
    }
  | { readonly kind: 'delivered'; readonly event: EventOfType<'handoff.delivered'> }
  | { readonly kind: 'failed'; readonly event: EventOfType<'handoff.failed'> }
  | { readonly kind: 'completed'; readonly event: EventOfType<'handoff.completed'> }
  | { readonly kind: 'timer'; readonly event: EventOfType<'handoff.timer.elapsed'> }
  | {
      readonly kind: 'fallback-requested';
      readonly eventId: string;
      readonly parent: HandoffState;
      readonly childId: string;
      readonly phone: string;
      readonly at: string;
      readonly tokenExpiresAt: string;
    };

/** What the handler must do after a transition (events to publish, timers to set). */
export type SagaAction =
  | { readonly kind: 'dispatch' }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'expire' }
  | { readonly kind: 'fallback'; readonly cause: 'failed' | 'expired' };

/** The result of {@link evolve}. */
export interface SagaStep {
  readonly state: HandoffState;
  readonly actions: readonly SagaAction[];
}

const MAX_APPLIED = 32;

function stub(
  handoffId: string,
  customerId: string,
  toChannel: Channel,
  correlationId: string,
): HandoffState {
  return { handoffId, customerId, toChannel, correlationId, status: 'pending', transitions: [], applied: [] };
}

function moved(state: HandoffState, status: HandoffStatus, at: string, eventId: string): HandoffState {
  return { ...state, status, transitions: [...state.transitions, { status, at, eventId }] };
}

function eventIdOf(input: SagaInput): string {
  return input.kind === 'fallback-requested' ? input.eventId : input.event.id;
}

/**
 * The saga's transitions, pure: the next state and the actions to carry out. Redelivered inputs change
 * nothing; outcomes may arrive in any order (a completion before its delivery receipt, or even before the
 * request, is kept, and a request arriving after its outcome dispatches nothing).
 */
export function evolve(state: HandoffState | undefined, input: SagaInput): SagaStep {
  const eventId = eventIdOf(input);
  if (state?.applied.includes(eventId)) return { state, actions: [] };
  const step = transition(state, input);
  return {
    state: { ...step.state, applied: [...step.state.applied, eventId].slice(-MAX_APPLIED) },
    actions: step.actions,
  };
}

function transition(state: HandoffState | undefined, input: SagaInput): SagaStep {
  switch (input.kind) {
    case 'requested': {
      const { event, validation } = input;
      const data = event.data;
      const base: HandoffState = {
        ...(state ?? stub(data.handoffId, data.customerId, data.toChannel, event.correlationId)),
        correlationId: event.correlationId,
        fromChannel: data.fromChannel,
        toChannel: data.toChannel,
        reason: data.reason,
        summary: data.summary,
        collectedData: data.collectedData,
        requestedAt: data.requestedAt,
        ...(data.customerName !== undefined ? { customerName: data.customerName } : {}),
        ...(data.topic !== undefined ? { topic: data.topic } : {}),
      };
      if (state !== undefined && state.status !== 'pending') return { state: base, actions: [] };
      if (!validation.ok) {
        const rejected = moved(
          { ...base, failedAt: event.time, failureReason: validation.reason },
          'rejected',
          event.time,
          event.id,
        );
        return { state: rejected, actions: [{ kind: 'reject', reason: validation.reason }] };
      }
      const dispatching = moved(
        {
          ...base,
          deliveryChannel: validation.deliveryChannel,
          address: validation.address,
          tokenExpiresAt: input.tokenExpiresAt,
        },
        'dispatching',
        event.time,
        event.id,
      );
      return { state: dispatching, actions: [{ kind: 'dispatch' }] };
    }
    case 'fallback-requested': {
      const { parent } = input;
      const child: HandoffState = {
        ...stub(input.childId, parent.customerId, 'webchat', parent.correlationId),
        fromChannel: parent.fromChannel ?? parent.toChannel,
        deliveryChannel: 'sms',
        address: { phone: input.phone },
        reason: `fallback of ${parent.handoffId}`,
        requestedAt: input.at,
        tokenExpiresAt: input.tokenExpiresAt,
        fallbackOf: parent.handoffId,
        ...(parent.summary !== undefined ? { summary: parent.summary } : {}),
        ...(parent.collectedData !== undefined ? { collectedData: parent.collectedData } : {}),
        ...(parent.customerName !== undefined ? { customerName: parent.customerName } : {}),
        ...(parent.topic !== undefined ? { topic: parent.topic } : {}),
      };
      if (state !== undefined) return { state, actions: [] };
      return { state: moved(child, 'dispatching', input.at, input.eventId), actions: [{ kind: 'dispatch' }] };
    }
    case 'delivered': {
      const { event } = input;
      const base =
        state ?? stub(event.data.handoffId, event.data.customerId, event.data.toChannel, event.correlationId);
      const recorded = { ...base, deliveredAt: event.data.deliveredAt };
      if (base.status === 'dispatching' || base.status === 'dispatched') {
        return { state: moved(recorded, 'delivered', event.data.deliveredAt, event.id), actions: [] };
      }
      return { state: recorded, actions: [] };
    }
    case 'completed': {
      const { event } = input;
      const base =
        state ?? stub(event.data.handoffId, event.data.customerId, event.data.toChannel, event.correlationId);
      if (base.status === 'completed') return { state: base, actions: [] };
      const completed = moved(
        { ...base, completedAt: event.data.completedAt, switchLatencyMs: event.data.switchLatencyMs },
        'completed',
        event.data.completedAt,
        event.id,
      );
      return { state: completed, actions: [] };
    }
    case 'failed': {
      const { event } = input;
      const base =
        state ?? stub(event.data.handoffId, event.data.customerId, event.data.toChannel, event.correlationId);
      if (TERMINAL_STATUSES.has(base.status)) return { state: base, actions: [] };
      const failed = moved(
        { ...base, failedAt: event.data.failedAt, failureReason: event.data.reason },
        'failed',
        event.data.failedAt,
        event.id,
      );
      // A failure reported before the request was seen: the request will find the handoff failed.
      if (base.status === 'pending') return { state: failed, actions: [] };
      return { state: failed, actions: [{ kind: 'fallback', cause: 'failed' }] };
    }
    case 'timer': {
      const { event } = input;
      if (state === undefined)
        return {
          state: stub(event.data.handoffId, event.data.customerId, event.data.toChannel, event.correlationId),
          actions: [],
        };
      if (!['dispatching', 'dispatched', 'delivered'].includes(state.status)) return { state, actions: [] };
      const expired = moved({ ...state, expiredAt: event.data.dueAt }, 'expired', event.data.dueAt, event.id);
      return { state: expired, actions: [{ kind: 'expire' }, { kind: 'fallback', cause: 'expired' }] };
    }
  }
}

/** Marks a saga dispatched once its `handoff.dispatched` is out. */
export function markDispatched(state: HandoffState, at: string, eventId: string): HandoffState {
  if (state.status !== 'dispatching') return state;
  return moved({ ...state, dispatchedAt: at }, 'dispatched', at, eventId);
}

/**
 * The fallback for a failed or expired handoff under the configured kind: an SMS web chat link when the
 * customer has a phone number (and the handoff was not already an SMS fallback), a callback otherwise. A failed
 * SMS fallback has no channel left: a human calls back.
 */
export function chooseFallback(
  state: HandoffState,
  configured: FallbackKind,
): Exclude<FallbackKind, 'none'> | undefined {
  if (configured === 'none' || state.fallback !== undefined) return undefined;
  if (state.fallbackOf !== undefined) return 'callback';
  if (configured === 'sms-link' && state.address?.phone !== undefined && state.deliveryChannel !== 'sms')
    return 'sms-link';
  return 'callback';
}

/**
 * Whether the customer is stranded: the handoff failed or expired and no digital channel is left to reach them
 * on (no fallback, or only a human callback). The ops console shows these as "customer stranded".
 */
export function isCustomerStranded(state: HandoffState): boolean {
  if (state.status !== 'failed' && state.status !== 'expired') return false;
  return state.fallback === undefined || state.fallback.kind === 'callback';
}
