import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAcsCallingEmulator } from '../acs-calling/index.js';
import {
  type AcsMessagesEmulator,
  ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
  ADVANCED_MESSAGE_RECEIVED,
  type EventGridEvent,
  startAcsMessagesEmulator,
} from '../acs-messages/index.js';
import { messagesClient } from '../acs-messages/test-client.js';
import { fixture, keysOf } from './fixtures.js';

// The events the emulators send, held against Microsoft's published Event Grid examples for ACS
// (azure-rest-api-specs, eventgrid/.../Microsoft.Communication/stable/2018-01-01/examples/event-grid-schema):
// the same envelope, and no data member the example (or the Event Grid SDK model) does not document.

/** Members of the Event Grid SDK model (`@azure/eventgrid` AcsMessageReceivedEventData) the example leaves out. */
const RECEIVED_MODEL_ONLY = ['messageId'];

let acs: AcsMessagesEmulator;

beforeAll(async () => {
  acs = await startAcsMessagesEmulator();
});
afterAll(async () => {
  await acs?.stop();
});

function expectSameEnvelope(actual: EventGridEvent, example: Record<string, unknown>): void {
  expect(keysOf(actual)).toEqual(keysOf(example));
  expect(actual.dataVersion).toBe(example.dataVersion);
  expect(actual.metadataVersion).toBe(example.metadataVersion);
}

function undocumented(actual: unknown, example: unknown, extra: readonly string[] = []): string[] {
  const documented = [...keysOf(example), ...extra];
  return keysOf(actual).filter((key) => !documented.includes(key));
}

describe('ACS Event Grid event examples', () => {
  it('advanced_message_received.json: a text from the customer', async () => {
    const example = fixture<Record<string, unknown> & { data: Record<string, unknown> }>(
      'event-grid/advanced_message_received.json',
    );

    const { event } = await acs.customer.send('+14255550301', 'hello');

    expect(event.eventType).toBe(ADVANCED_MESSAGE_RECEIVED);
    expectSameEnvelope(event, example);
    expect(undocumented(event.data, example.data, RECEIVED_MODEL_ONLY)).toEqual([]);
    expect(event.subject).toMatch(/^advancedMessage\/sender\/.+\/recipient\/.+$/);
  });

  it('advanced_message_delivery_status_updated.json: the statuses of a sent message, a failure with its error', async () => {
    const example = fixture<Record<string, unknown> & { data: Record<string, unknown> }>(
      'event-grid/advanced_message_delivery_status_updated.json',
    );
    await messagesClient(acs.connectionString)
      .path('/messages/notifications:send')
      .post({
        body: {
          channelRegistrationId: acs.channelRegistrationId,
          to: ['+14255550302'],
          kind: 'text',
          content: 'hi',
        },
      });
    await acs.customer.idle();

    const statuses = acs.customer
      .events()
      .filter((event) => event.eventType === ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED);

    expect(statuses.length).toBeGreaterThan(0);
    for (const event of statuses) {
      expectSameEnvelope(event, example);
      expect(undocumented(event.data, example.data)).toEqual([]);
      expect(keysOf((event.data as { error?: unknown }).error ?? example.data.error)).toEqual(
        keysOf(example.data.error),
      );
      expect(event.subject).toMatch(/^advancedMessage\/[0-9a-f-]{36}\/status\/\w+$/);
    }
  });

  it('incoming_call.json: an IncomingCall from the calling emulator', async () => {
    const example = fixture<Record<string, unknown> & { data: Record<string, unknown> }>(
      'event-grid/incoming_call.json',
    );
    const received: EventGridEvent[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const [event] = JSON.parse(body) as EventGridEvent<{ validationCode?: string }>[];
        if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ validationResponse: event?.data.validationCode }));
          return;
        }
        if (event !== undefined) received.push(event);
        response.writeHead(200);
        response.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const address = hook.address();
    const calling = await startAcsCallingEmulator();
    try {
      if (address === null || typeof address === 'string') throw new Error('no port');
      await calling.calls.connect(`http://127.0.0.1:${address.port}/incoming`);

      await calling.calls.dial('+14255550303');

      const [event] = received;
      expect(event?.eventType).toBe('Microsoft.Communication.IncomingCall');
      expectSameEnvelope(event as EventGridEvent, example);
      expect(undocumented(event?.data, example.data)).toEqual([]);
    } finally {
      await calling.stop();
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});
