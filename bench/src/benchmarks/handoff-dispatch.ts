import { randomUUID } from 'node:crypto';
import { readConfig as readRouterConfig } from '@omni/channel-router/dist/config.js';
import { createRouter } from '@omni/channel-router/dist/wiring.js';
import { createEvent, type EventOfType } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { type ServiceBusEmulator, startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventConsumer, EventPublisher } from '@omni/messaging';
import { AcsWhatsAppSender, createMessagesClient } from '@omni/whatsapp-adapter/dist/acs.js';
import { templateConfigOf } from '@omni/whatsapp-adapter/dist/config.js';
import { handoffNotice, noticeRequestBody } from '@omni/whatsapp-adapter/dist/domain/handoff-notice.js';
import { createAdapter } from '@omni/whatsapp-adapter/dist/wiring.js';
import pino from 'pino';
import { type LatencySummary, preciseNow, summarize } from '../load/stats.js';
import { whatsappHandoffRequested } from '../support/handoff-events.js';
import { whatsappConfig } from '../support/whatsapp-config.js';
import { type Benchmark, type Check, type Figure, figure } from '../types.js';

const HANDOFF_TOKEN_KEY = 'bench-handoff-token-key-0123456789-abcdefghijkl';
const silent = pino({ level: 'silent' });

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}

/** Publishes `publish(i)` for i in 0..count-1 at a fixed rate (open loop: no waiting for the previous one). */
async function openLoop(
  count: number,
  ratePerSecond: number,
  publish: (index: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(publish(i));
  }
  await Promise.all(inFlight);
}

interface Round {
  summary: LatencySummary;
  missing: number;
  duplicates: number;
}

/**
 * Handoff dispatch: `handoff.requested` (voice -> WhatsApp, address phone, customer created first) published on
 * `handoff-events` -> the real channel-router (`createRouter`: validate, record the saga and the handoff in
 * Cosmos, publish `handoff.dispatched`) -> the real whatsapp-adapter (`createAdapter`: template notice through
 * the ACS SDK) until the ACS Advanced Messaging emulator accepts the template send, at fixed rates (open loop).
 * Baseline: the bare bus hop -- an event published on `handoff-events` and a plain `EventConsumer` on the
 * `whatsapp-adapter` subscription that sends the same template through the same SDK to the same emulator.
 */
