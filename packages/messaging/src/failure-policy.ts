/**
 * An error that retrying cannot fix (a customer that does not exist, a rule the event breaks). The consumer
 * dead-letters the message at once with this error's reason instead of retrying it.
 */
export class PermanentError extends Error {
  /** Short machine-readable reason, stored as the dead-letter reason. */
  readonly reason: string;

  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
    this.reason = reason;
  }
}

/** How a consumer treats a failing handler. */
export interface RetryPolicy {
  /** Attempts (deliveries) before the message is dead-lettered with reason `MaxAttemptsExceeded`. */
  maxAttempts: number;
  /**
   * Wait before the n-th retry (1-based), in ms. The consumer holds the message (its lock renewed) for this
   * long, then gives it back; it caps the wait by the lock renewal window and the message's time to live.
   */
  backoffMs: (retry: number) => number;
}

/** Exponential backoff with full jitter: 100 ms, 200 ms, 400 ms … capped at 5 s. */
export function exponentialBackoff(baseMs = 100, capMs = 5_000, random: () => number = Math.random) {
  return (retry: number) => Math.round(random() * Math.min(capMs, baseMs * 2 ** (retry - 1)));
}

/**
 * The retry waits of the default policy: an outage of a dependency (Cosmos, ACS, Foundry) lasts seconds to
 * minutes, so the waits span minutes rather than the ~1 s five quick retries covered.
 */
export const OUTAGE_SCHEDULE_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

/**
 * A fixed schedule of waits (the last repeats), each drawn from [75 %, 100 %] of its step so that messages
 * failed by one outage do not all come back in the same instant.
 */
export function scheduledBackoff(
  schedule: readonly number[] = OUTAGE_SCHEDULE_MS,
  random: () => number = Math.random,
) {
  return (retry: number) => {
    const step = schedule[Math.min(retry, schedule.length) - 1] ?? 0;
    return Math.round(step * (0.75 + 0.25 * random()));
  };
}

/**
 * The default: retries on the {@link OUTAGE_SCHEDULE_MS} (about 25 minutes in all) and 9 attempts, below the
 * topology's max delivery count of 10 so our reason, with the last error, wins over the broker's.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 9, backoffMs: scheduledBackoff() };

/** Whether retrying can help: transient (outage, throttling), permanent (never), or unknown (assume it can). */
export type FailureClass = 'transient' | 'permanent' | 'unknown';

/** Node and SDK error codes of a connection that failed or dropped: the other side may come back. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'ServiceUnavailable',
  'ServiceBusy',
  'ServiceTimeout',
  'ServiceCommunicationProblem',
  'TooManyRequests',
]);

/** Error names of timeouts and aborted waits. */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'AbortError', 'ConnectTimeoutError']);

/** Error names of data that does not fit its schema: the same data fails the same way every time. */
const PERMANENT_NAMES = new Set(['ZodError', 'InvalidEventError', 'EventParseError']);

/**
 * 4xx statuses that a retry can still fix: a timeout, throttling, and the answers of stores that other
 * events are about to change (not found yet, a concurrent write, a precondition, a lock).
 */
const RETRYABLE_4XX = new Set([404, 408, 409, 412, 423, 425, 429]);

function statusOf(error: object): number | undefined {
  for (const key of ['statusCode', 'status', 'code'] as const) {
    const value = (error as Record<string, unknown>)[key];
    const status = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
    if (typeof status === 'number' && status >= 100 && status < 600) return status;
  }
  return undefined;
}

function classifyOne(error: unknown): FailureClass {
  if (error instanceof PermanentError) return 'permanent';
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof name === 'string' && PERMANENT_NAMES.has(name)) return 'permanent';
  if (typeof name === 'string' && TRANSIENT_NAMES.has(name)) return 'transient';
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return 'transient';
  const status = statusOf(error);
  if (status !== undefined) {
    if (status >= 500 || RETRYABLE_4XX.has(status)) return 'transient';
    if (status >= 400) return 'permanent';
  }
  return 'unknown';
}

/**
 * Classifies a handler's error by what a retry can do: `permanent` for a {@link PermanentError}, data that does
 * not fit its schema, and an HTTP 4xx that will not change (400, 401, 403, 413, 422 ...); `transient` for
 * timeouts, throttling (429), 5xx and lost connections; `unknown` otherwise. The first verdict found along
 * the `cause` chain wins (an SDK error often wraps the socket's).
 */
export function classifyFailure(error: unknown): FailureClass {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const verdict = classifyOne(current);
    if (verdict !== 'unknown') return verdict;
    current = (current as { cause?: unknown }).cause;
  }
  return 'unknown';
}

/** What to do with a message whose handler failed. */
export type FailureOutcome =
  | { kind: 'retry'; delayMs: number; failure: Exclude<FailureClass, 'permanent'> }
  | { kind: 'dead-letter'; reason: string; description: string };

/** Dead-letter descriptions are shown in tools and alerts: keep them short and free of payloads. */
const MAX_DESCRIPTION = 1_000;

/**
 * Decides between retrying and dead-lettering a message whose handler threw. Pure: `attempt` is the
 * 1-based delivery attempt that just failed. A permanent failure is dead-lettered at once (reason: the
 * `PermanentError`'s, else `PermanentFailure`); transient and unknown ones are retried on the policy's
 * schedule until `maxAttempts`.
 */
export function decideFailure(error: unknown, attempt: number, policy: RetryPolicy): FailureOutcome {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_DESCRIPTION);
  if (error instanceof PermanentError) {
    return { kind: 'dead-letter', reason: error.reason, description: message };
  }
  const failure = classifyFailure(error);
  if (failure === 'permanent') {
    return { kind: 'dead-letter', reason: 'PermanentFailure', description: message };
  }
  if (attempt >= policy.maxAttempts) {
    return {
      kind: 'dead-letter',
      reason: 'MaxAttemptsExceeded',
      description: `failed ${attempt} times; last error: ${message}`,
    };
  }
  return { kind: 'retry', delayMs: Math.max(0, policy.backoffMs(attempt)), failure };
}

/** What bounds how long a consumer can hold a failed message before giving it back. */
export interface HoldLimits {
  /** How long the receiver renews locks after receiving (`maxAutoLockRenewalDurationInMs`). */
  renewalMs: number;
  /** The entity's lock duration. */
  lockMs: number;
  /** When the message expires (its time to live), epoch ms; none when unknown. */
  expiresAtMs?: number | undefined;
  /** Epoch ms. */
  now: number;
}

/**
 * How long to hold a failed message (its lock renewed) before giving it back for the next attempt: the
 * policy's wait, cut to stay inside the lock renewal window (less one lock duration of margin, as the
 * handler already used some of it) and to end before the message expires. Never negative.
 */
export function holdMs(delayMs: number, limits: HoldLimits): number {
  const renewable = Math.max(limits.lockMs / 2, limits.renewalMs - limits.lockMs);
  const untilExpiry =
    limits.expiresAtMs === undefined ? Number.POSITIVE_INFINITY : limits.expiresAtMs - limits.now - 1_000;
  return Math.max(0, Math.min(delayMs, renewable, untilExpiry));
}
