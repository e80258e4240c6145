import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeFeedStartFrom, type Container, CosmosClient, type OperationInput } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSMOS_DATABASE } from './containers.js';
import { type CosmosEmulator, cosmosClientOptionsFor, startCosmosEmulator } from './emulator.js';

// What @vercel/cosmosdb-server 1.0.1 does NOT do like Cosmos DB. These tests pin the actual behaviour so nobody
// depends on a gap by accident; when one starts failing, the emulator changed: update the README section too.

let emulator: CosmosEmulator;
let client: CosmosClient;
let transcripts: Container;

beforeAll(async () => {
  emulator = await startCosmosEmulator();
  client = new CosmosClient(cosmosClientOptionsFor(emulator));
  transcripts = client.database(COSMOS_DATABASE).container('transcripts');
  for (const [customerId, turns] of [
    ['cust_a', [1, 2, 3]],
    ['cust_b', [10, 20]],
  ] as const) {
    for (const turn of turns) {
      await transcripts.items.create({ id: `${customerId}_${turn}`, customerId, turn, text: `turn ${turn}` });
    }
  }
});

afterAll(async () => {
  client?.dispose();
  await emulator?.stop();
});

const values = async <T>(container: Container, query: string, options = {}) =>
  (await container.items.query<T>(query, options).fetchAll()).resources;

describe('queries', () => {
  it('IGNORES the partitionKey query option: a query without a WHERE on the key reads every partition', async () => {
    const rows = await values<{ customerId: string }>(transcripts, 'SELECT * FROM c', {
      partitionKey: 'cust_a',
    });

    // Cosmos DB would return cust_a's 3 turns; put the partition key in the WHERE clause instead.
    expect(new Set(rows.map((row) => row.customerId))).toEqual(new Set(['cust_a', 'cust_b']));
  });

  it('does not parse OFFSET/LIMIT (400)', async () => {
    await expect(values(transcripts, 'SELECT * FROM c OFFSET 1 LIMIT 1')).rejects.toMatchObject({
      code: 400,
    });
  });

  it('supports TOP instead', async () => {
    const rows = await values<{ turn: number }>(transcripts, 'SELECT TOP 2 * FROM c ORDER BY c.turn');

    expect(rows.map((row) => row.turn)).toEqual([1, 2]);
  });

  it('supports ORDER BY on one property, across partitions', async () => {
    const rows = await values<{ turn: number }>(transcripts, 'SELECT * FROM c ORDER BY c.turn DESC');

    expect(rows.map((row) => row.turn)).toEqual([20, 10, 3, 2, 1]);
  });

  it('refuses ORDER BY on two properties without a composite index (400), as Cosmos DB does', async () => {
    await expect(values(transcripts, 'SELECT * FROM c ORDER BY c.customerId, c.turn')).rejects.toMatchObject({
      code: 400,
    });
  });

  it('supports COUNT, SUM, AVG, MIN and MAX, with and without VALUE', async () => {
    const where = {
      query: 'SELECT VALUE COUNT(1) FROM c WHERE c.customerId = @id',
      parameters: [{ name: '@id', value: 'cust_a' }],
    };

    expect(await values(transcripts, 'SELECT VALUE COUNT(1) FROM c')).toEqual([5]);
    expect((await transcripts.items.query(where).fetchAll()).resources).toEqual([3]);
    expect(await values(transcripts, 'SELECT VALUE SUM(c.turn) FROM c')).toEqual([36]);
    expect(await values(transcripts, 'SELECT VALUE AVG(c.turn) FROM c')).toEqual([7.2]);
    expect(await values(transcripts, 'SELECT VALUE MIN(c.turn) FROM c')).toEqual([1]);
    expect(await values(transcripts, 'SELECT VALUE MAX(c.turn) FROM c')).toEqual([20]);
    expect(await values(transcripts, 'SELECT COUNT(1) AS turns FROM c')).toEqual([{ turns: 5 }]);
  });

  it('does not parse GROUP BY or DISTINCT (400)', async () => {
    await expect(
      values(transcripts, 'SELECT c.customerId, COUNT(1) AS n FROM c GROUP BY c.customerId'),
    ).rejects.toMatchObject({ code: 400 });
    await expect(values(transcripts, 'SELECT DISTINCT VALUE c.customerId FROM c')).rejects.toMatchObject({
      code: 400,
    });
  });
});

describe('change feed', () => {
  it('returns the current documents once, then 304 forever: later writes never show up', async () => {
    const handoffs = client.database(COSMOS_DATABASE).container('handoffs');
    await handoffs.items.create({ id: 'handoff_before', customerId: 'cust_a' });
    const feed = handoffs.items.getChangeFeedIterator({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
    });

    const first = await feed.readNext();
    await handoffs.items.create({ id: 'handoff_after', customerId: 'cust_a' });
    const second = await feed.readNext();

    expect(first.statusCode).toBe(200);
    expect(first.result.map((document) => document.id)).toEqual(['handoff_before']);
    expect(second.statusCode).toBe(304);
    expect(second.result).toEqual([]);
  });
});

describe('time to live', () => {
  it('stores ttl and defaultTtl but never expires a document', async () => {
    const idempotency = client.database(COSMOS_DATABASE).container('idempotency');
    await idempotency.items.create({ id: 'refund:order-1', result: 'ok', ttl: 1 });

    await sleep(2_100);
    const { statusCode, resource } = await idempotency.item('refund:order-1', 'refund:order-1').read();

    // Cosmos DB would have deleted it (404) a second after _ts.
    expect(statusCode).toBe(200);
    expect(resource?.ttl).toBe(1);
  });
});

describe('transactional batch', () => {
  it('is NOT atomic: operations before a failing one stay committed', async () => {
    const handoffs = client.database(COSMOS_DATABASE).container('handoffs');
    await handoffs.items.create({ id: 'handoff_taken', customerId: 'cust_batch' });
    const operations: OperationInput[] = [
      { operationType: 'Create', resourceBody: { id: 'handoff_new', customerId: 'cust_batch' } },
      { operationType: 'Create', resourceBody: { id: 'handoff_taken', customerId: 'cust_batch' } },
      { operationType: 'Create', resourceBody: { id: 'handoff_skipped', customerId: 'cust_batch' } },
    ];

    const response = await handoffs.items.batch(operations, 'cust_batch');

    // Cosmos DB: [424, 409, 424] and nothing written.
    expect(response.result?.map((result) => result.statusCode)).toEqual([201, 409, 424]);
    expect((await handoffs.item('handoff_new', 'cust_batch').read()).statusCode).toBe(200);
    expect((await handoffs.item('handoff_skipped', 'cust_batch').read()).statusCode).toBe(404);
  });
});

describe('conditional reads and throttling', () => {
  it('ignores IfNoneMatch on a point read: 200 with the body instead of 304', async () => {
    const { etag } = await transcripts.item('cust_a_1', 'cust_a').read();

    const { statusCode } = await transcripts
      .item('cust_a_1', 'cust_a')
      .read({ accessCondition: { type: 'IfNoneMatch', condition: etag } });

    expect(statusCode).toBe(200);
  });

  it('never throttles: no 429, no retry-after, whatever the load', async () => {
    const customers = client.database(COSMOS_DATABASE).container('customers');

    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, index) => customers.items.create({ id: `cust_load_${index}` })),
    );

    expect(responses.every((response) => response.statusCode === 201)).toBe(true);
    expect(responses.some((response) => response.headers['x-ms-retry-after-ms'] !== undefined)).toBe(false);
  });
});
