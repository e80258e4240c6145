import { cpus } from 'node:os';
import { summarize } from '../load/stats.js';
import { deliverEvents } from '../support/event-grid-client.js';
import { hostCpuBusyBetween, hostCpuTicks } from '../support/process-cpu.js';
import {
  type ReplicaInfrastructure,
  ReplicaSet,
  startReplicaInfrastructure,
} from '../support/replica-set.js';
import { WEBHOOK_SECRET } from '../support/whatsapp-config.js';
import { benchPhone, inboundTextEvent } from '../support/whatsapp-events.js';
import { type Benchmark, type Check, type Figure, figure } from '../types.js';

/** One burst against `replicas` whatsapp-adapter replicas. */
interface BurstResult {
  readonly replicas: number;
  /** Messages answered per second, first send to last reply. */
  readonly throughput: number;
  /** Per customer: first message sent -> first reply accepted by the ACS emulator, ms. */
  readonly firstReply: ReturnType<typeof summarize>;
  /** Last message sent -> last reply accepted: how long the backlog took to drain after the burst, ms. */
  readonly drainMs: number;
  /** The share of the machine's CPU (all cores) busy from the first message to the last reply. */
  readonly hostCpuBusy: number;
  readonly unanswered: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
  readonly undelivered: number;
}

/**
 * An outage burst, open loop: `messages` inbound WhatsApp messages from `customers` customers spread evenly over
 * `windowMs` (each customer writes every `windowMs * customers / messages` ms), sent through the round-robin
 * proxy to the replicas, and every reply awaited.
 */
async function burst(
  infra: ReplicaInfrastructure,
  replicas: number,
  load: { messages: number; customers: number; windowMs: number; run: number; drainDeadlineMs: number },
): Promise<BurstResult> {
  const set = await ReplicaSet.start('whatsapp-adapter', infra.env['whatsapp-adapter'], replicas);
  try {
    const webhook = `${set.proxy.url}/api/events?code=${WEBHOOK_SECRET}`;
    const channelRegistrationId = infra.emulators.settings.channelRegistrationId;
    const phones = Array.from({ length: load.customers }, (_, n) => benchPhone(n, load.run));
    const sentAt = new Map<string, number[]>();
    const texts = new Map<string, string[]>();
    const start = performance.timeOrigin + performance.now() + 200;
    const cpuBefore = hostCpuTicks();
    let undelivered = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < load.messages; i++) {
      const phone = phones[i % load.customers] as string;
      const at = start + (i * load.windowMs) / load.messages;
      const text = `r${load.run}-${i}`;
      const list = texts.get(phone) ?? [];
      list.push(text);
      texts.set(phone, list);
      sends.push(
        (async () => {
          const wait = at - (performance.timeOrigin + performance.now());
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const times = sentAt.get(phone) ?? [];
          times.push(performance.timeOrigin + performance.now());
          sentAt.set(phone, times);
          const result = await deliverEvents(webhook, [
            inboundTextEvent(phone, `echo ${text}`, { channelRegistrationId }),
          ]);
          if (result.status < 200 || result.status >= 300) undelivered += 1;
        })(),
      );
    }
    await Promise.all(sends);
    const lastSent = Math.max(...[...sentAt.values()].flat());
    const replies = (phone: string) =>
      infra.emulators.textsTo(phone).filter((t) => t.startsWith(`echo: r${load.run}-`));
    const deadline = Date.now() + load.drainDeadlineMs;
    while (Date.now() < deadline && phones.some((p) => replies(p).length < (texts.get(p)?.length ?? 0))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const hostCpuBusy = hostCpuBusyBetween(cpuBefore, hostCpuTicks());
    // A duplicate could follow a moment after: a short grace before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let unanswered = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    const firstReplies: number[] = [];
    let lastReply = 0;
    for (const phone of phones) {
      const expected = (texts.get(phone) ?? []).map((t) => `echo: ${t}`);
      const actual = replies(phone);
      const distinct = new Set(actual);
      unanswered += expected.filter((t) => !distinct.has(t)).length;
      duplicated += actual.length - distinct.size;
      if (JSON.stringify([...distinct]) !== JSON.stringify(expected.filter((t) => distinct.has(t))))
        outOfOrder += 1;
      const accepted = infra.emulators.accepted.get(phone.replace(/^\+/, '')) ?? [];
      const first = accepted[0];
      const sent = sentAt.get(phone)?.[0];
      if (first !== undefined && sent !== undefined) firstReplies.push(first - sent);
      lastReply = Math.max(lastReply, ...accepted);
    }
    return {
      replicas,
      throughput: load.messages / ((lastReply - start) / 1000),
      firstReply: summarize(firstReplies),
      drainMs: Math.max(0, lastReply - lastSent),
      hostCpuBusy,
      unanswered,
      duplicated,
      outOfOrder,
      undelivered,
    };
  } finally {
    await set.stop();
  }
}

