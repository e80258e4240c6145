import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp } from './app.js';
import { badRequest, unauthorized } from './problem.js';

const apps: ReturnType<typeof createServiceApp>[] = [];
function build(options: Partial<Parameters<typeof createServiceApp>[0]> = {}) {
  const app = createServiceApp({ service: 'test-svc', defaultMetrics: false, ...options });
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('health endpoints', () => {
  it('given a service, when /healthz is called, then it answers 200 without running dependency checks', async () => {
    const app = build();
    let checked = false;
    app.readiness.register('cosmos', async () => {
      checked = true;
    });
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', service: 'test-svc' });
    expect(checked).toBe(false);
  });

  it('given passing checks, when /readyz is called, then it answers 200 listing each check', async () => {
    const app = build();
    app.readiness.register('cosmos', async () => {});
    app.readiness.register('servicebus', async () => true);
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json().checks)).toEqual(['cosmos', 'servicebus']);
  });

  it('given a check that resolves a note, when /readyz is called, then it is ready and the note is reported', async () => {
    const app = build();
    app.readiness.register('cosmos', async () => {});
    app.readiness.register('whatsapp-channel', async () => 'WhatsApp not registered');
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json().checks['whatsapp-channel']).toMatchObject({
      ok: true,
      note: 'WhatsApp not registered',
    });
    expect(res.json().checks.cosmos.note).toBeUndefined();
  });

  it('given a failing, a false and a hanging check, when /readyz is called, then 503 names each failing dependency', async () => {
    const app = build();
    app.readiness.register('cosmos', async () => {});
    app.readiness.register('servicebus', async () => {
      throw new Error('connection refused');
    });
    app.readiness.register('redis', async () => false);
    app.readiness.register('foundry', () => new Promise(() => {}), { timeoutMs: 50 });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body.detail).toContain('servicebus (connection refused)');
    expect(body.detail).toContain('redis (reported not ready)');
    expect(body.detail).toContain('foundry (timed out after 50 ms)');
    expect(body.detail).not.toContain('cosmos');
    expect(body.checks.cosmos.ok).toBe(true);
  });
});

describe('metrics', () => {
  it('given a served request, when /metrics is scraped, then the latency histogram has the route pattern, not the raw url', async () => {
    const app = build();
    app.get('/api/customers/:id', async () => ({ ok: true }));
    await app.inject('/api/customers/cust_123');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/api\/customers\/:id"[^}]*status_code="200"[^}]*\} 1/,
    );
    expect(res.body).not.toContain('cust_123');
  });

  it('given default metrics on, when scraped, then process metrics are present', async () => {
    const app = build({ defaultMetrics: true });
    const res = await app.inject('/metrics');
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });
});

describe('problem+json errors', () => {
  it('given an unknown route, then 404 problem+json with the path and request id', async () => {
    const app = build();
    const res = await app.inject('/nope?code=secret');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const body = res.json();
    expect(body).toMatchObject({ status: 404, title: 'Not Found', instance: '/nope' });
    expect(body.requestId).toBe(res.headers['x-request-id']);
    expect(JSON.stringify(body)).not.toContain('secret');
  });

  it('given a body failing a zod schema, then 400 lists each field path', async () => {
    const app = build();
    const schema = z.object({ customer: z.object({ phone: z.string(), age: z.number() }) });
    app.post('/x', async (req) => schema.parse(req.body));
    const res = await app.inject({ method: 'POST', url: '/x', payload: { customer: { phone: 1 } } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'customer.age',
      'customer.phone',
    ]);
    expect(body.detail).toMatch(/^customer\.(phone|age): .+\(and 1 more\)$/);
  });

  it('given malformed JSON, then 400 saying so', async () => {
    const app = build();
    app.post('/x', async () => ({}));
    const res = await app.inject({
      method: 'POST',
      url: '/x',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('The request body is not valid JSON.');
  });

  it('given a body over the limit, then 413', async () => {
    const app = build({ bodyLimit: 100 });
    app.post('/x', async () => ({}));
    const res = await app.inject({ method: 'POST', url: '/x', payload: { big: 'x'.repeat(500) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().title).toBe('Payload Too Large');
  });

  it('given an unsupported content type, then 415', async () => {
    const app = build();
    app.post('/x', async () => ({}));
    const res = await app.inject({
      method: 'POST',
      url: '/x',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(res.statusCode).toBe(415);
  });

  it('given a thrown HttpProblem, then its status, detail and headers are sent', async () => {
    const app = build();
    app.get('/auth', async () => {
      throw unauthorized('missing or invalid credentials');
    });
    app.get('/bad', async () => {
      throw badRequest('to: not a phone number', [{ path: 'to', message: 'not a phone number' }]);
    });
    const res = await app.inject('/auth');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json().detail).toBe('missing or invalid credentials');
    const bad = await app.inject('/bad');
    expect(bad.json().errors).toEqual([{ path: 'to', message: 'not a phone number' }]);
  });

  it('given an unexpected error, then 500 reveals neither message nor stack', async () => {
    const app = build();
    app.get('/boom', async () => {
      throw new Error('db password is hunter2');
    });
    const res = await app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('at ');
    expect(res.json()).toMatchObject({ status: 500, title: 'Internal Server Error' });
  });

  it('given exposeErrors in development, then the 500 shows the message but still no stack', async () => {
    const app = build({ exposeErrors: true });
    app.get('/boom', async () => {
      throw new Error('cosmos unreachable');
    });
    const res = await app.inject('/boom');
    expect(res.json().detail).toBe('cosmos unreachable');
    expect(res.body).not.toContain('app.unit.test');
  });
});

describe('request and correlation ids', () => {
  it('given no id headers, then a request id is generated and used as correlation id', async () => {
    const app = build();
    const res = await app.inject('/healthz');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-correlation-id']).toBe(res.headers['x-request-id']);
  });

  it('given incoming ids, then they are echoed; an unsafe one is replaced', async () => {
    const app = build();
    app.get('/corr', async (req) => ({ correlationId: req.correlationId }));
    const res = await app.inject({
      url: '/corr',
      headers: { 'x-request-id': 'req-1', 'x-correlation-id': 'corr-9' },
    });
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(res.json().correlationId).toBe('corr-9');
    const unsafe = await app.inject({ url: '/corr', headers: { 'x-correlation-id': 'a\nb<script>' } });
    expect(unsafe.json().correlationId).toBe(unsafe.headers['x-request-id']);
  });
});
