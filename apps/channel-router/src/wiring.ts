import { FoundryConversationRecords, foundryCredentialFor } from '@omni/conversation';
import {
  createContextCache,
  createCustomerContextStore,
  ErasureRegistry,
  erasuresContainerOf,
} from '@omni/customer-context';
import {
  consumerSettingsOf,
  createServiceBusClient,
  DeadLetterQueues,
  ErasedCustomerFilter,
  EventConsumer,
  EventPublisher,
  PendingSessions,
  serviceBusConnectionOf,
} from '@omni/messaging';
import { createSharedState, entraAuthForTenant } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { DEFAULT_MASS_EVENT_RULE } from './domain/queue-levels.js';
import { HandoffSagaHandler } from './handoff/handoff-saga-handler.js';
import { OutboxSweeper } from './handoff/outbox-sweeper.js';
import { CosmosSagaRepository } from './handoff/saga-repository.js';
import { createOpsCredentialCheck, createRoleCheck, type OpsAuth } from './ops/auth.js';
import { DeadLetterMonitor } from './ops/dead-letter-monitor.js';
import { LiveFeed, RedisFeedRelay } from './ops/live-feed.js';
import { PeriodicJob } from './periodic-job.js';
import { CustomerErasureJob } from './privacy/customer-erasure-job.js';
import { CosmosErasureJournal } from './privacy/erasure-journal.js';
import { RedisCustomerTraces } from './privacy/redis-customer-traces.js';
import { QueueMonitor, type QueueMonitorOptions } from './queue/queue-monitor.js';
import { MemoryQueueState, type QueueState } from './queue/queue-state.js';
import { RedisQueueState } from './queue/redis-queue-state.js';
import { routerMetrics } from './queue/router-metrics.js';

/** Optional replacements for tests. */
export interface RouterOverrides {
  /** The queue state; default Redis when REDIS_URL is set, else memory. */
  queueState?: QueueState;
  /** Key prefix of the Redis queue state; default `omni:router:`. */
  redisPrefix?: string;
  /** The ops API auth; default from OPS_API_KEY / OPS_ENTRA_*. */
  auth?: OpsAuth;
  /** Epoch ms; default `Date.now`. */
  clock?: () => number;
  /** Key prefix of the voice adapter's call state; default VOICE_REDIS_PREFIX. */
  voiceRedisPrefix?: string;
  /** Key prefix of the classification cache; default `omni:`. */
  classificationPrefix?: string;
  /** Key prefix of the customer-context cache; default the package's (`omni:ctx:`). */
  contextCachePrefix?: string;
}

const clientsOf = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

/** The ops API auth from the configuration: API keys, and Entra tokens holding the ops app role. */
export function opsAuthOf(config: Config): OpsAuth {
  return {
    ...(config.OPS_API_KEY !== undefined ? { apiKeys: [config.OPS_API_KEY] } : {}),
    ...(config.OPS_ENTRA_TENANT_ID !== undefined && config.OPS_ENTRA_AUDIENCE !== undefined
      ? {
          entra: entraAuthForTenant({
            tenantId: config.OPS_ENTRA_TENANT_ID,
            audience: config.OPS_ENTRA_AUDIENCE,
            requiredRoles: [config.OPS_ENTRA_ROLE],
            ...(clientsOf(config.OPS_ENTRA_ALLOWED_CLIENTS).length > 0
              ? { authorizedParties: clientsOf(config.OPS_ENTRA_ALLOWED_CLIENTS) }
              : {}),
          }),
        }
      : {}),
  };
}

/** The queue monitor's settings from the configuration (thresholds, mass events, intervals, queues). */
export function queueMonitorSettingsOf(
  config: Config,
): Pick<
  QueueMonitorOptions,
  | 'thresholds'
  | 'massEvent'
  | 'statusIntervalMs'
  | 'defaultHandleSeconds'
  | 'messagingQueue'
  | 'serviceLevelTargetSeconds'
