import { randomInt, randomUUID } from 'node:crypto';
import { readConfig as readRouterConfig } from '@omni/channel-router/dist/config.js';
import { createRouter } from '@omni/channel-router/dist/wiring.js';
import { createEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { type AcsCallingEmulator, startAcsCallingEmulator } from '@omni/emulators/acs-calling';
import { type AcsMessagesEmulator, startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { type CosmosEmulator, startCosmosEmulator } from '@omni/emulators/cosmos';
import { type ServiceBusEmulator, startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { readConfig as readVoiceConfig } from '@omni/voice-adapter/dist/config.js';
import { createAdapter as createVoiceAdapter } from '@omni/voice-adapter/dist/wiring.js';
import { AcsWhatsAppSender, createMessagesClient } from '@omni/whatsapp-adapter/dist/acs.js';
import { createAdapter as createWhatsAppAdapter } from '@omni/whatsapp-adapter/dist/wiring.js';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { type RemoteService, type RoundTripCount, RoundTripCounter } from '../support/round-trip-counter.js';
import { WEBHOOK_SECRET, whatsappConfig } from '../support/whatsapp-config.js';
import { benchPhone, inboundTextEvent } from '../support/whatsapp-events.js';
import { type Benchmark, type Check, type Figure, figure } from '../types.js';

const silent = pino({ level: 'silent' });
const VOICE_SECRET = 'bench-webhook-secret-0123456789';
const SAID = 'My power is out at 14 Cardigan Road, LS6 1LF';
const REDIS_PORT = 6379;

/**
 * One round trip to each service in an Azure region, low and high, in ms: the projected floor is the serial trips
 * times these. Cosmos DB: point reads and writes under 10 ms at the 99th percentile in-region (the Azure Cosmos DB
 * SLA; typical ~5 ms). Service Bus and ACS publish no latency figure: 5-15 ms a round trip is an assumption (the
 * figure issue #20 used), not a published number. Azure Cache for Redis: ~1 ms in-region (assumption).
 */
export const AZURE_TRIP_MS: Readonly<Record<RemoteService, readonly [number, number]>> = {
  cosmos: [5, 10],
  servicebus: [5, 15],
  acs: [5, 15],
  redis: [0.5, 1],
};

function floorMs(byService: Readonly<Record<RemoteService, number>>, bound: 0 | 1): number {
  let total = 0;
  for (const [service, trips] of Object.entries(byService) as [RemoteService, number][]) {
    total += trips * AZURE_TRIP_MS[service][bound];
  }
  return total;
}

/** Polls `condition` every 2 ms until it holds or `timeoutMs` passes. */
async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return condition();
}

/** One measured turn: the trips before the reply, the reply's own send included. */
interface TurnTrips {
  readonly serial: number;
  readonly serialByService: Record<RemoteService, number>;
  readonly total: number;
}

/** The trips of [from, replyAt] plus the reply's send itself (an ACS request still open at `replyAt`). */
function withReply(count: RoundTripCount): TurnTrips {
  return {
    serial: count.serial + 1,
    serialByService: { ...count.serialByService, acs: count.serialByService.acs + 1 },
    total: count.total + 1,
  };
}

/** The turn with the median serial count (the lower median for an even number). */
function median(turns: readonly TurnTrips[]): TurnTrips {
  const sorted = [...turns].sort((a, b) => a.serial - b.serial);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (middle === undefined) throw new Error('no turn measured');
  return middle;
}

function describe(turn: TurnTrips): string {
  const parts = (Object.entries(turn.serialByService) as [RemoteService, number][])
    .filter(([, trips]) => trips > 0)
    .map(([service, trips]) => `${service} ${trips}`);
  return `${turn.serial} serial (${parts.join(', ')}), ${turn.total} in all`;
}

/** The first time the ACS Messages emulator accepted a message to each number (digits only). */
function recordWhatsAppSends(acs: AcsMessagesEmulator): Map<string, number[]> {
  const sends = new Map<string, number[]>();
  const store = acs.messages;
  const add = store.add.bind(store);
  store.add = (message) => {
    const key = message.to.replace(/^\+/, '');
    const list = sends.get(key) ?? [];
    list.push(performance.now());
    sends.set(key, list);
    add(message);
  };
  return sends;
}

function recordRecognizes(acs: AcsCallingEmulator): Map<string, number[]> {
  const recognizes = new Map<string, number[]>();
  const calls = acs.calls;
  const recognize = calls.recognize.bind(calls);
  calls.recognize = (callConnectionId, request) => {
    const list = recognizes.get(callConnectionId) ?? [];
    list.push(performance.now());
    recognizes.set(callConnectionId, list);
    recognize(callConnectionId, request);
  };
  return recognizes;
}

async function listen(app: FastifyInstance, port = 0): Promise<number> {
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Scenario {
  readonly name: string;
  readonly target: number | undefined;
  readonly subject: TurnTrips;
  readonly baseline: TurnTrips;
  readonly measured: number;
  readonly answered: number;
}

/** WhatsApp: a new customer's first message and the same customer's second one, through the real adapter. */
async function whatsappScenarios(turns: number, progress: (message: string) => void): Promise<Scenario[]> {
  const [bus, cosmos, acs]: [ServiceBusEmulator, CosmosEmulator, AcsMessagesEmulator] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  const sends = recordWhatsAppSends(acs);
  const counter = new RoundTripCounter({
    servicebus: [bus.amqpPort],
    cosmos: [Number(new URL(cosmos.endpoint).port)],
    acs: [acs.port],
    redis: [REDIS_PORT],
  });
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    ACS_MESSAGES_CONNECTION_STRING: acs.connectionString,
    WHATSAPP_CHANNEL_REGISTRATION_ID: acs.channelRegistrationId,
    REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
  };
  const config = whatsappConfig(env);
  const subject = await createWhatsAppAdapter(config, silent, { env: { ...env, LOG_LEVEL: 'silent' } });
  const sender = new AcsWhatsAppSender(createMessagesClient({ connectionString: acs.connectionString }));
  const bare = Fastify({ logger: false });
  bare.post('/api/events', async (request) => {
    const [event] = request.body as { data: { from: string } }[];
    await sender.send({
      channelRegistrationId: acs.channelRegistrationId,
      to: [`+${event?.data.from ?? ''}`],
      kind: 'text',
      content: 'Thanks, noted.',
    });
    return {};
  });
  const run = randomInt(1, 1_000);
  let next = 0;
  /** Sends one message from `phone` and counts the trips until the ACS emulator accepted its reply. */
  const turn = async (url: string, phone: string, text: string): Promise<TurnTrips | undefined> => {
    await counter.quiet(150, 5_000);
    const key = phone.replace(/^\+/, '');
    const before = sends.get(key)?.length ?? 0;
    const from = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        inboundTextEvent(phone, text, { channelRegistrationId: acs.channelRegistrationId }),
      ]),
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    if (!(await until(() => (sends.get(key)?.length ?? 0) > before, 10_000))) return undefined;
    const replyAt = sends.get(key)?.[before] as number;
    // TRIP_TRACE=1: every write and answer of the turn on the wire, ms from the webhook request (bench/README).
    if (process.env.TRIP_TRACE === '1') {
      progress(`trace of "${text}": ${(replyAt - from).toFixed(1)} ms to the reply`);
      for (const e of counter.events(from, replyAt))
        progress(
          `  ${(e.at - from).toFixed(2).padStart(8)} ms ${e.service} ${e.direction} (socket ${e.socket})`,
        );
    }
    return withReply(counter.count(from, replyAt));
  };
  try {
    const subjectUrl = `http://127.0.0.1:${await listen(subject)}/api/events?code=${WEBHOOK_SECRET}`;
    const bareUrl = `http://127.0.0.1:${await listen(bare)}/api/events`;
    progress('warm-up: one turn each (connections, links, containers)');
    await turn(subjectUrl, benchPhone(next++, run), 'hello');
    await turn(bareUrl, benchPhone(next++, run), 'hello');
    const fresh: TurnTrips[] = [];
    const returning: TurnTrips[] = [];
    const bareTurns: TurnTrips[] = [];
    for (let i = 0; i < turns; i++) {
      const phone = benchPhone(next++, run);
      const first = await turn(subjectUrl, phone, 'My power is out at 14 Cardigan Road');
      if (first) fresh.push(first);
      const second = await turn(subjectUrl, phone, 'It is still out, any news?');
      if (second) returning.push(second);
      const base = await turn(bareUrl, benchPhone(next++, run), 'hello');
      if (base) bareTurns.push(base);
    }
    if (counter.writesSeen === 0)
      throw new Error('the round-trip counter saw no write: the instrument is blind');
    const baseline = median(bareTurns);
    progress(`  new customer: ${describe(median(fresh))}`);
    progress(`  returning customer: ${describe(median(returning))}`);
    progress(`  bare route + ACS send: ${describe(baseline)}`);
    return [
      {
        name: 'WhatsApp, new customer',
        target: 5,
        subject: median(fresh),
        baseline,
        measured: turns,
        answered: fresh.length,
      },
      {
        name: 'WhatsApp, returning customer',
        target: 3,
        subject: median(returning),
        baseline,
        measured: turns,
        answered: returning.length,
      },
    ];
  } finally {
    counter.close();
    await Promise.all([subject.close(), bare.close()]);
    await Promise.all([acs.stop(), cosmos.stop(), bus.stop()]);
  }
}

