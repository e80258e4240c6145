import { type ChildProcess, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { startOwnRedis } from '../support/redis-server.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

let redis: ChildProcess | undefined;
let redisPort = 0;
let stack: WhatsAppStack;

beforeAll(async () => {
  // A redis-server of our own on a free port, so killing it touches nobody else's.
  const own = await startOwnRedis();
  redis = own.process;
  redisPort = own.port;
  stack = await startWhatsAppStack({ env: { REDIS_URL: own.url } });
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
