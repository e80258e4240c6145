import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSMOS_DATABASE } from './containers.js';
import { startTranscriptsFixture, type TranscriptsFixture } from './test-support/transcripts.js';

// What the emulator still does NOT do like Cosmos DB. These tests pin the actual behaviour so nobody depends on a
// gap by accident; when one starts failing, the emulator changed: update the README table too. The gaps closed by
// issue #22 (TTL, partition scoping, atomic batch, change feed, 304, 2 MB, OFFSET/LIMIT, DISTINCT, ORDER BY of
// documents without the property, 429 on demand) are pinned the other way round in fidelity.int.test.ts; GROUP BY,
// LIKE and IIF in sql-extensions.int.test.ts; session tokens in session-tokens.int.test.ts.

let fixture: TranscriptsFixture;
let client: CosmosClient;
let transcripts: Container;

beforeAll(async () => {
  fixture = await startTranscriptsFixture();
  ({ client, transcripts } = fixture);
});

afterAll(async () => {
  await fixture?.stop();
});

const values = async <T>(container: Container, query: string, options = {}) =>
  (await container.items.query<T>(query, options).fetchAll()).resources;

describe('queries', () => {
  it('supports TOP', async () => {
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
});

describe('throttling and request units', () => {
  it('never throttles by itself: 429 only through emulator.faults.throttle()', async () => {
    const customers = client.database(COSMOS_DATABASE).container('customers');

    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, index) => customers.items.create({ id: `cust_load_${index}` })),
    );

    expect(responses.every((response) => response.statusCode === 201)).toBe(true);
    expect(responses.some((response) => response.headers['x-ms-retry-after-ms'] !== undefined)).toBe(false);
  });

  it('charges 1 RU for everything', async () => {
    const { headers } = await transcripts.item('cust_a_1', 'cust_a').read();

    expect(Number(headers['x-ms-request-charge'])).toBe(1);
  });
});
