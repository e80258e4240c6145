/**
 * `pnpm emulators`: only the local emulators, on fixed ports, for running a service on its own
 * (`pnpm --filter @omni/channel-router start` with the printed variables in its .env) or debugging.
 */
import { styleText } from 'node:util';
import { DEFAULT_EMULATOR_PORTS, startLocalEmulators } from './local-emulators.js';

const print = (line: string) => process.stdout.write(`${line}\n`);

try {
  const emulators = await startLocalEmulators(DEFAULT_EMULATOR_PORTS);
  print(styleText('bold', 'Local emulators ready:'));
  for (const line of emulators.describe()) print(`  ${line}`);
  print(styleText('bold', '\nEnvironment for the services (paste into apps/<service>/.env):'));
  for (const [name, value] of Object.entries(emulators.env)) print(`${name}=${value}`);
  print(styleText('gray', '\nPress Ctrl-C to stop.'));
  const stop = async () => {
    await emulators.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /EADDRINUSE/.test(message)
    ? ' (is `pnpm start` or another `pnpm emulators` already running?)'
    : '';
  process.stderr.write(`The emulators could not start: ${message}${hint}\n`);
  process.exit(1);
}
