import { z } from 'zod';
import type { CreateEventOptions, EventDefinition } from './envelope.js';
import { buildEvent } from './envelope.js';
import { EventParseError } from './event-parse-error.js';
import {
  conversationEvents,
  conversationSessionEnded,
  conversationSessionStarted,
  conversationTurnRecorded,
} from './events/conversation-events.js';
import { escalationEvents, escalationRequested } from './events/escalations.js';
import {
  handoffCompleted,
  handoffDelivered,
  handoffDispatched,
  handoffEvents,
  handoffExpired,
  handoffFailed,
  handoffRequested,
  handoffTimerElapsed,
} from './events/handoff-events.js';
import { inboundMessageEvents, messageReceived } from './events/inbound-messages.js';
import {
  agentAvailabilityChanged,
  callAbandoned,
  callAssigned,
  callQueued,
  queueEvents,
} from './events/queue-events.js';
import { queueStatusChanged, queueStatusEvents } from './events/queue-status.js';

const allDefinitions = [
  ...conversationEvents,
  ...queueEvents,
  ...queueStatusEvents,
  ...handoffEvents,
  ...escalationEvents,
  ...inboundMessageEvents,
] as const;

type AnyEventDefinition = (typeof allDefinitions)[number];

/** Every event type of the platform, e.g. `'handoff.requested'`. */
export type EventType = AnyEventDefinition['type'];

/** The {@link EventDefinition} of event type `T`. */
export type EventDefinitionOf<T extends EventType> = Extract<AnyEventDefinition, { readonly type: T }>;

/** Every event of the platform: the union of all event types, discriminated by `type`. */
export type OmniEvent = { [T in EventType]: z.output<EventDefinitionOf<T>['schema']> }[EventType];

/** The event of type `T`, e.g. `EventOfType<'handoff.requested'>`. */
export type EventOfType<T extends EventType> = Extract<OmniEvent, { readonly type: T }>;

/** The (parsed) data of event type `T`. */
export type EventDataOf<T extends EventType> = EventOfType<T>['data'];

/** The data `createEvent` accepts for event type `T` (plain strings where the parsed data has branded ids). */
export type EventDataInput<T extends EventType> = z.input<EventDefinitionOf<T>['data']>;

/** Every event definition, keyed by event type. */
export const eventDefinitions = Object.fromEntries(
  allDefinitions.map((definition) => [definition.type, definition]),
) as { readonly [T in EventType]: EventDefinitionOf<T> };

if (Object.keys(eventDefinitions).length !== allDefinitions.length) {
  throw new Error('@omni/contracts: two event definitions share a type');
}

/** Every event type, in catalogue order (conversation, queue, queue status, handoff, escalation, inbound). */
export const EVENT_TYPES: readonly EventType[] = allDefinitions.map((definition) => definition.type);

/** The whole-event Zod schema of every event type, keyed by type. */
export const eventSchemas = Object.fromEntries(
  allDefinitions.map((definition) => [definition.type, definition.schema]),
) as { readonly [T in EventType]: EventDefinitionOf<T>['schema'] };

/** Zod schema of {@link OmniEvent}: any platform event, discriminated by `type`. */
export const omniEventSchema = z.discriminatedUnion('type', [
  conversationTurnRecorded.schema,
  conversationSessionStarted.schema,
  conversationSessionEnded.schema,
  callQueued.schema,
  callAssigned.schema,
  callAbandoned.schema,
  agentAvailabilityChanged.schema,
  queueStatusChanged.schema,
  handoffRequested.schema,
  handoffDispatched.schema,
  handoffDelivered.schema,
  handoffCompleted.schema,
  handoffExpired.schema,
  handoffFailed.schema,
  handoffTimerElapsed.schema,
  escalationRequested.schema,
  messageReceived.schema,
]);

/** True when `type` is a known event type. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.hasOwn(eventDefinitions, type);
}

/**
 * Narrows an event to one type: `if (isEventOfType(event, 'handoff.requested')) event.data.toChannel`.
 */
export function isEventOfType<T extends EventType>(event: OmniEvent, type: T): event is EventOfType<T> {
  return event.type === type;
}

/**
 * Builds a validated event: `id` = `crypto.randomUUID()`, `time` = now, `causationId` = null and `subject`
 * = the data's subject field (`customerId` for customer events) unless given.
 *
 * @example
 * createEvent('handoff.completed', { handoffId, customerId, toChannel: 'whatsapp', completedAt, switchLatencyMs },
 *   { source: '/apps/whatsapp-adapter', correlationId: requested.correlationId, causationId: requested.id });
 * @throws {@link EventParseError} for an unknown type (code `unknown_type`) or an invalid event (`invalid_event`).
 */
export function createEvent<T extends EventType>(
  type: T,
  data: EventDataInput<T>,
  options: CreateEventOptions,
): EventOfType<T> {
  if (!isEventType(type)) {
    throw new EventParseError('unknown_type', [
      { path: 'type', message: `unknown event type "${String(type)}"` },
    ]);
  }
  const definition: EventDefinition = eventDefinitions[type];
  return buildEvent(definition, data, options) as EventOfType<T>;
}
