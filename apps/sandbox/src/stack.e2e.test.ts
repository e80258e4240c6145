import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandbox } from './sandbox-runner.js';
import { defaultServices, freePorts, type RunningStack, startStack } from './stack.js';

// The stack runs the built services as separate processes, as `pnpm start` does. `pnpm test` builds first.
const services = defaultServices().map((s) => ({ ...s, entry: s.entry.replace('/src/', '/dist/') }));

describe('the local stack', () => {
  let sandbox: RunningSandbox;
  let stack: RunningStack;

  beforeAll(async () => {
    // As `pnpm start` runs it, on free ports.
    sandbox = await startSandbox();
    stack = sandbox.stack;
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('given the stack started, then every service answers /healthz, /readyz and /metrics', async () => {
    expect(stack.members.map((m) => m.name).sort()).toEqual([
      'channel-router',
      'sandbox',
      'voice-adapter',
      'webchat-adapter',
      'whatsapp-adapter',
    ]);
    for (const member of stack.members) {
      const health = await fetch(`${member.url}/healthz`);
      expect(health.status, `${member.name} /healthz`).toBe(200);
      expect(((await health.json()) as { service: string }).service).toBe(member.name);
      expect((await fetch(`${member.url}/readyz`)).status, `${member.name} /readyz`).toBe(200);
      const metrics = await (await fetch(`${member.url}/metrics`)).text();
      expect(metrics, `${member.name} /metrics`).toContain(`service="${member.name}"`);
    }
  });

  it('given the sandbox page, then it lists every service as ready', async () => {
    const sandbox = stack.members.find((m) => m.name === 'sandbox');
    const page = await fetch(`${sandbox?.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const statuses = (await (await fetch(`${sandbox?.url}/api/services`)).json()) as {
      name: string;
      ready: boolean;
    }[];
    expect(statuses).toHaveLength(5);
    expect(statuses.filter((s) => !s.ready)).toEqual([]);
  });

  it('given a stop, then every service drains and exits 0', async () => {
    const codes = await stack.stop();
    expect(codes).toEqual({
      sandbox: 0,
      'voice-adapter': 0,
      'whatsapp-adapter': 0,
      'webchat-adapter': 0,
      'channel-router': 0,
    });
  });
});

describe('a service that cannot start', () => {
  it('given invalid configuration, then startStack rejects with that service’s own error and stops the rest', async () => {
    const [port1, port2] = await freePorts(2);
    // The sandbox host needs no configuration, so it is the healthy one here.
    const [healthy, voice] = [
      services.find((s) => s.name === 'sandbox'),
      services.find((s) => s.name === 'voice-adapter'),
    ];
    if (!healthy || !voice) throw new Error('services missing');
    const attempt = startStack({
      services: [
        { ...healthy, port: port1 ?? 0 },
        { ...voice, port: port2 ?? 0, env: { BODY_LIMIT_BYTES: 'lots' } },
      ],
      env: { LOG_LEVEL: 'warn' },
      readyTimeoutMs: 20_000,
    });
    await expect(attempt).rejects.toThrow(
      /voice-adapter exited with code 1[\s\S]*BODY_LIMIT_BYTES is invalid/,
    );
    // The healthy one was stopped: its port is free again.
    await expect(fetch(`http://127.0.0.1:${port1}/healthz`)).rejects.toThrow();
  });
});
