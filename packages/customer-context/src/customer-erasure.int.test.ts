import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { CosmosEmulator } from '@omni/emulators/cosmos';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryContextCache } from './cache.js';
import type { CustomerContextContainers } from './cosmos.js';
import type { CustomerContextStore } from './customer-context-store.js';
import { ErasureRegistry, erasureId, erasuresContainerOf } from './erasure-registry.js';
import { freshUsNumber, startCosmos, storeFor } from './test-support/harness.js';

let emulator: CosmosEmulator;
let containers: CustomerContextContainers;
let store: CustomerContextStore;
let extra: Container;
let calls: Container;

beforeAll(async () => {
  ({ emulator, containers } = await startCosmos());
  store = storeFor(containers, new MemoryContextCache());
  // A container another feature adds later (partitioned by customer): erasure must cover it unnamed.
  const { container } = await containers.customers.database.containers.createIfNotExists({
    id: `extra-${randomUUID().slice(0, 8)}`,
    partitionKey: { paths: ['/customerId'] },
  });
  extra = container;
  calls = containers.customers.database.container('calls');
});

afterAll(async () => {
  containers?.client.dispose();
  await emulator?.stop();
});

async function customerWithEverything() {
  const phone = freshUsNumber();
  const { customer } = await store.resolveCustomer({ kind: 'phone', value: phone });
  const id = customer.customerId;
  await store.linkIdentity(id, { kind: 'webchat', value: `web-${randomUUID()}` });
  await store.getOrCreateConversationId(id, async () => `conv_${randomUUID()}`);
  await store.recordTurn(id, {
    channel: 'voice',
    sessionId: `call-${id}`,
    role: 'customer',
    text: 'my power is out',
    at: new Date(),
  });
  await store.issueHandoffToken(id, 'whatsapp');
  await store.runOnce(`refund:${id}:order-1`, async () => ({ refunded: 12 }));
  await extra.items.create({ id: `state-${id}`, customerId: id, kind: 'state' });
  await calls.items.create({
    id: `call:ref-${id}`,
    kind: 'call',
    ref: `ref-${id}`,
    session: { customerId: id, phone: `+1${phone}` },
    ttl: 3600,
  });
  await calls.items.create({ id: `conn:cc-${id}`, kind: 'connection', ref: `ref-${id}`, ttl: 3600 });
  return { id, phone };
}

async function countAbout(id: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const queries: [string, Container, string][] = [
    ['customers', containers.customers, 'c.id = @id'],
    ['identities', containers.identities, 'c.customerId = @id'],
    ['transcripts', containers.transcripts, 'c.customerId = @id'],
    ['handoffs', containers.handoffs, 'c.customerId = @id'],
    ['idempotency', containers.idempotency, 'CONTAINS(c.key, @id)'],
    ['calls', calls, 'c.session.customerId = @id OR CONTAINS(c.id, @id)'],
    ['extra', extra, 'c.customerId = @id'],
  ];
  for (const [name, container, where] of queries) {
    const { resources } = await container.items
      .query<number>({
        query: `SELECT VALUE COUNT(1) FROM c WHERE ${where}`,
        parameters: [{ name: '@id', value: id }],
      })
      .fetchAll();
    counts[name] = resources[0] ?? 0;
  }
  return counts;
}

