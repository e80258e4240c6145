import { createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startDirectLineEmulator } from '@omni/emulators/directline';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { buildApp } from '@omni/webchat-adapter/dist/app.js';
import { WebchatBot } from '@omni/webchat-adapter/dist/bot.js';
import { readConfig } from '@omni/webchat-adapter/dist/config.js';
import { createBotAdapter } from '@omni/webchat-adapter/dist/connector.js';
import { DirectLineTokenClient } from '@omni/webchat-adapter/dist/directline.js';
import pino from 'pino';
import { busTotal } from '../support/bus-inspection.js';
import { type FuzzTarget, listenLocal, type RunningTarget } from './targets.js';

/**
 * webchat-adapter `POST /api/messages`: the real `buildApp` with the Agents SDK's `CloudAdapter` (authentication from
 * the config), the real `WebchatBot`, `EventPublisher` (Service Bus emulator) and customer store (Cosmos emulator),
 * and the Direct Line emulator as the Bot Connector `serviceUrl`. No consumers run, so whatever a turn enqueues on
 * `inbound-messages` stays on the bus: recorded = every message on the bus.
 *
 * `azure`: Bot Framework auth on (a single-tenant app id); no fuzzed request carries a JWT, so every answer must be
 * 401 before any parsing (the Agents SDK refuses a missing token without fetching keys: no network). `local`:
 * `BOT_AUTH_DISABLED=true`, as with the local Direct Line emulator; malformed activities are 400 problem+json.
 */
function webchatTarget(mode: 'azure' | 'local'): FuzzTarget {
  return {
    name: `webchat-adapter POST /api/messages (${mode})`,
    async start(): Promise<RunningTarget> {
      const [bus, cosmos, directLine] = await Promise.all([
        startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
        startCosmosEmulator({ port: 0 }),
        startDirectLineEmulator({ port: 0 }),
      ]);
      const auth =
        mode === 'local'
          ? { BOT_AUTH_DISABLED: 'true' }
          : {
              MicrosoftAppId: '00000000-0000-0000-0000-00000000f022',
              MicrosoftAppType: 'SingleTenant',
              MicrosoftAppTenantId: '00000000-0000-0000-0000-0000000000aa',
              MicrosoftAppPassword: 'fuzz-not-a-real-password',
            };
      const config = readConfig({
        SERVICEBUS_CONNECTION_STRING: bus.connectionString,
        COSMOS_ENDPOINT: cosmos.endpoint,
        COSMOS_KEY: cosmos.key,
        HANDOFF_TOKEN_KEY: 'w'.repeat(48),
        DIRECTLINE_ENDPOINT: directLine.endpoint,
        LOG_LEVEL: 'silent',
        // The fuzz is about malformed bodies, not floods: the per-user message limit is out of its way.
        WEBCHAT_MESSAGE_BURST_PER_USER: '100000',
        ...auth,
      });
      const logger = pino({ level: 'silent' });
      const client = createServiceBusClient({ connectionString: bus.connectionString });
      const publisher = new EventPublisher({ client });
      const context = createCustomerContextStore(config, { logger });
      const directLineTokens = new DirectLineTokenClient(directLine.endpoint, 'local-directline-emulator');
      const app = buildApp({
        config,
        logger,
        botAdapter: createBotAdapter(config),
        bot: new WebchatBot({ publisher, store: context.store, recentTurns: config.WEBCHAT_RECENT_TURNS }),
        directLine: directLineTokens,
        store: context.store,
      });
      const base = await listenLocal(app);
      // A real Direct Line conversation, so that the typing indicator of a valid message has somewhere to go.
      const { conversationId } = await directLineTokens.generate('dl_fuzz-user');
      return {
        url: `${base}/api/messages`,
        credentials: '',
        validBody: {
          type: 'message',
          id: 'fuzz-activity-1',
          channelId: 'directline',
          serviceUrl: `${directLine.endpoint}/`,
          timestamp: new Date().toISOString(),
          from: { id: 'dl_fuzz-user', role: 'user' },
          recipient: { id: 'omni-bot', name: 'omni-bot', role: 'bot' },
          conversation: { id: conversationId },
          locale: 'en-GB',
          text: 'hello',
        },
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        headers: {},
        problemJson: true,
        unauthenticatedOnly: mode === 'azure',
        recorded: () => busTotal(bus.httpUrl),
        alive: async () => (await fetch(`${base}/healthz`)).ok,
        async stop() {
          await app.close();
          await publisher.close();
          await client.close();
          await context.close();
          await Promise.all([directLine.stop(), cosmos.stop(), bus.stop()]);
        },
      };
    },
  };
}

export const webchatAzureTarget = webchatTarget('azure');
export const webchatLocalTarget = webchatTarget('local');
