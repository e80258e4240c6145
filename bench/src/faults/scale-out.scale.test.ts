import { readConfig as readRouterConfig } from '@omni/channel-router/dist/config.js';
import { QueueMonitor } from '@omni/channel-router/dist/queue/queue-monitor.js';
import { MemoryQueueState } from '@omni/channel-router/dist/queue/queue-state.js';
import { queueMonitorSettingsOf } from '@omni/channel-router/dist/wiring.js';
import { createEvent, type OmniEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { entityCounts } from '../support/bus-inspection.js';
import { answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { type HandoffView, whatsappHandoffRequested } from '../support/handoff-events.js';
import {
  REPLICAS_OPS_API_KEY,
  type ReplicaInfrastructure,
  ReplicaSet,
  startReplicaInfrastructure,
} from '../support/replica-set.js';
import { WEBHOOK_SECRET } from '../support/whatsapp-config.js';
import { benchPhone } from '../support/whatsapp-events.js';

// Three whatsapp-adapter replicas and two channel-router replicas, each its own OS process, behind a
// round-robin proxy (the ingress), on the emulators in their own process and a redis-server of the run's own.
// Customers write on WhatsApp while handoffs to WhatsApp and queued calls arrive; mid-run one replica of each
// service is SIGKILLed and another started. Every message must be answered exactly once and in order, every
// handoff completed once, nothing dead-lettered, and the queue monitor must say what one replica would say.
// The counts (200 customers x 10 messages, 50 handoffs, 50 calls) by default; SCALE_OUT_SHORT=1 is a
// smaller run (40 x 5, 10, 10) for a quick check.
const short = process.env.SCALE_OUT_SHORT === '1';
const CUSTOMERS = short ? 40 : 200;
const MESSAGES = short ? 5 : 10;
const HANDOFFS = short ? 10 : 50;
const CALLS = short ? 10 : 50;
const RUN = 7;
const QUEUE = 'general';

let infra: ReplicaInfrastructure;
let whatsapp: ReplicaSet;
let router: ReplicaSet;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let context: ReturnType<typeof createCustomerContextStore>;

async function ops<T>(path: string): Promise<T> {
  const response = await fetch(new URL(path, router.proxy.url), {
    headers: { 'x-api-key': REPLICAS_OPS_API_KEY },
  });
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  return (await response.json()) as T;
}

beforeAll(async () => {
  // Locks of 30 s (a minute by default): what a killed replica held comes back within the run, and a loaded
  // machine still renews them in time (5 s locks expired under load and drove messages to the dead letters).
  infra = await startReplicaInfrastructure({ lockDuration: 'PT30S' });
  whatsapp = await ReplicaSet.start('whatsapp-adapter', infra.env['whatsapp-adapter'], 3);
  router = await ReplicaSet.start('channel-router', infra.env['channel-router'], 2);
  const routerEnv = { ...infra.env['channel-router'], REDIS_URL: '', LOG_LEVEL: 'silent' };
  context = createCustomerContextStore(readRouterConfig(routerEnv));
  sb = createServiceBusClient({ connectionString: infra.emulators.settings.serviceBusConnectionString });
  publisher = new EventPublisher({ client: sb });
}, 600_000);

afterAll(async () => {
  await publisher?.close();
  await sb?.close();
  await context?.close();
  await Promise.all([whatsapp?.stop(), router?.stop()]);
  await infra?.stop();
}, 60_000);

function callQueued(customerId: string, n: number, enqueuedAt: string): OmniEvent {
  const callId = `call-${RUN}-${n}`;
  return createEvent(
    'call.queued',
    { callId, customerId, queue: QUEUE, priority: 3, enqueuedAt },
    { source: '/apps/voice-adapter', correlationId: callId, id: `${callId}:queued` },
  );
}

describe('scale-out: three adapters and two routers, replicas killed and added mid-run', () => {
  it('given 200 customers writing 10 messages each, 50 handoffs and 50 queued calls, when one replica of each service is SIGKILLed and another started mid-run, then every message is answered once and in order, every handoff completes once, nothing is dead-lettered and the queue equals a single-replica run', async () => {
    const phones = Array.from({ length: CUSTOMERS }, (_, n) => benchPhone(n, RUN));
    const customers = await Promise.all(
      phones.map(
        async (phone) => (await context.store.resolveCustomer({ kind: 'phone', value: phone })).customer,
      ),
    );

    // The calls (each published twice: at-least-once) and the handoffs, to the first HANDOFFS customers.
    const enqueuedAt = new Date().toISOString();
    const calls = customers.slice(0, CALLS).map((c, n) => callQueued(c.customerId, n, enqueuedAt));
    await publisher.publishAll([...calls, ...calls]);
    const requests = customers
      .slice(0, HANDOFFS)
      .map((c, n) => whatsappHandoffRequested(c.customerId, phones[n] as string));
    await publisher.publishAll(requests);
    const templates = (phone: string) =>
      infra.emulators.textsTo(phone).filter((t) => t === '[template]').length;
    await vi.waitFor(
      () => expect(phones.slice(0, HANDOFFS).filter((phone) => templates(phone) === 0)).toEqual([]),
      { timeout: 60_000, interval: 200 },
    );

    // The customers write; a third of the way in, one replica of each service dies and another starts.
    const total = CUSTOMERS * MESSAGES;
    let replaced: Promise<unknown> | undefined;
    const started = performance.now();
    const load = await runConversationLoad({
      webhook: `${whatsapp.proxy.url}/api/events?code=${WEBHOOK_SECRET}`,
      channelRegistrationId: infra.emulators.settings.channelRegistrationId,
      customers: CUSTOMERS,
      messagesPerCustomer: MESSAGES,
      run: RUN,
      // Event Grid retries for hours; an event a killed replica had claimed is free again after 30 s.
      deliveryAttempts: 200,
      beforeDelivery: async (index) => {
        if (index !== Math.floor(total / 3)) return;
        await Promise.all([whatsapp.kill(0), router.kill(0)]);
        replaced = Promise.all([whatsapp.add(), router.add()]);
      },
    });
    await replaced;
    expect(load.undelivered).toBe(0);

    const replies = (phone: string) => infra.emulators.textsTo(phone).filter((t) => t !== '[template]');
    await vi.waitFor(() => expect(answerMismatches(load, replies)).toEqual([]), {
      timeout: 180_000,
      interval: 500,
    });
    const answeredInMs = performance.now() - started;

    // Every handoff completed, each once; its notice sent once.
    const handoffIds = new Set(requests.map((r) => (r.data as { handoffId: string }).handoffId));
    await vi.waitFor(
      async () => {
        const completed = (await ops<{ handoffs: HandoffView[] }>('/api/handoffs?status=completed')).handoffs;
        expect(completed.filter((h) => handoffIds.has(h.handoffId)).length).toBe(HANDOFFS);
      },
      { timeout: 60_000, interval: 500 },
    );
    const views = (await ops<{ handoffs: HandoffView[] }>('/api/handoffs')).handoffs.filter((h) =>
      handoffIds.has(h.handoffId),
    );
    for (const view of views) {
      expect(view.transitions.filter((t) => t.status === 'completed')).toHaveLength(1);
      expect(view.transitions.filter((t) => t.status === 'dispatched')).toHaveLength(1);
    }
    expect(phones.slice(0, HANDOFFS).map(templates)).toEqual(phones.slice(0, HANDOFFS).map(() => 1));

    // The queue as one router replica on its own would see the same input (calls delivered twice included).
    const single = new QueueMonitor({
      ...queueMonitorSettingsOf(readRouterConfig({ ...infra.env['channel-router'], REDIS_URL: '' })),
      state: new MemoryQueueState(),
      publisher: { publish: async () => {} },
    });
    for (const call of [...calls, ...calls]) await single.handle(call);
    const expected = await single.status(QUEUE);
    const statuses = await Promise.all(
      router.replicas.map(async (replica) => {
        const response = await fetch(`${replica.url}/api/queues/${QUEUE}`, {
          headers: { 'x-api-key': REPLICAS_OPS_API_KEY },
        });
        return (await response.json()) as { depth: number; estimatedWaitSeconds: number };
      }),
    );
    for (const status of statuses) {
      expect(status.depth).toBe(CALLS);
      expect({ depth: status.depth, estimatedWaitSeconds: status.estimatedWaitSeconds }).toEqual({
        depth: expected.depth,
        estimatedWaitSeconds: expected.estimatedWaitSeconds,
      });
    }

    // Nothing dead-lettered; everything settled.
    const page = (await (await fetch(`${infra.emulators.settings.serviceBusHttpUrl}/entities`)).json()) as {
      entities: { path: string; deadLetter: number }[];
    };
    expect(page.entities.filter((entity) => entity.deadLetter > 0)).toEqual([]);
    await vi.waitFor(
      async () =>
        expect(
          (
            await entityCounts(
              infra.emulators.settings.serviceBusHttpUrl,
              'inbound-messages/Subscriptions/whatsapp-adapter',
            )
          ).active,
        ).toBe(0),
      { timeout: 60_000, interval: 500 },
    );
    console.info(
      `scale-out: ${total} messages from ${CUSTOMERS} customers, ${HANDOFFS} handoffs, ${CALLS} calls answered in ${Math.round(answeredInMs)} ms; requests per webhook replica ${JSON.stringify([...whatsapp.proxy.forwarded.values()])}`,
    );
  }, 600_000);
});
