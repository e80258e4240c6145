import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

let redis: ChildProcess | undefined;
let redisPort = 0;
let stack: WhatsAppStack;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  // A redis-server of our own on a free port, so killing it touches nobody else's.
  const port = await freePort();
  redisPort = port;
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port)) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  stack = await startWhatsAppStack({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
}, 60_000);

afterAll(async () => {
  redis?.kill('SIGKILL');
  await stack?.stop();
}, 30_000);

describe('whatsapp-adapter when Redis goes down', () => {
  it('given Redis is up, when customers write, then they are answered (the cache is in use)', async () => {
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 5,
      messagesPerCustomer: 2,
      run: 8,
    });
    await eventually(() => allAnswered(load, stack.replies), 30_000);
    expect(answerMismatches(load, stack.replies)).toEqual([]);
    const keys = execFileSync('redis-cli', ['-p', String(redisPort), '--scan', '--pattern', 'omni:ctx:*'], {
      encoding: 'utf8',
    });
    expect(keys.trim().split('\n').length).toBeGreaterThan(0);
    expect(keys).toContain('omni:ctx:customer:');
  }, 60_000);

  it('given redis-server killed, when customers (new and known) write, then every message is still answered exactly once and in order, from Cosmos alone', async () => {
    const exited = new Promise((resolve) => redis?.once('exit', resolve));
    redis?.kill('SIGKILL');
    await exited;
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 10,
      messagesPerCustomer: 3,
      run: 9,
      phoneRun: 8,
    });
    expect(load.undelivered).toBe(0);
    await eventually(() => allAnswered(load, stack.replies), 45_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Customers 0-4 also wrote while Redis was up: they are known, the others are new.
    expect(answerMismatches(load, stack.replies)).toEqual([]);
  }, 90_000);

  it('given Redis is down, when readiness is asked, then the adapter stays ready (Redis is an optional cache; designed to degrade)', async () => {
    const response = await fetch(new URL('/readyz', stack.webhook));
    expect(response.status).toBe(200);
  });
});
