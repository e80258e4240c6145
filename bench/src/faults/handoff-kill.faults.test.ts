import { randomUUID } from 'node:crypto';
import { readConfig as readRouterConfig } from '@omni/channel-router/dist/config.js';
import { createEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { type CosmosEmulator, startCosmosEmulator } from '@omni/emulators/cosmos';
import { type ServiceBusEmulator, startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityCounts, peekMessages } from '../support/bus-inspection.js';
import { type HandoffView, whatsappHandoffRequested } from '../support/handoff-events.js';
import { killProcess as kill, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { withLockDuration } from '../support/whatsapp-stack.js';

// The channel-router as the sandbox runs it (its built server.js in a child process, configured by
// environment variables) on emulators in this process: SIGKILLed mid-handoff, the outcomes published while it
// is down, restarted -- the saga must still complete, with nothing dead-lettered.

const API_KEY = 'fault-ops-key-0123456789';

let bus: ServiceBusEmulator;
let cosmos: CosmosEmulator;
let env: Record<string, string>;
let router: ServiceProcess | undefined;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let context: ReturnType<typeof createCustomerContextStore>;

async function startRouter(): Promise<ServiceProcess> {
  return startServiceProcess('channel-router', env);
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
async function eventually(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

async function handoffs(url: string, status?: string): Promise<HandoffView[]> {
  const response = await fetch(`${url}/api/handoffs${status ? `?status=${status}` : ''}`, {
    headers: { 'x-api-key': API_KEY },
  });
  if (response.status !== 200) return [];
  return ((await response.json()) as { handoffs: HandoffView[] }).handoffs;
}

/** The `handoff.dispatched` events waiting on the whatsapp-adapter's subscription (nobody consumes it here). */
async function dispatchedFor(handoffId: string): Promise<number> {
  const messages = await peekMessages(bus.httpUrl, 'handoff-events/Subscriptions/whatsapp-adapter');
  return messages.filter((m) => {
    const body = m.body as { type?: string; data?: { handoffId?: string } } | undefined;
    return body?.type === 'handoff.dispatched' && body.data?.handoffId === handoffId;
  }).length;
}

function outcome(type: 'handoff.delivered' | 'handoff.completed', customerId: string, handoffId: string) {
  const at = new Date().toISOString();
  const common = { handoffId, customerId, toChannel: 'whatsapp' as const };
  const options = { source: '/apps/whatsapp-adapter', correlationId: handoffId };
  return type === 'handoff.delivered'
    ? createEvent(type, { ...common, providerMessageId: `msg-${randomUUID()}`, deliveredAt: at }, options)
    : createEvent(type, { ...common, completedAt: at, switchLatencyMs: 4200 }, options);
}

beforeAll(async () => {
  [bus, cosmos] = await Promise.all([
    // Short locks: a message or session the killed process held comes back in seconds, not a minute.
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0, topology: withLockDuration('PT5S') }),
    startCosmosEmulator({ port: 0 }),
  ]);
  env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'fault-handoff-token-key-0123456789-abcdefghijkl',
    OPS_API_KEY: API_KEY,
    WEBCHAT_PUBLIC_URL: 'https://chat.example.test',
  };
  context = createCustomerContextStore(readRouterConfig({ ...env, LOG_LEVEL: 'silent' }));
  sb = createServiceBusClient({ connectionString: bus.connectionString });
  publisher = new EventPublisher({ client: sb });
}, 60_000);

afterAll(async () => {
  if (router) await kill(router.process);
  await publisher?.close();
  await sb?.close();
  await context?.close();
  await Promise.all([cosmos?.stop(), bus?.stop()]);
}, 30_000);

describe('channel-router killed mid-handoff', () => {
  it('given a handoff the router recorded, when it is SIGKILLed, the outcomes arrive while it is down and it restarts, then the saga completes and nothing is dead-lettered', async () => {
    router = await startRouter();
    const phone = '+14255559001';
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: phone });
    const request = whatsappHandoffRequested(customer.customerId, phone);
    const handoffId = request.data.handoffId;
    await publisher.publish(request);

    // The router recorded the saga and dispatched: kill it at once (it may not have settled the request yet).
    expect(await eventually(async () => (await dispatchedFor(handoffId)) > 0, 30_000)).toBe(true);
    await kill(router.process);

    await publisher.publish(outcome('handoff.delivered', customer.customerId, handoffId));
    await publisher.publish(outcome('handoff.completed', customer.customerId, handoffId));

    router = await startRouter();
    const url = router.url;
    const completed = await eventually(
      async () => (await handoffs(url, 'completed')).some((h) => h.handoffId === handoffId),
      90_000,
    );
    expect(completed).toBe(true);
    const view = (await handoffs(url, 'completed')).find((h) => h.handoffId === handoffId);
    expect(view?.transitions.map((t) => t.status)).toEqual([
      'dispatching',
      'dispatched',
      'delivered',
      'completed',
    ]);
    // The redelivered request (if the kill came before it was settled) did not dispatch a second notice.
    expect(await dispatchedFor(handoffId)).toBe(1);
    // Nothing dead-lettered anywhere on the bus.
    const page = (await (await fetch(`${bus.httpUrl}/entities`)).json()) as {
      entities: { path: string; deadLetter: number }[];
    };
    expect(page.entities.length).toBeGreaterThan(0);
    expect(page.entities.filter((entity) => entity.deadLetter > 0)).toEqual([]);
    // Everything the router was sent is settled: nothing left for it after the restart.
    expect(
      await eventually(
        async () =>
          (await entityCounts(bus.httpUrl, 'handoff-events/Subscriptions/channel-router')).active === 0,
        30_000,
      ),
    ).toBe(true);
  }, 180_000);
});
