import { randomUUID } from 'node:crypto';

/** The Event Grid type of an inbound WhatsApp message. */
export const ADVANCED_MESSAGE_RECEIVED = 'Microsoft.Communication.AdvancedMessageReceived';

/** An Event Grid event as ACS delivers it (Event Grid schema). */
export interface WhatsAppEventGridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  dataVersion: string;
  metadataVersion: '1';
  eventTime: string;
  data: {
    channelType: 'whatsapp';
    messageId: string;
    messageType: 'text';
    from: string;
    to: string;
    receivedTimestamp: string;
    content: string;
  };
}

/**
 * A distinct, valid US number for index `n` (0 <= n < 8 000 000): `+1 425 2xx xxxx` and up, so loads can give each
 * request or customer its own sender. `run` separates runs sharing one store.
 */
export function benchPhone(n: number, run = 0): string {
  const exchange = 200 + ((Math.floor(n / 10_000) + run * 97) % 800);
  const line = n % 10_000;
  return `+1425${exchange}${String(line).padStart(4, '0')}`;
}

/** One `AdvancedMessageReceived` text event with fresh Event Grid and WhatsApp message ids (WhatsApp omits the `+`). */
export function inboundTextEvent(
  from: string,
  text: string,
  options: { channelRegistrationId?: string; messageId?: string; eventId?: string; at?: Date } = {},
): WhatsAppEventGridEvent {
  const to = options.channelRegistrationId ?? '00000000-0000-4000-8000-000000000000';
  const at = (options.at ?? new Date()).toISOString();
  return {
    id: options.eventId ?? randomUUID(),
    topic:
      '/subscriptions/local/resourceGroups/local/providers/Microsoft.Communication/communicationServices/local',
    subject: `advancedMessage/sender/${from.replace(/^\+/, '')}/recipient/${to}`,
    eventType: ADVANCED_MESSAGE_RECEIVED,
    dataVersion: '1.0',
    metadataVersion: '1',
    eventTime: at,
    data: {
      channelType: 'whatsapp',
      messageId: options.messageId ?? randomUUID(),
      messageType: 'text',
      from: from.replace(/^\+/, ''),
      to,
      receivedTimestamp: at,
      content: text,
    },
  };
}
