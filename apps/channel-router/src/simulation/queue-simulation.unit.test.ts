import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, maeOf, seededRandom, simulateQueue } from './queue-simulation.js';

describe('queue simulation', () => {
  it('given the default scenario, when simulated, then the rolling estimator errs at least 30 % less than the naive one', () => {
    const report = simulateQueue(DEFAULT_SCENARIO);
    expect(report.customers).toBeGreaterThan(400);
    expect(maeOf(report, 'rolling')).toBeLessThanOrEqual(0.7 * maeOf(report, 'naive'));
  });

  it('given the same seed, when simulated twice, then the reports are identical', () => {
    expect(simulateQueue(DEFAULT_SCENARIO)).toEqual(simulateQueue(DEFAULT_SCENARIO));
  });

  it('given a seed, when drawing, then the numbers are in [0, 1) and repeatable', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 100 }, () => a());
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 100 }, () => b())).toEqual(draws);
  });

  it('given agents free for everyone, when simulated, then nobody waits and both estimators are scored', () => {
    const report = simulateQueue({
      ...DEFAULT_SCENARIO,
      arrivals: [{ fromSeconds: 0, perMinute: 0.1 }],
      staffing: [{ fromSeconds: 0, agents: 50 }],
    });
    expect(report.meanWaitSeconds).toBe(0);
    expect(maeOf(report, 'rolling')).toBe(0);
    expect(maeOf(report, 'naive')).toBeGreaterThan(0);
  });
});
