/**
 * Runs the Direct Line emulator alone, on `DIRECTLINE_EMULATOR_PORT` (default 7080), until SIGINT or
 * SIGTERM: `node dist/directline/main.js`. `DIRECTLINE_BOT_ENDPOINT` is the bot's messaging endpoint (default
 * the webchat-adapter's `http://127.0.0.1:7073/api/messages`); `DIRECTLINE_SECRET`, when set, is the only secret
 * accepted. Prints the variables the webchat-adapter needs.
 */
import { portFromEnv, runAlone } from '../run-alone.js';
import { startDirectLineEmulator } from './emulator.js';

await runAlone(
  'Direct Line emulator',
  () =>
    startDirectLineEmulator({
      port: portFromEnv('DIRECTLINE_EMULATOR_PORT', 7080),
      host: process.env.DIRECTLINE_EMULATOR_HOST || '127.0.0.1',
      botEndpoint: process.env.DIRECTLINE_BOT_ENDPOINT || 'http://127.0.0.1:7073/api/messages',
      ...(process.env.DIRECTLINE_SECRET ? { secret: process.env.DIRECTLINE_SECRET } : {}),
    }),
  (emulator) =>
    `Direct Line emulator ready (WebChat domain ${emulator.domain})\n` +
    `DIRECTLINE_ENDPOINT=${emulator.endpoint}\nBOT_AUTH_DISABLED=true\n`,
);
