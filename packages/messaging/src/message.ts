import type { ServiceBusMessage } from '@azure/service-bus';
import {
  applicationPropertiesOf,
  type OmniEvent,
  parseEvent,
  type ServiceBusTopology,
  serviceBusTopology,
  sessionIdOf,
} from '@omni/contracts';
import { context, propagation } from '@opentelemetry/api';

/**
 * Maps an event to the Service Bus message that carries it:
 * - `messageId` = event id, so the broker's duplicate detection and our consumers' dedupe key on it;
 * - `sessionId` = the customer (or the sender) where the entity uses sessions, so order holds per customer;
 * - `subject` = event type and `correlationId` = the event's, for tools that show system properties;
 * - application properties for subscription filters (`type`, `toChannel`, ...) and the W3C trace context.
 */
export function toServiceBusMessage(
  event: OmniEvent,
  topology: ServiceBusTopology = serviceBusTopology,
): ServiceBusMessage {
  const applicationProperties: Record<string, string> = { ...applicationPropertiesOf(event) };
  propagation.inject(context.active(), applicationProperties);
  const message: ServiceBusMessage = {
    body: event,
    contentType: 'application/json',
    messageId: event.id,
    correlationId: event.correlationId,
    subject: event.type,
    applicationProperties,
  };
  const sessionId = sessionIdOf(event, topology);
  if (sessionId !== undefined) message.sessionId = sessionId;
  return message;
}

/** Reads the event a received message carries (a parsed JSON body, a Buffer or a string). */
export function eventFromMessageBody(body: unknown) {
  return parseEvent(body);
}
