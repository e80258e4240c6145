import { CosmosClient } from '@azure/cosmos';
import { afterEach, describe, expect, it } from 'vitest';
import { COSMOS_DATABASE, cosmosContainers } from './containers.js';
import {
  COSMOS_EMULATOR_KEY,
  type CosmosEmulator,
  cosmosClientOptionsFor,
  startCosmosEmulator,
} from './emulator.js';

const running: CosmosEmulator[] = [];
const clients: CosmosClient[] = [];

async function start(options: Parameters<typeof startCosmosEmulator>[0] = {}): Promise<CosmosEmulator> {
  const emulator = await startCosmosEmulator(options);
  running.push(emulator);
  return emulator;
}

function clientFor(
  emulator: CosmosEmulator,
  overrides: Partial<ReturnType<typeof cosmosClientOptionsFor>> = {},
) {
  const client = new CosmosClient({ ...cosmosClientOptionsFor(emulator), ...overrides });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.dispose();
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
});

describe('startCosmosEmulator', () => {
  it('listens over http on 127.0.0.1 and hands out the well-known emulator key', async () => {
    const emulator = await start();

    expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.key).toBe(COSMOS_EMULATOR_KEY);
    expect(emulator.database).toBe(COSMOS_DATABASE);
  });

  it('creates the omnichannel database with every container and its partition key', async () => {
    const emulator = await start();
    const { resources } = await clientFor(emulator).database(COSMOS_DATABASE).containers.readAll().fetchAll();

    const created = resources.map((container) => ({
      id: container.id,
      partitionKeyPath: container.partitionKey?.paths[0],
      defaultTtl: container.defaultTtl,
    }));
    expect(created).toEqual([
      { id: 'customers', partitionKeyPath: '/id', defaultTtl: undefined },
      { id: 'identities', partitionKeyPath: '/id', defaultTtl: undefined },
      // Retention (ADR 0075): handoffs 30 days, transcripts 90, idempotency 7, call state 1.
      { id: 'handoffs', partitionKeyPath: '/customerId', defaultTtl: 30 * 86_400 },
      { id: 'transcripts', partitionKeyPath: '/customerId', defaultTtl: 90 * 86_400 },
      { id: 'idempotency', partitionKeyPath: '/id', defaultTtl: 7 * 86_400 },
      { id: 'calls', partitionKeyPath: '/id', defaultTtl: 86_400 },
      { id: 'erasures', partitionKeyPath: '/id', defaultTtl: undefined },
    ]);
    expect(created.map((container) => container.id)).toEqual(
      cosmosContainers.map((container) => container.id),
    );
  });

  it('creates another database and containers when told to', async () => {
    const emulator = await start({
      database: 'other',
      containers: [{ id: 'things', partitionKeyPath: '/tenant', description: 'test' }],
    });
    const { resource } = await clientFor(emulator).database('other').container('things').read();

    expect(emulator.database).toBe('other');
    expect(resource?.partitionKey?.paths).toEqual(['/tenant']);
  });

  it('leaves the account empty with createContainers: false', async () => {
    const emulator = await start({ createContainers: false });
    const { resources } = await clientFor(emulator).databases.readAll().fetchAll();

    expect(resources).toEqual([]);
  });

  it('rejects a request signed with another key with 401', async () => {
    const emulator = await start();
    const client = clientFor(emulator, { key: Buffer.from('not the emulator key').toString('base64') });

    await expect(
      client.database(COSMOS_DATABASE).container('customers').item('c', 'c').read(),
    ).rejects.toMatchObject({ code: 401 });
  });

  it('accepts any key with acceptAnyKey, like the bare @vercel/cosmosdb-server', async () => {
    const emulator = await start({ acceptAnyKey: true });
    const client = clientFor(emulator, { key: Buffer.from('anything').toString('base64') });

    const { statusCode } = await client
      .database(COSMOS_DATABASE)
      .container('customers')
      .item('c', 'c')
      .read();

    expect(statusCode).toBe(404);
  });

  it('also works with the SDK defaults: the account advertises its http endpoint to endpoint discovery', async () => {
    const emulator = await start();
    const client = clientFor(emulator, { connectionPolicy: { enableEndpointDiscovery: true } });

    const { resource: account } = await client.getDatabaseAccount();
    const { statusCode } = await client
      .database(COSMOS_DATABASE)
      .container('customers')
      .items.create({ id: 'cust_1' });

    expect(account?.writableLocations.map((location) => location.databaseAccountEndpoint)).toEqual([
      `${emulator.endpoint}/`,
    ]);
    expect(statusCode).toBe(201);
  });

  it('runs two emulators at once on different ports, each with its own data', async () => {
    const [first, second] = await Promise.all([start(), start()]);
    if (!first || !second) throw new Error('two emulators expected');
    await clientFor(first)
      .database(COSMOS_DATABASE)
      .container('customers')
      .items.create({ id: 'cust_only_first' });

    const inFirst = await clientFor(first)
      .database(COSMOS_DATABASE)
      .container('customers')
      .item('cust_only_first', 'cust_only_first')
      .read();
    const inSecond = await clientFor(second)
      .database(COSMOS_DATABASE)
      .container('customers')
      .item('cust_only_first', 'cust_only_first')
      .read();

    expect(first.port).not.toBe(second.port);
    expect(inFirst.statusCode).toBe(200);
    expect(inSecond.statusCode).toBe(404);
  });

  it('fails to start on a port that is taken', async () => {
    const first = await start();

    await expect(startCosmosEmulator({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('stops listening on stop(), and a second stop() is harmless', async () => {
    const emulator = await startCosmosEmulator();

    await emulator.stop();
    await emulator.stop();

    await expect(fetch(emulator.endpoint)).rejects.toThrow();
  });
});