/** Voice: the caller speaks (RecognizeCompleted) -> the adapter's next recognize, on an answered call. */
async function voiceScenario(turns: number, progress: (message: string) => void): Promise<Scenario> {
  const [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsCallingEmulator({ port: 0 }),
  ]);
  const recognizes = recordRecognizes(acs);
  const counter = new RoundTripCounter({
    servicebus: [bus.amqpPort],
    cosmos: [Number(new URL(cosmos.endpoint).port)],
    acs: [acs.port],
    redis: [REDIS_PORT],
  });
  const bare = Fastify({ logger: false });
  const subjectPort = await listen(bare).then(async (port) => {
    await bare.close();
    return port;
  });
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'bench-handoff-token-key-0123456789-abcdefghijkl',
    ACS_CONNECTION_STRING: acs.connectionString,
    VOICE_CALLBACK_BASE_URL: `http://127.0.0.1:${subjectPort}`,
    COGNITIVE_SERVICES_ENDPOINT: 'https://cognitive.example.com',
    EVENTGRID_WEBHOOK_SECRET: VOICE_SECRET,
    VOICE_HOLD_PAUSE_SECONDS: '0',
    REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
    LOG_LEVEL: 'silent',
  };
  const subject = await createVoiceAdapter(readVoiceConfig(env), silent, { env });
  try {
    await listen(subject, subjectPort);
    await acs.calls.connect(`http://127.0.0.1:${subjectPort}/api/incoming-call`, { secret: VOICE_SECRET });
    const measuredTurns: TurnTrips[] = [];
    const call = await acs.calls.dial(`+1425701${String(randomInt(0, 10_000)).padStart(4, '0')}`);
    const id = call.callConnectionId;
    if (!(await until(() => call.pendingRecognize !== undefined, 10_000))) {
      throw new Error('the voice adapter never listened on the call');
    }
    // The first turn warms the engine and the call's containers up; it is not counted.
    for (let i = 0; i <= turns; i++) {
      await counter.quiet(150, 5_000);
      const before = recognizes.get(id)?.length ?? 0;
      const from = performance.now();
      acs.calls.say(id, SAID);
      if (!(await until(() => (recognizes.get(id)?.length ?? 0) > before, 10_000))) continue;
      const replyAt = recognizes.get(id)?.[before] as number;
      if (i > 0) measuredTurns.push(withReply(counter.count(from, replyAt)));
    }
    acs.calls.callerHangsUp(id);
    await acs.calls.idle();
    if (counter.writesSeen === 0)
      throw new Error('the round-trip counter saw no write: the instrument is blind');
    const subjectTrips = median(measuredTurns);
    progress(`  voice turn: ${describe(subjectTrips)}`);
    // The bare callback endpoint answers a RecognizeCompleted with one startRecognizing: one ACS trip.
    const baseline: TurnTrips = {
      serial: 1,
      serialByService: { cosmos: 0, servicebus: 0, acs: 1, redis: 0 },
      total: 1,
    };
    return {
      name: 'voice turn',
      target: 3,
      subject: subjectTrips,
      baseline,
      measured: turns,
      answered: measuredTurns.length,
    };
  } finally {
    counter.close();
    await subject.close();
    acs.calls.disconnect();
    await Promise.all([acs.stop(), cosmos.stop(), bus.stop()]);
  }
}

