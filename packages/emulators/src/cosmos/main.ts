/**
 * Runs the Cosmos DB emulator alone, on `COSMOS_EMULATOR_PORT` (default 8081), until SIGINT or SIGTERM:
 * `node dist/cosmos/main.js`. Prints the endpoint and key once the database and containers exist.
 */
import { portFromEnv, runAlone } from '../run-alone.js';
import { COSMOS_EMULATOR_DEFAULT_PORT, startCosmosEmulator } from './emulator.js';

await runAlone(
  'Cosmos DB emulator',
  () =>
    startCosmosEmulator({
      port: portFromEnv('COSMOS_EMULATOR_PORT', COSMOS_EMULATOR_DEFAULT_PORT),
      host: process.env.COSMOS_EMULATOR_HOST || '127.0.0.1',
    }),
  (emulator) =>
    `Cosmos DB emulator ready (database "${emulator.database}")\n` +
    `COSMOS_ENDPOINT=${emulator.endpoint}\nCOSMOS_KEY=${emulator.key}\n`,
);
