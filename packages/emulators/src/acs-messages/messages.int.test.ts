import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AcsMessagesEmulator, contentHash, hmacSignature, startAcsMessagesEmulator } from './index.js';
import { messagesClient } from './test-client.js';

let acs: AcsMessagesEmulator;

beforeAll(async () => {
  acs = await startAcsMessagesEmulator();
});
afterAll(async () => {
  await acs.stop();
});
beforeEach(() => acs.reset());

describe('POST /messages/notifications:send through @azure-rest/communication-messages', () => {
  it('accepts a text send signed with the right key: 202, a receipt, the message recorded', async () => {
    const client = messagesClient(acs.connectionString);
    const response = await client.path('/messages/notifications:send').post({
      body: {
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+14255550123'],
        kind: 'text',
        content: 'Hello',
      },
    });
    expect(response.status).toBe('202');
    const body = response.body as { receipts: { messageId: string; to: string }[] };
    expect(body.receipts).toHaveLength(1);
    expect(body.receipts[0]?.to).toBe('+14255550123');
    expect(body.receipts[0]?.messageId).toMatch(/^[0-9a-f-]{36}$/);
    const recorded = acs.messages.whatsapp('+14255550123');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.messageId).toBe(body.receipts[0]?.messageId);
    expect(recorded[0]?.apiVersion).toBe('2024-08-30');
    expect(recorded[0]?.body).toMatchObject({ kind: 'text', content: 'Hello' });
  });

  it('refuses a request signed with another key: 401', async () => {
    const wrongKey = randomBytes(32).toString('base64');
    const client = messagesClient(`endpoint=${acs.endpoint}/;accesskey=${wrongKey}`);
    const response = await client.path('/messages/notifications:send').post({
      body: {
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+14255550123'],
        kind: 'text',
        content: 'Hi',
      },
    });
    expect(response.status).toBe('401');
    expect((response.body as { error?: { code?: string } }).error?.code).toBe('Denied');
    expect(acs.messages.list()).toHaveLength(0);
  });

  it('refuses unsigned requests and stale or tampered ones: 401', async () => {
    const url = `${acs.endpoint}/messages/notifications:send?api-version=2024-08-30`;
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unsigned.status).toBe(401);
    // A signed request replayed with another body: the content hash no longer matches.
    const client = messagesClient(acs.connectionString);
    let captured: Record<string, string> = {};
    await client.path('/messages/notifications:send').post({
      body: { channelRegistrationId: acs.channelRegistrationId, to: ['+1'], kind: 'text', content: 'a' },
      onResponse: (raw) => {
        captured = raw.request.headers.toJSON();
      },
    });
    const tampered = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: captured.authorization ?? '',
        'x-ms-date': captured['x-ms-date'] ?? '',
        'x-ms-content-sha256': captured['x-ms-content-sha256'] ?? '',
      },
      body: JSON.stringify({
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+1'],
        kind: 'text',
        content: 'b',
      }),
    });
    expect(tampered.status).toBe(401);
  });

  it('records a template send with its values and bindings', async () => {
    const client = messagesClient(acs.connectionString);
    const template = {
      name: 'continue_conversation',
      language: 'en_US',
      values: [
        { kind: 'text', name: 'customerName', text: 'Ada' },
        { kind: 'text', name: 'topic', text: 'your refund' },
        { kind: 'quickAction', name: 'yes', payload: 'continue' },
      ],
      bindings: {
        kind: 'whatsApp',
        body: [{ refValue: 'customerName' }, { refValue: 'topic' }],
        buttons: [{ subType: 'quickReply', refValue: 'yes' }],
      },
    };
    const response = await client.path('/messages/notifications:send').post({
      body: {
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+14255550123'],
        kind: 'template',
        template,
      },
    });
    expect(response.status).toBe('202');
    const [recorded] = acs.messages.whatsapp();
    expect(recorded?.kind).toBe('template');
    expect(recorded?.body).toEqual({
      channelRegistrationId: acs.channelRegistrationId,
      to: ['+14255550123'],
      kind: 'template',
      template,
    });
  });

  it('answers 400 with field paths for a malformed body (missing to) and a dangling binding', async () => {
    const client = messagesClient(acs.connectionString);
    const missingTo = await client.path('/messages/notifications:send').post({
      body: { channelRegistrationId: acs.channelRegistrationId, kind: 'text', content: 'x' } as never,
    });
    expect(missingTo.status).toBe('400');
    expect((missingTo.body as unknown as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(
      'to',
    );

    const dangling = await client.path('/messages/notifications:send').post({
      body: {
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+1'],
        kind: 'template',
        template: {
          name: 't',
          language: 'en',
          values: [],
          bindings: { kind: 'whatsApp', body: [{ refValue: 'nope' }] },
        },
      },
    });
    expect(dangling.status).toBe('400');
    expect((dangling.body as unknown as { errors: { path: string }[] }).errors[0]?.path).toBe(
      'template.bindings.body[0].refValue',
    );
    expect(acs.messages.list()).toHaveLength(0);
  });

  it('accepts media kinds and one receipt per recipient', async () => {
    const client = messagesClient(acs.connectionString);
    const response = await client.path('/messages/notifications:send').post({
      body: {
        channelRegistrationId: acs.channelRegistrationId,
        to: ['+1555000001', '+1555000002'],
        kind: 'image',
        mediaUri: 'https://example.com/a.png',
        caption: 'look',
      },
    });
    expect(response.status).toBe('202');
    expect((response.body as { receipts: unknown[] }).receipts).toHaveLength(2);
    expect(acs.messages.whatsapp().map((m) => m.to)).toEqual(['+1555000001', '+1555000002']);
  });

  it('exposes the recorded messages on /_emulator/messages and clears them on reset', async () => {
    const client = messagesClient(acs.connectionString);
    await client.path('/messages/notifications:send').post({
      body: { channelRegistrationId: acs.channelRegistrationId, to: ['+1'], kind: 'text', content: 'x' },
    });
    const listed = (await (await fetch(`${acs.endpoint}/_emulator/messages`)).json()) as { value: unknown[] };
    expect(listed.value).toHaveLength(1);
    expect((await fetch(`${acs.endpoint}/_emulator/reset`, { method: 'POST' })).status).toBe(204);
    expect(acs.messages.list()).toHaveLength(0);
  });
});

