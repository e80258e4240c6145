/**
 * Runs the ACS Call Automation emulator alone, on `ACS_CALLING_EMULATOR_PORT` (default 8090), until SIGINT or
 * SIGTERM: `node dist/acs-calling/main.js`. Prints the connection string; connect a webhook and dial through the
 * `/_emulator` HTTP API.
 */
import { portFromEnv, runAlone } from '../run-alone.js';
import { startAcsCallingEmulator } from './emulator.js';

await runAlone(
  'ACS Call Automation emulator',
  () =>
    startAcsCallingEmulator({
      port: portFromEnv('ACS_CALLING_EMULATOR_PORT', 8090),
      host: process.env.ACS_CALLING_EMULATOR_HOST || '127.0.0.1',
    }),
  (emulator) =>
    `ACS Call Automation emulator ready (callers dial ${emulator.acsPhoneNumber})\n` +
    `ACS_CONNECTION_STRING=${emulator.connectionString}\n`,
);
