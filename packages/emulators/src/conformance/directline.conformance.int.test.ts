import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type DirectLineEmulator, startDirectLineEmulator } from '../directline/index.js';
import { requestBody } from '../directline/test-support/request-body.js';
import { trustCertificate } from '../local-tls.js';

// The Direct Line 3.0 reference (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-direct-line-3-0-api-reference
// and its "start conversation", "reconnect", "send activity", "receive activities" and "authentication" pages), replayed
// over https as a client sees it: each documented operation's status and the exact members of its documented object
// (Conversation, ActivitySet, ResourceResponse, the error object). See fixtures/SOURCES.md.

const SECRET = 'conformance-secret';
/** The Conversation object's documented members, and those every answer carries. */
const CONVERSATION = ['conversationId', 'eTag', 'expires_in', 'referenceGrammarId', 'streamUrl', 'token'];
const STARTED = ['conversationId', 'expires_in', 'streamUrl', 'token'];
const TOKEN = ['conversationId', 'expires_in', 'token'];

/** Holds the required members, and only documented ones. */
function expectConversation(value: unknown, required: readonly string[]): void {
  const keys = keysOf(value);
  expect(keys).toEqual(expect.arrayContaining([...required]));
  expect(CONVERSATION).toEqual(expect.arrayContaining(keys));
}

let dl: DirectLineEmulator;
let bot: Server;
let untrust: () => void;

beforeAll(async () => {
  // An echo bot: replies through the connector (the serviceUrl, https) to every message.
  bot = createServer((request, response) => {
    void requestBody(request).then(async (raw) => {
      response.writeHead(200).end();
      const activity = JSON.parse(raw) as {
        type: string;
        text?: string;
        serviceUrl: string;
        conversation: { id: string };
      };
      if (activity.type !== 'message') return;
      await fetch(
        new URL(
          `v3/conversations/${encodeURIComponent(activity.conversation.id)}/activities`,
          activity.serviceUrl,
        ),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'message', text: `echo: ${activity.text}`, from: { id: 'omni-bot' } }),
        },
      );
    });
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  dl = await startDirectLineEmulator({
    https: true,
    secret: SECRET,
    botEndpoint: `http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/messages`,
  });
  untrust = trustCertificate(dl.caCertificatePem ?? '');
});

afterAll(async () => {
  untrust?.();
  await dl?.stop();
  await new Promise<void>((resolve) => bot?.close(() => resolve()));
});