/**
 * Scale-out (ARCHITECTURE.md section 9): an outage burst against 1, 2 and 3 whatsapp-adapter replicas, each its
 * own OS process (the adapter's real wiring, the echo model) behind a round-robin proxy, sharing the emulators
 * (their own process) and a redis-server of the run's own. The baseline is one replica in the same run.
 */
export const massEvent: Benchmark = {
  name: 'mass-event',
  title: 'Mass event: outage burst against 1, 2 and 3 whatsapp-adapter replicas',
  target: '3 replicas >= 2.5x the throughput of one in a mass-event burst, exactly once and in order',
  async run({ mode, progress }) {
    const load =
      mode === 'short'
        ? { messages: 90, customers: 30, windowMs: 6_000, drainDeadlineMs: 120_000 }
        : { messages: 5_000, customers: 2_500, windowMs: 60_000, drainDeadlineMs: 600_000 };
    const infra = await startReplicaInfrastructure({ logLevel: 'warn' });
    progress(`emulators: Service Bus inspection at ${infra.emulators.settings.serviceBusHttpUrl}/entities`);
    const results: BurstResult[] = [];
    // MASS_EVENT_REPLICAS=3 (comma-separated) runs only those steps: for investigating one of them.
    const steps = (process.env.MASS_EVENT_REPLICAS ?? '1,2,3').split(',').map(Number);
    try {
      for (const [index, replicas] of steps.entries()) {
        progress(
          `${replicas} replica(s): ${load.messages} messages from ${load.customers} customers in ${load.windowMs} ms`,
        );
        const result = await burst(infra, replicas, { ...load, run: 11 + index });
        progress(
          `${replicas} replica(s): ${Math.round(result.throughput)} msg/s, first reply p99 ${Math.round(result.firstReply.p99)} ms, drained ${Math.round(result.drainMs)} ms after the burst; machine CPU ${Math.round(result.hostCpuBusy * 100)} % busy`,
        );
        results.push(result);
      }
    } finally {
      await infra.stop();
    }
    const [one, two, three] = results as [BurstResult, BurstResult, BurstResult];
    const figures: Figure[] = [
      figure('throughput, 2 replicas vs 1', 'msg/s', two.throughput, one.throughput, 'higher'),
      figure('throughput, 3 replicas vs 1', 'msg/s', three.throughput, one.throughput, 'higher'),
      figure(
        'p99 time to first reply, 3 replicas vs 1',
        'ms',
        three.firstReply.p99,
        one.firstReply.p99,
        'lower',
      ),
      figure('backlog drain after the burst, 3 replicas vs 1', 'ms', three.drainMs, one.drainMs, 'lower'),
    ];
    const checks: Check[] = results.flatMap((r) => [
      {
        name: `${r.replicas} replica(s): every message answered exactly once`,
        passed: r.unanswered === 0 && r.duplicated === 0 && r.undelivered === 0,
        detail: `${r.unanswered} unanswered, ${r.duplicated} duplicated, ${r.undelivered} undelivered`,
      },
      {
        name: `${r.replicas} replica(s): per-customer order kept`,
        passed: r.outOfOrder === 0,
        detail: `${r.outOfOrder} customers answered out of order`,
      },
    ]);
    const ratio = three.throughput / one.throughput;
    return {
      subject: '2 and 3 whatsapp-adapter replicas (separate processes) behind a round-robin proxy',
      baseline: 'one replica, same burst, same run',
      figures,
      checks,
      target: {
        met: ratio >= 2.5,
        detail: `3 replicas ${ratio.toFixed(2)}x one (target 2.5x). All replicas, the emulators and Redis share this machine's ${cpus().length} cores, which were ${results
          .map((r) => `${Math.round(r.hostCpuBusy * 100)} %`)
          .join(
            ' / ',
          )} busy during the 1 / 2 / 3-replica bursts: where one replica already keeps the cores busy, more processes split the same cores rather than add capacity (see bench/results/analysis.md)`,
      },
      setup: {
        ...load,
        perReplica: results.map((r) => ({
          replicas: r.replicas,
          throughputPerSecond: Math.round(r.throughput * 10) / 10,
          throughputPerReplica: Math.round((r.throughput / r.replicas) * 10) / 10,
          firstReply: r.firstReply,
          drainMs: Math.round(r.drainMs),
          hostCpuBusyPercent: Math.round(r.hostCpuBusy * 100),
        })),
      },
    };
  },
};
