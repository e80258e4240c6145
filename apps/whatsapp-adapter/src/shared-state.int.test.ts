import { randomUUID } from 'node:crypto';
import { createEvent } from '@omni/contracts';
import { QueueStatusView } from '@omni/messaging';
import { connectSharedRedis } from '@omni/service-kit';
import { afterAll, describe, expect, it } from 'vitest';

// Three replicas share one `queue-status` subscription (competing consumers): each snapshot reaches one of
// them. Through Redis the others see it too, on their next read after `refreshMs`.
const redis = connectSharedRedis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const key = `test:queue-status:${randomUUID()}`;

afterAll(async () => {
  await redis.del(key);
  await redis.quit();
});

function status(depth: number, at: string) {
  return createEvent(
    'queue.status.changed',
    {
      queue: 'general',
      depth,
      longestWaitSeconds: depth * 10,
      estimatedWaitSeconds: depth * 30,
      availableAgents: 1,
      level: depth > 50 ? 'critical' : 'normal',
      massEvent: false,
      at,
    },
    { source: '/apps/channel-router', correlationId: 'queue-general' },
  );
}

describe('QueueStatusView shared by replicas', () => {
  it('given a snapshot delivered to replica A only, then B and C answer it to the agent; an older one delivered later to C changes nothing', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const [a, b, c] = [0, 1, 2].map(() => new QueueStatusView({ redis, key, refreshMs: 1_000, clock }));
    await a?.handle(status(80, '2026-12-02T21:00:05.000Z'));
    expect((await b?.portFor('general')())?.depth).toBe(80);
    await c?.handle(status(10, '2026-12-02T21:00:01.000Z'));
    now += 1_000;
    expect((await c?.portFor('general')())?.depth).toBe(80);
    // Without Redis each replica knows only what it received (the bug this fixes).
    const alone = new QueueStatusView();
    expect((await alone.portFor('general')()).depth).toBe(0);
  });
});
