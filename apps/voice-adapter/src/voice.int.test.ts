import { createServer } from 'node:net';
import { createEvent } from '@omni/contracts';
import { type AcsCallingEmulator, startAcsCallingEmulator } from '@omni/emulators/acs-calling';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher, QueueStatusView } from '@omni/messaging';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Config, readConfig } from './config.js';
import { createAdapter } from './wiring.js';

const SECRET = 'test-webhook-secret-0123456789';
const WAIT = { timeout: 15_000, interval: 25 };

let bus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let acs: AcsCallingEmulator;
let app: FastifyInstance;
let port: number;
let config: Config;
let env: Record<string, string>;
let view: QueueStatusView;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let phoneCounter = 0;

function phone(): string {
  phoneCounter += 1;
  return `+1425555${String(2000 + phoneCounter).padStart(4, '0')}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startAdapter(): Promise<FastifyInstance> {
  // No REDIS_URL: call state lives in the Cosmos `calls` container (the Redis store has its own test).
  const adapter = await createAdapter(config, pino({ level: 'silent' }), { env, queueStatusView: view });
  await adapter.listen({ host: '127.0.0.1', port });
  return adapter;
}

function call(id: string) {
  const found = acs.calls.get(id);
  if (found === undefined) throw new Error(`no call ${id}`);
  return found;
}

/** Everything the caller heard, in order. */
function heard(id: string): string[] {
  return call(id).played.map((p) => p.content.replace(/<[^>]+>/g, ''));
}

/** Waits until the adapter listens (a recognize is pending) and returns its input type. */
async function listening(id: string): Promise<string> {
  await vi.waitFor(() => expect(call(id).pendingRecognize).toBeDefined(), WAIT);
  return call(id).pendingRecognize?.inputType ?? '';
}

async function ended(id: string): Promise<void> {
  await vi.waitFor(() => expect(call(id).state).toBe('disconnected'), WAIT);
  await acs.calls.idle();
}

/** Dials in and waits for the greeting. */
async function dial(from: string): Promise<string> {
  const dialed = await acs.calls.dial(from);
  await listening(dialed.callConnectionId);
  return dialed.callConnectionId;
}

/** Peeks the channel-router's subscription of a topic through the emulator's inspection API (locks nothing). */
async function routerSees(topic: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const path = encodeURIComponent(`${topic}/Subscriptions/channel-router`);
  const response = await fetch(`${bus.httpUrl}/entities/${path}/messages?state=active&limit=1000`);
  const page = (await response.json()) as { messages: { body?: unknown }[] };
  return page.messages.map((m) => m.body as { type: string; data: Record<string, unknown> });
}

async function setQueue(estimatedWaitSeconds: number, depth: number): Promise<void> {
  const at = new Date().toISOString();
  await publisher.publish(
    createEvent(
      'queue.status.changed',
      {
        queue: 'support',
        depth,
        longestWaitSeconds: estimatedWaitSeconds,
        estimatedWaitSeconds,
        availableAgents: 0,
        level: estimatedWaitSeconds > 120 ? 'high' : 'normal',
        massEvent: false,
        at,
      },
      { source: '/apps/channel-router', correlationId: `qs-${at}` },
    ),
  );
  // Through the bus and the adapter's queue-status consumer.
  await vi.waitFor(() => expect(view.statusOf('support').at).toBe(at), WAIT);
}

beforeAll(async () => {
  [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsCallingEmulator({ port: 0 }),
  ]);
  port = await freePort();
  env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'k'.repeat(48),
    ACS_CONNECTION_STRING: acs.connectionString,
    VOICE_CALLBACK_BASE_URL: `http://127.0.0.1:${port}`,
    COGNITIVE_SERVICES_ENDPOINT: 'https://cognitive.example.com',
    EVENTGRID_WEBHOOK_SECRET: SECRET,
    // Every callback must carry the emulator's signed JWT: the production check runs against its local issuer.
    ACS_CALLBACK_AUDIENCE: acs.resourceId,
    ACS_CALLBACK_OPENID_CONFIGURATION: acs.openIdConfigurationUrl,
    VOICE_HOLD_PAUSE_SECONDS: '0',
    LOG_LEVEL: 'silent',
  };
  config = readConfig(env);
  view = new QueueStatusView();
  app = await startAdapter();
  await acs.calls.connect(`http://127.0.0.1:${port}/api/incoming-call`, { secret: SECRET });
  sb = createServiceBusClient({ connectionString: bus.connectionString });
  publisher = new EventPublisher({ client: sb });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await publisher?.close();
  await sb?.close();
  await Promise.all([acs?.stop(), cosmos?.stop(), bus?.stop()]);
}, 30_000);

