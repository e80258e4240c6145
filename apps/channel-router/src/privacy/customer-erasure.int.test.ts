import { randomUUID } from 'node:crypto';
import { AIProjectClient } from '@azure/ai-projects';
import { createEvent } from '@omni/contracts';
import { sampleEvent } from '@omni/contracts/testing';
import {
  classificationCacheKey,
  FoundryConversationRecords,
  RedisClassificationCache,
} from '@omni/conversation';
import { createContextCache, createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import {
  type FoundryEmulator,
  startFoundryEmulator,
  staticTokenCredential,
  trustFoundryEmulator,
} from '@omni/emulators/foundry';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import {
  createServiceBusClient,
  DeadLetterQueues,
  EventPublisher,
  isAbout,
  PendingSessions,
} from '@omni/messaging';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readConfig } from '../config.js';
import { RedisQueueState } from '../queue/redis-queue-state.js';
import { createRouter } from '../wiring.js';
import { CustomerErasureJob } from './customer-erasure-job.js';
import type { CustomerExport } from './customer-export.js';
import { CosmosErasureJournal, erasureId } from './erasure-journal.js';
import { RedisCustomerTraces } from './redis-customer-traces.js';

// Erasure and export end to end, on the in-repo Service Bus, Cosmos and Foundry emulators and a real Redis: a
// customer who used voice, WhatsApp and web chat, with a handoff, a queue item, call state, pending and
// dead-lettered messages and a Foundry conversation, is erased through the ops API; then every store is queried.

const API_KEY = 'test-ops-key-0123456789';
// Unique per run (and per process), so keys a crashed earlier run left behind never collide.
const run = `${Date.now().toString(36)}-${process.pid}`;
const prefixes = {
  router: `omni:router:erase-test:${run}:`,
  voice: `voice:erase-test:${run}:`,
  classification: `omni:erase-test:${run}:`,
  context: `omni:ctx:erase-test:${run}:`,
};

let bus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let foundry: FoundryEmulator;
let untrust: () => void;
let router: FastifyInstance;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let context: ReturnType<typeof createCustomerContextStore>;
let redis: Redis;
let queue: RedisQueueState;
let openai: OpenAI;
let env: Record<string, string>;
let phones = 0;

interface SeededCustomer {
  customerId: string;
  phone: string;
  bsuid: string;
  webUser: string;
  conversationId: string;
  utterance: string;
}

/** A customer who called, wrote on WhatsApp and on web chat, was offered a handoff and waits for a human. */
async function customerWhoUsedEverything(): Promise<SeededCustomer> {
  phones += 1;
  const phone = `+1425556${String(1000 + phones).padStart(4, '0')}`;
  const bsuid = `US.${randomUUID()}`;
  const webUser = `web-${randomUUID()}`;
  const { store } = context;
  const { customer } = await store.resolveCustomer({ kind: 'phone', value: phone });
  const customerId = customer.customerId;
  await store.linkIdentity(customerId, { kind: 'whatsapp-bsuid', value: bsuid });
  await store.linkIdentity(customerId, { kind: 'webchat', value: webUser });
  const conversation = await openai.conversations.create({ metadata: { customerId } });
  await openai.conversations.items.create(conversation.id, {
    items: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: `power cut ${customerId}` }] },
    ],
  });
  await store.getOrCreateConversationId(customerId, async () => conversation.id);
  const utterance = `My power is out at ${phones} Cardigan Road`;
  for (const channel of ['voice', 'whatsapp', 'webchat'] as const) {
    await store.startSession(customerId, channel, `${channel}-${customerId}`);
    await store.recordTurn(customerId, {
      channel,
      sessionId: `${channel}-${customerId}`,
      role: 'customer',
      text: channel === 'voice' ? utterance : `on ${channel}`,
      at: new Date(),
    });
  }
  await store.updateSummary(customerId, `Power cut reported by ${customerId}`, { postcode: 'LS6 1LF' });
  await store.issueHandoffToken(customerId, 'webchat');
  await store.runOnce(`refund:${customerId}:order-1`, async () => ({ refunded: 10 }));
  await queue.enqueue({
    id: `escalation:${randomUUID()}`,
    queue: 'messaging',
    kind: 'messaging',
    customerId,
    channel: 'whatsapp',
    priority: 5,
    enqueuedAt: Date.now(),
    summary: `Summary about ${customerId}`,
    correlationId: customerId,
  });
  await redis.set(
    `${prefixes.voice}call:ref-${customerId}`,
    JSON.stringify({ ref: `ref-${customerId}`, customerId, phone, callConnectionId: `cc-${customerId}` }),
  );
  await redis.set(`${prefixes.voice}conn:cc-${customerId}`, `ref-${customerId}`);
  await new RedisClassificationCache(redis, { prefix: prefixes.classification }).set(
    classificationCacheKey('utilities', utterance),
    { agent_id: 'Outage', confidence: 0.9, ambiguous: false, intent_summary: 'outage', entities: {} },
  );
  // Two WhatsApp notices and one inbound message wait for the WhatsApp adapter (not running here); one notice is
  // dead-lettered.
  for (let n = 0; n < 2; n++) {
    await publisher.publish(
      sampleEvent('handoff.dispatched', {
        customerId,
        handoffId: `ho_${randomUUID()}`,
        toChannel: 'whatsapp',
        deliveryChannel: 'whatsapp',
      }),
    );
  }
  await publisher.publish(
    sampleEvent('message.received', {
      sender: { phone, whatsappBsuid: bsuid },
      senderKey: `phone:${phone}`,
      text: `inbound from ${customerId}`,
    }),
  );
  const session = await sb.acceptSession('handoff-events', 'whatsapp-adapter', customerId);
  const [first] = await session.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
  if (first === undefined) throw new Error('no handoff notice to dead-letter');
  await session.deadLetterMessage(first, {
    deadLetterReason: 'TemplateRejected',
    deadLetterErrorDescription: 'the template was rejected',
  });
  await session.close();
  return { customerId, phone, bsuid, webUser, conversationId: conversation.id, utterance };
}

