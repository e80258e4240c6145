import { type HandoffState, isCustomerStranded } from '../domain/handoff-saga.js';

/** The handoff funnel and switch latency (the JSON of `GET /api/metrics/handoffs`). */
export interface HandoffMetrics {
  readonly funnel: {
    /** Offers are made inside the channels and not reported to the router yet: always null. */
    readonly offered: null;
    /** Requested handoffs: the customer accepted the switch. */
    readonly accepted: number;
    readonly dispatched: number;
    readonly delivered: number;
    readonly completed: number;
    readonly expired: number;
    readonly failed: number;
    /** Refused at validation (no customer, channel disabled, no consent, no address). */
    readonly rejected: number;
  };
  readonly fallbacks: {
    readonly smsLink: number;
    readonly callback: number;
    readonly smsLinkCompleted: number;
  };
  /** Handoffs (fallbacks included) that left the customer with no digital channel: a human must call back. */
  readonly stranded: number;
  readonly switchLatencyMs: {
    readonly count: number;
    readonly p50: number | null;
    readonly p95: number | null;
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

/**
 * The funnel over handoff sagas: each stage counts the handoffs that reached it (a completed handoff whose
 * delivery receipt never came counts as completed, not delivered). SMS-link fallbacks are counted apart.
 */
export function handoffMetrics(states: readonly HandoffState[]): HandoffMetrics {
  const main = states.filter((state) => state.fallbackOf === undefined);
  const fallbacks = states.filter((state) => state.fallbackOf !== undefined);
  const latencies = main
    .flatMap((state) =>
      state.status === 'completed' && state.switchLatencyMs !== undefined ? [state.switchLatencyMs] : [],
    )
    .sort((a, b) => a - b);
  return {
    funnel: {
      offered: null,
      accepted: main.filter((state) => state.requestedAt !== undefined).length,
      dispatched: main.filter((state) => state.dispatchedAt !== undefined).length,
      delivered: main.filter((state) => state.deliveredAt !== undefined).length,
      completed: main.filter((state) => state.status === 'completed').length,
      expired: main.filter((state) => state.status === 'expired').length,
      failed: main.filter((state) => state.status === 'failed').length,
      rejected: main.filter((state) => state.status === 'rejected').length,
    },
    fallbacks: {
      smsLink: main.filter((state) => state.fallback?.kind === 'sms-link').length,
      callback: main.filter((state) => state.fallback?.kind === 'callback').length,
      smsLinkCompleted: fallbacks.filter((state) => state.status === 'completed').length,
    },
    stranded: states.filter(isCustomerStranded).length,
    switchLatencyMs: {
      count: latencies.length,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
    },
  };
}
