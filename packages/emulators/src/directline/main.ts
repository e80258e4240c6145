/**
 * Runs the Direct Line emulator alone, on `DIRECTLINE_EMULATOR_PORT` (default 7080), until SIGINT or
 * SIGTERM: `node dist/directline/main.js`. `DIRECTLINE_BOT_ENDPOINT` is the bot's messaging endpoint (default
 * the webchat-adapter's `http://127.0.0.1:7073/api/messages`); `DIRECTLINE_SECRET` is the secret accepted (default
 * `local-directline-emulator`); with `DIRECTLINE_BOT_APP_ID` and `DIRECTLINE_BOT_APP_PASSWORD` the bot is
 * authenticated both ways (local OpenID configuration). Prints the variables the webchat-adapter needs.
 */
import { portFromEnv, runAlone } from '../run-alone.js';
import { startDirectLineEmulator } from './emulator.js';

const BOT =
  process.env.DIRECTLINE_BOT_APP_ID && process.env.DIRECTLINE_BOT_APP_PASSWORD
    ? { appId: process.env.DIRECTLINE_BOT_APP_ID, appPassword: process.env.DIRECTLINE_BOT_APP_PASSWORD }
    : undefined;

await runAlone(
  'Direct Line emulator',
  () =>
    startDirectLineEmulator({
      port: portFromEnv('DIRECTLINE_EMULATOR_PORT', 7080),
      host: process.env.DIRECTLINE_EMULATOR_HOST || '127.0.0.1',
      botEndpoint: process.env.DIRECTLINE_BOT_ENDPOINT || 'http://127.0.0.1:7073/api/messages',
      ...(process.env.DIRECTLINE_SECRET ? { secret: process.env.DIRECTLINE_SECRET } : {}),
      ...(BOT ? { bot: BOT } : {}),
    }),
  (emulator) =>
    `Direct Line emulator ready (WebChat domain ${emulator.domain})\n` +
    `DIRECTLINE_ENDPOINT=${emulator.endpoint}\nDIRECTLINE_SECRET=${emulator.secret}\n` +
    (BOT
      ? `MicrosoftAppId=${BOT.appId}\nMicrosoftAppType=SingleTenant\nMicrosoftAppPassword=<DIRECTLINE_BOT_APP_PASSWORD>\n` +
        `MicrosoftAppTenantId=${emulator.authority?.split('/').at(-1)}\nBOT_AUTH_AUTHORITY=${emulator.authority}\n`
      : 'BOT_AUTH_DISABLED=true\n'),
);
