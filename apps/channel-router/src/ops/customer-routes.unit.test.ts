import type { CustomerRecords, ErasedCustomer } from '@omni/customer-context';
import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import pino from 'pino';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CustomerErasureJob } from '../privacy/customer-erasure-job.js';
import { erasureId, MemoryErasureJournal } from '../privacy/erasure-journal.js';
import { MemoryQueueState } from '../queue/queue-state.js';
import { createOpsCredentialCheck, createRoleCheck, type OpsAuth } from './auth.js';
import { customerPrivacyRoutes } from './customer-routes.js';

const KEY = 'test-ops-key-0123456789';
const ISSUER = 'https://login.example.test/tenant/v2.0';
const AUDIENCE = 'api://channel-router';
const CUSTOMER = 'cust_01JZ0000000000000000000001';

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let jwks: ReturnType<typeof createLocalJWKSet>;
let app: FastifyInstance;
let held: Map<string, CustomerRecords>;
let failCosmos: boolean;
let journal: MemoryErasureJournal;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256' }] });
});

function recordsOf(customerId: string): CustomerRecords {
  return {
    customerId,
    customer: { id: customerId, foundryConversationId: 'conv_1', summary: 'power cut' },
    identities: [{ id: 'phone:+14255550100', customerId }],
    mergedCustomers: [],
    partitions: { transcripts: [{ id: 't1', customerId, type: 'turn', role: 'customer', text: 'hello' }] },
    idempotency: [],
    calls: [],
  };
}

beforeEach(async () => {
  held = new Map([[CUSTOMER, recordsOf(CUSTOMER)]]);
  failCosmos = false;
  journal = new MemoryErasureJournal();
  const records = {
    exportCustomer: async (id: string): Promise<CustomerRecords> =>
      held.get(id) ?? {
        customerId: id,
        customer: null,
        identities: [],
        mergedCustomers: [],
        partitions: {},
        idempotency: [],
        calls: [],
      },
    eraseCustomer: async (id: string): Promise<ErasedCustomer> => {
      if (failCosmos) throw new Error('cosmos down');
      const existed = held.delete(id);
      return { customerId: id, foundryConversationId: null, mergedConversationIds: [], existed, deleted: {} };
    },
  };
  const erasure = new CustomerErasureJob({ journal, records, queueState: new MemoryQueueState() });
  const auth: OpsAuth = {
    apiKeys: [KEY],
    entra: { issuer: ISSUER, audience: AUDIENCE, keys: jwks, requiredRoles: ['Omni.Ops'] },
  };
  const check = createOpsCredentialCheck(auth);
  app = createServiceApp({ service: 'test', logger: pino({ level: 'silent' }) });
  app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => check(request));
      api.register(
        customerPrivacyRoutes({
          erasure,
          records,
          customerOf: async (identity) => (identity.value === '+14255550100' ? CUSTOMER : undefined),
          eraseAuth: createRoleCheck(auth, 'Omni.Privacy'),
          clock: () => Date.parse('2026-12-02T10:00:00.000Z'),
        }),
      );
    },
    { prefix: '/api' },
  );
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

async function bearer(roles: string[]): Promise<{ authorization: string }> {
  const jwt = await new SignJWT({ sub: 'ops-user', roles })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  return { authorization: `Bearer ${jwt}` };
}

describe('customer privacy routes', () => {
  it.each([
    ['GET', `/api/customers/${CUSTOMER}/export`],
    ['DELETE', `/api/customers/${CUSTOMER}`],
    ['GET', '/api/customers?phone=%2B14255550100'],
  ] as const)('given no credentials, when %s %s, then 401', async (method, url) => {
    expect((await app.inject({ method, url })).statusCode).toBe(401);
  });

  it('given an Entra token with the ops role only, when erasing, then 401 and nothing is erased; with Omni.Privacy too, then erased', async () => {
    const opsOnly = await bearer(['Omni.Ops']);
    expect(
      (await app.inject({ url: `/api/customers/${CUSTOMER}/export`, headers: opsOnly })).statusCode,
    ).toBe(200);
    const refused = await app.inject({
      method: 'DELETE',
      url: `/api/customers/${CUSTOMER}`,
      headers: opsOnly,
    });
    expect(refused.statusCode).toBe(401);
    expect(held.has(CUSTOMER)).toBe(true);

    const privacy = await bearer(['Omni.Ops', 'Omni.Privacy']);
    const erased = await app.inject({
      method: 'DELETE',
      url: `/api/customers/${CUSTOMER}`,
      headers: privacy,
    });
    expect(erased.statusCode).toBe(200);
    expect(erased.json()).toMatchObject({
      erasure: { id: erasureId(CUSTOMER), status: 'completed', requestedBy: 'entra', runs: 1 },
    });
    expect(JSON.stringify(erased.json())).not.toContain(CUSTOMER);
    expect(held.has(CUSTOMER)).toBe(false);
  });

  it('given an API key, when a phone is looked up, exported and erased, then 200s, and the export is one JSON document', async () => {
    const headers = { 'x-api-key': KEY };
    const lookup = await app.inject({ url: '/api/customers?phone=%2B14255550100', headers });
    expect(lookup.json()).toEqual({ customerId: CUSTOMER });
    const exported = await app.inject({ url: `/api/customers/${CUSTOMER}/export`, headers });
    expect(exported.json()).toMatchObject({
      exportedAt: '2026-12-02T10:00:00.000Z',
      customerId: CUSTOMER,
      records: { customer: { summary: 'power cut' } },
      foundryConversations: [{ conversationId: 'conv_1', items: [] }],
    });
    const erased = await app.inject({ method: 'DELETE', url: `/api/customers/${CUSTOMER}`, headers });
    expect(erased.json()).toMatchObject({ erasure: { requestedBy: 'api-key', status: 'completed' } });
    expect((await app.inject({ url: `/api/customers/${CUSTOMER}/export`, headers })).statusCode).toBe(404);
  });

  it('given bad or unknown input, then 400 / 404 problem+json', async () => {
    const headers = { 'x-api-key': KEY };
    const both = await app.inject({ url: '/api/customers?phone=%2B14255550100&webchat=x', headers });
    expect(both.statusCode).toBe(400);
    expect(both.headers['content-type']).toContain('application/problem+json');
    expect((await app.inject({ url: '/api/customers?phone=%2B14255550199', headers })).statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/customers/cust_unknown', headers })).statusCode,
    ).toBe(404);
  });

  it('given a store failing mid-erase, then 503 with retry-after, the erasure is on record as running, and a repeat finishes it', async () => {
    const headers = { 'x-api-key': KEY };
    failCosmos = true;
    const failed = await app.inject({ method: 'DELETE', url: `/api/customers/${CUSTOMER}`, headers });
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['retry-after']).toBe('60');
    expect(await journal.get(CUSTOMER)).toMatchObject({ status: 'running', runs: 1 });
    expect(Object.keys((await journal.get(CUSTOMER))?.steps ?? {})).toEqual([
      'service-bus',
      'redis',
      'foundry',
    ]);

    failCosmos = false;
    const repeated = await app.inject({ method: 'DELETE', url: `/api/customers/${CUSTOMER}`, headers });
    expect(repeated.json()).toMatchObject({ erasure: { status: 'completed', runs: 2 } });
    expect((await journal.get(CUSTOMER))?.work).toBeUndefined();
  });
});
