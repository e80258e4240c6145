import { describe, expect, it } from 'vitest';
import { ConcurrencyExhaustedError } from './errors.js';
import { retryAfterMs, withOptimisticRetry, withThrottleRetry } from './retry.js';

const cosmosError = (code: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`status ${code}`), { code, ...extra });

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('withOptimisticRetry', () => {
  it('given a 412 on the first two attempts, when retried, then the third attempt result is returned', async () => {
    const { sleep } = recordingSleep();
    let calls = 0;
    const result = await withOptimisticRetry(
      'op',
      async () => {
        calls += 1;
        if (calls < 3) throw cosmosError(412);
        return 'ok';
      },
      { sleep },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('given a 429 with retryAfterInMs, when retried, then it waits exactly the retry-after before the next attempt', async () => {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    const result = await withOptimisticRetry(
      'op',
      async () => {
        calls += 1;
        if (calls === 1) throw cosmosError(429, { retryAfterInMs: 750 });
        return calls;
      },
      { sleep },
    );
    expect(result).toBe(2);
    expect(waits).toEqual([750]);
  });

  it('given a 429 carrying only the x-ms-retry-after-ms header, when read, then the header value is used', () => {
    expect(retryAfterMs(cosmosError(429, { headers: { 'x-ms-retry-after-ms': '120' } }))).toBe(120);
  });

  it('given 412 on every attempt, when the budget runs out, then ConcurrencyExhausted is thrown after maxAttempts', async () => {
    const { sleep } = recordingSleep();
    let calls = 0;
    const run = withOptimisticRetry(
      'update customer',
      async () => {
        calls += 1;
        throw cosmosError(412);
      },
      { sleep, maxAttempts: 4 },
    );
    await expect(run).rejects.toBeInstanceOf(ConcurrencyExhaustedError);
    expect(calls).toBe(4);
  });

  it('given endless 429s, when throttle retries run out, then ConcurrencyExhausted is thrown', async () => {
    const { sleep, waits } = recordingSleep();
    const run = withOptimisticRetry(
      'op',
      async () => {
        throw cosmosError(429, { retryAfterInMs: 10 });
      },
      { sleep, maxThrottleRetries: 2 },
    );
    await expect(run).rejects.toBeInstanceOf(ConcurrencyExhaustedError);
    expect(waits).toEqual([10, 10]);
  });

  it('given a 404, when attempted, then it is rethrown at once without retrying', async () => {
    let calls = 0;
    const run = withOptimisticRetry('op', async () => {
      calls += 1;
      throw cosmosError(404);
    });
    await expect(run).rejects.toMatchObject({ code: 404 });
    expect(calls).toBe(1);
  });
});

describe('withThrottleRetry', () => {
  it('given a single call failing with 412, when run, then the 412 is rethrown unretried', async () => {
    let calls = 0;
    const run = withThrottleRetry('create', async () => {
      calls += 1;
      throw cosmosError(412);
    });
    await expect(run).rejects.toMatchObject({ code: 412 });
    expect(calls).toBe(1);
  });

  it('given a call throttled once, when run, then it is retried after the retry-after', async () => {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    const result = await withThrottleRetry(
      'create',
      async () => {
        calls += 1;
        if (calls === 1) throw cosmosError(429, { retryAfterInMilliseconds: 33 });
        return 'created';
      },
      { sleep },
    );
    expect(result).toBe('created');
    expect(waits).toEqual([33]);
  });
});
