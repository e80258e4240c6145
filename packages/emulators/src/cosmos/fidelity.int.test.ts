import {
  ChangeFeedStartFrom,
  type Container,
  CosmosClient,
  type OperationInput,
  PatchOperationType,
} from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSMOS_DATABASE } from './containers.js';
import { type CosmosEmulator, cosmosClientOptionsFor, startCosmosEmulator } from './emulator.js';

// Where Cosmos DB refuses or behaves differently from a naive store, the emulator must do the same (issue #22).
// Each test here failed against the @vercel/cosmosdb-server document layer the emulator used before.

const clock = { ms: Date.UTC(2026, 0, 1), now: () => clock.ms };

let emulator: CosmosEmulator;
let client: CosmosClient;
let transcripts: Container;
let handoffs: Container;
let idempotency: Container;

beforeAll(async () => {
  emulator = await startCosmosEmulator({ clock });
  client = new CosmosClient(cosmosClientOptionsFor(emulator));
  const database = client.database(COSMOS_DATABASE);
  transcripts = database.container('transcripts');
  handoffs = database.container('handoffs');
  idempotency = database.container('idempotency');
  for (const customerId of ['cust_a', 'cust_b', 'cust_c']) {
    for (let turn = 1; turn <= 10; turn += 1) {
      await transcripts.items.create({ id: `${customerId}_${turn}`, customerId, turn });
    }
  }
});

afterAll(async () => {
  client?.dispose();
  await emulator?.stop();
});

describe('partition scoping', () => {
  it('scopes a query to the partitionKey option and reads only that partition', async () => {
    const response = await transcripts.items
      .query('SELECT VALUE COUNT(1) FROM c', { partitionKey: 'cust_b', populateQueryMetrics: true })
      .fetchAll();

    expect(response.resources).toEqual([10]);
    // The SDK parses x-ms-documentdb-query-metrics per partition key range: only 10 documents were looked at.
    const metrics = Object.values(
      response.queryMetrics as unknown as Record<string, { retrievedDocumentCount: number }>,
    );
    expect(metrics.map((range) => range.retrievedDocumentCount)).toEqual([10]);
  });

  it('reads one partition for a query whose WHERE pins the partition key, without the option', async () => {
    const response = await transcripts.items
      .query(
        {
          query: 'SELECT * FROM c WHERE c.customerId = @id AND c.turn > 5',
          parameters: [{ name: '@id', value: 'cust_a' }],
        },
        { populateQueryMetrics: true },
      )
      .fetchAll();

    expect(response.resources.map((row) => row.turn)).toEqual([6, 7, 8, 9, 10]);
    const metrics = Object.values(
      response.queryMetrics as unknown as Record<string, { retrievedDocumentCount: number }>,
    );
    expect(metrics.map((range) => range.retrievedDocumentCount)).toEqual([10]);
  });

  it('answers a cross-partition query from every partition', async () => {
    const { resources } = await transcripts.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();

    expect(resources).toEqual([30]);
  });

  it('pages a partition-scoped query with continuation tokens', async () => {
    const pages = transcripts.items.query<{ turn: number }>('SELECT * FROM c', {
      partitionKey: 'cust_c',
      maxItemCount: 4,
    });
    const turns: number[] = [];
    let rounds = 0;
    while (pages.hasMoreResults()) {
      const { resources } = await pages.fetchNext();
      turns.push(...resources.map((row) => row.turn));
      rounds += 1;
    }

    expect(turns).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(rounds).toBeGreaterThanOrEqual(3);
  });
});

