import { type ConversationDriver, createConversationEngine, foundryCredentialFor } from '@omni/conversation';
import { createCustomerContextStore, ErasureRegistry, erasuresContainerOf } from '@omni/customer-context';
import {
  consumerSettingsOf,
  createServiceBusClient,
  ErasedCustomerFilter,
  EventConsumer,
  EventPublisher,
  QueueStatusView,
  serviceBusConnectionOf,
} from '@omni/messaging';
import { createSharedState } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AcsWhatsAppSender, createMessagesClient, type WhatsAppSender } from './acs.js';
import { buildApp } from './app.js';
import {
  type Config,
  channelRegistrationCheck,
  templateConfigOf,
  WHATSAPP_NOT_REGISTERED,
  webchatTemplateConfigOf,
} from './config.js';
import { HandoffDispatchHandler } from './handoff-dispatch-handler.js';
import { DispatchedHandoffs, HandoffMessageLog } from './handoff-messages.js';
import { InboundMessageHandler } from './inbound-handler.js';
import { SmsHandoffHandler } from './sms-handoff-handler.js';
import { AcsSmsSender, type SmsSender } from './sms-sender.js';

/** Optional replacements for tests. */
export interface AdapterOverrides {
  /** The agent driver; default from CONVERSATION_DRIVER. */
  driver?: ConversationDriver;
  /** The WhatsApp sender; default the ACS REST client from the config. */
  sender?: WhatsAppSender;
  /** The SMS sender; default `@azure/communication-sms` from the config when SMS_FROM_NUMBER is set. */
  smsSender?: SmsSender;
  /** The environment read for the conversation settings; default `process.env`. */
  env?: Record<string, string | undefined>;
  clock?: () => number;
}

/**
 * Builds the adapter with its real dependencies (Service Bus, Cosmos, the engine, ACS): the app plus the
 * two consumers, started now and stopped (then the clients closed) when the app closes.
 */