/**
 * Handoff: `handoff.requested` published (voice -> WhatsApp, customer known) -> channel-router saga ->
 * `handoff.dispatched` -> whatsapp-adapter template send, through the real router and adapter on one set of
 * emulators. The window opens when the bench publishes (its publish is the first trip).
 */
async function handoffScenario(turns: number, progress: (message: string) => void): Promise<Scenario> {
  const [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  const sends = recordWhatsAppSends(acs);
  const counter = new RoundTripCounter({
    servicebus: [bus.amqpPort],
    cosmos: [Number(new URL(cosmos.endpoint).port)],
    acs: [acs.port],
    redis: [REDIS_PORT],
  });
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    ACS_MESSAGES_CONNECTION_STRING: acs.connectionString,
    WHATSAPP_CHANNEL_REGISTRATION_ID: acs.channelRegistrationId,
    HANDOFF_TOKEN_KEY: 'bench-handoff-token-key-0123456789-abcdefghijkl',
    REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
  };
  const routerConfig = readRouterConfig({
    ...env,
    OPS_API_KEY: 'bench-ops-key-0123456789',
    LOG_LEVEL: 'silent',
  });
  const context = createCustomerContextStore(routerConfig);
  const client = createServiceBusClient({ connectionString: bus.connectionString });
  const publisher = new EventPublisher({ client });
  const router = await createRouter(routerConfig, silent);
  const adapter = await createWhatsAppAdapter(whatsappConfig(env), silent, {
    env: { ...env, LOG_LEVEL: 'silent' },
  });
  const run = randomInt(0, 10_000);
  let next = 0;
  const handoff = async (): Promise<TurnTrips | undefined> => {
    next += 1;
    const phone = `+1425602${String((run + next) % 10_000).padStart(4, '0')}`;
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: phone });
    await counter.quiet(150, 5_000);
    const key = phone.replace(/^\+/, '');
    const before = sends.get(key)?.length ?? 0;
    const handoffId = `ho_${randomUUID()}`;
    const from = performance.now();
    await publisher.publish(
      createEvent(
        'handoff.requested',
        {
          handoffId,
          customerId: customer.customerId,
          fromChannel: 'voice',
          toChannel: 'whatsapp',
          reason: 'queue is long',
          summary: 'Caller reports a power outage at home.',
          collectedData: { postcode: 'EC2A 1AA' },
          address: { phone },
          customerName: 'Ada',
          topic: 'power outage',
          requestedAt: new Date().toISOString(),
        },
        { source: '/apps/voice-adapter', correlationId: handoffId },
      ),
    );
    if (!(await until(() => (sends.get(key)?.length ?? 0) > before, 10_000))) return undefined;
    return withReply(counter.count(from, sends.get(key)?.[before] as number));
  };
  try {
    await Promise.all([router.ready(), adapter.ready()]);
    await handoff();
    const measured: TurnTrips[] = [];
    for (let i = 0; i < turns; i++) {
      const trips = await handoff();
      if (trips) measured.push(trips);
    }
    if (counter.writesSeen === 0)
      throw new Error('the round-trip counter saw no write: the instrument is blind');
    const subject = median(measured);
    progress(`  handoff: ${describe(subject)}`);
    // The bare hop: the bench's publish of handoff.dispatched and one template send (handoff-dispatch's baseline).
    const baseline: TurnTrips = {
      serial: 2,
      serialByService: { cosmos: 0, servicebus: 1, acs: 1, redis: 0 },
      total: 2,
    };
    return {
      name: 'handoff',
      target: undefined,
      subject,
      baseline,
      measured: turns,
      answered: measured.length,
    };
  } finally {
    counter.close();
    await Promise.all([router.close(), adapter.close()]);
    await publisher.close();
    await Promise.all([client.close(), context.close()]);
    await Promise.all([acs.stop(), cosmos.stop(), bus.stop()]);
  }
}

