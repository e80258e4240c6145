import { type ServiceBusTopology, serviceBusTopology } from '@omni/contracts';
import { type Logger, pino } from 'pino';
import { selfSignedCertificate } from '../local-tls.js';
import { AdministrationEndpoint } from './administration.js';
import { AmqpServer, ServiceBusFaults } from './amqp-server.js';
import { Broker } from './broker.js';
import { type Clock, systemClock } from './entity.js';
import { createInspectionApp } from './inspection.js';
import { type NamespaceSettings, namespaceFromConfig, namespaceFromTopology } from './namespace-config.js';
import { SharedAccessPolicy } from './shared-access.js';

/** The AMQP port `pnpm emulators` uses (the official emulator's, and the SDK's default with `UseDevelopmentEmulator`). */
export const SERVICE_BUS_EMULATOR_DEFAULT_PORT = 5672;

/** The shared access key name the official emulator's connection string uses. */
export const DEFAULT_SAS_KEY_NAME = 'RootManageSharedAccessKey';

/**
 * The well-known local key: the placeholder the official Service Bus emulator documentation puts in its
 * connection string. It is not a secret; the emulator only ever listens for local development and tests.
 */
export const DEFAULT_SAS_KEY = 'SAS_KEY_VALUE';

/** Options of {@link startServiceBusEmulator}. */
export interface ServiceBusEmulatorOptions {
  /**
   * An emulator Config.json (object or JSON text), the official emulator's shape. Values outside the
   * official emulator's limits (PT2S locks, P14D time to live) are honoured rather than refused.
   */
  readonly config?: unknown;
  /**
   * A topology from `@omni/contracts`, used exactly (no clamping). Default when neither `config` nor
   * `topology` is given: `serviceBusTopology`, the same entities `renderServiceBusEmulatorConfig` writes
   * for the official emulator but with the topology's own durations.
   */
  readonly topology?: ServiceBusTopology;
  /** Interface to bind; default `127.0.0.1`. */
  readonly host?: string;
  /** AMQP port; 0 (default) picks a free one. `pnpm emulators` uses 5672. */
  readonly amqpPort?: number;
  /** Inspection HTTP port; 0 (default) picks a free one. */
  readonly httpPort?: number;
  /** Default {@link DEFAULT_SAS_KEY_NAME}. */
  readonly sasKeyName?: string;
  /** Default {@link DEFAULT_SAS_KEY}. */
  readonly sasKey?: string;
  /** A pino logger; silent by default. */
  readonly logger?: Logger;
  /** The time source of locks, schedules and expiry; the system clock by default. */
  readonly clock?: Clock;
  /** How often locks, schedules and time to live are checked, in ms; default 100. */
  readonly sweepIntervalMs?: number;
  /** Extra host names or IPs the administration endpoint's certificate is valid for. */
  readonly certificateHosts?: readonly string[];
}

/** A running emulator. */
export interface ServiceBusEmulator {
  /**
   * What `new ServiceBusClient(connectionString)` needs:
   * `Endpoint=sb://127.0.0.1:<port>;SharedAccessKeyName=...;SharedAccessKey=...;UseDevelopmentEmulator=true;`.
   */
  readonly connectionString: string;
  readonly amqpPort: number;
  /** Base URL of the inspection API, e.g. `http://127.0.0.1:41234`. */
  readonly httpUrl: string;
  /** The in-memory broker (entities, counts, `sweep()`, `reset()`). */
  readonly broker: Broker;
  /**
   * Drops every client connection at the TCP level (a network failure, for fault tests); the listener stays
   * open and clients reconnect. Returns how many connections were dropped.
   */
  dropConnections(): number;
  /** Fault switches: `faults.serverBusy(sends)` refuses the next sends with `ServiceBusy`. */
  readonly faults: ServiceBusFaults;
  /**
   * The certificate (PEM) of the administration endpoint: `ServiceBusAdministrationClient` speaks https to the
   * connection string's endpoint and port, so a client must trust it (`trustCertificate`, or `NODE_EXTRA_CA_CERTS`).
   */
  readonly caCertificatePem: string;
  /** Closes connections and both listeners. */
  stop(): Promise<void>;
}

function settingsOf(options: ServiceBusEmulatorOptions): NamespaceSettings {
  if (options.config !== undefined && options.topology !== undefined) {
    throw new TypeError('startServiceBusEmulator: give either config or topology, not both');
  }
  if (options.config !== undefined) return namespaceFromConfig(options.config);
  return namespaceFromTopology(options.topology ?? serviceBusTopology);
}

/**
 * Starts the Service Bus emulator: an AMQP 1.0 broker the unmodified `@azure/service-bus` SDK talks to
 * (with `UseDevelopmentEmulator=true`, the SDK uses plain AMQP on the endpoint's port), plus the inspection
 * HTTP API.
 *
 * @throws `NamespaceConfigError` for a config of the wrong shape, `SqlFilterError` for a filter that does not parse
 */
export async function startServiceBusEmulator(
  options: ServiceBusEmulatorOptions = {},
): Promise<ServiceBusEmulator> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = options.clock ?? systemClock;
  const host = options.host ?? '127.0.0.1';
  const sasKeyName = options.sasKeyName ?? DEFAULT_SAS_KEY_NAME;
  const sasKey = options.sasKey ?? DEFAULT_SAS_KEY;
  const broker = new Broker(settingsOf(options), { clock, logger });
  const faults = new ServiceBusFaults();
  const policy = new SharedAccessPolicy(sasKeyName, sasKey);
  const certificate = await selfSignedCertificate(options.certificateHosts ?? []);
  const administration = new AdministrationEndpoint({ broker, policy, clock, logger, certificate });
  const amqp = new AmqpServer({ broker, policy, clock, logger, faults, administration });
  const amqpPort = await amqp.listen(host, options.amqpPort ?? 0);
  const http = createInspectionApp(broker, logger);
  let httpUrl: string;
  try {
    await http.listen({ host, port: options.httpPort ?? 0 });
    const address = http.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : (options.httpPort ?? 0);
    httpUrl = `http://${urlHost(host)}:${port}`;
  } catch (error) {
    await amqp.close();
    throw error;
  }
  const sweeper = setInterval(() => {
    try {
      broker.sweep();
    } catch (error) {
      logger.error({ err: error }, 'sweep failed');
    }
  }, options.sweepIntervalMs ?? 100);
  sweeper.unref();
  const connectionString =
    `Endpoint=sb://${urlHost(host)}:${amqpPort};SharedAccessKeyName=${sasKeyName};` +
    `SharedAccessKey=${sasKey};UseDevelopmentEmulator=true;`;
  logger.info({ amqpPort, httpUrl, namespace: broker.namespace }, 'service bus emulator started');
  let stopped: Promise<void> | undefined;
  return {
    connectionString,
    amqpPort,
    httpUrl,
    broker,
    dropConnections: () => amqp.dropConnections(),
    faults,
    caCertificatePem: certificate.cert,
    stop() {
      stopped ??= (async () => {
        clearInterval(sweeper);
        await Promise.all([amqp.close(), http.close()]);
      })();
      return stopped;
    },
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