describe('transactional batch', () => {
  it('is atomic: a failing operation leaves nothing written, 424 for the others, 207 for the batch', async () => {
    await handoffs.items.create({ id: 'h_taken', customerId: 'cust_batch' });
    const operations: OperationInput[] = [
      { operationType: 'Create', resourceBody: { id: 'h_new', customerId: 'cust_batch' } },
      { operationType: 'Create', resourceBody: { id: 'h_taken', customerId: 'cust_batch' } },
      { operationType: 'Create', resourceBody: { id: 'h_skipped', customerId: 'cust_batch' } },
    ];

    const response = await handoffs.items.batch(operations, 'cust_batch');

    expect(response.code).toBe(207);
    expect(response.result?.map((result) => result.statusCode)).toEqual([424, 409, 424]);
    expect((await handoffs.item('h_new', 'cust_batch').read()).statusCode).toBe(404);
    expect((await handoffs.item('h_skipped', 'cust_batch').read()).statusCode).toBe(404);
  });

  it('rolls back a replace and a delete made before the failing operation', async () => {
    await handoffs.items.create({ id: 'h_keep', customerId: 'cust_roll', status: 'offered' });
    await handoffs.items.create({ id: 'h_gone', customerId: 'cust_roll' });

    const response = await handoffs.items.batch(
      [
        {
          operationType: 'Replace',
          id: 'h_keep',
          resourceBody: { id: 'h_keep', customerId: 'cust_roll', status: 'x' },
        },
        { operationType: 'Delete', id: 'h_gone' },
        { operationType: 'Delete', id: 'h_missing' },
      ],
      'cust_roll',
    );

    expect(response.result?.map((result) => result.statusCode)).toEqual([424, 424, 404]);
    expect((await handoffs.item('h_keep', 'cust_roll').read()).resource?.status).toBe('offered');
    expect((await handoffs.item('h_gone', 'cust_roll').read()).statusCode).toBe(200);
  });

  it('runs Patch operations (set, incr, condition) and commits everything when all succeed', async () => {
    const created = await handoffs.items.create({ id: 'h_patch', customerId: 'cust_p', attempts: 0 });

    const response = await handoffs.items.batch(
      [
        {
          operationType: 'Patch',
          id: 'h_patch',
          ifMatch: created.etag,
          resourceBody: {
            operations: [
              { op: PatchOperationType.set, path: '/status', value: 'dispatched' },
              { op: PatchOperationType.incr, path: '/attempts', value: 1 },
            ],
          },
        },
        { operationType: 'Create', resourceBody: { id: 'h_turn', customerId: 'cust_p' } },
      ],
      'cust_p',
    );

    expect(response.code).toBe(200);
    expect(response.result?.map((result) => result.statusCode)).toEqual([200, 201]);
    const { resource } = await handoffs.item('h_patch', 'cust_p').read();
    expect(resource).toMatchObject({ status: 'dispatched', attempts: 1 });
  });

  it('fails the whole batch on a Patch with a stale ETag (412) or an unmet condition (412)', async () => {
    await handoffs.items.create({ id: 'h_stale', customerId: 'cust_s', status: 'offered' });

    const stale = await handoffs.items.batch(
      [
        { operationType: 'Create', resourceBody: { id: 'h_s2', customerId: 'cust_s' } },
        {
          operationType: 'Patch',
          id: 'h_stale',
          ifMatch: '"not-the-etag"',
          resourceBody: { operations: [{ op: 'set', path: '/status', value: 'x' }] },
        },
      ],
      'cust_s',
    );
    const unmet = await handoffs.items.batch(
      [
        {
          operationType: 'Patch',
          id: 'h_stale',
          resourceBody: {
            operations: [{ op: 'set', path: '/status', value: 'x' }],
            condition: "FROM c WHERE c.status = 'dispatched'",
          },
        },
      ],
      'cust_s',
    );

    expect(stale.result?.map((result) => result.statusCode)).toEqual([424, 412]);
    expect(unmet.result?.map((result) => result.statusCode)).toEqual([412]);
    expect((await handoffs.item('h_s2', 'cust_s').read()).statusCode).toBe(404);
    expect((await handoffs.item('h_stale', 'cust_s').read()).resource?.status).toBe('offered');
  });

  it('refuses an operation for another partition key (400) and more than 100 operations', async () => {
    const response = await handoffs.items.batch(
      [{ operationType: 'Create', resourceBody: { id: 'h_other', customerId: 'cust_other' } }],
      'cust_batch',
    );

    expect(response.result?.[0]?.statusCode).toBe(400);
    expect((await handoffs.item('h_other', 'cust_other').read()).statusCode).toBe(404);
  });
});

