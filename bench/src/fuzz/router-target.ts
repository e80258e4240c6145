import { buildApp } from '@omni/channel-router/dist/app.js';
import { readConfig } from '@omni/channel-router/dist/config.js';
import { CosmosSagaRepository } from '@omni/channel-router/dist/handoff/saga-repository.js';
import { createOpsCredentialCheck } from '@omni/channel-router/dist/ops/auth.js';
import { LiveFeed } from '@omni/channel-router/dist/ops/live-feed.js';
import { QueueMonitor } from '@omni/channel-router/dist/queue/queue-monitor.js';
import { MemoryQueueState } from '@omni/channel-router/dist/queue/queue-state.js';
import { queueMonitorSettingsOf } from '@omni/channel-router/dist/wiring.js';
import { createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import pino from 'pino';
import { busTotal } from '../support/bus-inspection.js';
import { type FuzzTarget, listenLocal, type RunningTarget } from './targets.js';

const OPS_API_KEY = 'fuzz-ops-api-key-0123456789';

/**
 * channel-router ops API `PUT /api/agents/:agentId` (API key in `x-api-key`): the real `buildApp` with the same
 * `QueueMonitor`, `EventPublisher` (Service Bus emulator) and Cosmos saga / customer stores as `createRouter`
 * wires, but no consumers and no status timer, so that every message an accepted request publishes stays on the
 * bus to be counted. recorded = every message on the bus (`queue-events`, `queue-status`, ...).
 */
export const routerAgentsTarget: FuzzTarget = {
  name: 'channel-router PUT /api/agents/:agentId',
  async start(): Promise<RunningTarget> {
    const [bus, cosmos] = await Promise.all([
      startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
      startCosmosEmulator({ port: 0 }),
    ]);
    const config = readConfig({
      SERVICEBUS_CONNECTION_STRING: bus.connectionString,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      HANDOFF_TOKEN_KEY: 'fuzz-handoff-token-key-0123456789-abcdefghijkl',
      OPS_API_KEY,
      LOG_LEVEL: 'silent',
    });
    const logger = pino({ level: 'silent' });
    const client = createServiceBusClient({ connectionString: bus.connectionString });
    const publisher = new EventPublisher({ client });
    const context = createCustomerContextStore(config, { logger });
    const queueState = new MemoryQueueState();
    const feed = new LiveFeed();
    const monitor = new QueueMonitor({
      ...queueMonitorSettingsOf(config),
      state: queueState,
      publisher,
      feed,
      logger,
    });
    const app = buildApp({
      config,
      logger,
      monitor,
      queueState,
      sagas: new CosmosSagaRepository(context.containers.handoffs),
      store: context.store,
      publisher,
      feed,
      auth: createOpsCredentialCheck({ apiKeys: [OPS_API_KEY] }),
    });
    const base = await listenLocal(app);
    return {
      url: `${base}/api/agents/agent-fuzz-1`,
      credentials: '',
      credentialHeaders: { 'x-api-key': OPS_API_KEY },
      method: 'PUT',
      validBody: { status: 'available', queues: ['general'] },
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      headers: {},
      problemJson: true,
      recorded: () => busTotal(bus.httpUrl),
      alive: async () => (await fetch(`${base}/healthz`)).ok,
      async stop() {
        await app.close();
        await publisher.close();
        await client.close();
        await context.close();
        await Promise.all([cosmos.stop(), bus.stop()]);
      },
    };
  },
};
