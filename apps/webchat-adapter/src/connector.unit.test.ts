import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from './config.js';
import { ConnectorReplySender, createBotAdapter } from './connector.js';

const LOCAL_ENV = {
  SERVICEBUS_CONNECTION_STRING:
    'Endpoint=sb://localhost;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
  COSMOS_ENDPOINT: 'http://127.0.0.1:8081',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  DIRECTLINE_ENDPOINT: 'http://127.0.0.1:1',
  BOT_AUTH_DISABLED: 'true',
  LOG_LEVEL: 'silent',
};

const channels: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close();
});

/** A Bot Connector that accepts typing (streamed updates) and answers the final message with `finalStatus`. */
async function channel(finalStatus: number) {
  const app = Fastify({ logger: false });
  const received: { type: string; text?: string; channelData?: Record<string, unknown> }[] = [];
  app.post('/v3/conversations/:id/activities/*', async (request, reply) => {
    const activity = request.body as { type: string; text?: string; channelData?: Record<string, unknown> };
    received.push(activity);
    if (activity.type === 'message') return reply.code(finalStatus).send({ id: 'final-1' });
    return { id: 'stream-1' };
  });
  channels.push(app);
  return { serviceUrl: `${await app.listen({ host: '127.0.0.1', port: 0 })}/`, received };
}

function sender() {
  return new ConnectorReplySender(createBotAdapter(readConfig(LOCAL_ENV)), undefined, 0);
}

describe('ConnectorReplySender.stream', () => {
  it('given a channel, when a reply streams, then typing updates carry the text so far with WebChat livestream metadata and the final message is the given text', async () => {
    const { serviceUrl, received } = await channel(200);
    const result = await sender().stream({ serviceUrl, conversationId: 'conv-1' }, 'dl_u', async (stream) => {
      stream.delta('Hello ');
      stream.delta('there.');
      return { result: 42, final: 'Hello there, final.' };
    });
    expect(result).toBe(42);
    const final = received.at(-1);
    expect(final).toMatchObject({ type: 'message', text: 'Hello there, final.' });
    expect(final?.channelData).toMatchObject({ streamType: 'final', streamId: 'stream-1' });
    const updates = received.filter((a) => a.type === 'typing');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[0]?.channelData).toMatchObject({ streamType: 'streaming', streamSequence: 1 });
  });

  it('given a channel that refuses the final message, when a reply streams, then it rejects (the message is retried, not recorded as answered)', async () => {
    const { serviceUrl } = await channel(503);
    await expect(
      sender().stream({ serviceUrl, conversationId: 'conv-1' }, 'dl_u', async (stream) => {
        stream.delta('Hello');
        return { result: 1, final: 'Hello.' };
      }),
    ).rejects.toThrow(/did not reach the channel/);
  });
});