const ops = (method: 'GET' | 'DELETE', url: string) =>
  router.inject({ method, url, headers: { 'x-api-key': API_KEY } });

/** Everything under the test's Redis prefixes and the context cache, as text (keys and values). */
async function redisText(): Promise<string> {
  const parts: string[] = [];
  for (const pattern of Object.values(prefixes).map((p) => `${p}*`)) {
    for (const key of await redis.keys(pattern)) {
      const type = await redis.type(key);
      const value = type === 'string' ? ((await redis.get(key)) ?? '') : '';
      // The context cache remembers an erased customer as gone (`<version>|null`, until its TTL) so that no
      // replica serves a stale copy: an id and nothing else.
      if (key.startsWith(`${prefixes.context}customer:`) && value.endsWith('|null')) continue;
      parts.push(key);
      if (type === 'string') parts.push(value);
      if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, '0', '-1')));
      if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    }
  }
  return parts.join('\n');
}

/**
 * Messages about the customer anywhere on Service Bus (active, deferred, scheduled, dead-lettered), read through the
 * emulator's broker so that no session lock is needed.
 */
function serviceBusAbout(customer: SeededCustomer): { entity: string; sequenceNumber: number }[] {
  const ids = new Set([customer.customerId, `phone:${customer.phone}`]);
  const entities = bus.broker.receivableEntities();
  return [...entities, ...entities.flatMap((entity) => entity.deadLetterQueue ?? [])].flatMap((entity) =>
    entity
      .list('all')
      .filter((message) => {
        const raw = message.amqp.body as { content?: unknown } | undefined;
        const body = raw !== null && typeof raw === 'object' && 'content' in raw ? raw.content : raw;
        return isAbout({ sessionId: message.sessionId, body }, ids);
      })
      .map((message) => ({ entity: entity.path, sequenceNumber: message.sequenceNumber })),
  );
}

async function cosmosCounts(customerId: string): Promise<Record<string, number>> {
  const { containers } = context;
  const database = containers.customers.database;
  const queries: [string, string][] = [
    ['customers', 'c.id = @id OR c.mergedInto = @id'],
    ['identities', 'c.customerId = @id'],
    ['transcripts', 'c.customerId = @id'],
    ['handoffs', 'c.customerId = @id'],
    ['idempotency', 'CONTAINS(c.key, @id)'],
    ['calls', 'c.session.customerId = @id'],
  ];
  const counts: Record<string, number> = {};
  for (const [name, where] of queries) {
    const { resources } = await database
      .container(name)
      .items.query<number>({
        query: `SELECT VALUE COUNT(1) FROM c WHERE ${where}`,
        parameters: [{ name: '@id', value: customerId }],
      })
      .fetchAll();
    counts[name] = resources[0] ?? 0;
  }
  return counts;
}

