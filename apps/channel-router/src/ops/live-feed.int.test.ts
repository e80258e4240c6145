import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LiveFeed, type LiveFeedMessage, RedisFeedRelay } from './live-feed.js';

// Two router replicas, each with its own feed and Redis connection; a dashboard is connected to one of them.
const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const feeds: LiveFeed[] = [];

afterAll(async () => {
  await Promise.all(feeds.map((feed) => feed.close()));
});

async function replica(channel: string): Promise<LiveFeed> {
  const feed = new LiveFeed({ relay: new RedisFeedRelay(new Redis(url), channel) });
  await feed.start();
  feeds.push(feed);
  return feed;
}

describe('LiveFeed across router replicas', () => {
  it('given a dashboard on replica B, when replica A handles a handoff, then B streams it exactly once, and A its own once', async () => {
    const channel = `test:live-feed:${randomUUID()}`;
    const [a, b] = [await replica(channel), await replica(channel)];
    const onA: LiveFeedMessage[] = [];
    const onB: LiveFeedMessage[] = [];
    a.subscribe((message) => onA.push(message));
    b.subscribe((message) => onB.push(message));
    a.publish('handoff', { handoffId: 'ho_1', status: 'dispatched' });
    b.publish('queue', { queue: 'general', depth: 3 });
    await vi.waitFor(() => expect(onB).toHaveLength(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(onA).toHaveLength(2), { timeout: 10_000 });
    expect(onB.map((m) => m.kind).sort()).toEqual(['handoff', 'queue']);
    expect(onA.map((m) => m.kind).sort()).toEqual(['handoff', 'queue']);
    expect(onB.find((m) => m.kind === 'handoff')?.data).toEqual({ handoffId: 'ho_1', status: 'dispatched' });
  });

  it('given no relay (the single-process sandbox), then the feed is this process only', async () => {
    const feed = new LiveFeed();
    await feed.start();
    const seen: LiveFeedMessage[] = [];
    feed.subscribe((message) => seen.push(message));
    feed.publish('assignment', { agentId: 'a1' });
    expect(seen).toEqual([{ kind: 'assignment', data: { agentId: 'a1' } }]);
  });
});
