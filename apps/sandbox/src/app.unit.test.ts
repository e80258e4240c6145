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

  it('given emulator links, when the page is served, then it links each one', async () => {
    const config = readConfig({
      SANDBOX_LINKS:
        'Service Bus entities=http://127.0.0.1:5380/entities,Foundry agents=https://127.0.0.1:8443/_emulator/agents',
    });
    const app = buildApp({ config });
    const page = (await app.inject('/')).body;
    expect(page).toContain('<a href="http://127.0.0.1:5380/entities">Service Bus entities</a>');
    expect(page).toContain('<a href="https://127.0.0.1:8443/_emulator/agents">Foundry agents</a>');
    await app.close();
  });

  it('given a malformed SANDBOX_SERVICES, then config fails naming it', () => {
    expect(() => readConfig({ SANDBOX_SERVICES: 'router' })).toThrow(/SANDBOX_SERVICES is invalid/);
  });
});
