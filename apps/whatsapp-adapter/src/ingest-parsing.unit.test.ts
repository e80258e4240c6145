import * as contracts from '@omni/contracts';
import { messageReceived, parseEvent } from '@omni/contracts';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventGridHandler } from './app.js';
import { readConfig } from './config.js';
import { ADVANCED_MESSAGE_RECEIVED } from './domain/index.js';
import { HandoffMessageLog } from './handoff-messages.js';

// normalizePhone, counted: the libphonenumber parse of the sender is the costliest step of ingest.
vi.mock('@omni/contracts', async (importOriginal) => {
  const original = await importOriginal<typeof import('@omni/contracts')>();
  return { ...original, normalizePhone: vi.fn(original.normalizePhone) };
});

const config = readConfig({
  SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=v',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  ACS_MESSAGES_CONNECTION_STRING: 'endpoint=http://127.0.0.1:8085/;accesskey=a2V5',
  WHATSAPP_CHANNEL_REGISTRATION_ID: 'channel-1',
  EVENTGRID_WEBHOOK_SECRET: 's'.repeat(24),
});

function received(messageId: string, from: string, content: string) {
  return {
    id: `eg-${messageId}`,
    type: ADVANCED_MESSAGE_RECEIVED,
    time: new Date('2026-12-02T10:00:00Z'),
    data: {
      channelType: 'whatsapp',
      messageId,
      messageType: 'text',
      from,
      to: 'channel-1',
      receivedTimestamp: '2026-12-02T10:00:00Z',
      content,
    },
  };
}

function handlerPublishingTo(published: contracts.OmniEvent[]) {
  return eventGridHandler({
    config,
    publisher: {
      publish: async (event) => {
        published.push(event);
      },
      publishAll: async () => {},
    },
    handoffMessages: new HandoffMessageLog(),
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('eventGridHandler, inbound messages: parsed once', () => {
  it('given three messages from one sender, when handled, then the number is parsed once', async () => {
    const published: contracts.OmniEvent[] = [];
    const handler = handlerPublishingTo(published);
    const log = pino({ level: 'silent' });
    const normalize = vi.mocked(contracts.normalizePhone);
    normalize.mockClear();
    for (const n of [1, 2, 3]) {
      await handler(received(`wamid.cache-${n}`, '14255550177', `message ${n}`) as never, { log } as never);
    }
    expect(published.map((event) => (event.data as { sender: unknown }).sender)).toEqual([
      { phone: '+14255550177' },
      { phone: '+14255550177' },
      { phone: '+14255550177' },
    ]);
    expect(normalize).toHaveBeenCalledTimes(1);
  });

  it('given a message, when handled, then the data is not validated apart from the event that carries it', async () => {
    const published: contracts.OmniEvent[] = [];
    const handler = handlerPublishingTo(published);
    const dataParses = vi.spyOn(messageReceived.data, 'safeParse');
    await handler(
      received('wamid.once', '14255550178', 'hello') as never,
      {
        log: pino({ level: 'silent' }),
      } as never,
    );
    expect(dataParses).not.toHaveBeenCalled();
    expect(published).toHaveLength(1);
    expect(parseEvent(published[0]).ok).toBe(true);
    expect(published[0]).toMatchObject({
      id: 'whatsapp:wamid.once',
      type: 'message.received',
      correlationId: 'eg-wamid.once',
      data: { senderKey: 'phone:+14255550178', text: 'hello', kind: 'text' },
    });
  });

  it('given a message that does not fit the contract, when handled, then it is refused 400 (counted, #17) and nothing is published', async () => {
    const published: contracts.OmniEvent[] = [];
    const handler = handlerPublishingTo(published);
    await expect(
      handler(
        received('wamid.bad', 'not a number', 'hello') as never,
        {
          log: pino({ level: 'silent' }),
        } as never,
      ),
    ).rejects.toMatchObject({ status: 400 });
    expect(published).toHaveLength(0);
  });
});
