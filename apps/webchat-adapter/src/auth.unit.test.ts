import type { OmniEvent } from '@omni/contracts';
import Fastify from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { WebchatBot } from './bot.js';
import { readConfig } from './config.js';
import { ConnectorReplySender, createBotAdapter } from './connector.js';

const BASE_ENV = {
  SERVICEBUS_CONNECTION_STRING:
    'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  DIRECTLINE_SECRET: 'directline-secret',
  LOG_LEVEL: 'silent',
};

/** The local Direct Line emulator: the only place Bot Framework auth may be off. */
const LOCAL_ENV = { ...BASE_ENV, DIRECTLINE_ENDPOINT: 'http://127.0.0.1:7080', BOT_AUTH_DISABLED: 'true' };

const AZURE_ENV = {
  ...BASE_ENV,
  MicrosoftAppId: '00000000-0000-0000-0000-0000000000a1',
  MicrosoftAppType: 'UserAssignedMSI',
  MicrosoftAppTenantId: '00000000-0000-0000-0000-0000000000b2',
};

const MESSAGE = {
  type: 'message',
  id: 'act-1',
  text: 'hello',
  channelId: 'directline',
  serviceUrl: 'https://directline.botframework.com/',
  from: { id: 'dl_user-1' },
  recipient: { id: 'omni-bot' },
  conversation: { id: 'conv-1' },
};

const published: OmniEvent[] = [];
const apps: ReturnType<typeof buildApp>[] = [];

