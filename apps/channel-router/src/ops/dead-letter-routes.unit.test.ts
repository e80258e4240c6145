import type { DeadLetterSummary, RedriveResult, RedriveSelection } from '@omni/messaging';
import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadLetterRoutes } from './dead-letter-routes.js';

const ENTITY = 'handoff-events/Subscriptions/channel-router';

/** Dead-letter queues in memory: what the routes ask for, recorded. */
class MemoryDeadLetters {
  readonly entities = [ENTITY, 'escalations'];
  readonly redrives: { entity: string; selection: RedriveSelection }[] = [];
  async list(entity: string): Promise<DeadLetterSummary[]> {
    return entity !== ENTITY
      ? []
      : [
          {
            entity,
            sequenceNumber: '3',
            messageId: 'evt-1',
            eventType: 'handoff.requested',
            reason: 'MaxAttemptsExceeded',
            description: 'gave up',
            enqueuedAt: '2026-12-02T10:00:00.000Z',
            ageSeconds: 90,
          },
        ];
  }
  async redrive(entity: string, selection: RedriveSelection): Promise<RedriveResult> {
    this.redrives.push({ entity, selection });
    return { entity, redriven: 1, tooRecent: 0, retryAfterSeconds: null };
  }
}

let app: FastifyInstance;
let queues: MemoryDeadLetters;

beforeEach(async () => {
  queues = new MemoryDeadLetters();
  app = createServiceApp({ service: 'channel-router', defaultMetrics: false });
  app.register(deadLetterRoutes, { prefix: '/api', deadLetters: queues });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

const redrive = (payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/dead-letters/redrive', payload });

describe('dead-letter routes', () => {
  it('given dead letters, when listed, then each entity comes with its count and summaries', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/dead-letters' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      entities: [
        { entity: ENTITY, count: 1, messages: [{ messageId: 'evt-1', reason: 'MaxAttemptsExceeded' }] },
        { entity: 'escalations', count: 0, messages: [] },
      ],
    });
  });

  it.each([
    [{ entity: ENTITY, messageIds: ['evt-1'] }, { messageIds: ['evt-1'] }],
    [{ entity: ENTITY, reason: 'MaxAttemptsExceeded' }, { reason: 'MaxAttemptsExceeded' }],
    [{ entity: ENTITY, all: true }, { all: true }],
  ])(
    'given %j, when redriving, then the queues redrive that selection and the counts come back',
    async (body, selection) => {
      const response = await redrive(body);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ entity: ENTITY, redriven: 1, tooRecent: 0, retryAfterSeconds: null });
      expect(queues.redrives).toEqual([{ entity: ENTITY, selection }]);
    },
  );

  it.each([
    [{ entity: ENTITY }],
    [{ entity: ENTITY, all: true, reason: 'x' }],
    [{ entity: ENTITY, all: false }],
    [{ entity: ENTITY, messageIds: [] }],
    [{ messageIds: ['evt-1'] }],
    [{ entity: ENTITY, all: true, extra: 1 }],
  ])('given %j, when redriving, then 400 problem+json and nothing is redriven', async (body) => {
    const response = await redrive(body);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(queues.redrives).toEqual([]);
  });

  it('given an unknown entity, when redriving, then 404', async () => {
    const response = await redrive({ entity: 'nope', all: true });
    expect(response.statusCode).toBe(404);
    expect(queues.redrives).toEqual([]);
  });
});
