import type { Server } from 'node:http';
import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import type { Logger } from 'pino';
import { COSMOS_DATABASE, type CosmosContainerDefinition, cosmosContainers } from './containers.js';
import { type CosmosFaults, createCosmosFaults, createCosmosHttpServer } from './server.js';

/**
 * The official Cosmos DB emulator's well-known master key. It is public and documented by Microsoft (every
 * emulator install uses it), not a secret; the local emulator checks signatures against it by default.
 */
export const COSMOS_EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

/** The port the official emulator listens on; `pnpm emulators` uses it too. */
export const COSMOS_EMULATOR_DEFAULT_PORT = 8081;

/** How to start a {@link CosmosEmulator}. Every field is optional. */
export interface CosmosEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; `0` (the default) picks a free one. */
  port?: number;
  /** Master key requests must be signed with. Default {@link COSMOS_EMULATOR_KEY}. */
  key?: string;
  /** Accept requests signed with any key, or unsigned (the raw `@vercel/cosmosdb-server` behaviour). Default false. */
  acceptAnyKey?: boolean;
  /** Database to create. Default {@link COSMOS_DATABASE}. */
  database?: string;
  /** Containers to create in it. Default {@link cosmosContainers}. */
  containers?: readonly CosmosContainerDefinition[];
  /** Create the database and its containers once listening. Default true; false leaves the account empty. */
  createContainers?: boolean;
  /** Receives request handler failures. */
  logger?: Pick<Logger, 'error'>;
  /** Time source for `_ts` and TTL expiry (tests move it instead of waiting). Default `Date`. */
  clock?: { now(): number };
}

/** A running in-process Cosmos DB emulator. */
export interface CosmosEmulator {
  /** `http://127.0.0.1:<port>`: the `endpoint` for `CosmosClient`. */
  readonly endpoint: string;
  /** The master key for `CosmosClient`. */
  readonly key: string;
  /** The port it listens on. */
  readonly port: number;
  /** The database it created (or would have created, with `createContainers: false`). */
  readonly database: string;
  /** Fault switches: `faults.throttle({ requests, retryAfterMs })` answers document requests with 429. */
  readonly faults: CosmosFaults;
  /** Stops listening and drops every stored document. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `@vercel/cosmosdb-server` (in memory, over http) in this process and, unless told otherwise, creates the
 * `omnichannel` database and its containers with the real `@azure/cosmos` client.
 *
 * @example
 * ```ts
 * const cosmos = await startCosmosEmulator({ port: 8081 });
 * const client = new CosmosClient(cosmosClientOptionsFor(cosmos));
 * ```
 */
export async function startCosmosEmulator(options: CosmosEmulatorOptions = {}): Promise<CosmosEmulator> {
  const host = options.host ?? '127.0.0.1';
  const key = options.key ?? COSMOS_EMULATOR_KEY;
  const database = options.database ?? COSMOS_DATABASE;
  const advertisedHost = connectableHost(host);
  const faults = createCosmosFaults();
  const clock = options.clock ?? Date;
  const server = createCosmosHttpServer({
    key: options.acceptAnyKey ? undefined : key,
    advertisedHost,
    logger: options.logger,
    now: () => clock.now(),
    faults,
  });
  const port = await listen(server, options.port ?? 0, host);
  let stopped: Promise<void> | undefined;
  const emulator: CosmosEmulator = {
    endpoint: `http://${advertisedHost}:${port}`,
    key,
    port,
    database,
    faults,
    stop: () => {
      stopped ??= close(server);
      return stopped;
    },
  };
  if (options.createContainers ?? true) {
    try {
      await createDatabase(emulator, database, options.containers ?? cosmosContainers);
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }
  return emulator;
}

/**
 * The `CosmosClient` options product code uses against a local emulator: its endpoint and key, with endpoint
 * discovery off (one region, no background refresh of the account's locations). http needs no TLS settings.
 * In Azure the services keep the SDK defaults and authenticate with Entra ID instead.
 */
export function cosmosClientOptionsFor(
  emulator: Pick<CosmosEmulator, 'endpoint' | 'key'>,
): CosmosClientOptions {
  return {
    endpoint: emulator.endpoint,
    key: emulator.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  };
}

async function createDatabase(
  emulator: CosmosEmulator,
  databaseId: string,
  containers: readonly CosmosContainerDefinition[],
): Promise<void> {
  const client = new CosmosClient(cosmosClientOptionsFor(emulator));
  try {
    const { database } = await client.databases.create({ id: databaseId });
    for (const container of containers) {
      await database.containers.create({
        id: container.id,
        partitionKey: { paths: [container.partitionKeyPath] },
        ...(container.defaultTtl === undefined ? {} : { defaultTtl: container.defaultTtl }),
      });
    }
  } finally {
    client.dispose();
  }
}

/** The host clients connect to: a wildcard address is reachable as localhost. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`The Cosmos emulator is not listening on a TCP port (${String(address)})`));
        return;
      }
      resolve(address.port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