> {
  return {
    thresholds: {
      waitSeconds: config.HANDOFF_WAIT_TIME_THRESHOLD_SECONDS,
      depth: config.HANDOFF_QUEUE_DEPTH_THRESHOLD,
      massEventFactor: 0.5,
    },
    massEvent: DEFAULT_MASS_EVENT_RULE,
    statusIntervalMs: config.QUEUE_STATUS_INTERVAL_SECONDS * 1000,
    defaultHandleSeconds: config.DEFAULT_HANDLE_TIME_SECONDS,
    messagingQueue: config.MESSAGING_HUMAN_QUEUE,
    serviceLevelTargetSeconds: config.SERVICE_LEVEL_TARGET_SECONDS,
  };
}

/**
 * Builds the router with its real dependencies (Service Bus, Cosmos, Redis or memory): the app, the four
 * consumers and the status timer, started when the app is ready and stopped (clients closed) when it closes.
 */
export async function createRouter(
  config: Config,
  logger: Logger,
  overrides: RouterOverrides = {},
): Promise<FastifyInstance> {
  const clock = overrides.clock ?? Date.now;
  const bus = createServiceBusClient(serviceBusConnectionOf(config));
  const publisher = new EventPublisher({ client: bus });
  const context = createCustomerContextStore(config, {
    logger,
    clock,
    ...(overrides.contextCachePrefix === undefined
      ? {}
      : { cache: createContextCache(config.REDIS_URL, { prefix: overrides.contextCachePrefix }) }),
  });
  const sagas = new CosmosSagaRepository(context.containers.handoffs);
  const queueState =
    overrides.queueState ??
    (config.REDIS_URL !== undefined
      ? new RedisQueueState({
          url: config.REDIS_URL,
          ...(overrides.redisPrefix ? { prefix: overrides.redisPrefix } : {}),
        })
      : new MemoryQueueState());
  // Consumer dedupe in Redis and the live feed over Redis pub/sub, shared by the replicas (ADR 0080).
  const shared = createSharedState(config.REDIS_URL, { logger });
  const feed = new LiveFeed({
    ...(shared.redis ? { relay: new RedisFeedRelay(shared.redis.duplicate()) } : {}),
    onRelayError: (error) => logger.warn({ err: error }, 'live feed relay failed'),
  });
  const auth = overrides.auth ?? opsAuthOf(config);
  if (auth.apiKeys === undefined && auth.entra === undefined) {
    logger.warn(
      'neither OPS_API_KEY nor OPS_ENTRA_TENANT_ID/OPS_ENTRA_AUDIENCE is set: the ops API refuses every request',
    );
  }
  const monitor = new QueueMonitor({
    ...queueMonitorSettingsOf(config),
    state: queueState,
    publisher,
    feed,
    logger,
    clock,
  });
  const saga = new HandoffSagaHandler({
    repository: sagas,
    store: context.store,
    publisher,
    settings: {
      enabledChannels: config.HANDOFF_ENABLED_CHANNELS,
      expiryMs: config.HANDOFF_EXPIRY,
      webchatPublicUrl: config.WEBCHAT_PUBLIC_URL,
      fallback: config.HANDOFF_FALLBACK,
      callbackPriority: 5,
      maxPerDestinationPerDay: config.HANDOFF_MAX_PER_DESTINATION_PER_DAY,
    },
    sendCap: queueState,
    feed,
    clock,
  });

  const sweeper = new OutboxSweeper({
    repository: sagas,
    flush: (customerId, handoffId) => saga.flushOutbox(customerId, handoffId),
    intervalMs: config.OUTBOX_SWEEP_INTERVAL_SECONDS * 1000,
    logger,
  });

  const deadLetters = new DeadLetterQueues({ client: bus, clock });
  const conversations =
    config.FOUNDRY_PROJECT_ENDPOINT === undefined
      ? undefined
      : new FoundryConversationRecords({
          project: {
            endpoint: config.FOUNDRY_PROJECT_ENDPOINT,
            credential: foundryCredentialFor(config.FOUNDRY_PROJECT_ENDPOINT),
          },
        });
  const traceRedis =
    config.REDIS_URL === undefined ? undefined : new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  const erasure = new CustomerErasureJob({
    journal: new CosmosErasureJournal(erasuresContainerOf(context.containers)),
    records: context.store,
    queueState,
    ...(conversations === undefined ? {} : { conversations }),
    ...(traceRedis === undefined
      ? {}
      : {
          redisTraces: new RedisCustomerTraces({
            redis: traceRedis,
            voicePrefix: overrides.voiceRedisPrefix ?? config.VOICE_REDIS_PREFIX,
            ...(overrides.classificationPrefix
              ? { classificationPrefix: overrides.classificationPrefix }
              : {}),
          }),
        }),
    deadLetters,
    pendingSessions: new PendingSessions({ client: bus }),
    clock,
    leaseMs: config.ERASURE_LEASE_SECONDS * 1000,
    logger,
  });
  const erasureResume = new PeriodicJob({
    name: 'erasure resume',
    run: () => erasure.resumeUnfinished(),
    intervalMs: config.ERASURE_RESUME_INTERVAL_SECONDS * 1000,
    logger,
  });

  const app = buildApp({
    config,
    logger,
    monitor,
    queueState,
    sagas,
    store: context.store,
    publisher,
    feed,
    auth: createOpsCredentialCheck(auth),
    deadLetters,
    privacy: {
      erasure,
      records: context.store,
      queueState,
      deadLetters,
      ...(conversations === undefined ? {} : { conversations }),
      customerOf: async (identity) => {
        const key = context.store.identityKeyOf(identity);
        const { resource } = await context.containers.identities
          .item(key, key)
          .read<{ customerId: string }>();
        return resource?.customerId;
      },
      eraseAuth: createRoleCheck(auth, config.OPS_ENTRA_PRIVACY_ROLE),
      clock,
    },
    clock,
  });
  const registry = app.metrics.registry;
  const erasures = new ErasureRegistry(erasuresContainerOf(context.containers));
  const erased = new ErasedCustomerFilter({ isErased: (id) => erasures.isErased(id), registry });
  const deadLetterMonitor = new DeadLetterMonitor({
    queues: deadLetters,
    retentionMs: config.DEAD_LETTER_RETENTION_DAYS * 24 * 60 * 60_000,
    intervalMs: config.DEAD_LETTER_CHECK_INTERVAL_SECONDS * 1000,
    registry,
    logger,
  });
  monitor.attachMetrics(routerMetrics(registry));
  const consumers = {
    'queue-events': new EventConsumer({
      client: bus,
      source: { topic: 'queue-events', subscription: 'channel-router' },
      handler: erased.wrap(monitor.handle),
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
    escalations: new EventConsumer({
      client: bus,
      source: { queue: 'escalations' },
      handler: erased.wrap(monitor.handle),
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
    'handoff-events': new EventConsumer({
      client: bus,
      source: { topic: 'handoff-events', subscription: 'channel-router' },
      handler: erased.wrap(saga.handle),
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      registry,
      logger,
    }),
    // Turns and sessions are read from the customer context for timelines; the subscription is drained so
    // it does not fill up.
    'conversation-events': new EventConsumer({
      client: bus,
      source: { topic: 'conversation-events', subscription: 'channel-router' },
      handler: async () => {},
      dedupe: shared.dedupe(),
      ...consumerSettingsOf(config),
      maxConcurrency: 2,
      registry,
      logger,
    }),
  };
  for (const [name, consumer] of Object.entries(consumers))
    app.readiness.register(name, consumer.readinessCheck);
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await feed.start();
    for (const consumer of Object.values(consumers)) consumer.start();
    sweeper.start();
    deadLetterMonitor.start();
    erasureResume.start();
    timer = setInterval(() => {
      monitor.tick().catch((error: unknown) => logger.warn({ err: error }, 'queue status tick failed'));
    }, config.QUEUE_STATUS_INTERVAL_SECONDS * 1000);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer !== undefined) clearInterval(timer);
    await sweeper.stop();
    await deadLetterMonitor.stop();
    await erasureResume.stop();
    await Promise.all(Object.values(consumers).map((consumer) => consumer.stop()));
    await publisher.close();
    await bus.close();
    await queueState.close();
    await traceRedis?.quit().catch(() => undefined);
    await context.close();
    await feed.close();
    await shared.close();
  });
  return app;
}
