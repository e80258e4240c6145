import { describe, expect, it } from 'vitest';
import { MemoryContextCache } from './cache.js';
import { freshUsNumber, storeFor, useCosmos } from './test-support/harness.js';

// Two services, each with its own cache in memory (the sandbox runs without Redis): one writes a turn, the other
// shows the customer to ops. The ops timeline missed WhatsApp after a voice -> WhatsApp switch (journey 1 of the
// sandbox) because it read the customer, and with it the kept turns, from its own stale cache.
const cosmos = useCosmos();

describe('fresh reads for views of what is stored now', () => {
  it('given another process wrote a turn and a session, when read fresh, then both are seen although this process cached the customer before', async () => {
    const writer = storeFor(cosmos.containers, new MemoryContextCache());
    const viewer = storeFor(cosmos.containers, new MemoryContextCache());
    const { customer } = await writer.resolveCustomer({ kind: 'phone', value: `+1${freshUsNumber()}` });
    const id = customer.customerId;
    await writer.recordTurn(id, {
      channel: 'voice',
      sessionId: 'call-1',
      role: 'customer',
      text: 'power cut',
      at: new Date(),
    });
    // The viewer caches the customer as it is now (one voice turn).
    expect((await viewer.recentTurns(id, 1000)).map((t) => t.channel)).toEqual(['voice']);

    await writer.startSession(id, 'whatsapp', 'wa-1');
    await writer.recordTurn(id, {
      channel: 'whatsapp',
      sessionId: 'wa-1',
      role: 'customer',
      text: 'any update?',
      at: new Date(),
    });

    const fresh = await viewer.getCustomer(id, { fresh: true });
    expect(fresh.sessions.map((s) => s.channel)).toContain('whatsapp');
    expect((await viewer.recentTurns(id, 1000, { fresh: true })).map((t) => t.channel)).toEqual([
      'voice',
      'whatsapp',
    ]);
  });
});
