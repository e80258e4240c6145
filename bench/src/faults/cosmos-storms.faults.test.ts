import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { type CosmosFaultProxy, startCosmosFaultProxy } from '../support/cosmos-fault-proxy.js';
import { seededRandom } from '../support/prng.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

let stack: WhatsAppStack;
let proxy: CosmosFaultProxy;

beforeAll(async () => {
  stack = await startWhatsAppStack({
    cosmosEndpoint: async (cosmos) => {
      proxy = await startCosmosFaultProxy(cosmos.endpoint);
      return proxy.endpoint;
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.stop();
}, 30_000);

describe('whatsapp-adapter through a Cosmos fault proxy', () => {
  it('given a 429 storm (a third of requests throttled with x-ms-retry-after-ms), when customers write, then every message is answered exactly once and in order', async () => {
    const random = seededRandom(429);
    proxy.setPolicy(() => (random() < 0.33 ? { kind: 'throttle', retryAfterMs: 5 } : { kind: 'pass' }));
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 20,
      messagesPerCustomer: 5,
      run: 6,
    });
    expect(load.undelivered).toBe(0);
    await eventually(() => allAnswered(load, stack.replies), 45_000);
    proxy.setPolicy(() => ({ kind: 'pass' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(proxy.counts.throttled).toBeGreaterThan(50);
    expect(answerMismatches(load, stack.replies)).toEqual([]);
  }, 90_000);

  it('given a 412 storm (half of the conditional writes lose their ETag race), when customers write, then every message is answered exactly once and in order', async () => {
    const random = seededRandom(412);
    proxy.setPolicy((request) =>
      request.ifMatch && random() < 0.5 ? { kind: 'precondition-failed' } : { kind: 'pass' },
    );
    const before = proxy.counts.preconditionFailed;
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 20,
      messagesPerCustomer: 5,
      run: 7,
    });
    expect(load.undelivered).toBe(0);
    await eventually(() => allAnswered(load, stack.replies), 45_000);
    proxy.setPolicy(() => ({ kind: 'pass' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(proxy.counts.preconditionFailed - before).toBeGreaterThan(20);
    expect(answerMismatches(load, stack.replies)).toEqual([]);
  }, 90_000);
});
