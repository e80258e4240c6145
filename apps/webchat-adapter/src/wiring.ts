import { type ConversationDriver, createConversationEngine } from '@omni/conversation';
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
import { buildApp } from './app.js';
import { WebchatBot } from './bot.js';
import { AZURE_DIRECTLINE_ENDPOINT, type Config } from './config.js';
import { ConnectorReplySender, createBotAdapter } from './connector.js';
import { DirectLineTokenClient, type DirectLineTokens } from './directline.js';
import { DispatchedHandoffs, HandoffDispatchHandler } from './handoff-dispatch-handler.js';
import { InboundMessageHandler } from './inbound-handler.js';
import type { ReplySender } from './ports.js';

/** Optional replacements for tests. */
export interface AdapterOverrides {
  /** The agent driver; default from CONVERSATION_DRIVER. */
  driver?: ConversationDriver;
  /** The reply sender; default the Bot Connector through the Agents SDK. */
  replies?: ReplySender;
  /** The Direct Line token client; default from DIRECTLINE_ENDPOINT / DIRECTLINE_SECRET. */
  directLine?: DirectLineTokens;
  /** The environment read for the conversation settings; default `process.env`. */
  env?: Record<string, string | undefined>;
  clock?: () => number;
}

/** The Direct Line emulator's default secret (`DEFAULT_DIRECTLINE_SECRET` of @omni/emulators/directline). */
const LOCAL_SECRET = 'local-directline-emulator';

/**
 * Builds the adapter with its real dependencies (Service Bus, Cosmos, the engine, the Agents SDK, Direct Line):
 * the app plus the two consumers, started when the app is ready and stopped (then the clients closed) when it
 * closes.
 */
export async function createAdapter(
  config: Config,
  logger: Logger,
  overrides: AdapterOverrides = {},
): Promise<FastifyInstance> {
  const bus = createServiceBusClient(serviceBusConnectionOf(config));
  const publisher = new EventPublisher({ client: bus });
  const { store, containers, close: closeStore } = createCustomerContextStore(config, { logger });
  // Dedupe, rate limits, the spend breaker and the queue view in Redis, shared by the replicas (ADR 0080).
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
  const botAdapter = createBotAdapter(config);
  const replies =
    overrides.replies ??
    new ConnectorReplySender(
      botAdapter,
      config.BOT_AUTH_DISABLED ? undefined : config.MicrosoftAppId,
      config.WEBCHAT_STREAM_INTERVAL_MS,
    );
  const directLine =
    overrides.directLine ??
    new DirectLineTokenClient(
      config.DIRECTLINE_ENDPOINT ?? AZURE_DIRECTLINE_ENDPOINT,
      config.DIRECTLINE_SECRET ?? LOCAL_SECRET,
    );
  const clock = overrides.clock ?? Date.now;
  const dispatched = new DispatchedHandoffs();
  const bot = new WebchatBot({
    publisher,
    store,
    recentTurns: config.WEBCHAT_RECENT_TURNS,
    clock,
  });

  const app = buildApp({ config, logger, botAdapter, bot, directLine, store, rateLimits: shared.buckets });
  const registry = app.metrics.registry;
  const inbound = new InboundMessageHandler({ publisher, engine, store, replies, dispatched, clock });
  const handoffs = new HandoffDispatchHandler(dispatched);
  // Events about an erased customer (published before the erasure) are dropped (ADR 0075).
  const erasures = new ErasureRegistry(erasuresContainerOf(containers));
  const erased = new ErasedCustomerFilter({ isErased: (id) => erasures.isErased(id), registry });
  const consumers = [
    new EventConsumer({
      client: bus,
      source: { topic: 'queue-status', subscription: 'webchat-adapter' },
      handler: queueView.handle,
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
    new EventConsumer({
      client: bus,
      source: { topic: 'inbound-messages', subscription: 'webchat-adapter' },
      // One turn per message, while the consumer holds the conversation's session: the customer is read once.
      handler: (event, context) => store.inTurn(() => inbound.handle(event, context)),
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
    new EventConsumer({
      client: bus,
      source: { topic: 'handoff-events', subscription: 'webchat-adapter' },
      handler: erased.wrap(handoffs.handle),
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
  ];
  app.readiness.register('queue-status', consumers[0]?.readinessCheck ?? (async () => {}));
  app.readiness.register('inbound-messages', consumers[1]?.readinessCheck ?? (async () => {}));
  app.readiness.register('handoff-events', consumers[2]?.readinessCheck ?? (async () => {}));
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
