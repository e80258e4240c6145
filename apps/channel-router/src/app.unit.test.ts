import type { OmniEvent } from '@omni/contracts';
import { type Customer, CustomerNotFoundError, type Turn } from '@omni/customer-context';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { readConfig } from './config.js';
import type { HandoffState } from './domain/handoff-saga.js';
import type { LoadedSaga, OutboxEntry, SagaRepository } from './handoff/saga-repository.js';
import { createOpsCredentialCheck } from './ops/auth.js';
import { LiveFeed } from './ops/live-feed.js';
import { MemoryQueueState } from './queue/queue-state.js';
import { CUSTOMER, harness, queued, T0 } from './test-support/queue-harness.js';
import { opsAuthOf } from './wiring.js';

const KEY = 'ops-key-0123456789abcdef';
const ISSUER = 'https://login.example.test/tenant/v2.0';
const AUDIENCE = 'api://channel-router';

class MemorySagas implements SagaRepository {
  readonly states = new Map<string, HandoffState>();
  async load(_customerId: string, handoffId: string): Promise<LoadedSaga | undefined> {
    const state = this.states.get(handoffId);
    return state && { state, outbox: [], etag: '1' };
  }
  async save(state: HandoffState, _outbox: readonly OutboxEntry[]): Promise<string> {
    this.states.set(state.handoffId, state);
    return '1';
  }
  async ofCustomer(customerId: string): Promise<HandoffState[]> {
    return [...this.states.values()].filter((s) => s.customerId === customerId);
  }
  async list(status?: HandoffState['status']): Promise<HandoffState[]> {
    return [...this.states.values()].filter((s) => status === undefined || s.status === status);
  }
  async withPendingOutbox() {
    return [];
  }
}

function saga(id: string, status: HandoffState['status'], extra: Partial<HandoffState> = {}): HandoffState {
  return {
    handoffId: id,
    customerId: CUSTOMER,
    status,
    correlationId: id,
    fromChannel: 'voice',
    toChannel: 'whatsapp',
    requestedAt: '2026-11-23T10:00:00.000Z',
    dispatchedAt: '2026-11-23T10:00:01.000Z',
    transitions: [
      { status: 'dispatching', at: '2026-11-23T10:00:00.500Z', eventId: `${id}-1` },
      { status, at: '2026-11-23T10:00:05.000Z', eventId: `${id}-2` },
    ],
    applied: [],
    ...extra,
  };
}

const customer: Customer = {
  customerId: CUSTOMER as Customer['customerId'],
  displayName: 'Ada',
  identities: ['phone:+14255550123'] as Customer['identities'],
  foundryConversationId: null,
  mergedConversationIds: [],
  summary: 'Power outage at home.',
  collectedData: { postcode: 'EC2A 1AA' },
  sessions: [
    {
      channel: 'voice',
      sessionId: 'call-1',
      startedAt: '2026-11-23T09:59:00.000Z',
      endedAt: null,
      status: 'handed-off',
      assurance: 'asserted',
      assuranceMethod: 'caller-id',
    },
    {
      channel: 'whatsapp',
      sessionId: 'wa-1',
      startedAt: '2026-11-23T10:01:00.000Z',
      endedAt: null,
      status: 'active',
      assurance: 'channel-verified',
      assuranceMethod: 'whatsapp',
    },
  ],
  consent: {},
  lastInboundAt: {},
  verifiedAccounts: [],
  verificationFailures: null,
  version: 1,
  createdAt: '2026-11-23T09:59:00.000Z',
  updatedAt: '2026-11-23T10:01:00.000Z',
};

const turns: Turn[] = [
  {
    customerId: CUSTOMER as Turn['customerId'],
    turnId: 't1',
    channel: 'voice',
    sessionId: 'call-1',
    role: 'customer',
    text: 'My power is out.',
    agentId: null,
    at: '2026-11-23T09:59:30.000Z',
  },
];

const ENV = {
  SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1/;SharedAccessKeyName=x;SharedAccessKey=y',
  COSMOS_ENDPOINT: 'http://127.0.0.1:1',
  HANDOFF_TOKEN_KEY: 'k'.repeat(48),
  LOG_LEVEL: 'silent',
};

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwks: ReturnType<typeof createLocalJWKSet>;
let app: FastifyInstance;
let published: OmniEvent[];
let sagas: MemorySagas;
let feed: LiveFeed;
let state: MemoryQueueState;
/** What the store answers (reset before each test; a test may change them). */
let storedCustomer: Customer;
let storedTurns: Turn[];

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
});