describe('voice-adapter through its webhooks and the ACS Call Automation emulator', () => {
  it('given a caller, when they talk and say goodbye, then the agent answers turn by turn and hangs up', async () => {
    const id = await dial(phone());
    expect(call(id).cognitiveServicesEndpoint).toBe('https://cognitive.example.com');
    expect(heard(id)[0]).toContain('How can I help you today?');
    acs.calls.say(id, 'My power is out at 14 Cardigan Road, LS6 1LF');
    await vi.waitFor(() => expect(heard(id).length).toBe(2), WAIT);
    await listening(id);
    expect(heard(id)[1]).not.toMatch(/[*#`]/);
    acs.calls.say(id, "That's all, thanks, bye");
    await ended(id);
    expect(call(id).hangUpBy).toBe('application');
    expect(heard(id).at(-1)).toMatch(/goodbye/i);
    const sessionId = new URL(call(id).callbackUri ?? '').pathname.split('/').at(-1);
    await vi.waitFor(async () => {
      const events = (await routerSees('conversation-events')).filter((e) => e.data.sessionId === sessionId);
      expect(events.map((e) => `${e.type}${e.data.role ? `:${e.data.role}` : ''}`)).toEqual([
        'conversation.session.started',
        'conversation.turn.recorded:user',
        'conversation.turn.recorded:assistant',
        'conversation.turn.recorded:user',
        'conversation.turn.recorded:assistant',
        'conversation.session.ended',
      ]);
      expect(events.at(-1)?.data).toMatchObject({ channel: 'voice', status: 'completed' });
    }, WAIT);
  });

  it('given a silent caller, then they are re-prompted twice and then told goodbye', async () => {
    const id = await dial(phone());
    acs.calls.silence(id);
    await listening(id);
    acs.calls.silence(id, 'noMatch');
    await listening(id);
    acs.calls.silence(id);
    await ended(id);
    const prompts = heard(id);
    expect(prompts.filter((p) => p.includes("didn't catch that"))).toHaveLength(2);
    expect(prompts.at(-1)).toContain("can't hear you");
    expect(call(id).hangUpBy).toBe('application');
  });

  it('given a long queue, when the caller accepts the switch with DTMF 1, then handoff.requested carries the summary and the call ends', async () => {
    await setQueue(600, 70);
    const from = phone();
    const id = await dial(from);
    acs.calls.say(id, 'My power is out at 14 Cardigan Road, LS6 1LF');
    await vi.waitFor(() => expect(heard(id).length).toBe(2), WAIT);
    await listening(id);
    acs.calls.say(id, 'I want to talk to a real person');
    expect(await listening(id)).toBe('speechOrDtmf');
    expect(heard(id).at(-1)).toMatch(/WhatsApp/);
    expect(heard(id).at(-1)).toContain('press 1');
    acs.calls.press(id, '1');
    await ended(id);
    expect(heard(id).at(-1)).toContain('check your WhatsApp');
    await vi.waitFor(async () => {
      const requested = (await routerSees('handoff-events')).find(
        (e) => e.type === 'handoff.requested' && (e.data.address as { phone?: string })?.phone === from,
      );
      expect(requested?.data).toMatchObject({ fromChannel: 'voice', toChannel: 'whatsapp' });
      expect(String(requested?.data.summary)).toMatch(/LS6 1LF|outage/i);
    }, WAIT);
  });

  it('given a long queue, when the caller asks for web chat, then handoff.requested goes to web chat and the call ends', async () => {
    await setQueue(600, 70);
    const from = phone();
    const id = await dial(from);
    acs.calls.say(id, 'My power is out at 14 Cardigan Road, LS6 1LF');
    await vi.waitFor(() => expect(heard(id).length).toBe(2), WAIT);
    await listening(id);
    acs.calls.say(id, 'I want to talk to a real person');
    await listening(id);
    expect(heard(id).at(-1)).toContain('press 3');
    acs.calls.say(id, 'Web chat please');
    await ended(id);
    expect(heard(id).at(-1)).toContain('web chat');
    await vi.waitFor(async () => {
      const requested = (await routerSees('handoff-events')).find(
        (e) => e.type === 'handoff.requested' && (e.data.address as { phone?: string })?.phone === from,
      );
      expect(requested?.data).toMatchObject({ fromChannel: 'voice', toChannel: 'webchat' });
    }, WAIT);
  });

  it('given a long queue, when the caller declines, then call.queued, hold announcements, and call.assigned transfers the call', async () => {
    await setQueue(600, 70);
    const id = await dial(phone());
    acs.calls.say(id, 'Can I speak to a human please');
    await listening(id);
    acs.calls.say(id, "No thanks, I'll wait");
    await vi.waitFor(
      () => expect(heard(id).filter((p) => p.includes('estimated wait')).length).toBeGreaterThan(1),
      WAIT,
    );
    let queued: { data: Record<string, unknown> } | undefined;
    await vi.waitFor(async () => {
      queued = (await routerSees('queue-events')).find(
        (e) => e.type === 'call.queued' && e.data.callId === id,
      );
      expect(queued?.data).toMatchObject({ queue: 'support' });
    }, WAIT);
    await publisher.publish(
      createEvent(
        'call.assigned',
        {
          callId: id,
          customerId: String(queued?.data.customerId),
          queue: 'support',
          agentId: 'agent-7',
          assignedAt: new Date().toISOString(),
          waitSeconds: 3,
        },
        { source: '/apps/channel-router', correlationId: id },
      ),
    );
    await ended(id);
    expect(call(id).transfers).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
    expect(call(id).transfers[0]?.target.rawId).toBe('8:acs:agent-7');
  });

  it('given a queued caller, when they hang up, then call.abandoned is published', async () => {
    await setQueue(600, 70);
    const id = await dial(phone());
    acs.calls.say(id, 'I need a human');
    await listening(id);
    acs.calls.press(id, '2');
    await vi.waitFor(() => expect(heard(id).some((p) => p.includes("You're in the queue"))).toBe(true), WAIT);
    acs.calls.callerHangsUp(id);
    await vi.waitFor(async () => {
      const abandoned = (await routerSees('queue-events')).find(
        (e) => e.type === 'call.abandoned' && e.data.callId === id,
      );
      expect(abandoned?.data).toMatchObject({ queue: 'support' });
    }, WAIT);
  });

  it('given a withheld number, when the caller accepts the switch, then no keyed-in number is used: they are told why and wait for a person', async () => {
    await setQueue(600, 70);
    const id = await dial('anonymous');
    acs.calls.say(id, 'Let me talk to a representative');
    expect(await listening(id)).toBe('speechOrDtmf');
    acs.calls.say(id, 'Yes please');
    await vi.waitFor(
      () => expect(heard(id).some((p) => p.includes('only send messages to the number'))).toBe(true),
      WAIT,
    );
    const customerId = await vi.waitFor(async () => {
      const queued = (await routerSees('queue-events')).find(
        (e) => e.type === 'call.queued' && e.data.callId === id,
      );
      expect(queued).toBeDefined();
      return queued?.data.customerId;
    }, WAIT);
    // Nothing was asked of a number, and no handoff (no message to anyone) was requested for this caller.
    expect(heard(id).some((p) => p.includes('key in your mobile number'))).toBe(false);
    const handoffs = (await routerSees('handoff-events')).filter(
      (e) => e.type === 'handoff.requested' && e.data.customerId === customerId,
    );
    expect(handoffs).toEqual([]);
  });

  it('given a failed transfer, then the caller stays on hold and a later hang-up is an abandon', async () => {
    await setQueue(30, 2);
    const id = await dial(phone());
    acs.calls.say(id, 'I want a human');
    await vi.waitFor(() => expect(heard(id).some((p) => p.includes("You're in the queue"))).toBe(true), WAIT);
    acs.calls.failNextTransfer();
    const customerId = await vi.waitFor(async () => {
      const queued = (await routerSees('queue-events')).find(
        (e) => e.type === 'call.queued' && e.data.callId === id,
      );
      expect(queued).toBeDefined();
      return String(queued?.data.customerId);
    }, WAIT);
    await publisher.publish(
      createEvent(
        'call.assigned',
        {
          callId: id,
          customerId,
          queue: 'support',
          agentId: '+14255550999',
          assignedAt: new Date().toISOString(),
          waitSeconds: 1,
        },
        { source: '/apps/channel-router', correlationId: id },
      ),
    );
    await vi.waitFor(() => expect(heard(id).some((p) => p.includes('still in the queue'))).toBe(true), WAIT);
    expect(call(id).transfers).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    expect(call(id).transfers[0]?.target.rawId).toBe('4:+14255550999');
    acs.calls.callerHangsUp(id);
    await vi.waitFor(async () => {
      const abandoned = (await routerSees('queue-events')).find(
        (e) => e.type === 'call.abandoned' && e.data.callId === id,
      );
      expect(abandoned).toBeDefined();
    }, WAIT);
  });

  it('given a callback delivered twice, then it causes one action', async () => {
    await setQueue(10, 1);
    const id = await dial(phone());
    acs.calls.say(id, 'What is my balance on account 12345678?');
    await vi.waitFor(() => expect(heard(id).length).toBe(2), WAIT);
    await listening(id);
    await acs.calls.idle();
    const recognized = call(id).callbacks.find((e) => e.type.endsWith('RecognizeCompleted'));
    acs.calls.redeliver(recognized?.id ?? '');
    await acs.calls.idle();
    const deliveries = call(id).deliveries.filter((d) => d.eventId === recognized?.id);
    expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(heard(id).length).toBe(2);
    acs.calls.callerHangsUp(id);
    await ended(id);
  });

  it('given a forged callback, then it is refused with 401 (and a malformed one with 400)', async () => {
    const id = await dial(phone());
    const uri = new URL(call(id).callbackUri ?? '');
    const body = JSON.stringify(call(id).callbacks);
    const signed = { authorization: `Bearer ${acs.callbackToken()}` };
    const post = (url: string, payload = body, headers: Record<string, string> = signed) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });
    expect((await post(`${uri.origin}${uri.pathname}`)).status).toBe(401);
    expect((await post(`${uri.origin}${uri.pathname}?secret=forged`)).status).toBe(401);
    expect((await post(`${uri.origin}/api/callbacks/unknown?secret=forged`)).status).toBe(401);
    // The right per-call secret without ACS's signed token: the callback JWT check refuses it.
    expect((await post(uri.toString(), body, {})).status).toBe(401);
    const malformed = await post(uri.toString(), JSON.stringify([{ nothing: 'here' }]));
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    acs.calls.callerHangsUp(id);
    await ended(id);
  });

  it('given a restart mid-call, then the same conversation continues', async () => {
    await setQueue(10, 1);
    const id = await dial(phone());
    acs.calls.say(id, 'My power is out');
    await vi.waitFor(() => expect(heard(id).length).toBe(2), WAIT);
    await listening(id);
    const beforeRestart = heard(id)[1];
    // The last callback may still be in flight: closing lets it finish and does not wait for ACS's keep-alive socket.
    await app.close();
    app = await startAdapter();
    acs.calls.say(id, 'The postcode is LS6 1LF');
    await vi.waitFor(() => expect(heard(id).length).toBe(3), WAIT);
    await listening(id);
    expect(beforeRestart).toMatch(/postcode/i);
    expect(heard(id)[2]).toMatch(/LS6 1LF/);
    acs.calls.callerHangsUp(id);
    await ended(id);
  });
});
