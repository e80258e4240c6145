import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsApiClient, OpsApiError, opsConnection, SANDBOX_CONNECTION_FILE } from './ops-client.js';

const run = promisify(execFile);
const KEY = 'a-test-ops-key-of-enough-length';
const main = fileURLToPath(new URL('../../../dist/ops/cli/main.js', import.meta.url));

let server: FastifyInstance;
let url: string;

beforeAll(async () => {
  server = Fastify();
  server.addHook('onRequest', async (request, reply) => {
    if (request.headers['x-api-key'] !== KEY) {
      await reply.code(401).type('application/problem+json').send({
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'Missing or invalid credentials.',
      });
    }
  });
  server.get('/api/dead-letters', async () => ({
    entities: [
      { entity: 'inbound-messages', count: 0, messages: [] },
      {
        entity: 'handoff-events/Subscriptions/channel-router',
        count: 1,
        messages: [
          {
            entity: 'handoff-events/Subscriptions/channel-router',
            sequenceNumber: '7',
            messageId: 'evt-1',
            eventType: 'handoff.requested',
            reason: 'MaxDeliveryCountExceeded',
            description: 'gave up after 6 attempts',
            enqueuedAt: '2026-12-02T10:00:00.000Z',
            ageSeconds: 60,
          },
        ],
      },
    ],
  }));
  await server.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await server.close();
});

describe('pnpm ops', () => {
  it('given OPS_API_URL and OPS_API_KEY, when listing dead letters, then it prints entity, type, id and reason', async () => {
    const { stdout } = await run(process.execPath, [main, 'dead-letters'], {
      env: { ...process.env, OPS_API_URL: url, OPS_API_KEY: KEY },
    });
    expect(stdout).toContain('handoff-events/Subscriptions/channel-router: 1');
    expect(stdout).toContain('handoff.requested  evt-1  MaxDeliveryCountExceeded: gave up after 6 attempts');
    expect(stdout).not.toContain('inbound-messages');
  });

  it('given a wrong key, when a command runs, then it exits 1 with the problem detail', async () => {
    const failure = await run(process.execPath, [main, 'dead-letters'], {
      env: { ...process.env, OPS_API_URL: url, OPS_API_KEY: 'wrong-key-wrong-key' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain(
      'ops API answered 401: Missing or invalid credentials.',
    );
  });

  it('given an unknown command, when run, then it exits 2 and lists the commands', async () => {
    const failure = await run(process.execPath, [main, 'frobnicate']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toMatch(/Unknown command "frobnicate"[\s\S]*dead-letters/);
  });

  it('given no environment, when the sandbox file exists, then the connection comes from it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omni-ops-'));
    await mkdir(join(dir, '.omni'));
    await writeFile(join(dir, SANDBOX_CONNECTION_FILE), JSON.stringify({ url, apiKey: KEY }));
    const connection = await opsConnection({}, dir);
    expect(connection).toEqual({ url, apiKey: KEY });
    await expect(new OpsApiClient(connection).request('GET', '/api/dead-letters')).resolves.toHaveProperty(
      'entities',
    );
  });

  it('given neither environment nor sandbox, when connecting, then the error says what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omni-ops-'));
    await expect(opsConnection({}, dir)).rejects.toThrow(
      /set OPS_API_URL and OPS_API_KEY.*or run `pnpm start`/,
    );
  });

  it('given a problem answer, when requesting, then OpsApiError carries status and detail', async () => {
    const error = await new OpsApiClient({ url, apiKey: 'nope-nope-nope-nope' })
      .request('GET', '/api/dead-letters')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsApiError);
    expect(error).toMatchObject({ status: 401 });
  });
});
