// docker compose: the in-repo ACS Advanced Messaging emulator (WhatsApp) on 0.0.0.0, with the access key
// and channel id from the compose environment so the whatsapp-adapter's connection string matches.
// Runs inside the sandbox image, which carries @omni/emulators.
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';

const emulator = await startAcsMessagesEmulator({
  host: '0.0.0.0',
  port: Number(process.env.PORT ?? 8085),
  accessKey: process.env.ACS_EMULATOR_ACCESS_KEY,
  channelRegistrationId: process.env.WHATSAPP_CHANNEL_REGISTRATION_ID,
});
process.stdout.write(`ACS Advanced Messaging emulator on ${emulator.endpoint}\n`);
const stop = async () => {
  await emulator.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