async function conversationExists(conversationId: string): Promise<boolean> {
  try {
    await openai.conversations.retrieve(conversationId);
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}

async function droppedMetric(): Promise<number> {
  const text = (await router.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith('omni_erased_customer_events_dropped_total{'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function expectNothingLeftAbout(customer: SeededCustomer): Promise<void> {
  expect(await cosmosCounts(customer.customerId)).toEqual({
    customers: 0,
    identities: 0,
    transcripts: 0,
    handoffs: 0,
    idempotency: 0,
    calls: 0,
  });
  expect((await ops('GET', `/api/customers/${customer.customerId}/export`)).statusCode).toBe(404);
  expect(await conversationExists(customer.conversationId)).toBe(false);
  const text = await redisText();
  for (const trace of [customer.customerId, customer.phone, customer.utterance.toLowerCase()]) {
    expect(text.split('\n').filter((line) => line.includes(trace))).toEqual([]);
  }
  expect(serviceBusAbout(customer)).toEqual([]);
  const { resource: audit } = await context.containers.customers.database
    .container('erasures')
    .item(erasureId(customer.customerId), erasureId(customer.customerId))
    .read();
  expect(audit).toMatchObject({ status: 'completed' });
  for (const trace of [customer.customerId, customer.phone, customer.bsuid, customer.webUser]) {
    expect(JSON.stringify(audit)).not.toContain(trace);
  }
}

beforeAll(async () => {
  [bus, cosmos, foundry] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startFoundryEmulator({ port: 0 }),
  ]);
  untrust = trustFoundryEmulator(foundry);
  env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'r'.repeat(48),
    OPS_API_KEY: API_KEY,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    FOUNDRY_PROJECT_ENDPOINT: foundry.endpoint,
    ERASURE_RESUME_INTERVAL_SECONDS: '1',
    // Longer than any step under load: the router's resume must not take over an erasure a request is running.
    ERASURE_LEASE_SECONDS: '120',
    LOG_LEVEL: 'silent',
  };
  router = await createRouter(readConfig(env), pino({ level: 'silent' }), {
    redisPrefix: prefixes.router,
    voiceRedisPrefix: prefixes.voice,
    classificationPrefix: prefixes.classification,
    contextCachePrefix: prefixes.context,
  });
  await router.ready();
  sb = createServiceBusClient({ connectionString: bus.connectionString });
  publisher = new EventPublisher({ client: sb });
  context = createCustomerContextStore(readConfig(env), {
    cache: createContextCache(env.REDIS_URL, { prefix: prefixes.context }),
  });
  redis = new Redis(env.REDIS_URL ?? '', { maxRetriesPerRequest: 1 });
  queue = new RedisQueueState({ redis, prefix: prefixes.router });
  openai = new AIProjectClient(foundry.endpoint, staticTokenCredential()).getOpenAIClient({ maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await router?.close();
  await publisher?.close();
  await sb?.close();
  await context?.close();
  if (redis !== undefined) {
    for (const prefix of Object.values(prefixes)) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  }
  untrust?.();
  await Promise.all([cosmos?.stop(), bus?.stop(), foundry?.stop()]);
}, 30_000);

describe('customer export and erasure through the ops API', () => {
  it('given a customer of all three channels, when exported, then the document holds every record the test created', async () => {
    const customer = await customerWhoUsedEverything();

    const response = await ops('GET', `/api/customers/${customer.customerId}/export`);

    expect(response.statusCode).toBe(200);
    const exported = response.json() as CustomerExport;
    const { records } = exported;
    expect(records.customer).toMatchObject({
      id: customer.customerId,
      summary: `Power cut reported by ${customer.customerId}`,
      collectedData: { postcode: 'LS6 1LF' },
      foundryConversationId: customer.conversationId,
    });
    expect(
      ((records.customer?.sessions ?? []) as { channel: string }[]).map((s) => s.channel).sort(),
    ).toEqual(['voice', 'webchat', 'whatsapp']);
    expect(records.identities.map((doc) => doc.id).sort()).toEqual(
      [`phone:${customer.phone}`, `webchat:${customer.webUser}`, `whatsapp-bsuid:${customer.bsuid}`].sort(),
    );
    expect(records.partitions.transcripts?.filter((doc) => doc.type === 'turn')).toHaveLength(3);
    expect(records.partitions.handoffs).toHaveLength(1);
    expect(records.idempotency.map((doc) => doc.key)).toEqual([`refund:${customer.customerId}:order-1`]);
    expect(exported.foundryConversations).toEqual([
      { conversationId: customer.conversationId, items: [expect.objectContaining({ type: 'message' })] },
    ]);
    expect(JSON.stringify(exported.foundryConversations)).toContain(`power cut ${customer.customerId}`);
    // The queue item (with the summary the agent reads) and the dead-lettered handoff notice, with its event.
    expect(exported.queue.waiting).toEqual([
      expect.objectContaining({
        customerId: customer.customerId,
        summary: `Summary about ${customer.customerId}`,
      }),
    ]);
    expect(exported.deadLetters).toEqual([
      expect.objectContaining({
        entity: 'handoff-events/Subscriptions/whatsapp-adapter',
        reason: 'TemplateRejected',
        eventType: 'handoff.dispatched',
      }),
    ]);
    expect(JSON.stringify(exported.deadLetters[0]?.event)).toContain(customer.customerId);
  }, 60_000);

  it('given two customers, when one is erased, then no store holds anything about them, the other is untouched, their identities resolve to a new empty customer and later events are dropped', async () => {
    const erased = await customerWhoUsedEverything();
    const kept = await customerWhoUsedEverything();
    const keptExport = (
      await ops('GET', `/api/customers/${kept.customerId}/export`)
    ).json() as CustomerExport;
    const keptBus = serviceBusAbout(kept);
    expect(keptBus.length).toBeGreaterThanOrEqual(3);

    const lookup = await ops('GET', `/api/customers?phone=${encodeURIComponent(erased.phone)}`);
    expect(lookup.json()).toEqual({ customerId: erased.customerId });
    const response = await ops('DELETE', `/api/customers/${erased.customerId}`);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      erasure: { id: erasureId(erased.customerId), status: 'completed', runs: 1 },
    });
    await expectNothingLeftAbout(erased);
    // The other customer: every record, the conversation, Redis entries and messages are still there.
    const keptAfter = (await ops('GET', `/api/customers/${kept.customerId}/export`)).json() as CustomerExport;
    expect(keptAfter.records).toEqual(keptExport.records);
    expect(keptAfter.foundryConversations).toEqual(keptExport.foundryConversations);
    const text = await redisText();
    expect(text).toContain(`Summary about ${kept.customerId}`);
    expect(text).toContain(`${prefixes.voice}call:ref-${kept.customerId}`);
    expect(text).toContain(kept.utterance.toLowerCase());
    expect(serviceBusAbout(kept)).toEqual(keptBus);
    // A repeated erase is answered from the audit record.
    expect((await ops('DELETE', `/api/customers/${erased.customerId}`)).json()).toMatchObject({
      erasure: { status: 'completed', runs: 1 },
    });
    // The erased customer's identities now resolve to a new, empty customer.
    const again = await context.store.resolveCustomer({ kind: 'phone', value: erased.phone });
    expect(again.created).toBe(true);
    expect(again.customer).toMatchObject({ summary: null, collectedData: {}, foundryConversationId: null });
    // A late event about the erased customer is dropped and counted.
    const before = await droppedMetric();
    await publisher.publish(
      createEvent(
        'handoff.requested',
        {
          handoffId: `ho_${randomUUID()}`,
          customerId: erased.customerId,
          fromChannel: 'voice',
          toChannel: 'whatsapp',
          reason: 'late',
          summary: 'late',
          collectedData: {},
          requestedAt: new Date().toISOString(),
        },
        { source: '/apps/voice-adapter', correlationId: erased.customerId },
      ),
    );
    await vi.waitFor(async () => expect(await droppedMetric()).toBe(before + 1), {
      timeout: 20_000,
      interval: 200,
    });
    expect(await cosmosCounts(erased.customerId)).toMatchObject({ customers: 0, handoffs: 0 });
  }, 120_000);

  it('given an erasure that crashes half-way, then the router resumes it and finishes', async () => {
    const customer = await customerWhoUsedEverything();
    const journal = new CosmosErasureJournal(context.containers.customers.database.container('erasures'));
    const healthy = new FoundryConversationRecords({
      project: new AIProjectClient(foundry.endpoint, staticTokenCredential()),
      openAIClientOptions: { maxRetries: 0 },
    });
    // A runner that fails in the Foundry step, after Service Bus and Redis are done (it holds the erasure while it
    // runs, and gives it back when the step fails; a killed process's lease runs out instead).
    const crashing = new CustomerErasureJob({
      journal,
      leaseMs: 60_000,
      records: context.store,
      queueState: queue,
      redisTraces: new RedisCustomerTraces({
        redis,
        voicePrefix: prefixes.voice,
        classificationPrefix: prefixes.classification,
      }),
      deadLetters: new DeadLetterQueues({ client: sb }),
      pendingSessions: new PendingSessions({ client: sb }),
      conversations: {
        items: (id) => healthy.items(id),
        delete: async () => {
          throw new Error('process killed');
        },
      },
    });

    await expect(crashing.erase(customer.customerId, 'api-key')).rejects.toThrow('process killed');

    const interrupted = await journal.get(customer.customerId);
    expect(interrupted).toMatchObject({ status: 'running', runs: 1 });
    expect(Object.keys(interrupted?.steps ?? {})).toEqual(['service-bus', 'redis']);
    expect(await conversationExists(customer.conversationId)).toBe(true);
    // The router's periodic resume picks it up.
    await vi.waitFor(
      async () =>
        expect(await journal.get(customer.customerId)).toMatchObject({ status: 'completed', runs: 2 }),
      { timeout: 20_000, interval: 200 },
    );
    await expectNothingLeftAbout(customer);
  }, 120_000);
});