describe('CustomerErasure', () => {
  it('given a customer with records in every container, when exported, then every record is in the export', async () => {
    const { id } = await customerWithEverything();

    const records = await store.exportCustomer(id);

    expect(records.customer).toMatchObject({ id });
    expect(records.identities).toHaveLength(2);
    expect(records.partitions.transcripts?.map((d) => d.type)).toContain('turn');
    expect(records.partitions.handoffs).toHaveLength(1);
    expect(records.partitions[extra.id]).toEqual([{ id: `state-${id}`, customerId: id, kind: 'state' }]);
    expect(records.idempotency).toHaveLength(1);
    expect(records.calls.map((d) => d.id).sort()).toEqual([`call:ref-${id}`, `conn:cc-${id}`]);
    expect(JSON.stringify(records)).not.toMatch(/"_etag"|"_rid"/);
  });

  it('given two customers, when one is erased, then nothing of it is left in any container and the other is untouched', async () => {
    const erased = await customerWithEverything();
    const kept = await customerWithEverything();
    const keptBefore = await countAbout(kept.id);

    const outcome = await store.eraseCustomer(erased.id);

    expect(outcome.existed).toBe(true);
    expect(outcome.foundryConversationId).toMatch(/^conv_/);
    expect(outcome.deleted).toMatchObject({
      identities: 2,
      transcripts: 1,
      handoffs: 1,
      idempotency: 1,
      calls: 2,
    });
    expect(Object.values(await countAbout(erased.id)).every((n) => n === 0)).toBe(true);
    expect(await countAbout(kept.id)).toEqual(keptBefore);
    expect(Object.values(keptBefore).every((n) => n > 0)).toBe(true);
    const again = await store.resolveCustomer({ kind: 'phone', value: erased.phone });
    expect(again.created).toBe(true);
    expect(again.customer.customerId).not.toBe(erased.id);
    expect(again.customer.summary).toBeNull();
  });

  it('given an erase interrupted after the partitions, when repeated, then it finishes from the customer document', async () => {
    const { id } = await customerWithEverything();
    // What a crash after the partition step leaves: the customer and its identities, no turns.
    for (const raw of (
      await containers.transcripts.items.query('SELECT * FROM c', { partitionKey: id }).fetchAll()
    ).resources) {
      await containers.transcripts.item(raw.id, id).delete();
    }

    const outcome = await store.eraseCustomer(id);

    expect(outcome.existed).toBe(true);
    expect(Object.values(await countAbout(id)).every((n) => n === 0)).toBe(true);
    expect((await store.eraseCustomer(id)).existed).toBe(false);
  });
});

describe('retention (Cosmos TTL) on the local emulator', () => {
  it('given the containers, then transcripts keep 90 days, handoffs 30, idempotency 7, calls 1, customers and identities no limit', async () => {
    const ttlOf = async (container: Container) => (await container.read()).resource?.defaultTtl;
    const day = 24 * 60 * 60;
    expect(await ttlOf(containers.transcripts)).toBe(90 * day);
    expect(await ttlOf(containers.handoffs)).toBe(30 * day);
    expect(await ttlOf(containers.idempotency)).toBe(7 * day);
    expect(await ttlOf(calls)).toBe(day);
    expect(await ttlOf(containers.customers)).toBeUndefined();
    expect(await ttlOf(containers.identities)).toBeUndefined();
  });

  it('given a turn past its time to live, then the emulator expires it as Cosmos DB does', async () => {
    const customerId = `cust_ttl_${randomUUID()}`;
    await containers.transcripts.items.create({ id: 'turn-1', customerId, type: 'turn', text: 'x', ttl: 1 });
    await containers.transcripts.items.create({ id: 'turn-2', customerId, type: 'turn', text: 'y' });

    await vi.waitFor(
      async () =>
        expect((await containers.transcripts.item('turn-1', customerId).read()).resource).toBeUndefined(),
      { timeout: 15_000, interval: 250 },
    );
    expect((await containers.transcripts.item('turn-2', customerId).read()).resource).toBeDefined();
  });
});

describe('ErasureRegistry', () => {
  it('given a customer with an erasure record (by hash), then it is erased; others are not', async () => {
    const registry = new ErasureRegistry(erasuresContainerOf(containers));
    const customerId = `cust_reg_${randomUUID()}`;
    expect(await registry.isErased(customerId)).toBe(false);
    await erasuresContainerOf(containers).items.create({ id: erasureId(customerId), type: 'erasure' });
    expect(await registry.isErased(customerId)).toBe(true);
    expect(await registry.isErased(`cust_other_${randomUUID()}`)).toBe(false);
  });
});
