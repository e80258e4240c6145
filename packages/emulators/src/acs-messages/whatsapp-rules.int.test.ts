import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AcsMessagesEmulator,
  ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
  startAcsMessagesEmulator,
} from './index.js';
import { messagesClient } from './test-client.js';

// What WhatsApp (behind ACS) refuses, the emulator refuses too (issue #22): ACS answers 202, then the message
// fails with a Failed delivery status carrying WhatsApp's error code. Plus the ACS API's own rules:
// x-ms-error-code, Repeatability-Request-ID, "not implemented" for what the emulator does not serve.

const clock = { ms: Date.UTC(2026, 0, 1), now: () => clock.ms };
let acs: AcsMessagesEmulator;

beforeAll(async () => {
  acs = await startAcsMessagesEmulator({ clock });
});
afterAll(async () => {
  await acs.stop();
});
beforeEach(() => acs.reset());

let numbers = 0;
const phone = () => `+1425555${String(1000 + ++numbers)}`;

type Body = Record<string, unknown>;

async function send(to: string, content: Body, headers: Record<string, string> = {}) {
  const client = messagesClient(acs.connectionString);
  return client.path('/messages/notifications:send').post({
    body: { channelRegistrationId: acs.channelRegistrationId, to: [to], ...content } as never,
    headers,
  });
}

/** The delivery statuses of the messages to `to`, with their WhatsApp error codes, once emitted. */
async function outcomeOf(to: string): Promise<{ statuses: string[]; codes: (string | undefined)[] }> {
  await acs.customer.idle();
  const ids = new Set(acs.messages.whatsapp(to).map((message) => message.messageId));
  const events = acs.customer
    .events()
    .filter((event) => event.eventType === ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED)
    .map((event) => event.data as { messageId: string; status: string; error?: { channelCode?: string } })
    .filter((data) => ids.has(data.messageId));
  return {
    statuses: events.map((data) => data.status),
    codes: events.map((data) => data.error?.channelCode),
  };
}

const template = (name: string, language: string, body: string[]) => ({
  kind: 'template',
  template: {
    name,
    language,
    values: body.map((text, index) => ({ kind: 'text', name: `p${index}`, text })),
    bindings: { kind: 'whatsApp', body: body.map((_, index) => ({ refValue: `p${index}` })) },
  },
});

describe('the 24-hour customer-service window', () => {
  it('fails a text to someone who never wrote (131047)', async () => {
    const to = phone();

    const response = await send(to, { kind: 'text', content: 'hello' });

    expect(response.status).toBe('202');
    expect(await outcomeOf(to)).toEqual({ statuses: ['Failed'], codes: ['131047'] });
  });

  it('delivers a text within 24 hours of the customer writing, and fails it after', async () => {
    const to = phone();
    await acs.customer.send(to, 'hi there');

    clock.ms += 23 * 3600_000;
    await send(to, { kind: 'text', content: 'inside' });
    clock.ms += 3600_000;
    await send(to, { kind: 'image', mediaUri: 'https://example.com/a.png' });

    expect(await outcomeOf(to)).toEqual({
      statuses: ['Sent', 'Delivered', 'Failed'],
      codes: [undefined, undefined, '131047'],
    });
  });

  it('fails a text longer than 4096 characters (100) even inside the window', async () => {
    const to = phone();
    await acs.customer.send(to, 'hi');

    await send(to, { kind: 'text', content: 'x'.repeat(4097) });

    expect(await outcomeOf(to)).toEqual({ statuses: ['Failed'], codes: ['100'] });
  });
});

describe('templates', () => {
  it('delivers an approved template outside the window', async () => {
    const to = phone();

    await send(to, template('continue_conversation', 'en_US', ['Ada', 'your outage']));

    expect((await outcomeOf(to)).statuses).toEqual(['Sent', 'Delivered']);
  });

  it('fails an unknown name or language (132001), a wrong parameter count (132000), an empty parameter (131008)', async () => {
    const [unknown, language, count, empty] = [phone(), phone(), phone(), phone()];

    await send(unknown, template('no_such_template', 'en_US', ['Ada', 'x']));
    await send(language, template('continue_conversation', 'fr_FR', ['Ada', 'x']));
    await send(count, template('continue_conversation', 'en_US', ['Ada']));
    await send(empty, template('continue_conversation', 'en_US', ['Ada', ' ']));

    expect((await outcomeOf(unknown)).codes).toEqual(['132001']);
    expect((await outcomeOf(language)).codes).toEqual(['132001']);
    expect((await outcomeOf(count)).codes).toEqual(['132000']);
    expect((await outcomeOf(empty)).codes).toEqual(['131008']);
  });
});

