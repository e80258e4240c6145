import { randomBytes } from 'node:crypto';
import { startAcsCallingEmulator } from '@omni/emulators/acs-calling';
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startDirectLineEmulator } from '@omni/emulators/directline';
import { startFoundryEmulator } from '@omni/emulators/foundry';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';

/**
 * Fixed local ports, so connection settings stay the same between runs. `pnpm start` reads
 * SERVICEBUS_EMULATOR_PORT, SERVICEBUS_EMULATOR_HTTP_PORT, COSMOS_EMULATOR_PORT, FOUNDRY_EMULATOR_PORT and
 * ACS_EMULATOR_PORT to move them.
 */
export interface EmulatorPorts {
  serviceBusAmqp: number;
  serviceBusHttp: number;
  cosmos: number;
  foundry: number;
  acsMessages: number;
  acsCalling: number;
  directLine: number;
}

/** The standard local ports: AMQP 5672 and Cosmos 8081 as the official emulators use; Foundry on 8443 (https). */
export const DEFAULT_EMULATOR_PORTS: EmulatorPorts = {
  serviceBusAmqp: 5672,
  serviceBusHttp: 5380,
  cosmos: 8081,
  foundry: 8443,
  acsMessages: 8085,
  acsCalling: 8086,
  directLine: 7080,
};

/** The running emulators and the environment every service needs to reach them. */
export interface LocalEmulators {
  /** Environment variables for the services (connection string, endpoint, key). */
  env: Record<string, string>;
  /** Human-readable lines describing where each emulator listens. */
  describe(): string[];
  /** Links for the sandbox page, as `label=url` pairs (`SANDBOX_LINKS`). */
  links: string;
  /**
   * Subscribes the services' webhooks as Event Grid would (validation handshake first), once they are up:
   * the simulated WhatsApp phone to the whatsapp-adapter's `/api/events`.
   */
  connectWebhooks(urls: { voice?: string; whatsapp?: string; webchat?: string }): Promise<void>;
  stop(): Promise<void>;
}

/** Starts every emulator the services need, in this process. Port 0 picks free ports (tests). */
export async function startLocalEmulators(
  ports: EmulatorPorts = DEFAULT_EMULATOR_PORTS,
): Promise<LocalEmulators> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    const serviceBus = await startServiceBusEmulator({
      amqpPort: ports.serviceBusAmqp,
      httpPort: ports.serviceBusHttp,
    });
    started.push(serviceBus);
    const cosmos = await startCosmosEmulator({ port: ports.cosmos });
    started.push(cosmos);
    const foundry = await startFoundryEmulator({ port: ports.foundry });
    started.push(foundry);
    const acsMessages = await startAcsMessagesEmulator({ port: ports.acsMessages });
    started.push(acsMessages);
    const acsCalling = await startAcsCallingEmulator({ port: ports.acsCalling });
    started.push(acsCalling);
    const directLine = await startDirectLineEmulator({ port: ports.directLine });
    started.push(directLine);
    return describeEmulators({ serviceBus, cosmos, foundry, acsMessages, acsCalling, directLine }, () =>
      Promise.allSettled(started.map((e) => e.stop())).then(() => {}),
    );
  } catch (error) {
    await Promise.allSettled(started.map((e) => e.stop()));
    throw error;
  }
}

interface StartedEmulators {
  serviceBus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
  cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
  foundry: Awaited<ReturnType<typeof startFoundryEmulator>>;
  acsMessages: Awaited<ReturnType<typeof startAcsMessagesEmulator>>;
  acsCalling: Awaited<ReturnType<typeof startAcsCallingEmulator>>;
  directLine: Awaited<ReturnType<typeof startDirectLineEmulator>>;
}

function describeEmulators(started: StartedEmulators, stop: () => Promise<void>): LocalEmulators {
  const { serviceBus, cosmos, foundry, acsMessages, acsCalling, directLine } = started;
  const webhookSecret = randomBytes(24).toString('base64url');
  return {
    env: {
      SERVICEBUS_CONNECTION_STRING: serviceBus.connectionString,
      SERVICEBUS_EMULATOR_URL: serviceBus.httpUrl,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      FOUNDRY_PROJECT_ENDPOINT: foundry.endpoint,
      // The Foundry emulator speaks https with a certificate made at start; services trust it through Node.
      NODE_EXTRA_CA_CERTS: foundry.caCertificatePath,
      ACS_MESSAGES_CONNECTION_STRING: acsMessages.connectionString,
      ACS_MESSAGES_EMULATOR_URL: acsMessages.endpoint,
      ACS_CONNECTION_STRING: acsCalling.connectionString,
      ACS_CALLING_EMULATOR_URL: acsCalling.endpoint,
      // Web chat: the Direct Line emulator hands out tokens and relays to the bot, which trusts it locally.
      DIRECTLINE_ENDPOINT: directLine.endpoint,
      BOT_AUTH_DISABLED: 'true',
      WHATSAPP_CHANNEL_REGISTRATION_ID: acsMessages.channelRegistrationId,
      // The number the SMS-link fallback comes from (the ACS emulator accepts any sender).
      SMS_FROM_NUMBER: '+18005550100',
      // Everything in the sandbox starts empty (Cosmos is in memory), so no Redis by default: a Redis shared with
      // other runs or tests would carry their queues and caches in. SANDBOX_REDIS_URL opts in.
      REDIS_URL: process.env.SANDBOX_REDIS_URL ?? '',
      // Secrets for this run only: made here, never stored, so nothing local can leak into the repo.
      EVENTGRID_WEBHOOK_SECRET: webhookSecret,
      HANDOFF_TOKEN_KEY: randomBytes(48).toString('base64'),
      // The channel-router's ops API key; the sandbox UI relays the ops console with it.
      OPS_API_KEY: randomBytes(24).toString('base64url'),
    },
    describe: () => [
      `Service Bus (AMQP 1.0)  ${serviceBus.connectionString}`,
      `Service Bus inspection  ${serviceBus.httpUrl}/entities`,
      `Cosmos DB               ${cosmos.endpoint}  (key: the emulator's well-known key)`,
      `AI Foundry (https)      ${foundry.endpoint}  (scripted model)`,
      `ACS Advanced Messaging  ${acsMessages.endpoint}  (WhatsApp sends and the simulated phone)`,
      `ACS Call Automation     ${acsCalling.endpoint}  (calls and the simulated caller)`,
      `Direct Line 3.0         ${directLine.domain}  (web chat to the bot)`,
    ],
    links: [
      `Service Bus entities=${serviceBus.httpUrl}/entities`,
      `Foundry agents=${foundry.origin}/_emulator/agents`,
      `Foundry conversations=${foundry.origin}/_emulator/conversations`,
      `WhatsApp messages sent=${acsMessages.endpoint.replace(/\/$/, '')}/_emulator/messages`,
      `Calls=${acsCalling.endpoint.replace(/\/$/, '')}/_emulator/calls`,
      `Direct Line conversations=${directLine.endpoint.replace(/\/$/, '')}/inspect/conversations`,
    ].join(','),
    connectWebhooks: async (urls) => {
      if (urls.whatsapp !== undefined) {
        await acsMessages.customer.connect(urls.whatsapp, { secret: webhookSecret });
      }
      if (urls.webchat !== undefined) directLine.connectBot(urls.webchat);
      if (urls.voice !== undefined) await acsCalling.calls.connect(urls.voice, { secret: webhookSecret });
    },
    stop,
  };
}