export const handoffDispatch: Benchmark = {
  name: 'handoff-dispatch',
  title: 'Handoff: handoff.requested -> template send request (p99)',
  target: 'p99 < 250 ms locally',
  async run({ mode, progress }) {
    const rates = mode === 'short' ? [10] : [10, 50];
    const durationMs = mode === 'short' ? 2_000 : 10_000;
    const deliveryDeadlineMs = mode === 'short' ? 30_000 : 120_000;
    const [bus, cosmos, acs] = await Promise.all([
      startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
      startCosmosEmulator({ port: 0 }),
      startAcsMessagesEmulator({ port: 0 }),
    ]);
    // When the emulator accepted each template send, per recipient (all of them, to count duplicates).
    const arrivals = new Map<string, number[]>();
    const store = acs.messages;
    const add = store.add.bind(store);
    store.add = (message) => {
      if (message.channel === 'whatsapp' && message.kind === 'template') {
        const list = arrivals.get(message.to) ?? [];
        list.push(preciseNow());
        arrivals.set(message.to, list);
      }
      add(message);
    };
    const env = {
      SERVICEBUS_CONNECTION_STRING: bus.connectionString,
      COSMOS_ENDPOINT: cosmos.endpoint,
      COSMOS_KEY: cosmos.key,
      ACS_MESSAGES_CONNECTION_STRING: acs.connectionString,
      WHATSAPP_CHANNEL_REGISTRATION_ID: acs.channelRegistrationId,
      HANDOFF_TOKEN_KEY,
    };
    const adapterConfig = whatsappConfig(env);
    const routerConfig = readRouterConfig({
      ...env,
      OPS_API_KEY: 'bench-ops-key-0123456789',
      LOG_LEVEL: 'silent',
    });
    const context = createCustomerContextStore(routerConfig);
    const sender = new AcsWhatsAppSender(createMessagesClient({ connectionString: acs.connectionString }));
    const template = templateConfigOf(adapterConfig);
    let phoneCounter = 0;
    const nextPhone = () => {
      phoneCounter += 1;
      return `+1425600${String(phoneCounter).padStart(4, '0')}`;
    };

    /** Publishes `count` events at `rate`/s, each to a new customer, and measures until its template arrived. */
    const round = async (
      publisher: EventPublisher,
      rate: number,
      ms: number,
      eventFor: (
        customerId: string,
        phone: string,
      ) => EventOfType<'handoff.requested' | 'handoff.dispatched'>,
    ): Promise<Round> => {
      const count = Math.max(1, Math.round((rate * ms) / 1000));
      const customers = await Promise.all(
        Array.from({ length: count }, async () => {
          const phone = nextPhone();
          const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: phone });
          return { phone, customerId: customer.customerId, sentAt: 0 };
        }),
      );
      await openLoop(count, rate, async (i) => {
        const customer = customers[i] as (typeof customers)[number];
        const event = eventFor(customer.customerId, customer.phone);
        customer.sentAt = preciseNow();
        await publisher.publish(event);
      });
      await until(() => customers.every((c) => arrivals.has(c.phone)), deliveryDeadlineMs);
      // A duplicate send could come a moment after the first: give it a short grace before counting.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const latencies: number[] = [];
      let missing = 0;
      let duplicates = 0;
      for (const customer of customers) {
        const times = arrivals.get(customer.phone);
        if (times === undefined) missing += 1;
        else {
          latencies.push((times[0] as number) - customer.sentAt);
          duplicates += times.length - 1;
        }
      }
      return { summary: summarize(latencies), missing, duplicates };
    };

    const requested = whatsappHandoffRequested;
    const dispatched = (customerId: string, phone: string): EventOfType<'handoff.dispatched'> => {
      const handoffId = `ho_${randomUUID()}`;
      const now = new Date();
      return createEvent(
        'handoff.dispatched',
        {
          handoffId,
          customerId,
          fromChannel: 'voice',
          toChannel: 'whatsapp',
          deliveryChannel: 'whatsapp',
          address: { phone },
          tokenExpiresAt: new Date(now.getTime() + 15 * 60_000).toISOString(),
          customerName: 'Ada',
          topic: 'power outage',
          dispatchedAt: now.toISOString(),
        },
        { source: '/apps/channel-router', correlationId: handoffId },
      );
    };

    // Baseline on a Service Bus emulator of its own (so nothing it publishes reaches the router later).
    const baselineBus: ServiceBusEmulator = await startServiceBusEmulator({ amqpPort: 0, httpPort: 0 });
    const baselineClient = createServiceBusClient({ connectionString: baselineBus.connectionString });
    const baselinePublisher = new EventPublisher({ client: baselineClient });
    // The subscriber on a connection of its own, as the adapter has (the publisher's is the bench's).
    const baselineConsumerClient = createServiceBusClient({ connectionString: baselineBus.connectionString });
    const bare = new EventConsumer({
      client: baselineConsumerClient,
      source: { topic: 'handoff-events', subscription: 'whatsapp-adapter' },
      handler: async (event) => {
        if (event.type !== 'handoff.dispatched') return;
        const notice = handoffNotice(event.data, { lastInboundAt: undefined, now: new Date() }, template);
        if (notice.kind === 'none') throw new Error(`no notice: ${notice.reason}`);
        await sender.send(noticeRequestBody(notice, acs.channelRegistrationId));
      },
      logger: silent,
    });
    const client = createServiceBusClient({ connectionString: bus.connectionString });
    const publisher = new EventPublisher({ client });
    const router = await createRouter(routerConfig, silent);
    const adapter = await createAdapter(adapterConfig, silent, { env: { ...env, LOG_LEVEL: 'silent' } });
    try {
      bare.start();
      await Promise.all([router.ready(), adapter.ready()]);
      progress('warm-up: both paths, 5 handoffs each');
      await round(baselinePublisher, 10, 500, dispatched);
      await round(publisher, 10, 500, requested);
      const figures: Figure[] = [];
      const checks: Check[] = [];
      let p99AtTop = Number.NaN;
      for (const rate of rates) {
        progress(`bare bus hop + template send at ${rate}/s for ${durationMs} ms`);
        const baseline = await round(baselinePublisher, rate, durationMs, dispatched);
        progress(`  p50 ${baseline.summary.p50} ms, p99 ${baseline.summary.p99} ms`);
        progress(`router + whatsapp-adapter handoff at ${rate}/s for ${durationMs} ms`);
        const measured = await round(publisher, rate, durationMs, requested);
        progress(
          `  p50 ${measured.summary.p50} ms, p99 ${measured.summary.p99} ms, ${measured.missing} missing, ${measured.duplicates} duplicates`,
        );
        figures.push(
          figure(`p50 at ${rate} handoffs/s`, 'ms', measured.summary.p50, baseline.summary.p50, 'lower'),
          figure(`p99 at ${rate} handoffs/s`, 'ms', measured.summary.p99, baseline.summary.p99, 'lower'),
        );
        checks.push({
          name: `every handoff produced exactly one template send at ${rate}/s`,
          passed: measured.missing === 0 && measured.duplicates === 0 && baseline.missing === 0,
          detail: `${measured.summary.count} sent, ${measured.missing} missing, ${measured.duplicates} duplicate sends (baseline ${baseline.summary.count} sent, ${baseline.missing} missing)`,
        });
        p99AtTop = measured.summary.p99;
      }
      return {
        subject:
          'channel-router createRouter (saga in Cosmos, handoff.dispatched) + whatsapp-adapter createAdapter (template through the ACS SDK) on the emulators',
        baseline:
          'handoff.dispatched published on handoff-events, a plain EventConsumer sending the same template through the same SDK to the same ACS emulator',
        figures,
        checks,
        target: {
          met: p99AtTop < 250,
          detail: `p99 ${p99AtTop} ms at ${rates.at(-1)} handoffs/s (target < 250 ms locally)`,
        },
        setup: {
          ratesPerSecond: rates,
          durationMs,
          load: 'open loop from the bench process, one new customer (resolveCustomer, phone) per handoff',
          measuredAt: 'publish start -> the ACS emulator accepting the template send (first per recipient)',
        },
      };
    } finally {
      await bare.stop();
      await Promise.all([router.close(), adapter.close()]);
      await Promise.all([publisher.close(), baselinePublisher.close()]);
      await Promise.all([
        client.close(),
        baselineClient.close(),
        baselineConsumerClient.close(),
        context.close(),
      ]);
      await Promise.all([acs.stop(), cosmos.stop(), bus.stop(), baselineBus.stop()]);
    }
  },
};
