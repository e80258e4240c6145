import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { eventGridHandler } from './app.js';
import { readConfig } from './config.js';
import { ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED } from './domain/index.js';
import { HandoffMessageLog } from './handoff-messages.js';

const config = readConfig({
  SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=v',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  ACS_MESSAGES_CONNECTION_STRING: 'endpoint=http://127.0.0.1:8085/;accesskey=a2V5',
  WHATSAPP_CHANNEL_REGISTRATION_ID: 'channel-1',
  EVENTGRID_WEBHOOK_SECRET: 's'.repeat(24),
});

function status(messageId: string, value: string) {
  return {
    id: `eg-${messageId}-${value}`,
    type: ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
    data: {
      channelType: 'whatsapp',
      messageId,
      status: value,
      from: 'channel-1',
      to: '14255550123',
      toBSUID: 'US.13491208655302741918',
      receivedTimestamp: '2026-11-23T10:00:00Z',
    },
  };
}

describe('eventGridHandler, delivery statuses', () => {
  it('given every status of every message naming the same number and BSUID, when handled, then they are linked once', async () => {
    const links: unknown[] = [];
    const handler = eventGridHandler({
      config,
      publisher: { publish: async () => {}, publishAll: async () => {} },
      handoffMessages: new HandoffMessageLog(),
      identities: {
        resolveCustomer: (async (identity: unknown, hints: unknown) => {
          links.push({ identity, hints });
          return {};
        }) as never,
      },
    });
    const log = pino({ level: 'silent' });
    for (const [id, value] of [
      ['m1', 'Sent'],
      ['m1', 'Delivered'],
      ['m2', 'Sent'],
      ['m2', 'Read'],
    ] as const) {
      await handler(status(id, value) as never, { log } as never);
    }
    expect(links).toEqual([
      {
        identity: { kind: 'phone', value: '+14255550123' },
        hints: { alsoKnownAs: [{ kind: 'whatsapp-bsuid', value: 'US.13491208655302741918' }] },
      },
    ]);
  });
});