/** Signs like the ACS SDKs' access-key policy (for endpoints whose SDK is not installed here, e.g. SMS). */
async function signedPost(path: string, body: unknown, date = new Date()): Promise<Response> {
  const url = new URL(path, acs.endpoint);
  const json = JSON.stringify(body);
  const hash = contentHash(json);
  const utc = date.toUTCString();
  const signature = hmacSignature(
    acs.accessKey,
    `POST\n${url.pathname}${url.search}\n${utc};${url.host};${hash}`,
  );
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ms-date': utc,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    },
    body: json,
  });
}

describe('POST /sms and the clock check', () => {
  it('accepts an SMS send: 202 with one result per recipient, recorded', async () => {
    const response = await signedPost('/sms?api-version=2021-03-07', {
      from: '+18005550000',
      smsRecipients: [
        { to: '+14255550123' },
        {
          to: '+14255550124',
          repeatabilityRequestId: '6f1c2b1e-3d4a-4b5c-8d6e-7f8091a2b3c4',
          repeatabilityFirstSent: new Date().toUTCString(),
        },
      ],
      message: 'Continue here: https://example.com/c/abc',
      smsSendOptions: { enableDeliveryReport: true, tag: 'handoff' },
    });
    expect(response.status).toBe(202);
    const { value } = (await response.json()) as {
      value: { to: string; successful: boolean; httpStatusCode: number }[];
    };
    expect(value.map((v) => [v.to, v.successful, v.httpStatusCode])).toEqual([
      ['+14255550123', true, 202],
      ['+14255550124', true, 202],
    ]);
    expect(acs.messages.sms().map((m) => m.message)).toEqual([
      'Continue here: https://example.com/c/abc',
      'Continue here: https://example.com/c/abc',
    ]);
  });

  it('given a recipient repeatable request: a repeat within 5 minutes gets the first item and sends nothing; an older first attempt is refused 412, a malformed id 400', async () => {
    const to = '+14255550130';
    const id = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    const sms = (recipient: Record<string, string>) =>
      signedPost('/sms?api-version=2021-03-07', {
        from: '+18005550000',
        smsRecipients: [recipient],
        message: 'x',
      });
    const items = async (response: Response) =>
      ((await response.json()) as { value: Record<string, unknown>[] }).value;
    const before = acs.messages.sms(to).length;
    const firstSent = new Date(Date.now() - 60_000).toUTCString();
    const [first] = await items(
      await sms({ to, repeatabilityRequestId: id, repeatabilityFirstSent: firstSent }),
    );
    const [again] = await items(
      await sms({ to, repeatabilityRequestId: id, repeatabilityFirstSent: firstSent }),
    );
    expect(again).toEqual(first);
    expect(first).toMatchObject({ successful: true, repeatabilityResult: 'accepted' });
    expect(acs.messages.sms(to)).toHaveLength(before + 1);

    const old = new Date(Date.now() - 6 * 60_000).toUTCString();
    const [late] = await items(
      await sms({
        to,
        repeatabilityRequestId: 'b1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
        repeatabilityFirstSent: old,
      }),
    );
    const [malformed] = await items(
      await sms({ to, repeatabilityRequestId: 'r-1', repeatabilityFirstSent: firstSent }),
    );
    expect([late?.httpStatusCode, late?.repeatabilityResult, late?.successful]).toEqual([
      412,
      'rejected',
      false,
    ]);
    expect([malformed?.httpStatusCode, malformed?.repeatabilityResult]).toEqual([400, 'rejected']);
    expect(acs.messages.sms(to)).toHaveLength(before + 1);
  });

  it('answers 400 for an SMS without recipients and 401 for a date 16 minutes off', async () => {
    expect((await signedPost('/sms?api-version=2021-03-07', { from: '+1', message: 'x' })).status).toBe(400);
    const stale = new Date(Date.now() - 16 * 60 * 1000);
    const body = { from: '+1', smsRecipients: [{ to: '+2' }], message: 'x' };
    expect((await signedPost('/sms?api-version=2021-03-07', body, stale)).status).toBe(401);
    expect((await signedPost('/sms?api-version=2021-03-07', body)).status).toBe(202);
  });
});
