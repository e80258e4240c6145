/**
 * What an estimator knows about one queue when it estimates the wait of the customer at `position`.
 * Every duration is in seconds.
 */
export interface WaitInputs {
  /** 1 = the next customer to be served; a new arrival is `depth + 1`. */
  readonly position: number;
  /** Agents serving the queue and not offline (free or busy). */
  readonly staffedAgents: number;
  /** Staffed agents free right now. */
  readonly freeAgents: number;
  /** How long each busy agent has been on their current contact. */
  readonly busyElapsedSeconds: readonly number[];
  /** Recent completed handle times of the queue (a rolling window), any order. */
  readonly recentHandleSeconds: readonly number[];
  /** Average handle time to assume before any contact was handled. */
  readonly defaultHandleSeconds: number;
}

/** An estimator: the expected wait in seconds of the customer at `inputs.position`. */
export type WaitEstimator = (inputs: WaitInputs) => number;

/** The estimators by name; `rolling` is the one the router publishes (chosen by `pnpm simulate:queue`). */
export type EstimatorName = 'naive' | 'rolling';

/** The mean of the recent handle times, or the default before there are any. */
export function averageHandleSeconds(
  inputs: Pick<WaitInputs, 'recentHandleSeconds' | 'defaultHandleSeconds'>,
): number {
  const samples = inputs.recentHandleSeconds;
  if (samples.length === 0) return inputs.defaultHandleSeconds;
  let sum = 0;
  for (const sample of samples) sum += sample;
  return sum / samples.length;
}

/**
 * The naive estimate: position x average handle time / agents. "Agents" is read generously as the staffed
 * agents (the literal "available", free agents, is 0 whenever a queue exists and would divide by zero).
 */
export const naiveWaitSeconds: WaitEstimator = (inputs) =>
  (inputs.position * averageHandleSeconds(inputs)) / Math.max(1, inputs.staffedAgents);

/** Draws per estimate; enough for a stable median, small enough to run on every status tick. */
const DRAWS = 64;

/** mulberry32, so an estimate is a pure function of its inputs. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The better estimate ("rolling handle-time distribution with staffing"): a customer whom a free agent can
 * take waits nothing; otherwise they wait for the `position - freeAgents`-th agent to come free. The
 * departures are resampled from the rolling handle-time window: each busy agent's current contact ends after
 * a remaining time drawn from the handle times longer than what it has lasted so far, and each next contact
 * after a handle time drawn from the window. The estimate is the median over the draws, since the median is
 * what minimises the absolute error.
 */
export const estimateWaitSeconds: WaitEstimator = (inputs) =>
  estimateWaitsSeconds(inputs, inputs.position)[inputs.position - 1] ?? 0;

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * {@link estimateWaitSeconds} for positions 1..`positions` at once (one resampling run serves every
 * position, so a long queue costs draws x positions x busy agents, not that times the positions again).
 * `inputs.position` is ignored.
 */
export function estimateWaitsSeconds(inputs: WaitInputs, positions: number): number[] {
  const count = Math.max(0, Math.floor(positions));
  const busy = inputs.busyElapsedSeconds;
  if (busy.length === 0) {
    return Array.from({ length: count }, (_, i) =>
      i + 1 <= inputs.freeAgents ? 0 : naiveWaitSeconds({ ...inputs, position: i + 1 }),
    );
  }
  const average = averageHandleSeconds(inputs);
  const samples = inputs.recentHandleSeconds;
  const random = seeded(7919 * busy.length + samples.length);
  const handle = () =>
    samples.length === 0
      ? -Math.log(1 - random()) * average
      : (samples[Math.floor(random() * samples.length)] as number);
  // Per busy agent: the remaining times its contact may have, from the handle times longer than it has lasted.
  const remaining = busy.map((elapsed) =>
    samples.filter((sample) => sample > elapsed).map((sample) => sample - elapsed),
  );
  const residual = (index: number) => {
    const options = remaining[index] as number[];
    if (options.length > 0) return options[Math.floor(random() * options.length)] as number;
    return samples.length === 0 ? handle() : average / 10;
  };
  const departures = Math.max(0, count - inputs.freeAgents);
  const outcomes: number[][] = Array.from({ length: departures }, () => []);
  for (let draw = 0; draw < DRAWS; draw++) {
    const times = busy.map((_, index) => residual(index));
    for (let departed = 0; departed < departures; departed++) {
      let soonest = 0;
      for (let i = 1; i < times.length; i++)
        if ((times[i] as number) < (times[soonest] as number)) soonest = i;
      const at = times[soonest] as number;
      (outcomes[departed] as number[]).push(at);
      times[soonest] = at + handle();
    }
  }
  return Array.from({ length: count }, (_, i) => {
    const departure = i + 1 - inputs.freeAgents;
    if (departure <= 0) return 0;
    return median((outcomes[departure - 1] as number[]).sort((a, b) => a - b));
  });
}

/** The estimators by name. */
export const estimators: Readonly<Record<EstimatorName, WaitEstimator>> = {
  naive: naiveWaitSeconds,
  rolling: estimateWaitSeconds,
};
