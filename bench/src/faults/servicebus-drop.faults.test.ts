import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

let stack: WhatsAppStack;

beforeAll(async () => {
  // A session whose link is orphaned by the drop stays locked until its lock expires (as on Service Bus):
  // 5 s instead of the topology's 60 s keeps the stall short.
  stack = await startWhatsAppStack({ lockDuration: 'PT5S' });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('whatsapp-adapter when the Service Bus connection drops mid-stream', () => {
  it('given 30 customers writing, when every AMQP connection is dropped three times during the stream, then every message is answered exactly once and in order', async () => {
    let dropped = 0;
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 30,
      messagesPerCustomer: 8,
      run: 5,
      beforeDelivery: (index) => {
        if (index === 40 || index === 110 || index === 180) dropped += stack.bus.dropConnections();
      },
    });
    expect(dropped).toBeGreaterThanOrEqual(3);
    expect(load.undelivered).toBe(0);
    // Known stall (see bench/README.md): a session link the SDK re-attaches after the drop can hold its session,
    // lock renewed, for up to ~90 s before the messages move again, and accepts pending at a drop wait out the
    // SDK's 60 s; with three drops the last answer came after 67-155 s in runs on 2026-12-02/03. Nothing is lost.
    await eventually(() => allAnswered(load, stack.replies), 210_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answerMismatches(load, stack.replies)).toEqual([]);
  }, 240_000);

  it('given the connections were dropped, when the consumers have reached the broker again, then the adapter reports ready again', async () => {
    stack.bus.dropConnections();
    // Idle session consumers learn the broker is back when their next accept times out (the SDK's 60 s).
    const deadline = Date.now() + 80_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await fetch(new URL('/readyz', stack.webhook))).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(200);
  }, 90_000);
});
