import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventGridDeliverer, type EventGridEvent, retryAfterMs } from './event-grid.js';

let webhook: FastifyInstance;
let url: string;
/** What the webhook answers next: a status and optional headers (then 200). */
const answers: { status: number; headers?: Record<string, string> }[] = [];
const received: string[] = [];

beforeAll(async () => {
  webhook = Fastify();
  webhook.post('/events', async (request, reply) => {
    const [event] = request.body as EventGridEvent[];
    received.push(event?.id ?? '');
    const answer = answers.shift() ?? { status: 200 };
    return reply
      .status(answer.status)
      .headers(answer.headers ?? {})
      .send();
  });
  url = `${await webhook.listen({ host: '127.0.0.1', port: 0 })}/events`;
});
afterAll(async () => {
  await webhook.close();
});
beforeEach(() => {
  answers.length = 0;
  received.length = 0;
});

function event(id: string): EventGridEvent {
  return {
    id,
    topic: '/subscriptions/x',
    subject: 's',
    data: {},
    eventType: 'Test',
    dataVersion: '1.0',
    metadataVersion: '1',
    eventTime: new Date().toISOString(),
  };
}

/** A deliverer whose waits are recorded, not taken. */
function deliverer() {
  const waits: number[] = [];
  const instance = new EventGridDeliverer(
    { maxAttempts: 5, backoffMs: [10, 20, 40, 80], timeoutMs: 2_000, maxRetryAfterMs: 5_000 },
    'test',
    async (ms) => {
      waits.push(ms);
    },
  );
  return { instance, waits };
}

describe('EventGridDeliverer retries as Event Grid does', () => {
  it.each([400, 401, 403, 413])('given %i, then the event is not retried', async (status) => {
    const { instance } = deliverer();
    answers.push({ status });
    const result = await instance.deliver({ url }, event(`e-${status}`));
    expect(result).toMatchObject({ delivered: false, status, attempts: 1 });
  });

  it.each([404, 408, 429, 500, 503])(
    'given %i, then the event is retried until it is taken',
    async (status) => {
      const { instance, waits } = deliverer();
      answers.push({ status }, { status });
      const result = await instance.deliver({ url }, event(`e-${status}`));
      expect(result).toMatchObject({ delivered: true, status: 200, attempts: 3 });
      // Exponential backoff.
      expect(waits).toEqual([10, 20]);
    },
  );

  it('given Retry-After on a 503 or 429, then the next try waits at least that long (up to the cap)', async () => {
    const { instance, waits } = deliverer();
    answers.push(
      { status: 503, headers: { 'retry-after': '2' } },
      { status: 429, headers: { 'retry-after': '60' } },
    );
    const result = await instance.deliver({ url }, event('e-retry-after'));
    expect(result).toMatchObject({ delivered: true, attempts: 3 });
    expect(waits).toEqual([2_000, 5_000]);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3_000);
    expect(retryAfterMs(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('given held deliveries, when released in reverse, then the webhook gets them in reverse order', async () => {
    const { instance } = deliverer();
    instance.hold();
    const first = await instance.deliver({ url }, event('first'));
    await instance.deliver({ url }, event('second'));
    expect(first).toMatchObject({ delivered: false, attempts: 0 });
    expect(received).toEqual([]);
    const results = await instance.release('reverse');
    expect(received).toEqual(['second', 'first']);
    expect(results.map((r) => r.delivered)).toEqual([true, true]);
    // Delivering normally again.
    await instance.deliver({ url }, event('third'));
    expect(received).toEqual(['second', 'first', 'third']);
  });
});
