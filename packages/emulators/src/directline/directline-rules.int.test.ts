import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { LocalIdentity } from './identity.js';
import { type DirectLineEmulator, startDirectLineEmulator } from './index.js';
import { requestBody } from './test-support/request-body.js';

const SECRET = 'rules-secret';
const BOT = { appId: '00000000-0000-0000-0000-0000000000b0', appPassword: 'bot-password' };

let dl: DirectLineEmulator;
let bot: Server;
const botRequests: { authorization: string | undefined; body: { type: string } }[] = [];

beforeAll(async () => {
  bot = createServer((request, response) => {
    void requestBody(request).then((raw) => {
      botRequests.push({ authorization: request.headers.authorization, body: JSON.parse(raw) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  dl = await startDirectLineEmulator({
    secret: SECRET,
    bot: BOT,
    keepAliveMs: 50,
    botEndpoint: `http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/messages`,
  });
});

afterAll(async () => {
  await dl?.stop();
  bot?.closeAllConnections();
  await new Promise((resolve) => bot?.close(resolve));
});

async function conversation(
  userId = 'dl_rules-user',
): Promise<{ conversationId: string; token: string; streamUrl: string }> {
  const generated = await fetch(`${dl.domain}/tokens/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user: { id: userId } }),
  });
  expect(generated.status).toBe(200);
  const { token } = (await generated.json()) as { token: string };
  const started = await fetch(`${dl.domain}/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return (await started.json()) as { conversationId: string; token: string; streamUrl: string };
}

async function connectorToken(secret = BOT.appPassword): Promise<Response> {
  return fetch(`${dl.authority}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: BOT.appId,
      client_secret: secret,
      scope: 'https://api.botframework.com/.default',
    }).toString(),
  });
}

function botSends(conversationId: string, activity: object, token?: string): Promise<Response> {
  return fetch(`${dl.endpoint}/v3/conversations/${encodeURIComponent(conversationId)}/activities`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(activity),
  });
}

describe('Direct Line emulator: what the real service enforces', () => {
  it('given a token request, when the secret is missing or wrong or the user id lacks dl_, then it is refused', async () => {
    const ask = (authorization: string | undefined, id: string) =>
      fetch(`${dl.domain}/tokens/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ user: { id } }),
      });
    expect((await ask(undefined, 'dl_a')).status).toBe(401);
    expect((await ask('Bearer any-other-secret', 'dl_a')).status).toBe(403);
    expect((await ask(`Bearer ${SECRET}`, 'user-1')).status).toBe(400);
    expect((await ask(`Bearer ${SECRET}`, 'dl_a')).status).toBe(200);
  });

  it('given an open stream, when the bot types and replies, then typing arrives only on the WebSocket, keep-alives flow, and a reconnect replays from its watermark only', async () => {
    const { conversationId, streamUrl, token } = await conversation();
    const access = (await (await connectorToken()).json()) as { access_token: string };
    const frames: string[] = [];
    const socket = new WebSocket(streamUrl);
    socket.on('message', (data) => frames.push(data.toString()));
    await new Promise((resolve) => socket.once('open', resolve));
    expect(
      (await botSends(conversationId, { type: 'message', text: 'one' }, access.access_token)).status,
    ).toBe(200);
    expect((await botSends(conversationId, { type: 'typing' }, access.access_token)).status).toBe(200);
    expect(
      (await botSends(conversationId, { type: 'message', text: 'two' }, access.access_token)).status,
    ).toBe(200);
    await vi.waitFor(() => expect(frames.filter((f) => f === '').length).toBeGreaterThanOrEqual(2), {
      timeout: 5000,
    });
    const types = frames
      .filter((f) => f !== '')
      .flatMap((f) => (JSON.parse(f) as { activities: { type: string }[] }).activities.map((a) => a.type));
    expect(types).toEqual(['message', 'typing', 'message']);
    socket.close();

    const polled = await fetch(`${dl.domain}/conversations/${conversationId}/activities`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const page = (await polled.json()) as {
      activities: { type: string; text?: string }[];
      watermark: string;
    };
    expect(page.activities.map((a) => a.type)).toEqual(['message', 'message']);
    expect(page.watermark).toBe('2');

    const replayed: string[] = [];
    const again = new WebSocket(
      `${dl.endpoint.replace('http', 'ws')}/v3/directline/conversations/${conversationId}/stream?watermark=1&t=${encodeURIComponent(token)}`,
    );
    again.on('message', (data) => {
      if (data.toString() !== '') replayed.push(data.toString());
    });
    await vi.waitFor(() => expect(replayed.length).toBe(1), { timeout: 5000 });
    const texts = (JSON.parse(replayed[0] ?? '{}') as { activities: { text?: string }[] }).activities.map(
      (a) => a.text,
    );
    expect(texts).toEqual(['two']);
    again.close();
  });
});

describe('Direct Line emulator: authentication with the bot, both ways', () => {
  it('given a bot registration, when an activity goes to the bot, then it carries an RS256 token for the app id that verifies against the published JWKS', async () => {
    const { conversationId } = await conversation('dl_signed-user');
    await vi.waitFor(() =>
      expect(botRequests.some((r) => r.body.type === 'conversationUpdate' && r.authorization)).toBe(true),
    );
    const authorization = botRequests.at(-1)?.authorization ?? '';
    const [head, payload, signature] = authorization.replace(/^Bearer /, '').split('.') as [
      string,
      string,
      string,
    ];
    const openid = (await (await fetch(`${dl.authority}/v2.0/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    const jwks = (await (await fetch(openid.jwks_uri)).json()) as { keys: { kid: string }[] };
    const { kid } = JSON.parse(Buffer.from(head, 'base64url').toString()) as { kid: string };
    const jwk = jwks.keys.find((k) => k.kid === kid);
    expect(jwk).toBeDefined();
    const key = createPublicKey({ key: jwk as never, format: 'jwk' });
    expect(
      verify('sha256', Buffer.from(`${head}.${payload}`), key, Buffer.from(signature, 'base64url')),
    ).toBe(true);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: openid.issuer, aud: BOT.appId, serviceurl: `${dl.endpoint}/` });
    expect(conversationId).not.toBe('');
  });

  it('given the connector, when the bot calls it without a token, with a forged, expired or other-audience token, then 401; with its client-credentials token, 200', async () => {
    const { conversationId } = await conversation('dl_connector-user');
    expect((await connectorToken('wrong-password')).status).toBe(401);
    const access = (await (await connectorToken()).json()) as { access_token: string };
    const reply = { type: 'message', text: 'hi' };
    expect((await botSends(conversationId, reply)).status).toBe(401);
    const forger = new LocalIdentity(BOT);
    forger.bind(dl.endpoint);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const claims = JSON.parse(Buffer.from(access.access_token.split('.')[1] ?? '', 'base64url').toString());
    const kid = JSON.parse(Buffer.from(access.access_token.split('.')[0] ?? '', 'base64url').toString()).kid;
    expect((await botSends(conversationId, reply, forger.sign(claims, privateKey, kid))).status).toBe(401);
    expect((await botSends(conversationId, reply, `${access.access_token.slice(0, -4)}AAAA`)).status).toBe(
      401,
    );
    expect((await botSends(conversationId, reply, dl.channelToken())).status).toBe(401);
    expect((await botSends(conversationId, reply, access.access_token)).status).toBe(200);
  });
});
