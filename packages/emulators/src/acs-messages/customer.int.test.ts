import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AcsMessagesEmulator,
  ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
  ADVANCED_MESSAGE_RECEIVED,
  type EventGridEvent,
  startAcsMessagesEmulator,
} from './index.js';
import { messagesClient } from './test-client.js';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  events: EventGridEvent[];
}

let acs: AcsMessagesEmulator;
let webhook: FastifyInstance;
let webhookUrl: string;
const received: Received[] = [];
/** Statuses the webhook answers with next (then 200). */
const answers: number[] = [];

beforeAll(async () => {
  acs = await startAcsMessagesEmulator({ retry: { backoffMs: [10, 20, 40] } });
  webhook = Fastify();
  webhook.post('/api/events', async (request, reply) => {
    const events = request.body as EventGridEvent[];
    received.push({ headers: request.headers, query: request.query as Record<string, string>, events });
    if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
      const data = events[0]?.data as { validationCode: string };
      return { validationResponse: data.validationCode };
    }
    return reply.status(answers.shift() ?? 200).send();
  });
  webhookUrl = `${await webhook.listen({ host: '127.0.0.1', port: 0 })}/api/events`;
  await acs.customer.connect(webhookUrl, { secret: 's3cret', bearer: 'token-1' });
});
afterAll(async () => {
  await acs.stop();
  await webhook.close();
});
beforeEach(() => {
  acs.reset();
  received.length = 0;
  answers.length = 0;
});

const notifications = () => received.filter((r) => r.headers['aeg-event-type'] === 'Notification');
const statusesOf = (messageId: string) =>
  notifications()
    .flatMap((r) => r.events)
    .filter((e) => e.eventType === ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED)
    .map((e) => e.data as { messageId: string; status: string; error?: unknown })
    .filter((d) => d.messageId === messageId);

async function sendText(to: string, content: string): Promise<string> {
  const client = messagesClient(acs.connectionString);
  const response = await client.path('/messages/notifications:send').post({
    body: { channelRegistrationId: acs.channelRegistrationId, to: [to], kind: 'text', content },
  });
  const messageId = (response.body as { receipts: { messageId: string }[] }).receipts[0]?.messageId;
  if (messageId === undefined) throw new Error('no receipt');
  await acs.customer.idle();
  return messageId;
}

