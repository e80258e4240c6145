import { describe, expect, it } from 'vitest';
import {
  averageHandleSeconds,
  estimateWaitSeconds,
  estimateWaitsSeconds,
  naiveWaitSeconds,
  type WaitInputs,
} from './estimators.js';
import { isMassEvent, queueLevel, shouldPublishStatus } from './queue-levels.js';

const base: WaitInputs = {
  position: 1,
  staffedAgents: 2,
  freeAgents: 0,
  busyElapsedSeconds: [0, 0],
  recentHandleSeconds: [],
  defaultHandleSeconds: 300,
};

describe('estimators', () => {
  it('given no handled contacts, when averaging, then the default handle time is used', () => {
    expect(averageHandleSeconds(base)).toBe(300);
    expect(averageHandleSeconds({ ...base, recentHandleSeconds: [100, 200] })).toBe(150);
  });

  it('given position 3 and 2 staffed agents, when estimated naively, then position x AHT / agents', () => {
    expect(naiveWaitSeconds({ ...base, position: 3 })).toBe(450);
  });

  it('given a free agent, when the next customer is estimated, then they wait nothing', () => {
    expect(estimateWaitSeconds({ ...base, freeAgents: 1, busyElapsedSeconds: [0] })).toBe(0);
  });

  it('given fixed 300 s handle times and agents 250 s and 100 s into their calls, when estimated, then the first frees in 50 s', () => {
    const inputs = { ...base, busyElapsedSeconds: [250, 100], recentHandleSeconds: [300, 300, 300] };
    expect(estimateWaitSeconds(inputs)).toBe(50);
    expect(estimateWaitSeconds({ ...inputs, position: 2 })).toBe(200);
    expect(estimateWaitSeconds({ ...inputs, position: 3 })).toBe(350);
  });

  it('given the same inputs, when estimated twice, then the estimate is the same (pure)', () => {
    const inputs = { ...base, position: 5, recentHandleSeconds: [120, 300, 480, 200, 650] };
    expect(estimateWaitSeconds(inputs)).toBe(estimateWaitSeconds(inputs));
  });

  it('given nobody staffed, when estimated, then the naive figure stands in', () => {
    const inputs = { ...base, staffedAgents: 0, busyElapsedSeconds: [], position: 2 };
    expect(estimateWaitSeconds(inputs)).toBe(600);
  });
});

describe('queue levels', () => {
  it.each([
    [119, 49, false, 'normal'],
    [120, 0, false, 'high'],
    [0, 50, false, 'high'],
    [240, 0, false, 'critical'],
    [0, 100, false, 'critical'],
    [60, 0, true, 'high'],
    [0, 50, true, 'critical'],
  ] as const)('given wait %d s, depth %d, mass event %s, then %s', (wait, depth, mass, level) => {
    expect(queueLevel(wait, depth, mass)).toBe(level);
  });

  it('given 12 arrivals in the last 5 minutes after a quiet hour, when checked, then it is a mass event; steady traffic is not', () => {
    const now = 10_000_000;
    const quiet = [now - 3_000_000, now - 2_000_000];
    const spike = Array.from({ length: 12 }, (_, i) => now - i * 10_000);
    expect(isMassEvent([...quiet, ...spike], now)).toBe(true);
    const steady = Array.from({ length: 120 }, (_, i) => now - i * 30_000);
    expect(isMassEvent(steady, now)).toBe(false);
  });

  it('given the last publication, when deciding, then publish on a level change or after the interval only', () => {
    expect(shouldPublishStatus(undefined, 'normal', 0, 10_000)).toBe(true);
    expect(shouldPublishStatus({ level: 'normal', publishedAt: 0 }, 'high', 1, 10_000)).toBe(true);
    expect(shouldPublishStatus({ level: 'normal', publishedAt: 0 }, 'normal', 9_999, 10_000)).toBe(false);
    expect(shouldPublishStatus({ level: 'normal', publishedAt: 0 }, 'normal', 10_000, 10_000)).toBe(true);
  });
});

describe('estimateWaitsSeconds', () => {
  it('given a queue, when every position is estimated at once, then the free agent waits nothing, waits grow with position and the last is the single estimate', () => {
    const inputs = {
      ...base,
      freeAgents: 1,
      busyElapsedSeconds: [30, 200, 90],
      recentHandleSeconds: [120, 300, 480, 200, 650],
    };
    const all = estimateWaitsSeconds(inputs, 8);
    expect(all).toHaveLength(8);
    expect(all[0]).toBe(0);
    expect(all[1]).toBeGreaterThan(0);
    expect([...all].sort((a, b) => a - b)).toEqual(all);
    expect(all[7]).toBe(estimateWaitSeconds({ ...inputs, position: 8 }));
  });
});
