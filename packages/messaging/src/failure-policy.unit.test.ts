import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  DEFAULT_RETRY_POLICY,
  decideFailure,
  exponentialBackoff,
  holdMs,
  PermanentError,
  type RetryPolicy,
  scheduledBackoff,
} from './failure-policy.js';

const policy: RetryPolicy = { maxAttempts: 3, backoffMs: (n) => n * 100 };

/** An error as SDKs shape them: a status or code property, maybe a cause. */
function sdkError(props: Record<string, unknown>, message = 'failed'): Error {
  return Object.assign(new Error(message), props);
}

describe('decideFailure', () => {
  it('given a transient error on the first attempt, then retry after the first backoff', () => {
    expect(decideFailure(sdkError({ code: 'ECONNREFUSED' }), 1, policy)).toEqual({
      kind: 'retry',
      delayMs: 100,
      failure: 'transient',
    });
  });

  it('given an unknown error, then it is retried like a transient one (at least once beats lost)', () => {
    expect(decideFailure(new Error('timeout'), 1, policy)).toMatchObject({
      kind: 'retry',
      failure: 'unknown',
    });
  });

  it('given a transient error on the last allowed attempt, then dead-letter with MaxAttemptsExceeded and the error', () => {
    expect(decideFailure(new Error('cosmos 503'), 3, policy)).toEqual({
      kind: 'dead-letter',
      reason: 'MaxAttemptsExceeded',
      description: 'failed 3 times; last error: cosmos 503',
    });
  });

  it('given a permanent error on the first attempt, then dead-letter at once with its reason', () => {
    expect(decideFailure(new PermanentError('CustomerNotFound', 'no customer cust_1'), 1, policy)).toEqual({
      kind: 'dead-letter',
      reason: 'CustomerNotFound',
      description: 'no customer cust_1',
    });
  });

  it('given an HTTP 400 refusal on the first attempt, then dead-letter at once as PermanentFailure', () => {
    expect(decideFailure(sdkError({ status: '400' }, 'ACS refused the message'), 1, policy)).toEqual({
      kind: 'dead-letter',
      reason: 'PermanentFailure',
      description: 'ACS refused the message',
    });
  });

  it('given a huge error message, then the description is bounded', () => {
    const outcome = decideFailure(new Error('x'.repeat(10_000)), 3, policy);
    expect(outcome.kind === 'dead-letter' && outcome.description.length).toBeLessThanOrEqual(1_100);
  });
});

describe('classifyFailure', () => {
  it.each([
    ['a refused connection', sdkError({ code: 'ECONNREFUSED' })],
    ['a reset connection', sdkError({ code: 'ECONNRESET' })],
    ['a timeout', Object.assign(new Error('t'), { name: 'TimeoutError' })],
    ['HTTP 429', sdkError({ statusCode: 429 })],
    ['HTTP 503 (Cosmos code)', sdkError({ code: 503 })],
    ['HTTP 500 as a string status', sdkError({ status: '500' })],
    ['Service Bus busy', sdkError({ code: 'ServiceBusy' })],
    ['HTTP 404 (another event may create it)', sdkError({ statusCode: 404 })],
    ['HTTP 412 (a concurrent write)', sdkError({ code: 412 })],
    [
      'a wrapped refused connection',
      new Error('fetch failed', { cause: sdkError({ code: 'ECONNREFUSED' }) }),
    ],
  ])('given %s, then transient', (_name, error) => {
    expect(classifyFailure(error)).toBe('transient');
  });

  it.each([
    ['a PermanentError', new PermanentError('X', 'x')],
    ['HTTP 400', sdkError({ status: '400' })],
    ['HTTP 401', sdkError({ statusCode: 401 })],
    ['HTTP 403', sdkError({ statusCode: 403 })],
    ['HTTP 413', sdkError({ statusCode: 413 })],
    ['a schema error', Object.assign(new Error('bad'), { name: 'ZodError' })],
    ['an invalid event to publish', Object.assign(new Error('bad'), { name: 'InvalidEventError' })],
  ])('given %s, then permanent', (_name, error) => {
    expect(classifyFailure(error)).toBe('permanent');
  });

  it('given a plain error or a non-error, then unknown', () => {
    expect(classifyFailure(new Error('something'))).toBe('unknown');
    expect(classifyFailure('boom')).toBe('unknown');
    expect(classifyFailure(undefined)).toBe('unknown');
  });
});

describe('DEFAULT_RETRY_POLICY', () => {
  it('spans well over a 60 s outage before giving up: waits of 1 s, 5 s, 30 s, 2 min, then 10 min', () => {
    const atMost = scheduledBackoff(undefined, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(atMost)).toEqual([1_000, 5_000, 30_000, 120_000, 600_000, 600_000]);
    const atLeast = scheduledBackoff(undefined, () => 0);
    let waited = 0;
    for (let retry = 1; retry < DEFAULT_RETRY_POLICY.maxAttempts; retry++) waited += atLeast(retry);
    expect(waited).toBeGreaterThan(10 * 60_000);
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeLessThan(10);
  });
});

describe('exponentialBackoff', () => {
  it('doubles up to the cap (with the jitter at its maximum)', () => {
    const backoff = exponentialBackoff(100, 1_000, () => 1);
    expect([1, 2, 3, 4, 5].map(backoff)).toEqual([100, 200, 400, 800, 1_000]);
  });
  it('never exceeds the cap and never goes below 0 with jitter', () => {
    const backoff = exponentialBackoff(100, 1_000, () => 0);
    expect(backoff(10)).toBe(0);
  });
});

describe('holdMs', () => {
  const limits = { renewalMs: 5 * 60_000, lockMs: 60_000, now: 0 };
  it('given a short wait, then the message is held that long', () => {
    expect(holdMs(5_000, limits)).toBe(5_000);
  });
  it('given a wait past the lock renewal window, then the hold ends a lock duration before the window does', () => {
    expect(holdMs(600_000, limits)).toBe(4 * 60_000);
  });
  it('given a message that expires sooner, then the hold ends before it expires', () => {
    expect(holdMs(120_000, { ...limits, expiresAtMs: 31_000 })).toBe(30_000);
    expect(holdMs(120_000, { ...limits, expiresAtMs: 0 })).toBe(0);
  });
});
