import { AcsWhatsAppSender, createMessagesClient } from '@omni/whatsapp-adapter/dist/acs.js';
import { createAdapter } from '@omni/whatsapp-adapter/dist/wiring.js';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { WhatsAppEmulatorsProcess } from '../emulators/whatsapp-emulators.js';
import { LoadGenerator } from '../load/client.js';
import type { LoadReport, OpenLoopJob } from '../load/protocol.js';
import { type LatencySummary, summarize } from '../load/stats.js';
import { cpuMsOf } from '../support/process-cpu.js';
import { WEBHOOK_SECRET, whatsappConfig } from '../support/whatsapp-config.js';
import { type Benchmark, type Check, type Figure, figure } from '../types.js';

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/api/events?code=${WEBHOOK_SECRET}`;
}

const digits = (phone: string) => phone.replace(/^\+/, '');

/** Whether `work` settles within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const done = work.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return result;
}

/** When the ACS emulator accepted the first reply to a recipient (digits), by recipient. */
interface Arrivals {
  get(key: string): number | undefined;
  has(key: string): boolean;
}

/** Webhook in -> reply accepted by the ACS emulator, per request; the replies that never came are counted. */
function turnLatencies(report: LoadReport, arrivals: Arrivals): { summary: LatencySummary; missing: number } {
  const latencies: number[] = [];
  let missing = 0;
  for (const request of report.sent ?? []) {
    const arrived = arrivals.get(digits(request.key));
    if (arrived === undefined) missing += 1;
    else latencies.push(arrived - request.sentAt);
  }
  return { summary: summarize(latencies), missing };
}

async function waitForReplies(report: LoadReport, arrivals: Arrivals, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const keys = (report.sent ?? []).map((request) => digits(request.key));
  while (Date.now() < deadline && keys.some((key) => !arrivals.has(key))) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * One-turn platform overhead: an inbound WhatsApp text through the whole adapter (webhook -> `inbound-messages` ->
 * consumer -> customer context on Cosmos -> engine with the OfflineDriver, zero think time -> reply through the
 * ACS SDK) until the ACS emulator accepts the reply, at fixed request rates (open loop, one new customer per
 * request). Baseline: a bare fastify route that sends the same reply through the same SDK sender at once.
 */
export const oneTurnOverhead: Benchmark = {
  name: 'one-turn-overhead',
  title: 'One turn, webhook in -> reply sent (OfflineDriver, zero think time)',
  target:
    'p99 < 25 ms at 40 turns/s, and the open-loop rate at which p99 passes 100 ms >= 150 turns/s (issue #20; agent time excluded)',
  async run({ mode, progress }) {
    // 10/s shows the overhead of an unloaded platform, 40/s is the target's rate; a full run then raises the rate
    // until p99 passes 100 ms (the knee) or a turn goes unanswered.
    const rates = mode === 'short' ? [10, 40] : [10, 40, 80, 120, 160, 200, 250, 300];
    const KNEE_MS = 100;
    const durationMs = mode === 'short' ? 2_000 : 10_000;
    // How long after the last request a reply may still come: a saturated subject drains its backlog meanwhile.
    const replyDeadlineMs = mode === 'short' ? 30_000 : 120_000;
    // The emulators in a process of their own: in process they took ~40 % of a turn's CPU from the subject.
    const emulators = await WhatsAppEmulatorsProcess.start();
    const { settings } = emulators;
    // When the emulator accepted the first reply to each recipient (the moment "reply sent" is measured at).
    const arrivals: Arrivals = {
      get: (key) => emulators.firstAccepted(key),
      has: (key) => emulators.firstAccepted(key) !== undefined,
    };
    const env = {
      SERVICEBUS_CONNECTION_STRING: settings.serviceBusConnectionString,
      COSMOS_ENDPOINT: settings.cosmosEndpoint,
      COSMOS_KEY: settings.cosmosKey,
      ACS_MESSAGES_CONNECTION_STRING: settings.acsConnectionString,
      WHATSAPP_CHANNEL_REGISTRATION_ID: settings.channelRegistrationId,
    };
    const config = whatsappConfig(env);
    const subject = await createAdapter(config, pino({ level: 'silent' }), {
      env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    });
    const sender = new AcsWhatsAppSender(
      createMessagesClient({ connectionString: settings.acsConnectionString }),
    );
    const bare = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES });
    bare.post('/api/events', async (request) => {
      const [event] = request.body as { data: { from: string } }[];
      await sender.send({
        channelRegistrationId: settings.channelRegistrationId,
        to: [`+${digits(event?.data.from ?? '')}`],
        kind: 'text',
        content: 'Thanks, noted.',
      });
      return {};
    });
    const generator = LoadGenerator.start();
    let run = 0;
    const drive = async (url: string, ratePerSecond: number, ms: number) => {
      run += 1;
      const cpuBefore = { own: cpuMsOf(), emulators: cpuMsOf(emulators.pid) };
      const job: OpenLoopJob = {
        kind: 'open',
        url,
        ratePerSecond,
        durationMs: ms,
        body: {
          kind: 'whatsapp',
          phoneOffset: 0,
          run,
          channelRegistrationId: settings.channelRegistrationId,
        },
      };
      const report = await generator.run(job);
      await waitForReplies(report, arrivals, replyDeadlineMs);
      // CPU per request while the step ran: this process (the subject or the bare route, and the bench's own
      // bookkeeping) and the emulators' process.
      const perRequest = (after: number | undefined, before: number | undefined) =>
        after === undefined || before === undefined || report.requests === 0
          ? Number.NaN
          : (after - before) / report.requests;
      const cpu = {
        own: perRequest(cpuMsOf(), cpuBefore.own),
        emulators: perRequest(cpuMsOf(emulators.pid), cpuBefore.emulators),
      };
      return { report, cpu, ...turnLatencies(report, arrivals) };
    };
    try {
      const [subjectUrl, bareUrl] = await Promise.all([listen(subject), listen(bare)]);
      progress('warm-up: both paths at 10 turns/s for 1 s');
      await drive(bareUrl, 10, 1_000);
      await drive(subjectUrl, 10, 1_000);
      const figures: Figure[] = [];
      const checks: Check[] = [];
      let p99At40 = Number.NaN;
      /** The last rate with p99 within KNEE_MS, and the first past it (undefined: not reached). */
      let lastWithin = 0;
      let knee: number | undefined;
      let baselineWithin = 0;
      let baselineBroke = false;
      for (const rate of rates) {
        progress(`bare route + ACS send at ${rate} turns/s for ${durationMs} ms`);
        const baseline = await drive(bareUrl, rate, durationMs);
        progress(`  p50 ${baseline.summary.p50} ms, p99 ${baseline.summary.p99} ms`);
        progress(`whatsapp-adapter turn at ${rate} turns/s for ${durationMs} ms`);
        const measured = await drive(subjectUrl, rate, durationMs);
        progress(
          `  p50 ${measured.summary.p50} ms, p99 ${measured.summary.p99} ms, ${measured.missing} unanswered; CPU per turn ${measured.cpu.own.toFixed(2)} ms here, ${measured.cpu.emulators.toFixed(2)} ms in the emulators (bare route: ${baseline.cpu.own.toFixed(2)} / ${baseline.cpu.emulators.toFixed(2)})`,
        );
        figures.push(
          figure(`p50 at ${rate} turns/s`, 'ms', measured.summary.p50, baseline.summary.p50, 'lower'),
        );
        figures.push(
          figure(`p99 at ${rate} turns/s`, 'ms', measured.summary.p99, baseline.summary.p99, 'lower'),
        );
        figures.push(
          figure(
            `CPU per turn at ${rate}/s, service process`,
            'ms',
            measured.cpu.own,
            baseline.cpu.own,
            'lower',
          ),
        );
        figures.push(
          figure(
            `CPU per turn at ${rate}/s, emulators' process`,
            'ms',
            measured.cpu.emulators,
            baseline.cpu.emulators,
            'lower',
          ),
        );
        checks.push({
          name: `every turn answered at ${rate}/s (within ${replyDeadlineMs / 1000} s of the last request)`,
          passed: measured.missing === 0 && baseline.missing === 0,
          detail: `${measured.report.requests - measured.missing}/${measured.report.requests} answered (baseline ${baseline.report.requests - baseline.missing}/${baseline.report.requests}); webhook statuses ${JSON.stringify(measured.report.statuses)}`,
        });
        if (rate === 40) p99At40 = measured.summary.p99;
        if (baseline.summary.p99 > KNEE_MS || baseline.missing > 0) baselineBroke = true;
        else if (!baselineBroke) baselineWithin = rate;
        if (measured.summary.p99 > KNEE_MS || measured.missing > 0) {
          knee ??= rate;
          if (rate > 40) break;
        } else if (knee === undefined) {
          lastWithin = rate;
        }
      }
      const top = rates.at(-1) ?? 0;
      const kneeText =
        knee === undefined
          ? `p99 stayed within ${KNEE_MS} ms up to ${lastWithin}/s (the highest rate tried)`
          : `p99 passed ${KNEE_MS} ms between ${lastWithin} and ${knee} turns/s`;
      if (mode === 'full') {
        figures.push(
          figure(
            `highest rate tried with p99 within ${KNEE_MS} ms`,
            'turns/s',
            lastWithin,
            baselineWithin,
            'higher',
          ),
        );
      }
      return {
        subject:
          'whatsapp-adapter createAdapter (webhook, Service Bus, Cosmos, engine with OfflineDriver, ACS SDK) on the emulators (in a process of their own)',
        baseline:
          'bare fastify route sending the same reply through the same ACS SDK sender to the same emulator',
        figures,
        checks,
        target: {
          met: mode === 'full' && p99At40 < 25 && (knee === undefined || knee >= 150) && lastWithin >= 120,
          detail:
            mode === 'full'
              ? `p99 ${p99At40} ms at 40 turns/s (target < 25 ms); ${kneeText} (target >= 150/s); top rate tried ${top}/s`
              : `p99 ${p99At40} ms at 40 turns/s (target < 25 ms); the knee (target >= 150/s) is looked for by a full run only`,
        },
        setup: {
          ratesPerSecond: rates,
          durationMs,
          load: 'open loop, one new customer per turn, child-process generator',
          emulators: "Service Bus, Cosmos and ACS Messages in one child process (not the subject's)",
          measuredAt:
            'the ACS emulator accepting the first reply to the sender (timestamps comparable across processes)',
        },
      };
    } finally {
      await generator.stop();
      // Bounded: after a saturating load the adapter's graceful close has been seen to hang (bench/README.md);
      // the run reports it instead of hanging with it.
      const closed = await within(Promise.all([subject.close(), bare.close()]), 20_000);
      if (!closed) progress('WARNING: the adapter did not close within 20 s after the load (known gap)');
      await emulators.stop();
    }
  },
};