/**
 * Serial remote round trips before the reply: a machine-independent figure of the turn path. Every client socket
 * of the process is watched ({@link RoundTripCounter}); turns run one at a time after the wire went quiet, and
 * the longest chain of non-overlapping round trips between the webhook (or the caller's speech) and the reply's
 * send is counted, the send included, per service. Times the published (or assumed) per-trip latency of each
 * service in an Azure region, that is the projected floor of the turn in Azure before any model time.
 * Baseline: the bare route doing the same ACS send (one trip), measured the same way.
 */
export const roundTrips: Benchmark = {
  name: 'round-trips',
  title: 'Serial remote round trips before the reply (Cosmos, Service Bus, ACS, Redis)',
  target: 'returning customer <= 3, new customer <= 5, voice turn <= 3 (issue #20)',
  async run({ mode, progress }) {
    const turns = mode === 'short' ? 3 : 9;
    progress(`whatsapp-adapter: ${turns} new customers, each writing twice, one turn at a time`);
    const scenarios = await whatsappScenarios(turns, progress);
    progress(`voice-adapter: one call, ${turns} turns`);
    scenarios.push(await voiceScenario(turns, progress));
    progress(`channel-router + whatsapp-adapter: ${turns} handoffs, one at a time`);
    scenarios.push(await handoffScenario(turns, progress));
    const figures: Figure[] = [];
    const checks: Check[] = [];
    const misses: string[] = [];
    const met: string[] = [];
    for (const scenario of scenarios) {
      figures.push(
        figure(
          `${scenario.name}: serial trips`,
          'trips',
          scenario.subject.serial,
          scenario.baseline.serial,
          'lower',
        ),
        figure(
          `${scenario.name}: Azure floor (low)`,
          'ms',
          floorMs(scenario.subject.serialByService, 0),
          floorMs(scenario.baseline.serialByService, 0),
          'lower',
        ),
        figure(
          `${scenario.name}: Azure floor (high)`,
          'ms',
          floorMs(scenario.subject.serialByService, 1),
          floorMs(scenario.baseline.serialByService, 1),
          'lower',
        ),
      );
      checks.push({
        name: `${scenario.name}: every turn answered`,
        passed: scenario.answered === scenario.measured,
        detail: `${scenario.answered}/${scenario.measured} answered; median turn ${describe(scenario.subject)}`,
      });
      const verdict =
        scenario.target !== undefined && scenario.subject.serial > scenario.target ? misses : met;
      verdict.push(
        `${scenario.name} ${describe(scenario.subject)}${scenario.target === undefined ? ' (no target)' : ` (target <= ${scenario.target})`}`,
      );
    }
    return {
      subject:
        'whatsapp-adapter and voice-adapter createAdapter (real wiring, Redis, OfflineDriver) on the emulators',
      baseline: 'a bare route doing the same ACS send through the same SDK (one trip)',
      figures,
      checks,
      target: {
        met: misses.length === 0,
        detail: [
          misses.length > 0 ? `above target: ${misses.join('; ')}` : '',
          met.length > 0 ? `within target: ${met.join('; ')}` : '',
        ]
          .filter(Boolean)
          .join('. '),
      },
      setup: {
        turnsPerScenario: turns,
        counted:
          'client sockets of the bench process by remote port (net.client.socket): a write opens a trip, the next bytes back close it; longest chain of non-overlapping trips, the reply send included',
        azureTripMs: AZURE_TRIP_MS,
        azureTripSources:
          'Cosmos DB: < 10 ms p99 point reads/writes in-region (Azure Cosmos DB SLA), ~5 ms typical; Service Bus and ACS: no published figure, 5-15 ms assumed; Redis: ~1 ms assumed',
      },
    };
  },
};
