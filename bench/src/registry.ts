import { estimatedWait } from './benchmarks/estimated-wait.js';
import { handoffDispatch } from './benchmarks/handoff-dispatch.js';
import { massEvent } from './benchmarks/mass-event.js';
import { messagingThroughput } from './benchmarks/messaging-throughput.js';
import { oneTurnOverhead } from './benchmarks/one-turn.js';
import { roundTrips } from './benchmarks/round-trips.js';
import { voiceTurn } from './benchmarks/voice-turn.js';
import { whatsappIngest } from './benchmarks/whatsapp-ingest.js';
import type { Benchmark, PendingBenchmark } from './types.js';

/**
 * Every benchmark `pnpm bench` runs, in order. To add one: a file under `src/benchmarks/` exporting a
 * {@link Benchmark}, listed here (and removed from {@link PENDING_BENCHMARKS} if it was waiting there).
 */
export const BENCHMARKS: readonly Benchmark[] = [
  whatsappIngest,
  oneTurnOverhead,
  roundTrips,
  messagingThroughput,
  handoffDispatch,
  voiceTurn,
  estimatedWait,
  massEvent,
];

/** Targets of ARCHITECTURE.md section 9 whose services are not on this branch yet: listed, never measured. */
export const PENDING_BENCHMARKS: readonly PendingBenchmark[] = [];