export async function createAdapter(
  config: Config,
  logger: Logger,
  overrides: AdapterOverrides = {},
): Promise<FastifyInstance> {
  const bus = createServiceBusClient(serviceBusConnectionOf(config));
  const publisher = new EventPublisher({ client: bus });
  const { store, containers, close: closeStore } = createCustomerContextStore(config, { logger });
  // Dedupe, rate limits, the link memo and the spend breaker: in Redis, shared by the replicas (ADR 0080).
  const shared = createSharedState(config.REDIS_URL, { logger });
  const queueView = new QueueStatusView({ redis: shared.redis });
  const engine = await createConversationEngine({
    config,
    store,
    redis: shared.redis,
    // What the router last said about the human queue (normal until it says otherwise).
    queueStatus: queueView.portFor(config.MESSAGING_HUMAN_QUEUE),
    driver: overrides.driver,
    env: overrides.env,
    clock: overrides.clock,
  });
  const sender =
    overrides.sender ??
    new AcsWhatsAppSender(
      createMessagesClient(
        config.ACS_MESSAGES_CONNECTION_STRING !== undefined
          ? { connectionString: config.ACS_MESSAGES_CONNECTION_STRING }
          : {
              endpoint: config.ACS_ENDPOINT ?? '',
              // DefaultAzureCredential (managed identity in Azure), as the Foundry driver builds it.
              credential: foundryCredentialFor(config.ACS_ENDPOINT ?? ''),
            },
      ),
    );
  const acsConnection =
    config.ACS_MESSAGES_CONNECTION_STRING !== undefined
      ? { connectionString: config.ACS_MESSAGES_CONNECTION_STRING }
      : { endpoint: config.ACS_ENDPOINT ?? '', credential: foundryCredentialFor(config.ACS_ENDPOINT ?? '') };
  const smsSender =
    overrides.smsSender ??
    (config.SMS_FROM_NUMBER !== undefined
      ? new AcsSmsSender(acsConnection, config.SMS_FROM_NUMBER)
      : undefined);
  const handoffMessages = new HandoffMessageLog({ ledger: store.idempotency });
  const dispatched = new DispatchedHandoffs();
  const clock = overrides.clock ?? Date.now;

  const app = buildApp({
    config,
    logger,
    publisher,
    handoffMessages,
    identities: store,
    dedupe: shared.dedupe(),
    linked: shared.seen('whatsapp-linked'),
  });
  const registry = app.metrics.registry;
  const inbound = new InboundMessageHandler({
    publisher,
    engine,
    store,
    sender,
    // No WhatsApp message can arrive before the channel is registered (no Event Grid subscription until then).
    channelRegistrationId: config.WHATSAPP_CHANNEL_REGISTRATION_ID ?? '',
    rateLimit: { burst: config.WHATSAPP_RATE_BURST, perMinute: config.WHATSAPP_RATE_PER_MINUTE },
    buckets: shared.buckets,
    dispatched,
    clock,
  });
  const handoffs = new HandoffDispatchHandler({
    store,
    sender,
    channelRegistrationId: config.WHATSAPP_CHANNEL_REGISTRATION_ID,
    template: templateConfigOf(config),
    webchatTemplate: webchatTemplateConfigOf(config),
    publisher,
    handoffMessages,
    dispatched,
    clock,
  });
  const smsHandoffs = new SmsHandoffHandler({
    store,
    sender: smsSender,
    publisher,
    handoffMessages,
    clock,
  });
  // Sessions held at once, idle release and concurrency from SERVICEBUS_MAX_SESSIONS / _SESSION_IDLE_MS / ...
  const sizing = consumerSettingsOf(config);
  // Notices about an erased customer (published before the erasure) are dropped, never sent (ADR 0075).
  const erasures = new ErasureRegistry(erasuresContainerOf(containers));
  const erased = new ErasedCustomerFilter({ isErased: (id) => erasures.isErased(id), registry });
  const consumers = [
    new EventConsumer({
      client: bus,
      source: { topic: 'queue-status', subscription: 'whatsapp-adapter' },
      handler: queueView.handle,
      dedupe: shared.dedupe(),
      registry,
      logger,
    }),
    new EventConsumer({
      client: bus,
      source: { topic: 'inbound-messages', subscription: 'whatsapp-adapter' },
      // One turn per message, while the consumer holds the sender's session: the customer is read once.
      handler: (event, context) => store.inTurn(() => inbound.handle(event, context)),
      dedupe: shared.dedupe(),
      ...sizing,
      registry,
      logger,
    }),
    new EventConsumer({
      client: bus,
      source: { topic: 'handoff-events', subscription: 'whatsapp-adapter' },
      // Notices by WhatsApp and by SMS; each handler ignores the other's.
      handler: erased.wrap(async (event, context) => {
        await handoffs.handle(event, context);
        await smsHandoffs.handle(event, context);
      }),
      dedupe: shared.dedupe(),
      ...sizing,
      registry,
      logger,
    }),
  ];
  app.readiness.register('queue-status', consumers[0]?.readinessCheck ?? (async () => {}));
  app.readiness.register('inbound-messages', consumers[1]?.readinessCheck ?? (async () => {}));
  app.readiness.register('handoff-events', consumers[2]?.readinessCheck ?? (async () => {}));
  // Ready either way (a first deploy must come up before anyone registers WhatsApp); /readyz notes the gap.
  app.readiness.register('whatsapp-channel', channelRegistrationCheck(config));
  if (config.WHATSAPP_CHANNEL_REGISTRATION_ID === undefined) logger.warn(WHATSAPP_NOT_REGISTERED);
  app.addHook('onReady', async () => {
    for (const consumer of consumers) consumer.start();
  });
  app.addHook('onClose', async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await publisher.close();
    await bus.close();
    await closeStore();
    await shared.close();
  });
  return app;
}
