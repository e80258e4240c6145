import { ConcurrencyExhaustedError } from './errors.js';

/** Waits `ms` milliseconds. Injected so tests of retry timing run instantly. */
export type Sleep = (ms: number) => Promise<void>;

/** Real-time {@link Sleep}. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** How {@link withOptimisticRetry} retries. Every field is optional. */
export interface OptimisticRetryOptions {
  /** Attempts on 412 Precondition Failed (a concurrent writer won) before giving up. Default 8. */
  maxAttempts?: number;
  /** Retries after 429 Too Many Requests, on top of the SDK's own. Default 5. */
  maxThrottleRetries?: number;
  /** Backoff before the n-th retry after a 412: full jitter up to `baseDelayMs * 2^(n-1)`, capped at 200 ms. Default 5. */
  baseDelayMs?: number;
  /** Wait after a 429 that carries no retry-after. Default 100 ms. */
  defaultThrottleDelayMs?: number;
  /** Sleep function. Default {@link realSleep}. */
  sleep?: Sleep;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
}

/** The HTTP status of a Cosmos error (`ErrorResponse.code`), or undefined when it has none. */
export function cosmosStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

/** True for 412 Precondition Failed: an If-Match ETag no longer matches. */
export const isPreconditionFailed = (error: unknown) => cosmosStatus(error) === 412;
/** True for 409 Conflict: a document with that id already exists. */
export const isConflict = (error: unknown) => cosmosStatus(error) === 409;
/** True for 404 Not Found. */
export const isNotFound = (error: unknown) => cosmosStatus(error) === 404;
/** True for 429 Too Many Requests. */
export const isThrottled = (error: unknown) => cosmosStatus(error) === 429;

/** The retry-after of a 429, in ms, from the SDK's fields or the `x-ms-retry-after-ms` header. */
export function retryAfterMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as {
    retryAfterInMs?: unknown;
    retryAfterInMilliseconds?: unknown;
    headers?: Record<string, unknown>;
  };
  for (const candidate of [
    e.retryAfterInMs,
    e.retryAfterInMilliseconds,
    e.headers?.['x-ms-retry-after-ms'],
  ]) {
    const value = typeof candidate === 'string' ? Number(candidate) : candidate;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * Runs one read-modify-write attempt, again and again while it fails with 412 (a concurrent writer changed
 * the document between our read and our If-Match write), with a short jittered backoff; after a 429 it waits
 * the server's retry-after. Each attempt must re-read the document. Any other error is rethrown at once.
 *
 * @param operation - name for the error when the retries run out
 * @param attempt - one full attempt (read, change, conditional write)
 * @throws {@link ConcurrencyExhaustedError} when 412s or 429s outlast the budget
 */
export async function withOptimisticRetry<T>(
  operation: string,
  attempt: (attemptNumber: number) => Promise<T>,
  options: OptimisticRetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const maxThrottleRetries = options.maxThrottleRetries ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 5;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  let conflicts = 0;
  let throttles = 0;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (isPreconditionFailed(error)) {
        conflicts += 1;
        if (conflicts >= maxAttempts) throw new ConcurrencyExhaustedError(operation, n, { cause: error });
        await sleep(Math.floor(random() * Math.min(200, baseDelayMs * 2 ** (conflicts - 1))));
      } else if (isThrottled(error)) {
        throttles += 1;
        if (throttles > maxThrottleRetries)
          throw new ConcurrencyExhaustedError(operation, n, { cause: error });
        await sleep(retryAfterMs(error) ?? options.defaultThrottleDelayMs ?? 100);
      } else {
        throw error;
      }
    }
  }
}

/** Runs a single Cosmos call, retrying only 429s after their retry-after (a 412 is rethrown as is). */
export function withThrottleRetry<T>(
  operation: string,
  call: () => Promise<T>,
  options: OptimisticRetryOptions = {},
): Promise<T> {
  return withOptimisticRetry(
    operation,
    async () => {
      try {
        return await call();
      } catch (error) {
        // Wrap a 412 so the optimistic loop does not retry a call that is not a read-modify-write.
        if (isPreconditionFailed(error)) throw new PassThrough(error);
        throw error;
      }
    },
    options,
  ).catch((error: unknown) => {
    throw error instanceof PassThrough ? error.inner : error;
  });
}

class PassThrough {
  constructor(readonly inner: unknown) {}
}