describe('time to live', () => {
  it('expires a document after its own ttl when the container has defaultTtl -1', async () => {
    await idempotency.items.create({ id: 'refund:1', result: 'ok', ttl: 60 });
    await idempotency.items.create({ id: 'refund:forever', result: 'ok' });

    clock.ms += 59_000;
    expect((await idempotency.item('refund:1', 'refund:1').read()).statusCode).toBe(200);
    clock.ms += 1_000;

    expect((await idempotency.item('refund:1', 'refund:1').read()).statusCode).toBe(404);
    expect((await idempotency.item('refund:forever', 'refund:forever').read()).statusCode).toBe(200);
    const { resources } = await idempotency.items
      .query({ query: 'SELECT * FROM c WHERE c.id = @id', parameters: [{ name: '@id', value: 'refund:1' }] })
      .fetchAll();
    expect(resources).toEqual([]);
    expect((await idempotency.items.create({ id: 'refund:1', result: 'again', ttl: 60 })).statusCode).toBe(
      201,
    );
  });

  it('restarts the ttl on every write', async () => {
    await idempotency.items.create({ id: 'refund:2', ttl: 10 });
    clock.ms += 9_000;
    await idempotency.items.upsert({ id: 'refund:2', ttl: 10, touched: true });
    clock.ms += 9_000;

    expect((await idempotency.item('refund:2', 'refund:2').read()).statusCode).toBe(200);
  });

  it('applies a container defaultTtl, which a document can turn off with ttl -1', async () => {
    const { container } = await client
      .database(COSMOS_DATABASE)
      .containers.create({ id: 'ttl_default', partitionKey: { paths: ['/id'] }, defaultTtl: 5 });
    await container.items.create({ id: 'short' });
    await container.items.create({ id: 'kept', ttl: -1 });

    clock.ms += 5_000;

    expect((await container.item('short', 'short').read()).statusCode).toBe(404);
    expect((await container.item('kept', 'kept').read()).statusCode).toBe(200);
  });

  it('ignores a document ttl when the container has no TTL', async () => {
    // customers keeps no TTL (handoffs has a 30-day retention since ADR 0075).
    const customers = handoffs.database.container('customers');
    await customers.items.create({ id: 'c_ttl', ttl: 1 });
    clock.ms += 5_000;

    expect((await customers.item('c_ttl', 'c_ttl').read()).statusCode).toBe(200);
  });

  it('expires a handoff 30 days after its last write (the container default), not before', async () => {
    await handoffs.items.create({ id: 'h_retention', customerId: 'cust_retention' });
    clock.ms += 29 * 86_400_000;
    expect((await handoffs.item('h_retention', 'cust_retention').read()).statusCode).toBe(200);
    clock.ms += 2 * 86_400_000;
    expect((await handoffs.item('h_retention', 'cust_retention').read()).statusCode).toBe(404);
  });
});

describe('queries', () => {
  it('keeps documents without the ORDER BY property (undefined sorts first, as Cosmos DB)', async () => {
    await handoffs.items.create({ id: 'o1', customerId: 'cust_order', rank: 2 });
    await handoffs.items.create({ id: 'o2', customerId: 'cust_order' });
    await handoffs.items.create({ id: 'o3', customerId: 'cust_order', rank: 1 });

    const { resources } = await handoffs.items
      .query<{ id: string }>('SELECT * FROM c ORDER BY c.rank', { partitionKey: 'cust_order' })
      .fetchAll();

    expect(resources.map((row) => row.id)).toEqual(['o2', 'o3', 'o1']);
  });

  it('supports OFFSET/LIMIT and DISTINCT', async () => {
    const page = await transcripts.items
      .query<{ turn: number }>('SELECT * FROM c ORDER BY c.turn OFFSET 2 LIMIT 3', { partitionKey: 'cust_a' })
      .fetchAll();
    const customers = await transcripts.items
      .query<string>('SELECT DISTINCT VALUE c.customerId FROM c')
      .fetchAll();

    expect(page.resources.map((row) => row.turn)).toEqual([3, 4, 5]);
    expect([...customers.resources].sort()).toEqual(['cust_a', 'cust_b', 'cust_c']);
  });
});

