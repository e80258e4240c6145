import { randomUUID } from 'node:crypto';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { buildApp } from '@omni/whatsapp-adapter/dist/app.js';
import type { HandoffMessageStore } from '@omni/whatsapp-adapter/dist/handoff-messages.js';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { WhatsAppEmulatorsProcess } from '../emulators/whatsapp-emulators.js';
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
 * `EventPublisher` on the Service Bus emulator) against two bare fastify routes taking the same bodies, all under
 * the same closed-loop generator: one answering `{}`, one doing the same raw SDK send (the target's baseline, the
 * fair physical limit); then every accepted message must be on `inbound-messages` exactly once.
 */
export const whatsappIngest: Benchmark = {
  name: 'whatsapp-ingest',
  title: 'WhatsApp webhook ingest (requests/s)',
  target:
    '>= 50 % of the requests/s of a bare fastify route doing the same Service Bus send, no loss, no duplicates',
  async run({ mode, progress }) {
    const durationMs = mode === 'short' ? 3_000 : 15_000;
    const warmupMs = mode === 'short' ? 500 : 2_000;
    // The emulators in a process of their own, so the subject and the baselines have the bench's process alone.
    const emulators = await WhatsAppEmulatorsProcess.start();
    const bus = {
      connectionString: emulators.settings.serviceBusConnectionString,
      httpUrl: emulators.settings.serviceBusHttpUrl,
    };
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
    // The fair physical limit: a bare route doing the one raw SDK send the adapter does per request (same
    // entity, a session per sender, a client of its own made the same way), without validation or mapping.
    const rawClient = createServiceBusClient({ connectionString: bus.connectionString });
    const rawSender = rawClient.createSender('inbound-messages');
    const bareSend = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES });
    bareSend.post('/api/events', async (request) => {
      const [event] = request.body as { id: string; data: { from: string } }[];
      await rawSender.sendMessages({
        body: event,
        messageId: randomUUID(),
        sessionId: event?.data.from ?? 'unknown',
        contentType: 'application/json',
      });
      return {};
    });
    const generator = LoadGenerator.start();
    try {
      const [subjectUrl, bareUrl, bareSendUrl] = await Promise.all([
        listen(subject),
        listen(bare),
        listen(bareSend),
      ]);
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
      progress(
        `bare route + raw Service Bus send: warm-up, then ${durationMs} ms at ${CONCURRENCY} concurrent`,
      );
      await generator.run(job(bareSendUrl, 4, warmupMs));
      const sendBaseline = await generator.run(job(bareSendUrl, 5, durationMs));
      progress(
        `  ${rate(sendBaseline).toFixed(0)} requests/s (${sendBaseline.requests - sendBaseline.ok} failed)`,
      );
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
      const ratio = rate(measured) / rate(sendBaseline);
      return {
        subject: 'whatsapp-adapter buildApp POST /api/events -> EventPublisher -> Service Bus emulator',
        baseline:
          "bare fastify 5 route POST /api/events doing the same raw @azure/service-bus send to inbound-messages (the target's baseline), and one answering {} (same bodies, same generator)",
        figures: [
          figure(
            'requests/s vs bare route + raw send',
            'req/s',
            rate(measured),
            rate(sendBaseline),
            'higher',
          ),
          figure('requests/s vs bare route {}', 'req/s', rate(measured), rate(baseline), 'higher'),
          figure(
            'answer p99 vs bare route + raw send',
            'ms',
            summarize(measured.latenciesMs ?? []).p99,
            summarize(sendBaseline.latenciesMs ?? []).p99,
            'lower',
          ),
          figure(
            'answer p99 vs bare route {}',
            'ms',
            summarize(measured.latenciesMs ?? []).p99,
            summarize(baseline.latenciesMs ?? []).p99,
            'lower',
          ),
        ],
        checks,
        target: {
          met: ratio >= 0.5 && checks.every((check) => check.passed),
          detail: `${(ratio * 100).toFixed(1)} % of the bare route doing the same Service Bus send (target >= 50 %); ${((rate(measured) / rate(baseline)) * 100).toFixed(1)} % of the bare route answering {}${checks.every((c) => c.passed) ? '' : '; a check failed'}`,
        },
        setup: {
          durationMs,
          warmupMs,
          concurrency: CONCURRENCY,
          senders: 1000,
          serverProcess: 'bench main; the emulators in a child process of their own',
          generator: 'child process, closed loop, keep-alive',
        },
      };
    } finally {
      await generator.stop();
      await Promise.all([subject.close(), bare.close(), bareSend.close()]);
      await Promise.all([publisher.close(), rawSender.close()]);
      await Promise.all([client.close(), rawClient.close()]);
      await emulators.stop();
    }
  },
};
