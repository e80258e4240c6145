import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { buildApp } from '@omni/whatsapp-adapter/dist/app.js';
import type { HandoffMessageStore } from '@omni/whatsapp-adapter/dist/handoff-messages.js';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { LoadGenerator } from '../load/client.js';
import type { ClosedLoopJob, LoadReport } from '../load/protocol.js';
import { summarize } from '../load/stats.js';
import { entityCounts, peekMessages, resetBus } from '../support/bus-inspection.js';
import { BENCH_CHANNEL_REGISTRATION_ID, WEBHOOK_SECRET, whatsappConfig } from '../support/whatsapp-config.js';
import { type Benchmark, type Check, figure } from '../types.js';

const INBOUND = 'inbound-messages/Subscriptions/whatsapp-adapter';
const CONCURRENCY = 32;

/** Delivery statuses never arrive in this benchmark; the store is never asked. */
const noHandoffMessages: HandoffMessageStore = {
  remember: async () => {},
  lookup: async () => undefined,
  track: (sending) => sending,
  settled: async () => {},
};

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/api/events?code=${WEBHOOK_SECRET}`;
}

const rate = (report: LoadReport) => (report.ok / report.elapsedMs) * 1000;

/**
 * WhatsApp webhook ingest: requests/s of the real whatsapp-adapter `POST /api/events` (`buildApp` with the real
 * `EventPublisher` on the Service Bus emulator) against a bare fastify route taking the same bodies, both under
 * the same closed-loop generator; then every accepted message must be on `inbound-messages` exactly once.
 */
export const whatsappIngest: Benchmark = {
  name: 'whatsapp-ingest',
  title: 'WhatsApp webhook ingest (requests/s)',
  target: ">= 50 % of a bare fastify route's requests/s on the same machine, no loss, no duplicates",
  async run({ mode, progress }) {
    const durationMs = mode === 'short' ? 3_000 : 15_000;
    const warmupMs = mode === 'short' ? 500 : 2_000;
    const bus = await startServiceBusEmulator({ amqpPort: 0, httpPort: 0 });
    const config = whatsappConfig({ SERVICEBUS_CONNECTION_STRING: bus.connectionString });
    const client = createServiceBusClient({ connectionString: bus.connectionString });
    const publisher = new EventPublisher({ client });
    const subject = buildApp({
      config,
      logger: pino({ level: 'silent' }),
      publisher,
      handoffMessages: noHandoffMessages,
    });
    const bare = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES });
    bare.post('/api/events', async () => ({}));
    const generator = LoadGenerator.start();
    try {
      const [subjectUrl, bareUrl] = await Promise.all([listen(subject), listen(bare)]);
      const job = (url: string, run: number, ms: number): ClosedLoopJob => ({
        kind: 'closed',
        url,
        durationMs: ms,
        concurrency: CONCURRENCY,
        body: {
          kind: 'whatsapp',
          phoneOffset: 0,
          run,
          customers: 1000,
          channelRegistrationId: BENCH_CHANNEL_REGISTRATION_ID,
        },
      });
      progress(`bare fastify route: warm-up, then ${durationMs} ms at ${CONCURRENCY} concurrent`);
      await generator.run(job(bareUrl, 0, warmupMs));
      const baseline = await generator.run(job(bareUrl, 1, durationMs));
      progress(`  ${rate(baseline).toFixed(0)} requests/s`);
      progress(`whatsapp-adapter /api/events: warm-up, then ${durationMs} ms at ${CONCURRENCY} concurrent`);
      await generator.run(job(subjectUrl, 2, warmupMs));
      await resetBus(bus.httpUrl);
      const measured = await generator.run(job(subjectUrl, 3, durationMs));
      progress(`  ${rate(measured).toFixed(0)} requests/s; counting what reached ${INBOUND}`);

      const counts = await entityCounts(bus.httpUrl, INBOUND);
      const sample = await peekMessages(bus.httpUrl, INBOUND, { limit: 1000 });
      const sampleIds = new Set(sample.map((message) => message.messageId));
      const failed = measured.requests - measured.ok;
      const checks: Check[] = [
        {
          name: 'no loss',
          passed: counts.active >= measured.ok,
          detail: `${measured.ok} accepted (2xx), ${counts.active} on ${INBOUND}`,
        },
        {
          name: 'no duplicates',
          passed: counts.active <= measured.ok && sampleIds.size === sample.length,
          detail: `${counts.active} messages for ${measured.ok} accepted requests; ${sampleIds.size} distinct ids in a ${sample.length}-message peek`,
        },
        {
          name: 'every request accepted',
          passed: failed === 0,
          detail: `statuses ${JSON.stringify(measured.statuses)}`,
        },
      ];
      const ratio = rate(measured) / rate(baseline);
      return {
        subject: 'whatsapp-adapter buildApp POST /api/events -> EventPublisher -> Service Bus emulator',
        baseline: 'bare fastify 5 route POST /api/events answering {} (same bodies, same generator)',
        figures: [
          figure('requests/s', 'req/s', rate(measured), rate(baseline), 'higher'),
          figure(
            'answer p99',
            'ms',
            summarize(measured.latenciesMs ?? []).p99,
            summarize(baseline.latenciesMs ?? []).p99,
            'lower',
          ),
        ],
        checks,
        target: {
          met: ratio >= 0.5 && checks.every((check) => check.passed),
          detail: `${(ratio * 100).toFixed(1)} % of the bare route (target >= 50 %)${checks.every((c) => c.passed) ? '' : '; a check failed'}`,
        },
        setup: {
          durationMs,
          warmupMs,
          concurrency: CONCURRENCY,
          senders: 1000,
          serverProcess: 'bench main (with the emulator)',
          generator: 'child process, closed loop, keep-alive',
        },
      };
    } finally {
      await generator.stop();
      await Promise.all([subject.close(), bare.close()]);
      await publisher.close();
      await client.close();
      await bus.stop();
    }
  },
};