describe('the simulated customer phone', () => {
  it('did the validation handshake first, with the secret and bearer on every request', async () => {
    const other = await startAcsMessagesEmulator();
    try {
      await other.customer.connect(webhookUrl, { secret: 'abc' });
      const [handshake] = received;
      expect(handshake?.headers['aeg-event-type']).toBe('SubscriptionValidation');
      expect(handshake?.query.code).toBe('abc');
      expect(handshake?.events[0]?.eventType).toBe('Microsoft.EventGrid.SubscriptionValidationEvent');
      await expect(other.customer.connect(`${webhookUrl}-missing`)).rejects.toThrow(/answered 404/);
    } finally {
      await other.stop();
    }
  });

  it('posts an AdvancedMessageReceived event in the documented Event Grid schema', async () => {
    const { event, delivery } = await acs.customer.send('+14255550123', 'Hello there');
    expect(delivery).toMatchObject({ delivered: true, status: 200, attempts: 1 });
    const [request] = notifications();
    expect(request?.headers['aeg-event-type']).toBe('Notification');
    expect(request?.headers.authorization).toBe('Bearer token-1');
    expect(request?.query.code).toBe('s3cret');
    expect(request?.events).toHaveLength(1);
    const posted = request?.events[0];
    expect(posted).toEqual(event);
    expect(Object.keys(posted ?? {}).sort()).toEqual(
      ['data', 'dataVersion', 'eventTime', 'eventType', 'id', 'metadataVersion', 'subject', 'topic'].sort(),
    );
    expect(posted).toMatchObject({
      eventType: ADVANCED_MESSAGE_RECEIVED,
      subject: `advancedMessage/sender/+14255550123/recipient/${acs.channelRegistrationId}`,
      dataVersion: '1.0',
      metadataVersion: '1',
    });
    const data = posted?.data as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(
      ['channelType', 'content', 'from', 'messageId', 'messageType', 'receivedTimestamp', 'to'].sort(),
    );
    expect(data).toMatchObject({
      channelType: 'whatsapp',
      messageType: 'text',
      content: 'Hello there',
      from: '+14255550123',
      to: acs.channelRegistrationId,
    });
    expect(Number.isNaN(Date.parse(data.receivedTimestamp as string))).toBe(false);
  });

  it('sends button replies, media and interactive replies with their documented members', async () => {
    await acs.customer.send('+1555', {
      button: { text: 'Yes', payload: 'continue' },
      context: { id: 'm-1' },
    });
    await acs.customer.send('+1555', { media: { mimeType: 'application/pdf', fileName: 'a.pdf' } });
    await acs.customer.send('+1555', {
      interactive: { type: 'buttonReply', buttonReply: { id: 'agree', title: 'Agree' } },
    });
    const data = notifications().map((r) => r.events[0]?.data as Record<string, unknown>);
    expect(data[0]).toMatchObject({
      messageType: 'button',
      button: { text: 'Yes', payload: 'continue' },
      context: { id: 'm-1' },
    });
    expect(data[1]).toMatchObject({
      messageType: 'document',
      media: { mimeType: 'application/pdf', fileName: 'a.pdf' },
    });
    expect((data[1]?.media as { id?: string } | undefined)?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(data[2]).toMatchObject({ messageType: 'interactive', interactive: { type: 'buttonReply' } });
  });

  it('follows each outbound message with Sent then Delivered, and Read on demand', async () => {
    await acs.customer.send('+14255550123', 'hello'); // opens the 24-hour window for free-form messages
    await acs.customer.idle();
    received.length = 0;
    const messageId = await sendText('+14255550123', 'Hi');
    expect(statusesOf(messageId).map((d) => d.status)).toEqual(['Sent', 'Delivered']);
    const event = notifications()[0]?.events[0];
    expect(event?.subject).toBe(`advancedMessage/${messageId}/status/Sent`);
    expect(event?.data).toMatchObject({
      channelType: 'whatsapp',
      from: acs.channelRegistrationId,
      to: '+14255550123',
    });
    await acs.customer.read(messageId);
    expect(statusesOf(messageId).map((d) => d.status)).toEqual(['Sent', 'Delivered', 'Read']);
    expect(acs.messages.get(messageId)).toMatchObject({ statuses: ['Sent', 'Delivered', 'Read'] });
  });

  it('reports Failed with a channel error when told to fail', async () => {
    await acs.customer.send('+1555', 'hello'); // inside the window, so only the failure settings decide
    acs.customer.failNext();
    const failed = await sendText('+1555', 'a');
    expect(statusesOf(failed)).toEqual([
      expect.objectContaining({
        status: 'Failed',
        error: { channelCode: '131026', channelMessage: 'Message Undeliverable.' },
      }),
    ]);
    acs.customer.failAfter(1, { afterSent: true });
    const ok = await sendText('+1555', 'b');
    const bounced = await sendText('+1555', 'c');
    expect(statusesOf(ok).map((d) => d.status)).toEqual(['Sent', 'Delivered']);
    expect(statusesOf(bounced).map((d) => d.status)).toEqual(['Sent', 'Failed']);
  });

  it('retries a delivery on 5xx like Event Grid, recording every attempt, and redelivers on demand', async () => {
    answers.push(503, 500);
    const { event, delivery } = await acs.customer.send('+1555', 'retry me');
    expect(delivery).toMatchObject({ delivered: true, attempts: 3 });
    expect(notifications().map((r) => r.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
    expect(
      acs.customer
        .deliveries()
        .filter((a) => a.eventId === event.id)
        .map((a) => a.status),
    ).toEqual([503, 500, 200]);

    answers.push(400);
    const refused = await acs.customer.send('+1555', 'no retry on 400');
    expect(refused.delivery).toMatchObject({ delivered: false, status: 400, attempts: 1 });

    const again = await acs.customer.redeliver(event.id);
    expect(again.delivered).toBe(true);
    const ids = notifications().flatMap((r) => r.events.map((e) => e.id));
    expect(ids.filter((id) => id === event.id).length).toBe(4);
  });
});

describe('the simulator over HTTP (what the sandbox phone uses)', () => {
  const post = (path: string, body: unknown) =>
    fetch(`${acs.endpoint}/_emulator${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sends as the customer and shows the chat from their side, templates rendered with their buttons', async () => {
    const sent = await post('/customer/messages', { from: '+14255550777', text: 'my power is out' });
    expect(sent.status).toBe(202);
    await acs.customer.idle();
    expect(notifications().flatMap((r) => r.events)).toContainEqual(
      expect.objectContaining({
        eventType: ADVANCED_MESSAGE_RECEIVED,
        data: expect.objectContaining({ from: '+14255550777', content: 'my power is out' }),
      }),
    );
    const client = messagesClient(acs.connectionString);
    await client.path('/messages/notifications:send').post({
      body: {
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+14255550777'],
        kind: 'template',
        template: {
          name: 'continue_conversation',
          language: 'en_US',
          values: [
            { kind: 'text', name: 'name', text: 'Ada' },
            { kind: 'text', name: 'topic', text: 'the outage' },
          ],
          bindings: { kind: 'whatsApp', body: [{ refValue: 'name' }, { refValue: 'topic' }] },
        },
      },
    });
    await acs.customer.idle();
    const chat = (await (
      await fetch(`${acs.endpoint}/_emulator/chats/${encodeURIComponent('+14255550777')}`)
    ).json()) as {
      value: { direction: string; text: string; buttons?: string[]; status?: string }[];
    };
    expect(chat.value.map((entry) => entry.direction)).toEqual(['in', 'out']);
    expect(chat.value[0]?.text).toBe('my power is out');
    expect(chat.value[1]?.text).toContain('Hi Ada');
    expect(chat.value[1]?.text).toContain('about the outage');
    expect(chat.value[1]?.buttons).toEqual(['Continue here', 'Call me back instead']);
    expect(chat.value[1]?.status).toBe('Delivered');
  });

  it('sends a quick-reply tap as a button message and a hidden number as fromBSUID', async () => {
    await post('/customer/messages', { from: '', fromBSUID: 'US.777', button: { text: 'Continue here' } });
    await acs.customer.idle();
    const data = notifications()
      .flatMap((r) => r.events)
      .map((e) => e.data as { messageType?: string; from?: string; fromBSUID?: string; button?: unknown });
    expect(data).toContainEqual(
      expect.objectContaining({
        messageType: 'button',
        from: '',
        fromBSUID: 'US.777',
        button: { text: 'Continue here' },
      }),
    );
  });

  it('refuses a message with no content or two kinds of content, and a connect whose handshake fails', async () => {
    expect((await post('/customer/messages', { from: '+14255550777' })).status).toBe(400);
    expect(
      (
        await post('/customer/messages', {
          from: '+14255550777',
          text: 'a',
          media: { mimeType: 'image/png' },
        })
      ).status,
    ).toBe(400);
    expect((await post('/customer/messages', { from: '', text: 'who am I' })).status).toBe(400);
    const other = await startAcsMessagesEmulator();
    try {
      const response = await fetch(`${other.endpoint}/_emulator/customer/connect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${webhookUrl}-missing` }),
      });
      expect(response.status).toBe(502);
    } finally {
      await other.stop();
    }
  });
});
