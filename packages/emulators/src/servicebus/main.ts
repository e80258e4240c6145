/**
 * Runs the Service Bus emulator alone until SIGINT or SIGTERM: `node dist/servicebus/main.js`.
 * AMQP on `SERVICEBUS_EMULATOR_PORT` (default 5672), the inspection API on `SERVICEBUS_EMULATOR_HTTP_PORT`
 * (default 0, a free port), bound to `SERVICEBUS_EMULATOR_HOST` (default 127.0.0.1). Prints the connection string.
 */
import { SERVICE_BUS_EMULATOR_DEFAULT_PORT, startServiceBusEmulator } from './emulator.js';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`${name} must be a port number, got "${raw}"\n`);
    process.exit(1);
  }
  return port;
}

try {
  const emulator = await startServiceBusEmulator({
    host: process.env.SERVICEBUS_EMULATOR_HOST || '127.0.0.1',
    amqpPort: portFrom('SERVICEBUS_EMULATOR_PORT', SERVICE_BUS_EMULATOR_DEFAULT_PORT),
    httpPort: portFrom('SERVICEBUS_EMULATOR_HTTP_PORT', 0),
  });
  process.stdout.write(
    `Service Bus emulator ready (namespace "${emulator.broker.namespace}", inspection ${emulator.httpUrl})\n` +
      `SERVICEBUS_CONNECTION_STRING=${emulator.connectionString}\n`,
  );
  const stop = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`The Service Bus emulator could not start: ${message}\n`);
  process.exit(1);
}
