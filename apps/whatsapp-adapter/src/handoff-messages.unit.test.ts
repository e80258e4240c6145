import { describe, expect, it } from 'vitest';
import { type HandoffMessageLedger, HandoffMessageLog } from './handoff-messages.js';

/** The idempotency ledger's contract in memory: the first result per key is kept. */
function memoryLedger(): HandoffMessageLedger & { reads: number } {
  const results = new Map<string, unknown>();
  return {
    reads: 0,
    async runOnce<T>(key: string, fn: () => Promise<T>): Promise<T> {
      if (!results.has(key)) results.set(key, await fn());
      return results.get(key) as T;
    },
    async peek<T>(key: string): Promise<T | undefined> {
      this.reads += 1;
      return results.get(key) as T | undefined;
    },
  };
}

const record = {
  handoffId: 'ho_1',
  customerId: 'cust_1',
  toChannel: 'whatsapp' as const,
  correlationId: 'c1',
};

describe('HandoffMessageLog', () => {
  it('given a notice remembered before a restart, when a status arrives at the new instance, then it maps', async () => {
    const ledger = memoryLedger();
    await new HandoffMessageLog({ ledger }).remember('wamid-1', record);
    const restarted = new HandoffMessageLog({ ledger });
    expect(await restarted.lookup('wamid-1')).toEqual(record);
  });

  it('given a message this instance sent, when looked up, then memory answers without reading the ledger', async () => {
    const ledger = memoryLedger();
    const log = new HandoffMessageLog({ ledger });
    await log.remember('wamid-2', record);
    expect(await log.lookup('wamid-2')).toEqual(record);
    expect(ledger.reads).toBe(0);
  });

  it('given an unknown message id, when looked up, then undefined', async () => {
    expect(await new HandoffMessageLog({ ledger: memoryLedger() }).lookup('nope')).toBeUndefined();
    expect(await new HandoffMessageLog().lookup('nope')).toBeUndefined();
  });

  it('given more notices than the memory bound, when an old one is looked up, then the ledger still has it', async () => {
    const ledger = memoryLedger();
    const log = new HandoffMessageLog({ ledger, max: 2 });
    for (const id of ['a', 'b', 'c']) await log.remember(id, { ...record, handoffId: `ho_${id}` });
    expect(await log.lookup('a')).toMatchObject({ handoffId: 'ho_a' });
    expect(ledger.reads).toBe(1);
  });
});
