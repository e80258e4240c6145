import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AcsMessagesEmulator,
  contentHash,
  type EventGridEvent,
  hmacSignature,
  SMS_DELIVERY_REPORT_RECEIVED,
  type SmsDeliveryReportReceivedData,
  startAcsMessagesEmulator,
} from './index.js';

let acs: AcsMessagesEmulator;
let webhook: FastifyInstance;
const events: EventGridEvent[] = [];

beforeAll(async () => {
  acs = await startAcsMessagesEmulator({ retry: { backoffMs: [10, 20, 40] } });
  webhook = Fastify();
  webhook.post('/api/events', async (request) => {
    const batch = request.body as EventGridEvent[];
    if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
      const handshake = batch[0]?.data as { validationCode: string } | undefined;
      return { validationResponse: handshake?.validationCode };
    }
    events.push(...batch);
    return {};
  });
  await acs.customer.connect(`${await webhook.listen({ host: '127.0.0.1', port: 0 })}/api/events`);
});
afterAll(async () => {
  await acs.stop();
  await webhook.close();
});
beforeEach(() => {
  acs.reset();
  events.length = 0;
});

/** Signs like the SDK's access-key policy (`@azure/communication-sms` is not a dependency of this package). */
async function sendSms(to: string, enableDeliveryReport: boolean): Promise<string> {
  const url = new URL('/sms?api-version=2021-03-07', acs.endpoint);
  const json = JSON.stringify({
    from: '+18005550000',
    smsRecipients: [{ to }],
    message: 'Continue in web chat: https://chat.example.test/?handoff=abc',
    smsSendOptions: { enableDeliveryReport, tag: 'handoff' },
  });
  const hash = contentHash(json);
  const utc = new Date().toUTCString();
  const signature = hmacSignature(
    acs.accessKey,
    `POST\n${url.pathname}${url.search}\n${utc};${url.host};${hash}`,
  );
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ms-date': utc,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    },
    body: json,
  });
  expect(response.status).toBe(202);
  const { value } = (await response.json()) as { value: { messageId: string }[] };
  await acs.customer.idle();
  return value[0]?.messageId ?? '';
}

const reports = () =>
  events
    .filter((e) => e.eventType === SMS_DELIVERY_REPORT_RECEIVED)
    .map((e) => e.data as SmsDeliveryReportReceivedData);

describe('SMS delivery reports', () => {
  it('given an SMS sent with enableDeliveryReport, then a Delivered SMSDeliveryReportReceived reaches the webhook', async () => {
    const messageId = await sendSms('+14255550123', true);
    expect(reports()).toEqual([
      expect.objectContaining({
        messageId,
        to: '+14255550123',
        from: '18005550000',
        deliveryStatus: 'Delivered',
        tag: 'handoff',
      }),
    ]);
  });

  it('given failNextSms, then the report says Failed with details', async () => {
    acs.customer.failNextSms({ details: 'Number not reachable.' });
    const messageId = await sendSms('+14255550124', true);
    expect(reports()).toEqual([
      expect.objectContaining({
        messageId,
        deliveryStatus: 'Failed',
        deliveryStatusDetails: 'Number not reachable.',
      }),
    ]);
    // One failure only: the next SMS is delivered.
    await sendSms('+14255550124', true);
    expect(reports().map((r) => r.deliveryStatus)).toEqual(['Failed', 'Delivered']);
  });

  it('given an SMS sent without enableDeliveryReport, then no report is sent', async () => {
    await sendSms('+14255550125', false);
    expect(reports()).toEqual([]);
    expect(acs.messages.sms('+14255550125')).toHaveLength(1);
  });
});
