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
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AcsCallControl, type CallControl, createCallAutomationClient } from './acs.js';
import { buildApp } from './app.js';
import { VoiceCallFlow } from './call-flow.js';
import { type CallStateStore, CosmosCallStateStore, RedisCallStateStore } from './call-state.js';
import type { Config } from './config.js';
import { queueForAgent } from './domain/voice.js';

/** Optional replacements for tests. */
export interface AdapterOverrides {
  /** The agent driver; default from CONVERSATION_DRIVER. */
  driver?: ConversationDriver;
  /** The environment read for the conversation settings; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The Call Automation actions; default the SDK client from the config. */
  calls?: CallControl;
  /** The queue snapshots; default a new view fed by the `queue-status` subscription. */
  queueStatusView?: QueueStatusView;
  /** Prefix of the Redis keys of call state; default `voice:`. */
  redisKeyPrefix?: string;
  clock?: () => number;
}

/**
 * Builds the adapter with its real dependencies (Service Bus, Cosmos, Redis or Cosmos for call state, the
 * engine, ACS Call Automation): the app plus the `queue-status` and `queue-events` consumers, started when
 * the app is ready and stopped (then the clients closed) when it closes.
 */
export async function createAdapter(
  config: Config,
  logger: Logger,
  overrides: AdapterOverrides = {},
): Promise<FastifyInstance> {
  const bus = createServiceBusClient(serviceBusConnectionOf(config));
  const publisher = new EventPublisher({ client: bus });
  const context = createCustomerContextStore(config, { logger });
  const states: CallStateStore =
    config.REDIS_URL !== undefined
      ? new RedisCallStateStore(
          new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 3 }),
          {
            prefix: overrides.redisKeyPrefix ?? 'voice:',
            ttlSeconds: config.VOICE_CALL_STATE_TTL_SECONDS,
            ownsClient: true,
          },
        )
      : new CosmosCallStateStore(
          context.containers.client.database(config.COSMOS_DATABASE).container('calls'),
          config.VOICE_CALL_STATE_TTL_SECONDS,
        );
  const thresholds = {
    waitSeconds: config.HANDOFF_WAIT_TIME_THRESHOLD_SECONDS,
    queueDepth: config.HANDOFF_QUEUE_DEPTH_THRESHOLD,
  };
  // Dedupe and the spend breaker in Redis, shared by the replicas; the queue view shared likewise (ADR 0080).
  const shared = createSharedState(config.REDIS_URL, { logger });
  const view = overrides.queueStatusView ?? new QueueStatusView({ redis: shared.redis });
  const queuePort = view.portFor(config.VOICE_HUMAN_QUEUE);
  const engine = await createConversationEngine({
    config,
    store: context.store,
    redis: shared.redis,
    // The agent sees the queue through the adapter's thresholds: above them it offers a switch.
    queueStatus: async () => queueForAgent(await queuePort(), thresholds),
    driver: overrides.driver,
    env: overrides.env,
    clock: overrides.clock,
  });
  const calls =
    overrides.calls ??
    new AcsCallControl(
      createCallAutomationClient(
        config.ACS_CONNECTION_STRING !== undefined
          ? { connectionString: config.ACS_CONNECTION_STRING }
          : {
              endpoint: config.ACS_ENDPOINT ?? '',
              credential: foundryCredentialFor(config.ACS_ENDPOINT ?? ''),
            },
      ),
      {
        voiceName: config.VOICE_NAME,
        ...(config.COGNITIVE_SERVICES_ENDPOINT
          ? { cognitiveServicesEndpoint: config.COGNITIVE_SERVICES_ENDPOINT }
          : {}),
      },
    );
  const flow = new VoiceCallFlow({
    settings: {
      callbackBaseUrl: config.VOICE_CALLBACK_BASE_URL,
      queue: config.VOICE_HUMAN_QUEUE,
      thresholds,
      maxReprompts: config.VOICE_MAX_REPROMPTS,
      holdPauseSeconds: config.VOICE_HOLD_PAUSE_SECONDS,
      agentTargetTemplate: config.VOICE_AGENT_TARGET_TEMPLATE,
    },
    calls,
    states,
    store: context.store,
    engine,
    publisher,
    queueStatus: (queue) => view.statusOf(queue),
    turnScope: (work) => context.store.inTurn(work),
    logger,
    ...(overrides.clock ? { clock: overrides.clock } : {}),
  });

  const app = buildApp({ config, logger, flow, dedupe: shared.dedupe() });
  const registry = app.metrics.registry;
  // A call.assigned about an erased customer (published before the erasure) is dropped (ADR 0075).
  const erasures = new ErasureRegistry(erasuresContainerOf(context.containers));
  const erased = new ErasedCustomerFilter({ isErased: (id) => erasures.isErased(id), registry });
  const consumers = [
    new EventConsumer({
      client: bus,
      source: { topic: 'queue-status', subscription: 'voice-adapter' },
      handler: view.handle,
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
    new EventConsumer({
      client: bus,
      source: { topic: 'queue-events', subscription: 'voice-adapter' },
      handler: erased.wrap((event, message) => flow.callAssigned(event, message.log)),
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
  ];
  app.readiness.register('queue-status', consumers[0]?.readinessCheck ?? (async () => {}));
  app.readiness.register('queue-events', consumers[1]?.readinessCheck ?? (async () => {}));
  app.addHook('onReady', async () => {
    for (const consumer of consumers) consumer.start();
  });
  app.addHook('onClose', async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await publisher.close();
    await bus.close();
    await states.close();
    await context.close();
    await shared.close();
  });
  return app;
}
