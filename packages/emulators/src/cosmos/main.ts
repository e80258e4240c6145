/**
 * Runs the Cosmos DB emulator alone, on `COSMOS_EMULATOR_PORT` (default 8081), until SIGINT or SIGTERM:
 * `node dist/cosmos/main.js`. Prints the endpoint and key once the database and containers exist.
 */
import { COSMOS_EMULATOR_DEFAULT_PORT, startCosmosEmulator } from './emulator.js';

const rawPort = process.env.COSMOS_EMULATOR_PORT;
const port = rawPort === undefined || rawPort === '' ? COSMOS_EMULATOR_DEFAULT_PORT : Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`COSMOS_EMULATOR_PORT must be a port number, got "${rawPort}"\n`);
  process.exit(1);
}

try {
  const emulator = await startCosmosEmulator({ port, host: process.env.COSMOS_EMULATOR_HOST || '127.0.0.1' });
  process.stdout.write(
    `Cosmos DB emulator ready (database "${emulator.database}")\n` +
      `COSMOS_ENDPOINT=${emulator.endpoint}\nCOSMOS_KEY=${emulator.key}\n`,
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
  process.stderr.write(`The Cosmos DB emulator could not start: ${message}\n`);
  process.exit(1);
}