async function call(method: string, path: string, credential: string | undefined, body?: unknown) {
  const response = await fetch(`${dl.domain}${path}`, {
    method,
    headers: {
      ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown>,
  };
}

const keysOf = (value: unknown) => Object.keys(value as object).sort();

describe('Direct Line 3.0 reference, over https', () => {
  it('serves https and wss (the base URI and stream URL schemes of Direct Line)', () => {
    expect(dl.domain).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v3\/directline$/);
  });

  it('POST /tokens/generate (secret): 200 Conversation without streamUrl; POST /tokens/refresh (token): 200 the same', async () => {
    const generated = await call('POST', '/tokens/generate', SECRET, { user: { id: 'dl_conformance' } });
    expect(generated.status).toBe(200);
    expectConversation(generated.body, TOKEN);
    expect(generated.body).not.toHaveProperty('streamUrl');
    expect(generated.body.expires_in).toBe(3600);

    const refreshed = await call('POST', '/tokens/refresh', String(generated.body.token));
    expect(refreshed.status).toBe(200);
    expectConversation(refreshed.body, TOKEN);
    expect(refreshed.body.conversationId).toBe(generated.body.conversationId);
  });

  it('POST /conversations: 201 Conversation with a wss streamUrl; with a generated token: that conversation', async () => {
    const started = await call('POST', '/conversations', SECRET);
    expect(started.status).toBe(201);
    expectConversation(started.body, STARTED);
    expect(String(started.body.streamUrl)).toMatch(/^wss:\/\//);

    const generated = await call('POST', '/tokens/generate', SECRET, { user: { id: 'dl_tokened' } });
    const withToken = await call('POST', '/conversations', String(generated.body.token));
    expect([200, 201]).toContain(withToken.status);
    expect(withToken.body.conversationId).toBe(generated.body.conversationId);
  });

  it('POST /conversations/{id}/activities: 200 ResourceResponse; GET .../activities?watermark: 200 ActivitySet', async () => {
    const started = await call('POST', '/conversations', SECRET);
    const id = String(started.body.conversationId);
    const token = String(started.body.token);

    const sent = await call('POST', `/conversations/${id}/activities`, token, {
      type: 'message',
      from: { id: 'dl_user1' },
      text: 'hello',
    });
    expect(sent.status).toBe(200);
    expect(keysOf(sent.body)).toEqual(['id']);

    await dl.idle();
    await vi.waitFor(
      async () => {
        const set = await call('GET', `/conversations/${id}/activities?watermark=`, token);
        expect(set.status).toBe(200);
        expect(keysOf(set.body)).toEqual(['activities', 'watermark']);
        const texts = (set.body.activities as { text?: string }[]).map((activity) => activity.text);
        expect(texts).toContain('echo: hello');
      },
      { timeout: 10_000, interval: 50 },
    );
    const all = await call('GET', `/conversations/${id}/activities`, token);
    const later = await call(
      'GET',
      `/conversations/${id}/activities?watermark=${String(all.body.watermark)}`,
      token,
    );
    expect(later.body.activities).toEqual([]);
  });

  it('GET /conversations/{id}?watermark (reconnect): 200 Conversation with a fresh wss streamUrl that streams ActivitySets', async () => {
    const started = await call('POST', '/conversations', SECRET);
    const id = String(started.body.conversationId);
    const reconnect = await call('GET', `/conversations/${id}?watermark=0`, String(started.body.token));
    expect(reconnect.status).toBe(200);
    expectConversation(reconnect.body, STARTED);

    const socket = new WebSocket(String(reconnect.body.streamUrl));
    const frames: unknown[] = [];
    socket.on('message', (data: Buffer) => {
      if (data.length > 0) frames.push(JSON.parse(data.toString('utf8')));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await call('POST', `/conversations/${id}/activities`, String(started.body.token), {
      type: 'message',
      from: { id: 'dl_user2' },
      text: 'over the stream',
    });
    await vi.waitFor(() => expect(JSON.stringify(frames)).toContain('echo: over the stream'), {
      timeout: 10_000,
      interval: 50,
    });
    socket.close();
    expect(keysOf(frames.at(-1))).toEqual(['activities', 'watermark']);
  });

  it('errors are { error: { code, message } }: 401 without credentials, 403 a wrong secret, 404 an unknown conversation', async () => {
    for (const [path, credential, status] of [
      ['/conversations', undefined, 401],
      ['/conversations', 'not-the-secret', 403],
      ['/conversations/no-such-conversation/activities', SECRET, 404],
    ] as const) {
      const method = path.endsWith('activities') ? 'GET' : 'POST';
      const answer = await call(method, path, credential);
      expect(answer.status, path).toBe(status);
      expect(keysOf(answer.body)).toEqual(['error']);
      expect(keysOf(answer.body.error)).toEqual(['code', 'message']);
    }
  });

  it('what is not emulated says so: attachment upload is 501 NotImplemented, an unknown operation 404 in the error shape', async () => {
    const started = await call('POST', '/conversations', SECRET);
    const upload = await fetch(
      `${dl.domain}/conversations/${String(started.body.conversationId)}/upload?userId=dl_u`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${String(started.body.token)}`,
          'content-type': 'multipart/form-data; boundary=x',
        },
        body: '--x--',
      },
    );
    expect(upload.status).toBe(501);
    expect(await upload.json()).toMatchObject({ error: { code: 'NotImplemented' } });

    const unknown = await call('GET', '/no-such-operation', SECRET);
    expect(unknown.status).toBe(404);
    expect(keysOf(unknown.body.error)).toEqual(['code', 'message']);
  });
});
