import { createEvent } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { QueueStatusView } from './queue-status-view.js';

function snapshot(queue: string, at: string, depth: number, level: 'normal' | 'high' | 'critical' = 'high') {
  return createEvent(
    'queue.status.changed',
    {
      queue,
      depth,
      longestWaitSeconds: depth * 10,
      estimatedWaitSeconds: depth * 6,
      availableAgents: 1,
      level,
      massEvent: false,
      at,
    },
    { source: '/apps/channel-router', correlationId: `${queue}-${at}` },
  );
}

describe('QueueStatusView', () => {
  it('given nothing received, when read, then the queue is normal and empty', async () => {
    const view = new QueueStatusView();
    expect(await view.portFor('support')()).toMatchObject({
      queue: 'support',
      depth: 0,
      estimatedWaitSeconds: 0,
      level: 'normal',
    });
  });

  it('given a snapshot, when read, then its values are returned for that queue only', async () => {
    const view = new QueueStatusView();
    await view.handle(snapshot('support', '2026-01-01T10:00:00.000Z', 60));
    expect(view.statusOf('support')).toMatchObject({ depth: 60, estimatedWaitSeconds: 360, level: 'high' });
    expect(view.statusOf('billing').level).toBe('normal');
  });

  it('given a newer snapshot held, when an older one arrives late, then it is ignored', async () => {
    const view = new QueueStatusView();
    await view.handle(snapshot('support', '2026-01-01T10:00:05.000Z', 3, 'normal'));
    expect(view.apply(snapshot('support', '2026-01-01T10:00:00.000Z', 80, 'critical'))).toBe(false);
    expect(view.statusOf('support')).toMatchObject({ depth: 3, level: 'normal' });
    expect(view.apply(snapshot('support', '2026-01-01T10:00:09.000Z', 70, 'critical'))).toBe(true);
    expect(view.statusOf('support')).toMatchObject({ depth: 70, level: 'critical' });
  });

  it('given another event type, when handled, then the view is unchanged', async () => {
    const view = new QueueStatusView();
    const other = createEvent(
      'call.abandoned',
      {
        callId: 'c1',
        customerId: 'cust_01HZY3K7Q8M2N4P6R8T0V2W4X6',
        queue: 'support',
        abandonedAt: '2026-01-01T10:00:00.000Z',
        waitSeconds: 1,
      },
      { source: '/apps/voice-adapter', correlationId: 'c1' },
    );
    expect(view.apply(other)).toBe(false);
    expect(view.statusOf('support').depth).toBe(0);
  });
});
