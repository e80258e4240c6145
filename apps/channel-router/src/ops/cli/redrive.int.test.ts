import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const KEY = 'a-test-ops-key-of-enough-length';
const main = fileURLToPath(new URL('../../../dist/ops/cli/main.js', import.meta.url));
const ENTITY = 'queue-events/Subscriptions/voice-adapter';

let server: FastifyInstance;
let env: NodeJS.ProcessEnv;
const bodies: unknown[] = [];

beforeAll(async () => {
  server = Fastify();
  server.post('/api/dead-letters/redrive', async (request) => {
    bodies.push(request.body);
    return { entity: ENTITY, redriven: 2, tooRecent: 1, retryAfterSeconds: 42 };
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  env = { ...process.env, OPS_API_URL: url, OPS_API_KEY: KEY };
});
beforeEach(() => {
  bodies.length = 0;
});
afterAll(async () => {
  await server.close();
});

type Failure = { code: number; stdout: string; stderr: string };

describe('pnpm ops redrive', () => {
  it('given --reason and --yes, then it posts the reason and prints the counts and the wait', async () => {
    const { stdout } = await run(
      process.execPath,
      [main, 'redrive', '--entity', ENTITY, '--reason', 'MaxAttemptsExceeded', '--yes'],
      { env },
    );
    expect(bodies).toEqual([{ entity: ENTITY, reason: 'MaxAttemptsExceeded' }]);
    expect(stdout).toContain(`${ENTITY}: 2 redriven.`);
    expect(stdout).toContain('1 left: still inside the duplicate-detection window');
    expect(stdout).toContain('run again in 42 s');
  });

  it('given message ids, then it posts them all', async () => {
    await run(
      process.execPath,
      [main, 'redrive', '--entity', ENTITY, '--message-id', 'a', '--message-id', 'b', '-y'],
      {
        env,
      },
    );
    expect(bodies).toEqual([{ entity: ENTITY, messageIds: ['a', 'b'] }]);
  });

  it('given no --yes and no terminal to confirm on, then nothing is redriven and it exits 1', async () => {
    const failure = (await run(process.execPath, [main, 'redrive', '--entity', ENTITY, '--all'], {
      env,
    }).catch((error: Failure) => error)) as Failure;
    expect(failure.code).toBe(1);
    expect(failure.stdout).toContain('Nothing redriven');
    expect(bodies).toEqual([]);
  });

  it.each([[['--entity', ENTITY]], [['--entity', ENTITY, '--all', '--reason', 'x']], [['--all']]])(
    'given %j, then it is a usage error (exit 2) and nothing is sent',
    async (args) => {
      const failure = (await run(process.execPath, [main, 'redrive', ...args, '--yes'], { env }).catch(
        (error: Failure) => error,
      )) as Failure;
      expect(failure.code).toBe(2);
      expect(failure.stderr).toContain('Usage: pnpm ops redrive');
      expect(bodies).toEqual([]);
    },
  );
});
