import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

describe('sandbox host', () => {
  it('given two services, one down, when /api/services is read, then each has its own status and reason', async () => {
    const config = readConfig({
      SANDBOX_SERVICES: 'channel-router=http://127.0.0.1:1,voice-adapter=http://127.0.0.1:2',
    });
    const fakeFetch = (async (url: string) =>
      url.startsWith('http://127.0.0.1:1')
        ? new Response(JSON.stringify({ status: 'ready' }), { status: 200 })
        : new Response(JSON.stringify({ detail: 'not ready: servicebus (connection refused)' }), {
            status: 503,
          })) as typeof fetch;
    const app = buildApp({ config, fetch: fakeFetch });
    const res = await app.inject('/api/services');
    expect(res.json()).toEqual([
      { name: 'channel-router', url: 'http://127.0.0.1:1', ready: true, detail: 'ready' },
      {
        name: 'voice-adapter',
        url: 'http://127.0.0.1:2',
        ready: false,
        detail: 'not ready: servicebus (connection refused)',
      },
    ]);
    await app.close();
  });

  it('given emulator links, when the UI config is read, then it lists them and the page loads the UI', async () => {
    const config = readConfig({
      SANDBOX_LINKS:
        'Service Bus entities=http://127.0.0.1:5380/entities,Foundry agents=https://127.0.0.1:8443/_emulator/agents',
    });
    const app = buildApp({ config });
    expect((await app.inject('/api/config')).json()).toMatchObject({
      links: [
        { name: 'Service Bus entities', url: 'http://127.0.0.1:5380/entities' },
        { name: 'Foundry agents', url: 'https://127.0.0.1:8443/_emulator/agents' },
      ],
      customerPhone: '+14255550100',
      simulators: { phone: false, whatsapp: false, ops: false, load: false },
    });
    const page = await app.inject('/');
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<script type="module" src="/ui/sandbox.js">');
    expect((await app.inject('/ui/sandbox.js')).headers['content-type']).toContain('javascript');
    await app.close();
  });

  it('given a file outside the UI, when asked for, then 404 (no path traversal)', async () => {
    const app = buildApp({ config: readConfig({}) });
    expect((await app.inject('/ui/..%2Fsrc%2Fapp.ts')).statusCode).toBe(404);
    expect((await app.inject('/ui/package.json')).statusCode).toBe(404);
    await app.close();
  });

  it('given the WhatsApp emulator, when the browser sends as the customer, then the request is relayed as is', async () => {
    const calls: { url: string; body: unknown }[] = [];
    const fakeFetch = (async (url: URL, init?: RequestInit) => {
      calls.push({ url: url.toString(), body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return new Response(JSON.stringify({ messageId: 'm1' }), {
        status: 202,
        headers: { 'content-type': 'application/json' },
      });
    }) as typeof fetch;
    const app = buildApp({
      config: readConfig({ ACS_MESSAGES_EMULATOR_URL: 'http://127.0.0.1:8085' }),
      fetch: fakeFetch,
    });
    const res = await app.inject({
      method: 'POST',
      url: '/api/whatsapp/messages',
      payload: { from: '+14255550100', text: 'hello' },
    });
    expect(res.statusCode).toBe(202);
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:8085/_emulator/customer/messages',
        body: { from: '+14255550100', text: 'hello' },
      },
    ]);
    await app.close();
  });

  it('given the ops console redrives dead letters, then the request reaches the router with the run key', async () => {
    const calls: { url: string; method?: string; key?: string; body: unknown }[] = [];
    const fakeFetch = (async (url: URL, init?: RequestInit) => {
      calls.push({
        url: url.toString(),
        method: init?.method,
        key: (init?.headers as Record<string, string> | undefined)?.['x-api-key'],
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      });
      return Response.json({ entity: 'escalations', redriven: 1, tooRecent: 0, retryAfterSeconds: null });
    }) as typeof fetch;
    const app = buildApp({
      config: readConfig({
        SANDBOX_SERVICES: 'channel-router=http://127.0.0.1:8081',
        OPS_API_KEY: 'ops-key-0123456789abcdef',
      }),
      fetch: fakeFetch,
    });
    const res = await app.inject({
      method: 'POST',
      url: '/api/ops/dead-letters/redrive',
      payload: { entity: 'escalations', all: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ redriven: 1 });
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:8081/api/dead-letters/redrive',
        method: 'POST',
        key: 'ops-key-0123456789abcdef',
        body: { entity: 'escalations', all: true },
      },
    ]);
    await app.close();
  });

  it('given SMS the ACS emulator accepted, when the phone reads its inbox, then it gets the SMS to its number only', async () => {
    const fakeFetch = (async (url: URL) => {
      expect(url.toString()).toBe('http://127.0.0.1:8085/_emulator/messages');
      return Response.json({
        value: [
          {
            channel: 'sms',
            messageId: 's1',
            to: '+14255550100',
            from: '+18005550100',
            message: 'link https://x.test/?handoff=a',
            receivedAt: '2026-12-02T10:00:00.000Z',
          },
          {
            channel: 'sms',
            messageId: 's2',
            to: '+14255550199',
            from: '+18005550100',
            message: 'other',
            receivedAt: '2026-12-02T10:00:01.000Z',
          },
          {
            channel: 'whatsapp',
            messageId: 'w1',
            to: '+14255550100',
            receivedAt: '2026-12-02T10:00:02.000Z',
          },
        ],
      });
    }) as typeof fetch;
    const app = buildApp({
      config: readConfig({ ACS_MESSAGES_EMULATOR_URL: 'http://127.0.0.1:8085' }),
      fetch: fakeFetch,
    });
    const res = await app.inject('/api/sms/%2B14255550100');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      value: [
        {
          messageId: 's1',
          from: '+18005550100',
          text: 'link https://x.test/?handoff=a',
          at: '2026-12-02T10:00:00.000Z',
        },
      ],
    });
    await app.close();
  });

  it('given no WhatsApp emulator, when its chat is read, then 503 says it is not running', async () => {
    const app = buildApp({ config: readConfig({}) });
    const res = await app.inject('/api/whatsapp/chats/%2B14255550100');
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).toContain('WhatsApp emulator is not running');
    await app.close();
  });

  it("given the ops console, when a customer is erased or exported, then the router is asked with the run's key (never the page's)", async () => {
    const calls: { url: string; method: string; key: string | null }[] = [];
    const fakeFetch = (async (url: URL, init?: RequestInit) => {
      calls.push({
        url: String(url),
        method: init?.method ?? 'GET',
        key: new Headers(init?.headers).get('x-api-key'),
      });
      return new Response(JSON.stringify({ erasure: { status: 'completed' } }), { status: 200 });
    }) as typeof fetch;
    const app = buildApp({
      config: readConfig({
        SANDBOX_SERVICES: 'channel-router=http://127.0.0.1:7074',
        OPS_API_KEY: 'sandbox-ops-key-0123456789',
      }),
      fetch: fakeFetch,
    });
    const erased = await app.inject({ method: 'DELETE', url: '/api/ops/customers/cust_1' });
    expect(erased.statusCode).toBe(200);
    await app.inject('/api/ops/customers/cust_1/export');
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:7074/api/customers/cust_1',
        method: 'DELETE',
        key: 'sandbox-ops-key-0123456789',
      },
      {
        url: 'http://127.0.0.1:7074/api/customers/cust_1/export',
        method: 'GET',
        key: 'sandbox-ops-key-0123456789',
      },
    ]);
    await app.close();
  });

  it('given a malformed SANDBOX_SERVICES, then config fails naming it', () => {
    expect(() => readConfig({ SANDBOX_SERVICES: 'router' })).toThrow(/SANDBOX_SERVICES is invalid/);
  });
});
