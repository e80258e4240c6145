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
  /** Backoff before the n-th retry (1-based), in ms; capped below the lock duration by the consumer. */
  backoffMs: (retry: number) => number;
}

/** Exponential backoff with full jitter: 100 ms, 200 ms, 400 ms … capped at 5 s. */
export function exponentialBackoff(baseMs = 100, capMs = 5_000, random: () => number = Math.random) {
  return (retry: number) => Math.round(random() * Math.min(capMs, baseMs * 2 ** (retry - 1)));
}

/** The default: 5 attempts (below the topology's max delivery count of 10, so our reason wins). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, backoffMs: exponentialBackoff() };

/** What to do with a message whose handler failed. */
export type FailureOutcome =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'dead-letter'; reason: string; description: string };

/** Dead-letter descriptions are shown in tools and alerts: keep them short and free of payloads. */
const MAX_DESCRIPTION = 1_000;

/**
 * Decides between retrying and dead-lettering a message whose handler threw. Pure: `attempt` is the
 * 1-based delivery attempt that just failed.
 */
export function decideFailure(error: unknown, attempt: number, policy: RetryPolicy): FailureOutcome {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_DESCRIPTION);
  if (error instanceof PermanentError) {
    return { kind: 'dead-letter', reason: error.reason, description: message };
  }
  if (attempt >= policy.maxAttempts) {
    return {
      kind: 'dead-letter',
      reason: 'MaxAttemptsExceeded',
      description: `failed ${attempt} times; last error: ${message}`,
    };
  }
  return { kind: 'retry', delayMs: Math.max(0, policy.backoffMs(attempt)) };
}
