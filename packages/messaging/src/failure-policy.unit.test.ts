import { describe, expect, it } from 'vitest';
import { decideFailure, exponentialBackoff, PermanentError, type RetryPolicy } from './failure-policy.js';

const policy: RetryPolicy = { maxAttempts: 3, backoffMs: (n) => n * 100 };

describe('decideFailure', () => {
  it('given a transient error on the first attempt, then retry after the first backoff', () => {
    expect(decideFailure(new Error('timeout'), 1, policy)).toEqual({ kind: 'retry', delayMs: 100 });
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

  it('given a huge error message, then the description is bounded', () => {
    const outcome = decideFailure(new Error('x'.repeat(10_000)), 3, policy);
    expect(outcome.kind === 'dead-letter' && outcome.description.length).toBeLessThanOrEqual(1_100);
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