beforeEach(() => {
  const config = readConfig(ENV);
  published = [];
  storedCustomer = customer;
  storedTurns = turns;
  state = new MemoryQueueState();
  const h = harness(state, { published, start: T0 + 30_000 });
  sagas = new MemorySagas();
  feed = new LiveFeed();
  app = buildApp({
    config,
    monitor: h.monitor,
    queueState: state,
    sagas,
    store: {
      getCustomer: async (id) => {
        if (id !== CUSTOMER) throw new CustomerNotFoundError(id);
        return storedCustomer;
      },
      recentTurns: async (_id, n) => storedTurns.slice(-n),
      handoffs: async () => [],
    },
    publisher: { publish: async (event) => void published.push(event) },
    feed,
    auth: createOpsCredentialCheck({
      apiKeys: [KEY],
      entra: { issuer: ISSUER, audience: AUDIENCE, keys: jwks, requiredRoles: ['Omni.Ops'] },
    }),
    clock: () => T0 + 30_000,
  });
});

afterEach(async () => {
  await app.close();
});

async function token(audience = AUDIENCE, roles: string[] = ['Omni.Ops']): Promise<string> {
  return new SignJWT({ sub: 'ops-user', roles })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

const withKey = { 'x-api-key': KEY };

describe('ops API authentication', () => {
  it.each([
    ['GET', '/api/queues'],
    ['GET', '/api/handoffs'],
    ['GET', `/api/customers/${CUSTOMER}/timeline`],
    ['GET', '/api/metrics/handoffs'],
    ['GET', '/api/stream'],
    ['PUT', '/api/agents/agent-1'],
  ] as const)('given no credentials, when %s %s, then 401 problem+json', async (method, url) => {
    const response = await app.inject({ method, url });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('given a wrong API key or a token for another audience, when called, then 401', async () => {
    expect(
      (await app.inject({ url: '/api/queues', headers: { 'x-api-key': 'wrong-key-0123456789' } })).statusCode,
    ).toBe(401);
    const foreign = await token('api://someone-else');
    expect(
      (await app.inject({ url: '/api/queues', headers: { authorization: `Bearer ${foreign}` } })).statusCode,
    ).toBe(401);
  });

  it('given a valid token of the tenant for the audience but without the ops app role (any other app), when called, then 401', async () => {
    for (const roles of [[], ['Something.Else']]) {
      const other = await token(AUDIENCE, roles);
      const response = await app.inject({
        url: '/api/queues',
        headers: { authorization: `Bearer ${other}` },
      });
      expect(response.statusCode).toBe(401);
    }
  });

  it('given the Entra settings, when the ops auth is built from the config, then it requires the ops app role', () => {
    const auth = opsAuthOf(
      readConfig({
        ...ENV,
        OPS_ENTRA_TENANT_ID: '72f988bf-0000-4000-8000-000000000001',
        OPS_ENTRA_AUDIENCE: 'api://ops',
      }),
    );
    expect(auth.entra?.requiredRoles).toEqual(['Omni.Ops']);
  });

  it('given the key as x-api-key or Authorization ApiKey, or a valid Entra token, when called, then 200', async () => {
    expect((await app.inject({ url: '/api/queues', headers: withKey })).statusCode).toBe(200);
    expect(
      (await app.inject({ url: '/api/queues', headers: { authorization: `ApiKey ${KEY}` } })).statusCode,
    ).toBe(200);
    const valid = await token();
    expect(
      (await app.inject({ url: '/api/queues', headers: { authorization: `Bearer ${valid}` } })).statusCode,
    ).toBe(200);
  });

  it('given no credentials, when probing health, then it still answers', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('ops API', () => {
  it('given waiting calls, when GET /api/queues, then each queue has depth, waits, level and the waiting list', async () => {
    await state.enqueue({ ...itemOf('c1'), enqueuedAt: T0 });
    const response = await app.inject({ url: '/api/queues', headers: withKey });
    expect(response.json()).toEqual({
      queues: [
        expect.objectContaining({
          queue: 'billing',
          depth: 1,
          longestWaitSeconds: 30,
          estimator: 'rolling',
          level: expect.stringMatching(/normal|high|critical/),
          waiting: [expect.objectContaining({ itemId: 'call:c1', position: 1, waitingSeconds: 30 })],
        }),
      ],
    });
  });

  it('given an agent coming online, when PUT /api/agents/:id, then it is stored, announced and takes the waiting call', async () => {
    await state.enqueue({ ...itemOf('c1'), enqueuedAt: T0 });
    const response = await app.inject({
      method: 'PUT',
      url: '/api/agents/agent-7',
      headers: withKey,
      payload: { status: 'available', queues: ['billing'] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ agent: { agentId: 'agent-7', status: 'busy' } });
    expect(published.map((event) => event.type)).toEqual(
      expect.arrayContaining(['agent.availability.changed', 'call.assigned']),
    );
    const assignments = await app.inject({ url: '/api/agents/agent-7/assignments', headers: withKey });
    expect(assignments.json()).toMatchObject({
      assignments: [{ itemId: 'call:c1', kind: 'voice', waitSeconds: 30 }],
    });
  });

  it('given a bad agent body or status filter, when called, then 400 problem+json naming the field', async () => {
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/agents/agent-7',
      headers: withKey,
      payload: { status: 'sleeping', queues: [] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['status', 'queues']),
    );
    const filter = await app.inject({ url: '/api/handoffs?status=lost', headers: withKey });
    expect(filter.statusCode).toBe(400);
  });

  it('given sagas, when GET /api/handoffs?status=, then only that status comes back in the documented shape', async () => {
    await sagas.save(
      saga('ho-1', 'completed', { completedAt: '2026-11-23T10:00:05.000Z', switchLatencyMs: 5000 }),
      [],
    );
    await sagas.save(saga('ho-2', 'expired'), []);
    const response = await app.inject({ url: '/api/handoffs?status=completed', headers: withKey });
    expect(response.json()).toEqual({
      handoffs: [
        expect.objectContaining({
          handoffId: 'ho-1',
          status: 'completed',
          toChannel: 'whatsapp',
          switchLatencyMs: 5000,
          fallback: null,
        }),
      ],
    });
  });

  it('given sagas, when GET /api/metrics/handoffs, then the funnel counts each stage and the latency percentiles', async () => {
    for (const [i, latency] of [1000, 2000, 3000, 4000].entries()) {
      await sagas.save(
        saga(`done-${i}`, 'completed', { deliveredAt: '2026-11-23T10:00:02.000Z', switchLatencyMs: latency }),
        [],
      );
    }
    await sagas.save(
      saga('exp', 'expired', {
        fallback: { kind: 'callback', cause: 'expired', at: '2026-11-23T10:15:00.000Z' },
      }),
      [],
    );
    await sagas.save(saga('rej', 'rejected', { dispatchedAt: undefined }) as HandoffState, []);
    const response = await app.inject({ url: '/api/metrics/handoffs', headers: withKey });
    expect(response.json()).toEqual({
      funnel: {
        offered: null,
        accepted: 6,
        dispatched: 5,
        delivered: 4,
        completed: 4,
        expired: 1,
        failed: 0,
        rejected: 1,
      },
      fallbacks: { smsLink: 0, callback: 1, smsLinkCompleted: 0 },
      // The expired handoff left to a callback: no digital channel reaches that customer.
      stranded: 1,
      switchLatencyMs: { count: 4, p50: 2000, p95: 4000 },
    });
  });

  it('given a customer, when GET /api/customers/:id/timeline, then sessions, turns and handoffs come in time order with masked identities', async () => {
    await sagas.save(saga('ho-1', 'completed'), []);
    const response = await app.inject({ url: `/api/customers/${CUSTOMER}/timeline`, headers: withKey });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.customer.identities).toEqual([expect.not.stringContaining('4255550123')]);
    expect(body.customer.channels).toEqual(['voice', 'whatsapp']);
    expect(body.entries.map((e: { kind: string; at: string }) => `${e.kind}@${e.at.slice(11, 19)}`)).toEqual([
      'session@09:59:00',
      'turn@09:59:30',
      'handoff@10:00:00',
      'handoff@10:00:05',
      'session@10:01:00',
    ]);
    // Each session shows how sure we are who the person was.
    expect(body.entries.filter((e: { kind: string }) => e.kind === 'session')).toEqual([
      expect.objectContaining({ channel: 'voice', assurance: 'asserted', assuranceMethod: 'caller-id' }),
      expect.objectContaining({
        channel: 'whatsapp',
        assurance: 'channel-verified',
        assuranceMethod: 'whatsapp',
      }),
    ]);
    const missing = await app.inject({ url: '/api/customers/cust_nobody/timeline', headers: withKey });
    expect(missing.statusCode).toBe(404);
  });

  it('given an open stream, when a queue or handoff changes, then SSE messages arrive', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${address.port}/api/stream`, {
      headers: withKey,
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(value);
      }
    };
    await readUntil('event: hello');
    await streamListening();
    feed.publish('handoff', { handoffId: 'ho-9', status: 'completed' });
    await readUntil('"handoffId":"ho-9"');
    expect(text).toContain('event: handoff\ndata: {"handoffId":"ho-9","status":"completed"}');
    abort.abort();
  });
});

async function streamListening(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (feed.listeners === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

function itemOf(callId: string) {
  const event = queued(callId, T0);
  return {
    id: `call:${callId}`,
    queue: event.data.queue,
    kind: 'voice' as const,
    customerId: event.data.customerId,
    channel: 'voice' as const,
    priority: event.data.priority,
    enqueuedAt: T0,
    callId,
    correlationId: callId,
  };
}

function turnOf(i: number, channel: Turn['channel'], role: Turn['role'], text: string): Turn {
  return {
    customerId: CUSTOMER as Turn['customerId'],
    turnId: `t${i}`,
    channel,
    sessionId: `${channel}-1`,
    role,
    text,
    agentId: role === 'customer' ? null : 'Outage',
    at: new Date(T0 + i * 1000).toISOString(),
  };
}

describe('what the human agent and ops see (issue #18)', () => {
  it('given a voice caller queued without a summary in the queue item, when an agent takes the call, then the desk shows the summary, the collected data and the last turns', async () => {
    storedCustomer = {
      ...customer,
      summary: 'The customer contacted us about a power outage at 14 Cardigan Road, LS6 1LF.',
      collectedData: { intent: 'a power outage', postcode: 'LS6 1LF', '_engine.agentId': 'Outage' },
    };
    storedTurns = Array.from({ length: 12 }, (_, i) =>
      turnOf(i, 'voice', i % 2 === 0 ? 'customer' : 'assistant', `turn ${i}`),
    );
    await state.enqueue({
      id: 'call:c1',
      queue: 'billing',
      kind: 'voice',
      customerId: CUSTOMER,
      channel: 'voice',
      priority: 5,
      enqueuedAt: T0,
      callId: 'c1',
      correlationId: 'c1',
    });
    await app.inject({
      method: 'PUT',
      url: '/api/agents/agent-7',
      headers: withKey,
      payload: { status: 'available', queues: ['billing'] },
    });
    const response = await app.inject({ url: '/api/agents/agent-7/assignments', headers: withKey });
    const [desk] = response.json().assignments;
    expect(desk.summary).toBe(storedCustomer.summary);
    expect(desk.collectedData).toEqual({ intent: 'a power outage', postcode: 'LS6 1LF' });
    expect(desk.lastTurns.map((t: { text: string }) => t.text)).toEqual([
      'turn 6',
      'turn 7',
      'turn 8',
      'turn 9',
      'turn 10',
      'turn 11',
    ]);
    expect(desk.lastTurns[0]).toMatchObject({ channel: 'voice', role: 'customer' });
  });

  it('given a messaging escalation that carries its own summary, when an agent takes it, then that summary is kept and the last turns are added', async () => {
    storedTurns = [turnOf(1, 'whatsapp', 'customer', 'I need a person')];
    await state.enqueue({
      id: 'escalation:e1',
      queue: 'billing',
      kind: 'messaging',
      customerId: CUSTOMER,
      channel: 'whatsapp',
      priority: 5,
      enqueuedAt: T0,
      escalationId: 'e1',
      reason: 'asked for a person',
      summary: 'Escalated: wants a refund.',
      collectedData: { orderId: 'ORD-10042' },
      correlationId: 'e1',
    });
    await app.inject({
      method: 'PUT',
      url: '/api/agents/agent-8',
      headers: withKey,
      payload: { status: 'available', queues: ['billing'] },
    });
    const [desk] = (await app.inject({ url: '/api/agents/agent-8/assignments', headers: withKey })).json()
      .assignments;
    expect(desk).toMatchObject({
      summary: 'Escalated: wants a refund.',
      collectedData: { orderId: 'ORD-10042' },
    });
    expect(desk.lastTurns).toEqual([
      expect.objectContaining({ channel: 'whatsapp', text: 'I need a person' }),
    ]);
  });

  it('given a caller switched from voice to WhatsApp (the WhatsApp side records turns, not sessions), when the timeline is read, then the header lists both channels in the order used', async () => {
    storedCustomer = {
      ...customer,
      sessions: [customer.sessions[0] as Customer['sessions'][number]],
      lastInboundAt: { whatsapp: new Date(T0 + 60_000).toISOString() },
    };
    storedTurns = [
      turnOf(1, 'voice', 'customer', 'My power is out'),
      turnOf(70, 'whatsapp', 'customer', 'Any update?'),
    ];
    const body = (await app.inject({ url: `/api/customers/${CUSTOMER}/timeline`, headers: withKey })).json();
    expect(body.customer.channels).toEqual(['voice', 'whatsapp']);
  });
});
