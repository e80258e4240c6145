/**
 * Runs the Service Bus emulator alone until SIGINT or SIGTERM: `node dist/servicebus/main.js`.
 * AMQP on `SERVICEBUS_EMULATOR_PORT` (default 5672), the inspection API on `SERVICEBUS_EMULATOR_HTTP_PORT`
 * (default 0, a free port), bound to `SERVICEBUS_EMULATOR_HOST` (default 127.0.0.1). Prints the connection string.
 */
import { portFromEnv, runAlone } from '../run-alone.js';
import { SERVICE_BUS_EMULATOR_DEFAULT_PORT, startServiceBusEmulator } from './emulator.js';

await runAlone(
  'Service Bus emulator',
  () =>
    startServiceBusEmulator({
      host: process.env.SERVICEBUS_EMULATOR_HOST || '127.0.0.1',
      amqpPort: portFromEnv('SERVICEBUS_EMULATOR_PORT', SERVICE_BUS_EMULATOR_DEFAULT_PORT),
      httpPort: portFromEnv('SERVICEBUS_EMULATOR_HTTP_PORT', 0),
    }),
  (emulator) =>
    `Service Bus emulator ready (namespace "${emulator.broker.namespace}", inspection ${emulator.httpUrl})\n` +
    `SERVICEBUS_CONNECTION_STRING=${emulator.connectionString}\n`,
);
