import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebchatStack, TEST_BOT, type WebchatStack } from './test-support/stack.js';

let stack: WebchatStack;

beforeAll(async () => {
  stack = await startWebchatStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

/** An activity the bot accepts and ignores (no reply needed), so only authentication decides. */
function event() {
  return {
    type: 'event',
    name: 'ping',
    id: 'auth-1',
    channelId: 'directline',
    serviceUrl: `${stack.directLine.endpoint}/`,
    from: { id: 'dl_auth-user', role: 'user' },
    recipient: { id: 'omni-bot', role: 'bot' },
    conversation: { id: 'auth-conversation' },
  };
}

function post(authorization: string | undefined): Promise<Response> {
  return fetch(`${stack.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(event()),
  });
}

/** The same claims and key id as a valid token, signed with a key of the attacker's own. */
function forged(valid: string): string {
  const [head, body] = valid.split('.') as [string, string];
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`;
}

function unsigned(valid: string): string {
  const [, body] = valid.split('.') as [string, string];
  const head = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  return `${head}.${body}.`;
}

describe('POST /api/messages: the Azure Bot token, checked for real (local OpenID configuration + JWKS)', () => {
  it('given a token the channel signed for this app, when posted, then the activity is accepted', async () => {
    const response = await post(`Bearer ${stack.directLine.channelToken()}`);
    expect(response.status).toBe(200);
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each([
    ['no token', () => undefined],
    ['a malformed header', () => 'Basic abc'],
    [
      'another issuer',
      () => `Bearer ${stack.directLine.channelToken({ iss: 'https://login.example.invalid/x/v2.0' })}`,
    ],
    [
      'another audience',
      () => `Bearer ${stack.directLine.channelToken({ aud: '00000000-0000-0000-0000-0000000000ff' })}`,
    ],
    [
      'an expired token (beyond the 5 minutes of clock skew)',
      () =>
        `Bearer ${stack.directLine.channelToken({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 600 })}`,
    ],
    [
      'a forged signature (same claims and key id, another key)',
      () => `Bearer ${forged(stack.directLine.channelToken())}`,
    ],
    ['an unsigned token (alg none)', () => `Bearer ${unsigned(stack.directLine.channelToken())}`],
  ])('given %s, when posted, then 401 problem+json', async (_name, authorization) => {
    const response = await post(authorization());
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('given a valid token for another serviceUrl, when posted, then it is refused 400 (the reply address must be the one the channel vouched for)', async () => {
    const response = await post(
      `Bearer ${stack.directLine.channelToken({ serviceurl: 'https://attacker.example/' })}`,
    );
    expect(response.status).toBe(400);
  });

  it('given the emulator as the channel, when the bot replies, then its connector token came from the client credentials of its app (the emulator refuses any other)', async () => {
    const generated = await fetch(`${stack.directLine.domain}/tokens/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.directLine.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: 'dl_auth-reply' } }),
    });
    const { token } = (await generated.json()) as { token: string };
    const started = await fetch(`${stack.directLine.domain}/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const { conversationId } = (await started.json()) as { conversationId: string };
    const posted = await fetch(`${stack.directLine.domain}/conversations/${conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', from: { id: 'dl_auth-reply' }, text: 'echo signed' }),
    });
    // 200 only if the bot accepted the emulator's token and the emulator accepted the bot's (typing reply).
    expect(posted.status).toBe(200);
    expect(TEST_BOT.appId).not.toBe('');
  });
});
