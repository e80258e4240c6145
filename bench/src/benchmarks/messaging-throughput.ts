import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { resetBus } from '../support/bus-inspection.js';
import { type Benchmark, type Check, figure } from '../types.js';
import type { MessagingJob, MessagingReport } from './messaging-worker.js';

const CONCURRENCY = 16;

/** Runs one job in a fresh child process. */
function inChild(job: MessagingJob): Promise<MessagingReport> {
  const child = fork(fileURLToPath(new URL('./messaging-worker.js', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`messaging worker exited (${code})`)));
    child.once('message', (message: { ok: boolean; report?: MessagingReport; error?: string }) => {
      child.kill();
      if (message.ok && message.report) resolve(message.report);
      else reject(new Error(message.error ?? 'messaging worker failed'));
    });
    child.send(job);
  });
}

/**
 * Messaging throughput: `@omni/messaging` EventPublisher + EventConsumer (schema validation, routing, dedupe,
 * retries, metrics) against the raw `@azure/service-bus` sender + receiver, same queue, same emulator, same
 * concurrency, each in its own child process; events/s from the first send to the last one handled.
 */
export const messagingThroughput: Benchmark = {
  name: 'messaging-throughput',
  title: 'Messaging publish + consume throughput (events/s)',
  target: '>= 90 % of the raw SDK end to end (issue #20: the library layer stays close to the raw SDK)',
  async run({ mode, progress }) {
    // Full mode stays under 2,048: at 10,000 events a rhea session on the emulator side logs "Next pending
    // delivery not found: 2048" and stops sending (a known gap, bench/README.md).
    const count = mode === 'short' ? 1_000 : 2_000;
    const bus = await startServiceBusEmulator({ amqpPort: 0, httpPort: 0 });
    try {
      const job = (implementation: MessagingJob['implementation'], run: number, n = count): MessagingJob => ({
        connectionString: bus.connectionString,
        implementation,
        count: n,
        concurrency: CONCURRENCY,
        run,
      });
      progress('warm-up: 200 events each way');
      await inChild(job('raw', 0, 200));
      await inChild(job('omni', 1, 200));
      await resetBus(bus.httpUrl);
      progress(`raw @azure/service-bus: ${count} events, ${CONCURRENCY} in flight`);
      const raw = await inChild(job('raw', 2));
      progress(`  ${((count / raw.endToEndMs) * 1000).toFixed(0)} events/s end to end`);
      progress(`@omni/messaging: ${count} events, ${CONCURRENCY} in flight`);
      const omni = await inChild(job('omni', 3));
      progress(`  ${((count / omni.endToEndMs) * 1000).toFixed(0)} events/s end to end`);
      const perSecond = (report: MessagingReport) => (count / report.endToEndMs) * 1000;
      const publishPerSecond = (report: MessagingReport) => (count / report.publishMs) * 1000;
      const checks: Check[] = [
        {
          name: 'every event consumed once',
          passed: omni.distinct === count && raw.distinct === count,
          detail: `omni ${omni.distinct} distinct of ${count} (${omni.received} deliveries); raw ${raw.distinct} (${raw.received})`,
        },
      ];
      const ratio = perSecond(omni) / perSecond(raw);
      return {
        subject: '@omni/messaging EventPublisher.publish + EventConsumer on the escalations queue',
        baseline: 'raw @azure/service-bus sendMessages + receiver.subscribe (complete) on the same queue',
        figures: [
          figure('publish + consume', 'events/s', perSecond(omni), perSecond(raw), 'higher'),
          figure('publish only', 'events/s', publishPerSecond(omni), publishPerSecond(raw), 'higher'),
        ],
        checks,
        target: {
          met: ratio >= 0.9 && checks.every((check) => check.passed),
          detail: `${(ratio * 100).toFixed(1)} % of the raw SDK's end-to-end rate (target >= 90 %); 2,000 events take 1-2 s, so one run's ratio varies (0.48 to 1.09 over six runs on a quiet machine, 2026-12-03)`,
        },
        setup: {
          events: count,
          concurrency: CONCURRENCY,
          entity: 'escalations (queue, no sessions)',
          processes: 'emulator in bench main, clients in a child process per run',
        },
      };
    } finally {
      await bus.stop();
    }
  },
};
