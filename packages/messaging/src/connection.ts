import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';

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

/** The one `ServiceBusClient` of a service. */
export function createServiceBusClient(
  connection: ServiceBusConnection,
  options: ServiceBusClientOptions = {},
): ServiceBusClient {
  if ('connectionString' in connection) return new ServiceBusClient(connection.connectionString, options);
  return new ServiceBusClient(
    connection.fullyQualifiedNamespace,
    connection.credential ?? new DefaultAzureCredential(),
    options,
  );
}
