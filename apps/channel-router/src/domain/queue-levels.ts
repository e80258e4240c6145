import type { QueueLevel } from '@omni/contracts';

/** When a queue counts as loaded. */
export interface LevelThresholds {
  /** Estimated wait (seconds) at which the queue is `high`; twice this is `critical`. Default 120. */
  readonly waitSeconds: number;
  /** Depth at which the queue is `high`; twice this is `critical`. Default 50. */
  readonly depth: number;
  /** In a mass event the thresholds are multiplied by this (below 1: offer a switch sooner). Default 0.5. */
  readonly massEventFactor: number;
}

/** How a mass event (an outage, a storm) is told from ordinary load: a spike of the arrival rate. */
export interface MassEventRule {
  /** The recent window, seconds. Default 300. */
  readonly recentSeconds: number;
  /** The baseline window (ending now, including the recent one), seconds. Default 3600. */
  readonly baselineSeconds: number;
  /** Recent rate / baseline rate at or above which it is a mass event. Default 3. */
  readonly spikeRatio: number;
  /** Fewest arrivals in the recent window before a spike counts (no alarms on 1 vs 0). Default 10. */
  readonly minRecentArrivals: number;
}

/** The default thresholds (ARCHITECTURE.md: wait 120 s, depth 50). */
export const DEFAULT_THRESHOLDS: LevelThresholds = { waitSeconds: 120, depth: 50, massEventFactor: 0.5 };

/** The default mass-event rule. */
export const DEFAULT_MASS_EVENT_RULE: MassEventRule = {
  recentSeconds: 300,
  baselineSeconds: 3600,
  spikeRatio: 3,
  minRecentArrivals: 10,
};

/**
 * Whether arrivals spike: the rate of the recent window is at least `spikeRatio` times the rate of the
 * baseline window. `arrivals` are epoch milliseconds (any order); `now` too.
 */
export function isMassEvent(
  arrivals: readonly number[],
  now: number,
  rule: MassEventRule = DEFAULT_MASS_EVENT_RULE,
): boolean {
  const recentFrom = now - rule.recentSeconds * 1000;
  const baselineFrom = now - rule.baselineSeconds * 1000;
  let recent = 0;
  let baseline = 0;
  for (const at of arrivals) {
    if (at > now || at < baselineFrom) continue;
    baseline += 1;
    if (at >= recentFrom) recent += 1;
  }
  if (recent < rule.minRecentArrivals) return false;
  const recentRate = recent / rule.recentSeconds;
  const baselineRate = baseline / rule.baselineSeconds;
  return recentRate >= rule.spikeRatio * baselineRate;
}

/**
 * The level of a queue from its estimated wait for a new arrival and its depth: `high` at a threshold,
 * `critical` at twice it; a mass event lowers both thresholds by `massEventFactor`.
 */
export function queueLevel(
  estimatedWaitSeconds: number,
  depth: number,
  massEvent: boolean,
  thresholds: LevelThresholds = DEFAULT_THRESHOLDS,
): QueueLevel {
  const factor = massEvent ? thresholds.massEventFactor : 1;
  const wait = thresholds.waitSeconds * factor;
  const deep = thresholds.depth * factor;
  if (estimatedWaitSeconds >= 2 * wait || depth >= 2 * deep) return 'critical';
  if (estimatedWaitSeconds >= wait || depth >= deep) return 'high';
  return 'normal';
}

/** The wait as the channels quote it, in whole minutes ("less than a minute" is 0). */
export function quotedWaitMinutes(estimatedWaitSeconds: number): number {
  return estimatedWaitSeconds < 60 ? 0 : Math.round(estimatedWaitSeconds / 60);
}

/**
 * What the channels act on and say about a queue: its level and the wait they quote. A status whose key
 * changed is published at once, so a caller never hears an older figure than the ops console shows.
 */
export function statusKey(level: QueueLevel, estimatedWaitSeconds: number): string {
  return `${level}:${quotedWaitMinutes(estimatedWaitSeconds)}`;
}

/**
 * Whether to publish a queue snapshot now: always when its key ({@link statusKey}: level or quoted wait)
 * changed, otherwise at most every `intervalMs` (and never twice for the same unchanged state within it).
 */
export function shouldPublishStatus(
  previous: { readonly level: string; readonly publishedAt: number } | undefined,
  level: string,
  now: number,
  intervalMs: number,
): boolean {
  if (previous === undefined) return true;
  if (previous.level !== level) return true;
  return now - previous.publishedAt >= intervalMs;
}
