import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';
import { disableNagleOnAmqpSockets } from './amqp-socket.js';

/**
 * How to reach Service Bus: a connection string (the local emulator, with `UseDevelopmentEmulator=true`)
 * or a namespace with an Entra ID credential (Azure: managed identity, `az login` on a laptop).
 */
export type ServiceBusConnection =
  | { connectionString: string }
  | { fullyQualifiedNamespace: string; credential?: TokenCredential };

/** Reads the connection from the standard variables: SERVICEBUS_CONNECTION_STRING, else SERVICEBUS_NAMESPACE. */
export function serviceBusConnectionFromEnv(
  env: Record<string, string | undefined> = process.env,
): ServiceBusConnection | undefined {
  if (env.SERVICEBUS_CONNECTION_STRING) return { connectionString: env.SERVICEBUS_CONNECTION_STRING };
  if (env.SERVICEBUS_NAMESPACE) return { fullyQualifiedNamespace: env.SERVICEBUS_NAMESPACE };
  return undefined;
}

/** AMQP over TLS: Azure Service Bus namespaces. */
const AMQPS_PORT = 5671;
/** Plain AMQP: the local emulator (`UseDevelopmentEmulator=true`). */
const AMQP_PORT = 5672;

/** The TCP port a client of `connection` opens its AMQP socket to. */
export function amqpPortOf(connection: ServiceBusConnection): number {
  if (!('connectionString' in connection)) return AMQPS_PORT;
  const parts = new Map(
    connection.connectionString
      .split(';')
      .filter((part) => part.includes('='))
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const;
      }),
  );
  const emulator = parts.get('usedevelopmentemulator')?.toLowerCase() === 'true';
  const endpoint = parts.get('endpoint');
  const port = endpoint ? new URL(endpoint.replace(/^sb:/i, 'http:')).port : '';
  return port ? Number(port) : emulator ? AMQP_PORT : AMQPS_PORT;
}

/**
 * The one `ServiceBusClient` of a service. Its AMQP socket has Nagle's algorithm off
 * ({@link disableNagleOnAmqpSockets}): with it on, the small frames of overlapping turns wait for delayed ACKs.
 */
export function createServiceBusClient(
  connection: ServiceBusConnection,
  options: ServiceBusClientOptions = {},
): ServiceBusClient {
  disableNagleOnAmqpSockets(amqpPortOf(connection));
  if ('connectionString' in connection) return new ServiceBusClient(connection.connectionString, options);
  return new ServiceBusClient(
    connection.fullyQualifiedNamespace,
    connection.credential ?? new DefaultAzureCredential(),
    options,
  );
}
