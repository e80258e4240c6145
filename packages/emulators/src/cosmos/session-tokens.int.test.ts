import { type Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COSMOS_DATABASE } from './containers.js';
import { type CosmosEmulator, cosmosClientOptionsFor, startCosmosEmulator } from './emulator.js';

// Session consistency (issue #22: no session tokens at all). Cosmos DB answers every document request with
// `x-ms-session-token` (`<partition key range>:<version>#<LSN>`); the SDK keeps the newest per container and sends it
// back; a replica that has not caught up with that token answers 404 substatus 1002 (ReadSessionNotAvailable).

let emulator: CosmosEmulator;
let client: CosmosClient;
let customers: Container;

beforeAll(async () => {
  emulator = await startCosmosEmulator();
  client = new CosmosClient(cosmosClientOptionsFor(emulator));
  customers = client.database(COSMOS_DATABASE).container('customers');
});

afterAll(async () => {
  client?.dispose();
  await emulator?.stop();
});

const lsnOf = (token: unknown) => Number(/^0:-1#(\d+)$/.exec(String(token))?.[1] ?? Number.NaN);

describe('session tokens', () => {
  it('come with writes and reads, and grow with each write', async () => {
    const created = await customers.items.create({ id: 'cust_session_1' });
    const read = await customers.item('cust_session_1', 'cust_session_1').read();
    const replaced = await customers
      .item('cust_session_1', 'cust_session_1')
      .replace({ id: 'cust_session_1', n: 1 });

    expect(lsnOf(created.headers['x-ms-session-token'])).toBeGreaterThan(Date.parse('2026-01-01') * 1000);
    expect(lsnOf(read.headers['x-ms-session-token'])).toBe(lsnOf(created.headers['x-ms-session-token']));
    expect(lsnOf(replaced.headers['x-ms-session-token'])).toBeGreaterThan(
      lsnOf(created.headers['x-ms-session-token']),
    );
  });

  it('a token ahead of what the container has seen is ReadSessionNotAvailable (404/1002)', async () => {
    await customers.items.create({ id: 'cust_session_2' });

    // A point read answers 404 as a response (statusCode), not an exception.
    const ahead = await customers
      .item('cust_session_2', 'cust_session_2')
      .read({ sessionToken: `0:-1#${Date.now() * 1000 + 1e9}` });
    const caughtUp = await customers.item('cust_session_2', 'cust_session_2').read();

    expect(ahead).toMatchObject({ statusCode: 404, substatus: 1002 });
    expect(caughtUp.statusCode).toBe(200);
  });
});