function appFor(env: Record<string, string>) {
  const config = readConfig(env);
  const bot = new WebchatBot({
    publisher: {
      publish: async (event) => {
        published.push(event);
      },
      publishAll: async (events) => {
        published.push(...events);
      },
    },
    store: {
      resolveCustomer: async () => {
        throw new Error('not used');
      },
      recentTurns: async () => [],
      openHandoffs: async () => [],
      runOnce: async (_key, fn) => fn({ firstClaimedAt: 0 }),
    },
    recentTurns: 0,
  });
  const app = buildApp({
    config,
    logger: pino({ level: 'silent' }),
    botAdapter: createBotAdapter(config),
    bot,
    directLine: {
      domain: 'https://directline.botframework.com/v3/directline',
      generate: async () => ({ token: 't', conversationId: 'c', expiresIn: 1 }),
    },
    store: {
      redeemHandoffToken: async () => {
        throw new Error('not used');
      },
      startSession: async () => {
        throw new Error('not used');
      },
    },
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  published.length = 0;
  for (const app of apps.splice(0)) await app.close();
});

describe('POST /api/messages authentication', () => {
  it('given Azure mode, when a message arrives without a Bot Framework token, then it is refused with 401 and nothing is enqueued', async () => {
    const app = appFor(AZURE_ENV);
    const response = await app.inject({ method: 'POST', url: '/api/messages', payload: MESSAGE });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(published).toEqual([]);
  });

  it('given Azure mode, when the body is not an activity, then it is answered 400 problem+json', async () => {
    const app = appFor(AZURE_ENV);
    const response = await app.inject({ method: 'POST', url: '/api/messages', payload: { hello: 'world' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('given the local emulator mode, when a message has no sender, then it is answered 400 and nothing is enqueued', async () => {
    const app = appFor(LOCAL_ENV);
    const response = await app.inject({
      method: 'POST',
      url: '/api/messages',
      payload: { ...MESSAGE, from: { id: '' } },
    });
    expect(response.statusCode).toBe(400);
    // The Agents SDK's activity schema refuses it before the bot's own check (which says "sender").
    expect(response.json()).toMatchObject({ detail: expect.stringMatching(/from\.id|sender/) });
    expect(published).toEqual([]);
  });

  it.each([
    ['text is an array', { text: [] }],
    ['channelId is a number', { channelId: 0 }],
    ['from.role is a number', { from: { id: 'dl_user-1', role: 0 } }],
    ['recipient.role is a boolean', { recipient: { id: 'omni-bot', role: true } }],
    ['locale is a number', { locale: -1 }],
    ['serviceUrl is a boolean', { serviceUrl: true }],
    ['conversation.id has a control character', { conversation: { id: '\u0000' } }],
    ['conversation.id is not ASCII', { conversation: { id: '\uffff\ufffe' } }],
  ])(
    'given the local emulator mode, when %s (a 500 before the fuzz found it), then it is answered 400 problem+json and nothing is enqueued',
    async (_name, change) => {
      const app = appFor(LOCAL_ENV);
      const response = await app.inject({
        method: 'POST',
        url: '/api/messages',
        payload: { ...MESSAGE, ...change },
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(published).toEqual([]);
    },
  );

  it('given the local emulator mode, when the channel refuses the typing indicator with a 404 (an unknown conversation), then it is answered 400 and nothing is enqueued', async () => {
    const channel = Fastify({ logger: false });
    channel.post('/v3/conversations/*', async (_request, reply) =>
      reply.code(404).send({ error: { code: 'ConversationNotFound' } }),
    );
    const serviceUrl = `${await channel.listen({ host: '127.0.0.1', port: 0 })}/`;
    try {
      const app = appFor(LOCAL_ENV);
      const response = await app.inject({
        method: 'POST',
        url: '/api/messages',
        payload: { ...MESSAGE, serviceUrl },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ detail: expect.stringContaining('404') });
      expect(published).toEqual([]);
    } finally {
      await channel.close();
    }
  });

  it("given Azure mode, when a queued message asks for a reply to a host that is not Microsoft's, then nothing is posted there", async () => {
    const attacker = Fastify({ logger: false });
    let hits = 0;
    attacker.all('/*', async () => {
      hits += 1;
      return { id: 'x' };
    });
    const serviceUrl = `${await attacker.listen({ host: '127.0.0.1', port: 0 })}/`;
    try {
      const config = readConfig(AZURE_ENV);
      const replies = new ConnectorReplySender(createBotAdapter(config), config.MicrosoftAppId);
      await expect(
        replies.send({ serviceUrl, conversationId: 'conv-1' }, 'dl_user-1', { type: 'message', text: 'hi' }),
      ).rejects.toThrow(/not in the configured allowed hosts/);
      expect(hits).toBe(0);
    } finally {
      await attacker.close();
    }
  });

  it('given Azure mode without an app id, when the config is read, then it fails naming MicrosoftAppId', () => {
    expect(() => readConfig(BASE_ENV)).toThrow(/MicrosoftAppId/);
  });
});

describe('readConfig', () => {
  it.each([
    ['a bot app id', { MicrosoftAppId: '00000000-0000-0000-0000-0000000000a1', MicrosoftAppTenantId: 't' }],
    ["Azure's Direct Line (the default endpoint)", { DIRECTLINE_ENDPOINT: undefined }],
    ['a Cosmos account in Azure', { COSMOS_ENDPOINT: 'https://omni.documents.azure.com:443/' }],
    [
      'a Service Bus namespace',
      { SERVICEBUS_NAMESPACE: 'omni.servicebus.windows.net', SERVICEBUS_CONNECTION_STRING: undefined },
    ],
  ])(
    'given BOT_AUTH_DISABLED=true with %s, when read, then the adapter refuses to start',
    (_name, change) => {
      expect(() => readConfig({ ...LOCAL_ENV, ...change })).toThrow(
        /BOT_AUTH_DISABLED[\s\S]*must not be true with Azure settings/,
      );
    },
  );

  it('given the local emulator settings, when read, then auth is off and no app id is needed', () => {
    const config = readConfig({
      ...BASE_ENV,
      DIRECTLINE_SECRET: undefined,
      DIRECTLINE_ENDPOINT: 'http://127.0.0.1:7080',
      BOT_AUTH_DISABLED: 'true',
    });
    expect(config.BOT_AUTH_DISABLED).toBe(true);
    expect(config.MicrosoftAppId).toBeUndefined();
  });

  it('given a SingleTenant app without its password or tenant, when read, then both are named', () => {
    expect(() =>
      readConfig({ ...BASE_ENV, MicrosoftAppId: 'app', MicrosoftAppType: 'SingleTenant' }),
    ).toThrow(
      /MicrosoftAppTenantId[\s\S]*MicrosoftAppPassword|MicrosoftAppPassword[\s\S]*MicrosoftAppTenantId/,
    );
  });

  it('given neither a Direct Line secret nor an endpoint, when read, then it says which to set', () => {
    expect(() => readConfig({ ...AZURE_ENV, DIRECTLINE_SECRET: undefined })).toThrow(/DIRECTLINE_SECRET/);
  });
});

describe('anonymous abuse: rate limits', () => {
  it('given one web user flooding messages, when the burst is spent, then the next is answered 429 with Retry-After and not enqueued; another user is unaffected', async () => {
    // A local channel that accepts the typing indicators the bot sends before enqueueing.
    const channel = Fastify({ logger: false });
    channel.post('/v3/conversations/*', async () => ({ id: 'typing-1' }));
    const serviceUrl = `${await channel.listen({ host: '127.0.0.1', port: 0 })}/`;
    try {
      const app = appFor({
        ...LOCAL_ENV,
        WEBCHAT_MESSAGE_BURST_PER_USER: '3',
        WEBCHAT_MESSAGES_PER_MINUTE_PER_USER: '6',
      });
      const send = (from: string, id: string) =>
        app.inject({
          method: 'POST',
          url: '/api/messages',
          payload: { ...MESSAGE, id, serviceUrl, from: { id: from } },
        });
      for (const n of [1, 2, 3]) expect((await send('dl_flooder-1', `a${n}`)).statusCode).toBe(200);
      const enqueued = published.length;
      expect(enqueued).toBe(3);
      const refused = await send('dl_flooder-1', 'a4');
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(published.length).toBe(enqueued);
      expect((await send('dl_someone-else', 'b1')).statusCode).toBe(200);
    } finally {
      await channel.close();
    }
  });

  it('given one IP asking for tokens in a loop, when the burst is spent, then it gets 429 with Retry-After', async () => {
    const app = appFor({
      ...LOCAL_ENV,
      WEBCHAT_TOKEN_BURST_PER_IP: '4',
      WEBCHAT_TOKEN_PER_MINUTE_PER_IP: '1',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const response = await app.inject({ method: 'POST', url: '/api/directline/token', payload: {} });
      statuses.push(response.statusCode);
      if (response.statusCode === 429)
        expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });
});
