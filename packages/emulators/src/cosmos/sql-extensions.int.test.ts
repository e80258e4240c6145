import type { Container } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTranscriptsFixture, type TranscriptsFixture } from './test-support/transcripts.js';

// Cosmos DB SQL the engine under the emulator lacked (issue #22: GROUP BY, LIKE and IIF answered 400), through the
// real SDK, with the results Cosmos DB documents for them.

let fixture: TranscriptsFixture;
let transcripts: Container;

beforeAll(async () => {
  fixture = await startTranscriptsFixture();
  ({ transcripts } = fixture);
  await transcripts.items.create({ id: 'cust_c_1', customerId: 'cust_c', turn: 1, text: '50% off_now' });
});

afterAll(async () => {
  await fixture?.stop();
});

const rows = async <T>(query: string, parameters: { name: string; value: string | number }[] = []) =>
  (await transcripts.items.query<T>({ query, parameters }).fetchAll()).resources;
const sorted = <T>(values: T[]) =>
  [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('LIKE', () => {
  it('matches % and _ and character sets, NOT LIKE the rest, ESCAPE literal wildcards; a parameter pattern works', async () => {
    const ids = async (where: string, parameters: { name: string; value: string }[] = []) =>
      (await rows<string>(`SELECT VALUE c.id FROM c WHERE ${where}`, parameters)).sort();

    expect(await ids("c.text LIKE 'turn %'")).toEqual([
      'cust_a_1',
      'cust_a_2',
      'cust_a_3',
      'cust_b_10',
      'cust_b_20',
    ]);
    expect(await ids("c.text LIKE 'turn _'")).toEqual(['cust_a_1', 'cust_a_2', 'cust_a_3']);
    expect(await ids("c.text LIKE 'turn [12]%'")).toEqual(['cust_a_1', 'cust_a_2', 'cust_b_10', 'cust_b_20']);
    expect(await ids("c.text LIKE 'turn [^1]'")).toEqual(['cust_a_2', 'cust_a_3']);
    expect(await ids("c.text NOT LIKE 'turn%'")).toEqual(['cust_c_1']);
    expect(await ids("c.text LIKE '50!%%' ESCAPE '!'")).toEqual(['cust_c_1']);
    expect(await ids("c.text LIKE '%!_now' ESCAPE '!'")).toEqual(['cust_c_1']);
    expect(await ids('c.text LIKE @pattern AND c.turn > 1', [{ name: '@pattern', value: 'TURN%' }])).toEqual(
      [],
    );
    expect(await ids("c.text = 'x LIKE y' OR c.turn LIKE '1'")).toEqual([]);
  });
});

describe('IIF', () => {
  it('gives the second argument only for a boolean true condition', async () => {
    const values = await rows<string>(
      "SELECT VALUE IIF(c.turn > 2, 'late', 'early') FROM c WHERE c.customerId = 'cust_a'",
    );
    const notBoolean = await rows<string>(
      "SELECT VALUE IIF(c.turn, 'yes', 'no') FROM c WHERE c.id = 'cust_a_1'",
    );

    expect(values.sort()).toEqual(['early', 'early', 'late']);
    expect(notBoolean).toEqual(['no']);
  });
});

describe('GROUP BY', () => {
  it('counts and sums per group, with names from AS and from the property path', async () => {
    const groups = await rows(
      'SELECT c.customerId, COUNT(1) AS turns, SUM(c.turn) AS total FROM c GROUP BY c.customerId',
    );

    expect(sorted(groups)).toEqual([
      { customerId: 'cust_a', turns: 3, total: 6 },
      { customerId: 'cust_b', turns: 2, total: 30 },
      { customerId: 'cust_c', turns: 1, total: 1 },
    ]);
  });

  it('works with WHERE, parameters, SELECT VALUE, several keys and computed keys', async () => {
    const filtered = await rows(
      'SELECT c.customerId, MAX(c.turn) AS last FROM c WHERE c.turn >= @min GROUP BY c.customerId',
      [{ name: '@min', value: 2 }],
    );
    const counts = await rows<number>('SELECT VALUE COUNT(1) FROM c GROUP BY c.customerId');
    const byTwo = await rows(
      'SELECT c.customerId, c.turn > 2 AS late, COUNT(1) AS n FROM c GROUP BY c.customerId, c.turn > 2',
    );

    expect(sorted(filtered)).toEqual([
      { customerId: 'cust_a', last: 3 },
      { customerId: 'cust_b', last: 20 },
    ]);
    expect(counts.sort()).toEqual([1, 2, 3]);
    expect(sorted(byTwo)).toEqual(
      sorted([
        { customerId: 'cust_a', late: false, n: 2 },
        { customerId: 'cust_a', late: true, n: 1 },
        { customerId: 'cust_b', late: true, n: 2 },
        { customerId: 'cust_c', late: false, n: 1 },
      ]),
    );
  });

  it('pages its groups with maxItemCount and continuations, and scopes to a partition', async () => {
    const iterator = transcripts.items.query(
      'SELECT c.customerId, COUNT(1) AS n FROM c GROUP BY c.customerId',
      {
        maxItemCount: 2,
      },
    );
    const pages: unknown[][] = [];
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      if (resources.length > 0) pages.push(resources);
    }
    const scoped = await transcripts.items
      .query('SELECT c.customerId, COUNT(1) AS n FROM c GROUP BY c.customerId', { partitionKey: 'cust_b' })
      .fetchAll();

    expect(pages.flat()).toHaveLength(3);
    expect(scoped.resources).toEqual([{ customerId: 'cust_b', n: 2 }]);
  });

  it('refuses SELECT * with GROUP BY (400), as Cosmos DB does', async () => {
    await expect(rows('SELECT * FROM c GROUP BY c.customerId')).rejects.toMatchObject({ code: 400 });
  });
});
