// docker compose: the repository's channel emulators on 0.0.0.0, inside the sandbox image (which carries
// @omni/emulators). Keys and ids come from the compose environment so the services' settings match.
//   8085  ACS Advanced Messaging (WhatsApp); its simulated phone is subscribed to the whatsapp-adapter
//   8086  ACS Call Automation (voice), when this build of @omni/emulators has it; callers ring the voice-adapter
//   8087  Direct Line (web chat), when this build has it; it forwards to the webchat-adapter's /api/messages
// Each webhook subscription is retried until the target answers Event Grid's handshake (the services start later).
const env = process.env;
const accessKey = env.ACS_EMULATOR_ACCESS_KEY;
const secret = env.EVENTGRID_WEBHOOK_SECRET;
const log = (line) => process.stdout.write(`${line}\n`);
const stops = [];

/** Imports an optional emulator entry point; undefined when this build does not export it. */
async function optional(specifier) {
  try {
    return await import(specifier);
  } catch (error) {
    if (error?.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || error?.code === 'ERR_MODULE_NOT_FOUND')
      return undefined;
    throw error;
  }
}

/** Retries `connect` until the webhook answers the handshake (every 2 s, for 5 minutes). */
async function subscribe(name, connect) {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      await connect();
      log(`${name}: webhook subscribed`);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        log(`${name}: webhook not subscribed (${error instanceof Error ? error.message : String(error)})`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

const { startAcsMessagesEmulator } = await import('@omni/emulators/acs-messages');
const messages = await startAcsMessagesEmulator({
  host: '0.0.0.0',
  port: 8085,
  accessKey,
  channelRegistrationId: env.WHATSAPP_CHANNEL_REGISTRATION_ID,
});
stops.push(messages);
log('ACS Advanced Messaging emulator on :8085');
void subscribe('whatsapp', () =>
  messages.customer.connect('http://whatsapp-adapter:7072/api/events', { secret }),
);

const calling = await optional('@omni/emulators/acs-calling');
if (calling === undefined) {
  log('ACS Call Automation emulator: not in this build');
} else {
  const acs = await calling.startAcsCallingEmulator({ host: '0.0.0.0', port: 8086, accessKey });
  stops.push(acs);
  log('ACS Call Automation emulator on :8086');
  void subscribe('voice', () => acs.calls.connect('http://voice-adapter:7071/api/incoming-call', { secret }));
}

const directLine = await optional('@omni/emulators/directline');
if (directLine === undefined) {
  log('Direct Line emulator: not in this build');
} else {
  const dl = await directLine.startDirectLineEmulator({
    host: '0.0.0.0',
    port: 8087,
    botEndpoint: 'http://webchat-adapter:7073/api/messages',
  });
  stops.push(dl);
  log('Direct Line emulator on :8087');
}

const stop = async () => {
  await Promise.allSettled(stops.map((emulator) => emulator.stop()));
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