describe('conditional reads, limits and faults', () => {
  it('answers a point read with IfNoneMatch on the current ETag with 304', async () => {
    const { etag } = await transcripts.item('cust_a_1', 'cust_a').read();

    const unchanged = await transcripts
      .item('cust_a_1', 'cust_a')
      .read({ accessCondition: { type: 'IfNoneMatch', condition: etag } });
    const stale = await transcripts
      .item('cust_a_1', 'cust_a')
      .read({ accessCondition: { type: 'IfNoneMatch', condition: '"old"' } });

    expect(unchanged.statusCode).toBe(304);
    expect(stale.statusCode).toBe(200);
  });

  it('refuses a document over 2 MB with 413', async () => {
    const big = { id: 'h_big', customerId: 'cust_big', text: 'x'.repeat(2 * 1024 * 1024) };

    await expect(handoffs.items.create(big)).rejects.toMatchObject({ code: 413 });
    await expect(handoffs.items.upsert(big)).rejects.toMatchObject({ code: 413 });
  });

  it('throttles on demand: 429 with x-ms-retry-after-ms, which the SDK retries', async () => {
    emulator.faults.throttle({ requests: 2, retryAfterMs: 5 });

    const { statusCode, headers } = await transcripts.item('cust_a_2', 'cust_a').read();

    expect(statusCode).toBe(200);
    expect(Number(headers['x-ms-throttle-retry-count'])).toBe(2);
  });

  it('gives up with 429 when throttled past the SDK retries', async () => {
    const strict = new CosmosClient({
      ...cosmosClientOptionsFor(emulator),
      connectionPolicy: { enableEndpointDiscovery: false, retryOptions: { maxRetryAttemptCount: 0 } },
    });
    emulator.faults.throttle({ requests: 1, retryAfterMs: 7 });

    await expect(
      strict.database(COSMOS_DATABASE).container('transcripts').item('cust_a_2', 'cust_a').read(),
    ).rejects.toMatchObject({ code: 429, retryAfterInMs: 7 });
    strict.dispose();
  });
});

describe('change feed', () => {
  it('returns later writes on later pages, then 304 when nothing changed', async () => {
    const feedContainer = (
      await client
        .database(COSMOS_DATABASE)
        .containers.create({ id: 'feed', partitionKey: { paths: ['/customerId'] } })
    ).container;
    await feedContainer.items.create({ id: 'before', customerId: 'c1' });
    const feed = feedContainer.items.getChangeFeedIterator({
      changeFeedStartFrom: ChangeFeedStartFrom.Beginning(),
    });

    const first = await feed.readNext();
    await feedContainer.items.create({ id: 'after', customerId: 'c2' });
    await feedContainer.items.upsert({ id: 'before', customerId: 'c1', changed: true });
    const second = await feed.readNext();
    const third = await feed.readNext();

    expect(first.result.map((document) => document.id)).toEqual(['before']);
    expect(second.statusCode).toBe(200);
    expect(second.result.map((document) => document.id)).toEqual(['after', 'before']);
    expect(third.statusCode).toBe(304);
  });
});

describe('indexing directives and automatic indexing (the flow of the official IndexManagement sample)', () => {
  it('given a document written with indexingDirective exclude, when queried, then it is not found, but a point read still sees it', async () => {
    const { database } = await client.databases.createIfNotExists({ id: 'index-management' });
    const { container } = await database.containers.createIfNotExists({ id: 'directives' });
    const query = {
      query: 'SELECT * FROM r WHERE r.foo = @foo',
      parameters: [{ name: '@foo', value: 'bar' }],
    };
    const { item } = await container.items.create(
      { id: 'item1', foo: 'bar' },
      { indexingDirective: 'exclude' },
    );

    expect((await container.items.query(query).fetchAll()).resources).toEqual([]);
    expect((await item.read()).resource?.foo).toBe('bar');

    // Automatic indexing off: only documents written with `include` are queryable from now on.
    const { resource: definition } = await container.read();
    await container.replace({
      id: 'directives',
      partitionKey: definition?.partitionKey,
      indexingPolicy: { automatic: false },
    });
    await container.items.create({ id: 'item2', foo: 'bar' }, { indexingDirective: 'include' });
    await container.items.create({ id: 'item3', foo: 'bar' });
    expect((await container.items.query(query).fetchAll()).resources.map((d) => d.id)).toEqual(['item2']);
  });
});
