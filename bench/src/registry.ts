import { messagingThroughput } from './benchmarks/messaging-throughput.js';
import { oneTurnOverhead } from './benchmarks/one-turn.js';
import { whatsappIngest } from './benchmarks/whatsapp-ingest.js';
import type { Benchmark, PendingBenchmark } from './types.js';

/**
 * Every benchmark `pnpm bench` runs, in order. To add one: a file under `src/benchmarks/` exporting a
 * {@link Benchmark}, listed here (and removed from {@link PENDING_BENCHMARKS} if it was waiting there).
 */
export const BENCHMARKS: readonly Benchmark[] = [whatsappIngest, oneTurnOverhead, messagingThroughput];

/** Targets of ARCHITECTURE.md section 9 whose services are not on this branch yet: listed, never measured. */
export const PENDING_BENCHMARKS: readonly PendingBenchmark[] = [
  {
    name: 'voice-recognize-turn',
    title: 'Voice: RecognizeCompleted -> next recognize request (p99)',
    target: 'p99 < 30 ms, agent time excluded',
    reason: 'not yet measured: needs the voice adapter and the ACS Call Automation emulator',
  },
  {
    name: 'handoff-dispatch',
    title: 'Handoff: handoff.requested -> template send request (p99)',
    target: 'p99 < 250 ms locally',
    reason: 'not yet measured: needs the channel-router handoff saga',
  },
  {
    name: 'estimated-wait',
    title: 'Estimated wait time: mean absolute error vs position x AHT',
    target: 'MAE at least 30 % lower than the naive estimate on a simulated contact centre',
    reason: 'not yet measured: needs the channel-router queue monitor',
  },
];
