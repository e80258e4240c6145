import {
  type AcsIncomingCallEventData,
  type AcsInteractiveReplyKind,
  type AcsMessageChannelKind,
  type AcsMessageDeliveryStatusUpdatedEventData,
  type AcsMessageReceivedEventData,
  type CommunicationIdentifierModel,
  isSystemEvent,
  type KnownSystemEventTypes,
  type SystemEventNameToEventData,
} from '@azure/eventgrid';
import type { ReceivedEvent } from './received-event.js';

// @azure/eventgrid 5.x types system event data with client-side property names (e.g. `fromCommunicationIdentifier`
// for the wire's `from`) but its EventGridDeserializer leaves `data` exactly as delivered, so those names are
// undefined at run time (Azure/azure-sdk-for-js#28479). The interfaces below describe the documented wire shape
// of the ACS events this project consumes; every other event type keeps the SDK's interface.

/**
 * `data` of `Microsoft.Communication.IncomingCall` as delivered: `to` / `from` rather than the SDK's
 * `toCommunicationIdentifier` / `fromCommunicationIdentifier`.
 * See https://learn.microsoft.com/azure/event-grid/communication-services-voice-video-events
 */
export interface IncomingCallEventData
  extends Omit<
    AcsIncomingCallEventData,
    'toCommunicationIdentifier' | 'fromCommunicationIdentifier' | 'customContext' | 'onBehalfOfCallee'
  > {
  /** Who is being called, e.g. `{ kind: 'phoneNumber', rawId: '4:+1425...', phoneNumber: { value: '+1425...' } }`. */
  to: CommunicationIdentifierModel;
  /** Who is calling. */
  from: CommunicationIdentifierModel;
  /** SIP / VoIP headers passed with the call, when there are any. */
  customContext?: { sipHeaders?: Record<string, string>; voipHeaders?: Record<string, string> };
  /** The user on whose behalf the call is made, for calls to a Teams resource account. */
  onBehalfOfCallee?: CommunicationIdentifierModel;
}

/** `media` of an Advanced Messaging received message, as delivered (`id`, not the SDK's `mediaId`). */
export interface AdvancedMessageMedia {
  mimeType: string;
  id: string;
  fileName?: string;
  caption?: string;
  animated?: boolean;
}

/** `context` of an Advanced Messaging reply, as delivered (`id`, not the SDK's `messageId`). */
export interface AdvancedMessageContext {
  from?: string;
  id?: string;
}

/** `interactive` of an Advanced Messaging button or list reply, as delivered. */
export interface AdvancedMessageInteractive {
  type?: AcsInteractiveReplyKind;
  buttonReply?: { id?: string; title?: string };
  listReply?: { id?: string; title?: string; description?: string };
}

/**
 * `data` of `Microsoft.Communication.AdvancedMessageReceived` as delivered: `channelType`, `media`,
 * `context` and `interactive` rather than the SDK's `channelKind`, `mediaContent`, `interactiveContent`.
 * See https://learn.microsoft.com/azure/event-grid/communication-services-advanced-messaging-events
 */
export interface AdvancedMessageReceivedEventData
  extends Omit<
    AcsMessageReceivedEventData,
    'channelKind' | 'mediaContent' | 'interactiveContent' | 'context'
  > {
  /** The channel the message came in on, e.g. `whatsapp`. */
  channelType: AcsMessageChannelKind;
  media?: AdvancedMessageMedia;
  context?: AdvancedMessageContext;
  interactive?: AdvancedMessageInteractive;
}

/**
 * `data` of `Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated` as delivered: `channelType`
 * rather than the SDK's `channelKind`.
 */
export interface AdvancedMessageDeliveryStatusUpdatedEventData
  extends Omit<AcsMessageDeliveryStatusUpdatedEventData, 'channelKind'> {
  /** The channel the message was sent on, e.g. `whatsapp`. */
  channelType: AcsMessageChannelKind;
}

/** Event types whose delivered `data` differs from the SDK's interface, with the delivered shape. */
export interface WireShapedSystemEventData {
  'Microsoft.Communication.IncomingCall': IncomingCallEventData;
  'Microsoft.Communication.AdvancedMessageReceived': AdvancedMessageReceivedEventData;
  'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated': AdvancedMessageDeliveryStatusUpdatedEventData;
}

/** Every system event type the installed @azure/eventgrid knows, e.g. `Microsoft.Communication.IncomingCall`. */
export type SystemEventType = KnownSystemEventTypes;

/**
 * The `data` of a system event type: the delivered shape for the types in {@link WireShapedSystemEventData},
 * otherwise the SDK's interface from `SystemEventNameToEventData`. The SDK converts neither property names
 * nor dates inside `data`, so check its interface against the documented payload before relying on a
 * renamed or `Date`-typed field of another event type.
 */
export type SystemEventData<T extends SystemEventType> = T extends keyof WireShapedSystemEventData
  ? WireShapedSystemEventData[T]
  : SystemEventNameToEventData[T];

/**
 * Whether `event` is the system event `type`; narrows `event.data` to {@link SystemEventData} of that type.
 * It checks the type name only, as the SDK's `isSystemEvent` does; it does not validate `data`.
 *
 * @example
 * if (isSystemEventOfType(event, 'Microsoft.Communication.IncomingCall')) answer(event.data.incomingCallContext);
 */
export function isSystemEventOfType<T extends SystemEventType>(
  event: ReceivedEvent,
  type: T,
): event is ReceivedEvent<SystemEventData<T>> {
  return isSystemEvent(type, { id: event.id, source: event.source, type: event.type });
}
