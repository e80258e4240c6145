import type { ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';
import { describe, expect, it } from 'vitest';
import { SendCoalescer } from './send-coalescer.js';

/** A sender whose sends wait until released; batches refuse messages with `refuse` in their body. */
function fakeSender() {
  const sent: unknown[][] = [];
  const gates: (() => void)[] = [];
  const sender = {
    entityPath: 'escalations',
    createMessageBatch: async () => {
      const messages: unknown[] = [];
      return {
        get count() {
          return messages.length;
        },
        tryAddMessage: (message: ServiceBusMessage) => {
          if (message.body === 'refuse') throw new Error('the SDK refuses this message');
          messages.push(message.body);
          return true;
        },
        messages,
      } as unknown as ServiceBusMessageBatch;
    },
    sendMessages: async (messages: ServiceBusMessage | ServiceBusMessageBatch) => {
      await new Promise<void>((release) => gates.push(release));
      sent.push(
        'messages' in messages
          ? (messages as unknown as { messages: unknown[] }).messages
          : [(messages as ServiceBusMessage).body],
      );
    },
  } as unknown as ServiceBusSender;
  return {
    sender,
    sent,
    releaseAll: () => {
      for (const release of gates.splice(0)) release();
    },
    gates,
  };
}

describe('SendCoalescer', () => {
  it('given sends while one is in flight, then they go out as the next batch, in order', async () => {
    const { sender, sent, releaseAll, gates } = fakeSender();
    const coalescer = new SendCoalescer();
    const first = coalescer.send(sender, { body: 'a' });
    const rest = ['b', 'c', 'd'].map((body) => coalescer.send(sender, { body }));
    await expect.poll(() => gates.length).toBe(1);
    releaseAll();
    await first;
    await expect.poll(() => gates.length).toBe(1);
    releaseAll();
    await Promise.all(rest);
    expect(sent).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('given a message the SDK refuses in a batch, then it alone fails and every other caller is settled', async () => {
    const { sender, sent, releaseAll, gates } = fakeSender();
    const coalescer = new SendCoalescer();
    const first = coalescer.send(sender, { body: 'a' });
    const refused = coalescer.send(sender, { body: 'refuse' });
    const after = coalescer.send(sender, { body: 'b' });
    await expect.poll(() => gates.length).toBe(1);
    releaseAll();
    await first;
    await expect(refused).rejects.toThrow('refuses');
    await expect.poll(() => gates.length).toBe(1);
    releaseAll();
    await after;
    expect(sent).toEqual([['a'], ['b']]);
  });
});
