import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcsMessagesEmulator, startAcsMessagesEmulator } from '../acs-messages/index.js';
import { messagesClient } from '../acs-messages/test-client.js';
import { expectedResponse, fixture, fixturesIn } from './fixtures.js';

// Microsoft's published Advanced Messaging examples (azure-rest-api-specs, stable/2024-08-30), replayed through
// the unmodified @azure-rest/communication-messages client. Only the channel registration id is the emulator's.

let acs: AcsMessagesEmulator;

beforeAll(async () => {
  acs = await startAcsMessagesEmulator();
});
afterAll(async () => {
  await acs?.stop();
});

describe('Advanced Messaging REST examples', () => {
  it.each(fixturesIn('messages'))('%s: the documented status and receipts', async (name) => {
    const example = fixture(`messages/${name}`);
    const body = { ...(example.parameters.body as Record<string, unknown>) };
    body.channelRegistrationId = acs.channelRegistrationId;
    const recipients = body.to as string[];
    // The example's recipient wrote within the last 24 hours (free-form messages need the open window).
    for (const recipient of recipients) await acs.customer.send(recipient, 'hello');
    const expected = expectedResponse(example);

    const response = await messagesClient(acs.connectionString)
      .path('/messages/notifications:send')
      .post({ body: body as never });

    expect(Number(response.status)).toBe(expected.status);
    const receipts = (response.body as { receipts: { messageId: string; to: string }[] }).receipts;
    const documented = (expected.body as { receipts: { to: string }[] }).receipts;
    expect(receipts.map((receipt) => receipt.to)).toEqual(documented.map((receipt) => receipt.to));
    expect(receipts.every((receipt) => /^[0-9a-f-]{36}$/.test(receipt.messageId))).toBe(true);
    await acs.customer.idle();
    const sent = acs.messages.get(receipts[0]?.messageId ?? '');
    expect(sent?.channel === 'whatsapp' ? sent.statuses : []).toEqual(['Sent', 'Delivered']);
  });
});
