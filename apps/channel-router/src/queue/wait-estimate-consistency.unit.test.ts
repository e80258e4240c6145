import type { OmniEvent } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { harness, queued, T0 } from '../test-support/queue-harness.js';
import { MemoryQueueState } from './queue-state.js';

/** The wait the channels quote: the newest `queue.status.changed` the router published for the queue. */
function lastPublished(published: OmniEvent[]) {
  const statuses = published.flatMap((e) => (e.type === 'queue.status.changed' ? [e.data] : []));
  return statuses.at(-1);
}

const minutes = (seconds: number) => (seconds < 60 ? 0 : Math.round(seconds / 60));

/**
 * Finding 4 of issue #18: the phone quoted "about 10 minutes" while the ops console showed 55 min for the same
 * queue. The console reads the monitor's status; the channels quote the last `queue.status.changed`, which was
 * only re-published on a level change or every interval. One estimate: whenever the quoted figure would change,
 * the router publishes it, with the time it was computed (`at`).
 */
describe('one wait estimate for the ops console and the channels', () => {
  it('given callers arriving in a burst at one level, when the estimate grows, then the published estimate (what the phone quotes) matches the console to the minute, at every step', async () => {
    const state = new MemoryQueueState();
    const h = harness(state, { waitThresholdSeconds: 1e6 });
    await h.monitor.applyAgent('a1', 'available', ['billing'], T0);
    for (let i = 1; i <= 12; i++) {
      await h.monitor.handle(queued(`c${i}`, T0 + i));
      const console = await h.monitor.status('billing');
      const quoted = lastPublished(h.published);
      expect(quoted, `after ${i} calls`).toBeDefined();
      expect(minutes(quoted?.estimatedWaitSeconds ?? -1), `after ${i} calls`).toBe(
        minutes(console.estimatedWaitSeconds),
      );
      expect(quoted?.at).toBe(console.at);
    }
  });
});
