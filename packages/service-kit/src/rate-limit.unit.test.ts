import { describe, expect, it } from 'vitest';
import { SenderRateLimiter, takeToken } from './rate-limit.js';

const ALICE = 'phone:+14255550123';
const BOB = 'phone:+447911123456';
const T0 = Date.parse('2025-03-01T09:00:00Z');

describe('SenderRateLimiter', () => {
  it('given a burst of 3, when 3 messages arrive at once, then all are allowed and the 4th is not', () => {
    const limiter = new SenderRateLimiter({ burst: 3, perMinute: 6 });
    expect([1, 2, 3].map(() => limiter.check(ALICE, T0).allowed)).toEqual([true, true, true]);
    expect(limiter.check(ALICE, T0).allowed).toBe(false);
  });

  it('given a throttled burst, when more messages arrive, then only the first rejection is flagged (one polite reply)', () => {
    const limiter = new SenderRateLimiter({ burst: 2, perMinute: 6 });
    limiter.check(ALICE, T0);
    limiter.check(ALICE, T0);
    const rejections = [1, 2, 3, 4].map(() => limiter.check(ALICE, T0 + 1));
    expect(rejections.map((d) => (d.allowed ? 'allowed' : d.firstRejection))).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it('given a new throttled burst after the sender was allowed again, when rejected, then it is flagged first again', () => {
    const limiter = new SenderRateLimiter({ burst: 1, perMinute: 6 }); // one token per 10 s
    limiter.check(ALICE, T0);
    expect(limiter.check(ALICE, T0)).toMatchObject({ allowed: false, firstRejection: true });
    expect(limiter.check(ALICE, T0 + 10_000)).toEqual({ allowed: true });
    expect(limiter.check(ALICE, T0 + 10_001)).toMatchObject({ allowed: false, firstRejection: true });
  });

  it('given tokens refill at the configured rate, when not enough time passed, then still throttled', () => {
    const limiter = new SenderRateLimiter({ burst: 1, perMinute: 6 });
    limiter.check(ALICE, T0);
    const decision = limiter.check(ALICE, T0 + 9_000);
    expect(decision).toMatchObject({ allowed: false, retryAfterMs: 1_000 });
  });

  it('given one noisy sender, when another sender writes, then the other is not throttled', () => {
    const limiter = new SenderRateLimiter({ burst: 1, perMinute: 1 });
    limiter.check(ALICE, T0);
    expect(limiter.check(ALICE, T0).allowed).toBe(false);
    expect(limiter.check(BOB, T0).allowed).toBe(true);
  });

  it('given a long idle period, when checked, then tokens never exceed the burst', () => {
    const limiter = new SenderRateLimiter({ burst: 2, perMinute: 60 });
    limiter.check(ALICE, T0);
    const later = T0 + 60 * 60_000;
    expect([1, 2, 3].map(() => limiter.check(ALICE, later).allowed)).toEqual([true, true, false]);
  });

  it('given a clock that goes backwards, when checked, then no tokens are minted', () => {
    const limiter = new SenderRateLimiter({ burst: 1, perMinute: 6 });
    limiter.check(ALICE, T0);
    expect(limiter.check(ALICE, T0 - 60_000).allowed).toBe(false);
  });

  it('given refilled buckets, when pruned, then idle senders are forgotten and throttled ones kept', () => {
    const limiter = new SenderRateLimiter({ burst: 1, perMinute: 6 });
    limiter.check(ALICE, T0);
    limiter.check(BOB, T0 + 9_000);
    limiter.prune(T0 + 10_000);
    expect(limiter.size).toBe(1);
  });

  it('given an invalid config, when constructed, then it throws', () => {
    expect(() => new SenderRateLimiter({ burst: 0, perMinute: 6 })).toThrow(RangeError);
    expect(() => new SenderRateLimiter({ burst: 1, perMinute: 0 })).toThrow(RangeError);
  });

  it('given the pure step, when used directly, then it returns the next state without mutating the old one', () => {
    const config = { burst: 1, perMinute: 6 };
    const first = takeToken(undefined, T0, config);
    const frozen = Object.freeze({ ...first.state });
    const second = takeToken(frozen, T0, config);
    expect(second.decision.allowed).toBe(false);
    expect(frozen.notified).toBe(false);
    expect(second.state.notified).toBe(true);
  });
});