describe('the ACS API', () => {
  it('names the error in x-ms-error-code', async () => {
    const response = await send(phone(), { kind: 'text' });

    expect(response.status).toBe('400');
    expect(response.headers['x-ms-error-code']).toBe('BadRequest');
  });

  it('sends a request repeated with the same Repeatability-Request-ID once, answering with the first receipts', async () => {
    const to = phone();
    await acs.customer.send(to, 'hi');
    const headers = {
      'Repeatability-Request-ID': '6a2c9f0e-2a4b-4c43-9a59-0d3d5d2d8c11',
      'Repeatability-First-Sent': new Date(clock.ms).toUTCString(),
    };

    const first = await send(to, { kind: 'text', content: 'once' }, headers);
    const again = await send(to, { kind: 'text', content: 'once' }, headers);

    expect(again.status).toBe('202');
    expect(again.body).toEqual(first.body);
    expect(again.headers['repeatability-result']).toBe('accepted');
    expect(acs.messages.whatsapp(to)).toHaveLength(1);
  });

  it('refuses a repeatable request whose first attempt is older than the 5-minute window with 412, and malformed headers with 400', async () => {
    const to = phone();
    await acs.customer.send(to, 'hi');
    const id = '0b7e2d5c-8f31-4a6e-9c2d-5e1f3a7b9c40';

    const stale = await send(
      to,
      { kind: 'text', content: 'late' },
      {
        'Repeatability-Request-ID': id,
        'Repeatability-First-Sent': new Date(clock.ms - 5 * 60_000 - 1_000).toUTCString(),
      },
    );
    const notGuid = await send(
      to,
      { kind: 'text', content: 'x' },
      {
        'Repeatability-Request-ID': 'reply-1',
        'Repeatability-First-Sent': new Date(clock.ms).toUTCString(),
      },
    );
    const noDate = await send(
      to,
      { kind: 'text', content: 'x' },
      {
        'Repeatability-Request-ID': id,
        'Repeatability-First-Sent': 'yesterday',
      },
    );

    expect([stale.status, stale.headers['repeatability-result']]).toEqual(['412', 'rejected']);
    expect([notGuid.status, notGuid.headers['repeatability-result']]).toEqual(['400', 'rejected']);
    expect(noDate.status).toBe('400');
    expect(acs.messages.whatsapp(to)).toHaveLength(0);
  });

  it('answers an ACS endpoint it does not implement with 501 NotImplemented (signed) and 401 (unsigned)', async () => {
    const client = messagesClient(acs.connectionString);

    const templates = await client
      .path('/messages/channels/{channelId}/templates', acs.channelRegistrationId)
      .get();
    const unsigned = await fetch(`${acs.endpoint}/messages/streams/abc?api-version=2024-08-30`);

    expect(templates.status).toBe('501');
    expect(templates.headers['x-ms-error-code']).toBe('NotImplemented');
    expect(unsigned.status).toBe(401);
  });
});

describe('fault switches', () => {
  it('answers 429 with Retry-After, which the SDK retries, and 503 past its retries', async () => {
    const to = phone();
    await acs.customer.send(to, 'hi');
    acs.faults.next({ status: 429, retryAfterSeconds: 0 });

    const retried = await send(to, { kind: 'text', content: 'after a 429' });
    acs.faults.next({ status: 503, retryAfterSeconds: 0, count: 10 });
    const unavailable = await send(to, { kind: 'text', content: 'never' });
    acs.faults.clear();

    expect(retried.status).toBe('202');
    expect(unavailable.status).toBe('503');
    expect(unavailable.headers['x-ms-error-code']).toBe('ServiceUnavailable');
    expect(acs.messages.whatsapp(to)).toHaveLength(1);
  });
});
