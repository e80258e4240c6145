import { type Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSMOS_DATABASE } from './containers.js';
import { type CosmosEmulator, cosmosClientOptionsFor, startCosmosEmulator } from './emulator.js';

// Document semantics the services rely on, driven through the real @azure/cosmos SDK.

interface Handoff {
  id: string;
  customerId: string;
  status: string;
  attempts?: number;
  channels?: string[];
}

let emulator: CosmosEmulator;
let client: CosmosClient;
let customers: Container;
let identities: Container;
let handoffs: Container;

beforeAll(async () => {
  emulator = await startCosmosEmulator();
  client = new CosmosClient(cosmosClientOptionsFor(emulator));
  const database = client.database(COSMOS_DATABASE);
  customers = database.container('customers');
  identities = database.container('identities');
  handoffs = database.container('handoffs');
});

afterAll(async () => {
  client?.dispose();
  await emulator?.stop();
});

let sequence = 0;
const unique = (prefix: string) => `${prefix}_${++sequence}`;

describe('documents through @azure/cosmos', () => {
  it('creates a document (201) and reads it back with system properties', async () => {
    const id = unique('cust');
    const created = await customers.items.create({ id, displayName: 'Ada' });
    const { statusCode, resource, etag } = await customers.item(id, id).read();

    expect(created.statusCode).toBe(201);
    expect(statusCode).toBe(200);
    expect(resource).toMatchObject({ id, displayName: 'Ada' });
    expect(typeof resource?._etag).toBe('string');
    expect(typeof resource?._ts).toBe('number');
    expect(etag).toBe(created.etag);
  });

  it('answers a point read of a missing id with 404 (statusCode, not an exception)', async () => {
    const { statusCode, resource } = await customers.item('cust_missing', 'cust_missing').read();

    expect(statusCode).toBe(404);
    expect(resource).toBeUndefined();
  });

  it('answers a point read with the wrong partition key with 404', async () => {
    const id = unique('handoff');
    await handoffs.items.create({ id, customerId: 'cust_a', status: 'offered' });

    const { statusCode } = await handoffs.item(id, 'cust_b').read();

    expect(statusCode).toBe(404);
  });

  it('refuses to create an existing id with 409: the identities uniqueness guard', async () => {
    const id = unique('phone:+14255550123');
    await identities.items.create({ id, customerId: 'cust_first' });

    await expect(identities.items.create({ id, customerId: 'cust_second' })).rejects.toMatchObject({
      code: 409,
    });
    const { resource } = await identities.item(id, id).read();
    expect(resource?.customerId).toBe('cust_first');
  });

  it('lets exactly one of two racing creates of the same identity win', async () => {
    const id = unique('webchat:user');

    const results = await Promise.allSettled([
      identities.items.create({ id, customerId: 'cust_from_voice' }),
      identities.items.create({ id, customerId: 'cust_from_webchat' }),
    ]);

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = results.filter((result) => result.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 409 });
  });

  it('scopes id uniqueness to the partition, as Cosmos does', async () => {
    const id = unique('handoff');
    await handoffs.items.create({ id, customerId: 'cust_a', status: 'offered' });

    const { statusCode } = await handoffs.items.create({ id, customerId: 'cust_b', status: 'offered' });

    expect(statusCode).toBe(201);
  });

  it('runs a parameterised query', async () => {
    const customerId = unique('cust');
    await handoffs.items.create({ id: unique('handoff'), customerId, status: 'offered' });
    await handoffs.items.create({ id: unique('handoff'), customerId, status: 'completed' });
    await handoffs.items.create({ id: unique('handoff'), customerId: unique('cust'), status: 'offered' });

    const { resources } = await handoffs.items
      .query<Handoff>({
        query: 'SELECT * FROM c WHERE c.customerId = @id',
        parameters: [{ name: '@id', value: customerId }],
      })
      .fetchAll();

    expect(resources.map((handoff) => handoff.status).sort()).toEqual(['completed', 'offered']);
  });

  it('pages a query with maxItemCount and continuation tokens', async () => {
    const customerId = unique('cust');
    for (let turn = 0; turn < 5; turn++) {
      await handoffs.items.create({ id: unique('handoff'), customerId, status: 'offered' });
    }
    const iterator = handoffs.items.query<Handoff>(
      { query: 'SELECT * FROM c WHERE c.customerId = @id', parameters: [{ name: '@id', value: customerId }] },
      { maxItemCount: 2 },
    );

    const pageSizes: number[] = [];
    while (iterator.hasMoreResults()) {
      const page = await iterator.fetchNext();
      if (page.resources.length > 0) pageSizes.push(page.resources.length);
    }

    expect(pageSizes).toEqual([2, 2, 1]);
  });

  it('replaces with the current ETag, and refuses a stale ETag with 412', async () => {
    const id = unique('handoff');
    const { resource: created } = await handoffs.items.create<Handoff>({
      id,
      customerId: 'cust_a',
      status: 'offered',
    });
    const item = handoffs.item(id, 'cust_a');
    const staleEtag = created?._etag ?? '';

    const replaced = await item.replace(
      { id, customerId: 'cust_a', status: 'dispatched' },
      { accessCondition: { type: 'IfMatch', condition: staleEtag } },
    );

    expect(replaced.statusCode).toBe(200);
    expect(replaced.etag).not.toBe(staleEtag);
    await expect(
      item.replace(
        { id, customerId: 'cust_a', status: 'expired' },
        { accessCondition: { type: 'IfMatch', condition: staleEtag } },
      ),
    ).rejects.toMatchObject({ code: 412 });
    expect((await item.read<Handoff>()).resource?.status).toBe('dispatched');
  });

  it('refuses to replace a missing document with 404', async () => {
    await expect(
      handoffs.item('handoff_missing', 'cust_a').replace({ id: 'handoff_missing', customerId: 'cust_a' }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('upserts: 201 when new, 200 when it replaces; a stale IfMatch gets 412', async () => {
    const id = unique('cust');

    const created = await customers.items.upsert({ id, displayName: 'Ada' });
    const replaced = await customers.items.upsert({ id, displayName: 'Ada Lovelace' });

    expect(created.statusCode).toBe(201);
    expect(replaced.statusCode).toBe(200);
    expect((await customers.item(id, id).read()).resource?.displayName).toBe('Ada Lovelace');
    await expect(
      customers.items.upsert(
        { id, displayName: 'Lost update' },
        { accessCondition: { type: 'IfMatch', condition: created.etag } },
      ),
    ).rejects.toMatchObject({ code: 412 });
  });

  it('deletes (204), after which reads get 404 and a second delete 404; a stale IfMatch gets 412', async () => {
    const id = unique('cust');
    const { etag } = await customers.items.create({ id });
    await customers.items.upsert({ id, touched: true });

    await expect(
      customers.item(id, id).delete({ accessCondition: { type: 'IfMatch', condition: etag } }),
    ).rejects.toMatchObject({ code: 412 });
    const { statusCode } = await customers.item(id, id).delete();

    expect(statusCode).toBe(204);
    expect((await customers.item(id, id).read()).statusCode).toBe(404);
    await expect(customers.item(id, id).delete()).rejects.toMatchObject({ code: 404 });
  });

  it('patches: set, incr, add to an array and remove', async () => {
    const id = unique('handoff');
    await handoffs.items.create({
      id,
      customerId: 'cust_a',
      status: 'offered',
      attempts: 1,
      channels: ['voice'],
      reason: 'x',
    });

    const { statusCode, resource } = await handoffs.item(id, 'cust_a').patch<Handoff>([
      { op: 'set', path: '/status', value: 'dispatched' },
      { op: 'incr', path: '/attempts', value: 1 },
      { op: 'add', path: '/channels/-', value: 'whatsapp' },
      { op: 'remove', path: '/reason' },
    ]);

    expect(statusCode).toBe(200);
    expect(resource).toMatchObject({ status: 'dispatched', attempts: 2, channels: ['voice', 'whatsapp'] });
    expect(resource).not.toHaveProperty('reason');
  });

  it('refuses a patch with a stale ETag or an unmet filter predicate (412), and of a missing document (404)', async () => {
    const id = unique('handoff');
    const { etag } = await handoffs.items.create({ id, customerId: 'cust_a', status: 'offered' });
    const item = handoffs.item(id, 'cust_a');
    await item.patch([{ op: 'set', path: '/status', value: 'dispatched' }]);

    await expect(
      item.patch([{ op: 'set', path: '/status', value: 'expired' }], {
        accessCondition: { type: 'IfMatch', condition: etag },
      }),
    ).rejects.toMatchObject({ code: 412 });
    await expect(
      item.patch({
        condition: "FROM c WHERE c.status = 'offered'",
        operations: [{ op: 'set', path: '/status', value: 'x' }],
      }),
    ).rejects.toMatchObject({ code: 412 });
    await expect(
      handoffs.item('handoff_missing', 'cust_a').patch([{ op: 'set', path: '/status', value: 'x' }]),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('stores ids with identity-key characters (colon, plus, percent, non-ASCII)', async () => {
    const id = unique('webchat:Jürgen+100%');
    await identities.items.create({ id, customerId: 'cust_a' });

    const { statusCode } = await identities.item(id, id).read();

    expect(statusCode).toBe(200);
  });
});
