import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';

/** Fixed local ports, so connection settings stay the same between runs (`SANDBOX_BASE_PORT` moves them). */
export interface EmulatorPorts {
  serviceBusAmqp: number;
  serviceBusHttp: number;
  cosmos: number;
}

/** The standard local ports: AMQP 5672 as the official Service Bus emulator, Cosmos 8081 as its emulator. */
export const DEFAULT_EMULATOR_PORTS: EmulatorPorts = {
  serviceBusAmqp: 5672,
  serviceBusHttp: 5380,
  cosmos: 8081,
};

/** The running emulators and the environment every service needs to reach them. */
export interface LocalEmulators {
  /** Environment variables for the services (connection string, endpoint, key). */
  env: Record<string, string>;
  /** Human-readable lines describing where each emulator listens. */
  describe(): string[];
  stop(): Promise<void>;
}

/** Starts every emulator the services need, in this process. Port 0 picks free ports (tests). */
export async function startLocalEmulators(
  ports: EmulatorPorts = DEFAULT_EMULATOR_PORTS,
): Promise<LocalEmulators> {
  const serviceBus = await startServiceBusEmulator({
    amqpPort: ports.serviceBusAmqp,
    httpPort: ports.serviceBusHttp,
  });
  let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
  try {
    cosmos = await startCosmosEmulator({ port: ports.cosmos });
  } catch (error) {
    await serviceBus.stop();
    throw error;
  }
  return {
    env: {
      SERVICEBUS_CONNECTION_STRING: serviceBus.connectionString,
      SERVICEBUS_EMULATOR_URL: serviceBus.httpUrl,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
    },
    describe: () => [
      `Service Bus (AMQP 1.0)  ${serviceBus.connectionString}`,
      `Service Bus inspection  ${serviceBus.httpUrl}/entities`,
      `Cosmos DB               ${cosmos.endpoint}  (key: the emulator's well-known key)`,
    ],
    stop: async () => {
      await Promise.allSettled([serviceBus.stop(), cosmos.stop()]);
    },
  };
}
