import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp } from './app.js';
import { type RunningService, runService } from './run-service.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const running: RunningService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('runService graceful shutdown', () => {
  it('given a request in flight, when the service stops, then the request completes and onClose drains after it', async () => {
    const app = createServiceApp({ service: 'slow', defaultMetrics: false });
    const order: string[] = [];
    let release: () => void = () => {};
    const started = new Promise<void>((resolveStarted) => {
      app.get('/slow', async () => {
        resolveStarted();
        await new Promise<void>((r) => {
          release = r;
        });
        order.push('request finished');
        return { done: true };
      });
    });
    app.addHook('onClose', async () => {
      order.push('drained');
    });
    const service = await runService({ app, port: 0, host: '127.0.0.1', graceMs: 5_000 });
    const inFlight = get(`${service.url}/slow`);
    await started;

    const stopped = service.stop();
    // While draining, the listener no longer accepts new connections.
    await expect(get(`${service.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    release();

    const response = await inFlight;
    await stopped;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ done: true });
    expect(order).toEqual(['request finished', 'drained']);
  });

  it('given stop called twice, then the app is closed once', async () => {
    const app = createServiceApp({ service: 'twice', defaultMetrics: false });
    let closes = 0;
    app.addHook('onClose', async () => {
      closes++;
    });
    const service = await runService({ app, port: 0, host: '127.0.0.1', graceMs: 1_000 });
    await Promise.all([service.stop(), service.stop()]);
    expect(closes).toBe(1);
  });
});

const fixture = fileURLToPath(new URL('../test/fixtures/graceful-service.mjs', import.meta.url));

describe('bootService in a real process', () => {
  beforeAll(() => {
    // The fixture boots the built package, as a deployed service would. `pnpm test` builds first.
    if (!existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))) {
      throw new Error(
        'packages/service-kit is not built: run `pnpm test` from the repo root (it builds first)',
      );
    }
  });

  it('given SIGTERM during a request, then the request completes and the process exits 0', async () => {
    const child = spawn(process.execPath, [fixture], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    const inFlight = get(`${url}/slow?ms=400`);
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    const [response, exitCode] = await Promise.all([
      inFlight,
      new Promise<number | null>((r) => child.on('exit', (code) => r(code))),
    ]);
    expect(response.status).toBe(200);
    expect(exitCode).toBe(0);
    expect(out).toContain('shutting down: draining in-flight work');
    expect(out).toContain('shut down cleanly');
  });

  it('given missing configuration, then the process exits 1 with one message listing every variable and no stack', async () => {
    const child = spawn(process.execPath, [fixture], {
      env: { PATH: process.env.PATH, REQUIRE_CONFIG: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(err).toContain('graceful-fixture cannot start: 2 configuration problems');
    expect(err).toContain(
      'COSMOS_ENDPOINT is not set: run `pnpm start` for the local sandbox or `azd env get-values`',
    );
    expect(err).toContain('SERVICEBUS_CONNECTION_STRING is not set');
    expect(err).not.toMatch(/\n\s+at /);
  });
});
