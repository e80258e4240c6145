import { beforeEach, describe, expect, it } from 'vitest';
import type { ContextCache } from './cache.js';
import type { CustomerContextStore } from './customer-context-store.js';
import { type CustomerDocument, customerDocumentSchema, parseDocument } from './documents.js';
import {
  cacheVariants,
  freshUsNumber,
  type ManualClock,
  manualClock,
  storeFor,
  useCache,
  useCosmos,
} from './test-support/harness.js';

const cosmos = useCosmos();

/** The customer document as Cosmos holds it (no cache, no turn). */
async function stored(customerId: string): Promise<CustomerDocument> {
  const { resource } = await cosmos.containers.customers.item(customerId, customerId).read();
  return parseDocument(customerDocumentSchema, 'customers', resource);
}

describe.each(cacheVariants)('CustomerContextStore.inTurn with the %s cache', (variant) => {
  const opened = useCache(variant);
  let cache: ContextCache;
  let clock: ManualClock;
  /** The process running the turn. */
  let turnStore: CustomerContextStore;
  /** Another process (another replica or service) writing meanwhile. */
  let other: CustomerContextStore;

  beforeEach(() => {
    clock = manualClock();
    cache = opened.cache;
    turnStore = storeFor(cosmos.containers, cache, { clock });
    other = storeFor(cosmos.containers, cache, { clock });
  });

  const phone = () => `+1${freshUsNumber()}`;

  it('given an inbound message in a turn, when the turn reads it, then it sees the inbound time at once and Cosmos gets it with the turn write', async () => {
    const number = phone();
    const { customer } = await other.resolveCustomer({ kind: 'phone', value: number });
    const at = new Date(clock() + 1_000);
    let storedDuringTurn: CustomerDocument | undefined;
    await turnStore.inTurn(async () => {
      await turnStore.resolveCustomer(
        { kind: 'phone', value: number },
        { channel: 'whatsapp', inboundAt: at },
      );
      expect((await turnStore.lastInbound(customer.customerId, 'whatsapp'))?.toISOString()).toBe(
        at.toISOString(),
      );
      storedDuringTurn = await stored(customer.customerId);
      await turnStore.updateSummary(customer.customerId, 'the turn wrote this');
    });
    expect(storedDuringTurn?.lastInboundAt.whatsapp).toBeUndefined();
    const after = await stored(customer.customerId);
    expect(after.lastInboundAt.whatsapp).toBe(at.toISOString());
    expect(after.summary).toBe('the turn wrote this');
    // One write carried both: the version moved by one.
    expect(after.version).toBe((storedDuringTurn?.version ?? 0) + 1);
    // Cache writes wait for the end of the turn; then the other process reads the new document.
    expect((await other.getCustomer(customer.customerId)).summary).toBe('the turn wrote this');
  });

  it('given a turn that fails, when it ends, then the inbound time it deferred is still written', async () => {
    const number = phone();
    const { customer } = await other.resolveCustomer({ kind: 'phone', value: number });
    const at = new Date(clock() + 2_000);
    const turn = turnStore.inTurn(async () => {
      await turnStore.resolveCustomer(
        { kind: 'phone', value: number },
        { channel: 'whatsapp', inboundAt: at },
      );
      throw new Error('the agent failed');
    });
    await expect(turn).rejects.toThrow('the agent failed');
    expect((await stored(customer.customerId)).lastInboundAt.whatsapp).toBe(at.toISOString());
  });

  it('given another process writes the customer during the turn, when the turn writes, then both writes are kept', async () => {
    const { customer } = await other.resolveCustomer({ kind: 'phone', value: phone() });
    await turnStore.inTurn(async () => {
      await turnStore.getCustomer(customer.customerId); // the turn holds the document and its ETag
      await other.updateSummary(customer.customerId, 'from the other process', { other: 'yes' });
      await turnStore.updateSummary(customer.customerId, undefined, { turn: 'yes' });
    });
    const after = await stored(customer.customerId);
    expect(after.summary).toBe('from the other process');
    expect(after.collectedData).toMatchObject({ other: 'yes', turn: 'yes' });
  });

  it('given the turn holds a customer that another process merges away, when the turn writes, then the write lands on the survivor', async () => {
    const mergedNumber = phone();
    const { customer: merged } = await other.resolveCustomer({ kind: 'phone', value: mergedNumber });
    const { customer: survivor } = await other.resolveCustomer({ kind: 'phone', value: phone() });
    const at = new Date(clock() + 3_000);
    await turnStore.inTurn(async () => {
      const { customer } = await turnStore.resolveCustomer(
        { kind: 'phone', value: mergedNumber },
        { channel: 'whatsapp', inboundAt: at },
      );
      expect(customer.customerId).toBe(merged.customerId);
      await other.mergeCustomers(survivor.customerId, merged.customerId, 'same person');
      await turnStore.updateSummary(merged.customerId, undefined, { fromTurn: 'kept' });
    });
    const kept = await stored(survivor.customerId);
    expect(kept.collectedData).toMatchObject({ fromTurn: 'kept' });
    expect(kept.lastInboundAt.whatsapp).toBe(at.toISOString());
    const tombstone = await stored(merged.customerId);
    expect(tombstone.mergedInto).toBe(survivor.customerId);
    expect(tombstone.collectedData).toEqual({});
  });

  it('given an identity hint to a customer merged away since, when the identity is resolved, then it resolves to the survivor', async () => {
    const number = phone();
    const { customer: merged } = await turnStore.resolveCustomer({ kind: 'phone', value: number });
    const { customer: survivor } = await other.resolveCustomer({ kind: 'phone', value: phone() });
    await other.mergeCustomers(survivor.customerId, merged.customerId, 'same person');
    const resolved = await turnStore.inTurn(() =>
      turnStore.resolveCustomer({ kind: 'phone', value: number }),
    );
    expect(resolved.customer.customerId).toBe(survivor.customerId);
    expect(resolved.created).toBe(false);
  });

  it('given an identity hint to a customer erased since, when the identity is resolved again, then a new customer is created', async () => {
    const number = phone();
    const { customer: erased } = await turnStore.resolveCustomer({ kind: 'phone', value: number });
    await other.eraseCustomer(erased.customerId);
    const resolved = await turnStore.inTurn(() =>
      turnStore.resolveCustomer({ kind: 'phone', value: number }),
    );
    expect(resolved.created).toBe(true);
    expect(resolved.customer.customerId).not.toBe(erased.customerId);
  });

  it('given a customer the turn created, when the turn asks for its conversation and transcript, then one conversation is created and the turns it records are read back', async () => {
    let creates = 0;
    await turnStore.inTurn(async () => {
      const { customer, created } = await turnStore.resolveCustomer({ kind: 'phone', value: phone() });
      expect(created).toBe(true);
      const id = customer.customerId;
      const conversation = await turnStore.getOrCreateConversationId(id, async () => {
        creates += 1;
        return 'conv_new_in_turn';
      });
      expect(conversation).toBe('conv_new_in_turn');
      expect(await turnStore.recentTurns(id, 10)).toEqual([]);
      expect(await turnStore.handoffs(id)).toEqual([]);
      await turnStore.recordTurn(id, {
        channel: 'whatsapp',
        sessionId: 's1',
        role: 'customer',
        text: 'hello',
        at: new Date(clock()),
        turnId: 'first',
      });
      expect((await turnStore.recentTurns(id, 10)).map((t) => t.turnId)).toEqual(['first']);
      expect((await stored(id)).foundryConversationId).toBe('conv_new_in_turn');
    });
    expect(creates).toBe(1);
  });

  it('given another channel stores a conversation for the customer the turn just created, when the turn creates its own, then one id is kept and the turn discards its own', async () => {
    const discarded: string[] = [];
    await turnStore.inTurn(async () => {
      const { customer } = await turnStore.resolveCustomer({ kind: 'phone', value: phone() });
      const id = customer.customerId;
      expect(await other.getOrCreateConversationId(id, async () => 'conv_other_channel')).toBe(
        'conv_other_channel',
      );
      const mine = await turnStore.getOrCreateConversationId(id, async () => 'conv_this_turn', {
        discard: async (unused) => {
          discarded.push(unused);
        },
      });
      expect(mine).toBe('conv_other_channel');
    });
    expect(discarded).toEqual(['conv_this_turn']);
  });
  it('given a customer document from before turns were kept in it, when a turn reads the history, then the transcript is queried and the document keeps the turns from that turn on', async () => {
    const { customer } = await other.resolveCustomer({ kind: 'phone', value: phone() });
    const id = customer.customerId;
    const turn = (turnId: string, offset: number) =>
      other.recordTurn(id, {
        channel: 'whatsapp',
        sessionId: 's',
        role: 'customer',
        text: turnId,
        at: new Date(clock() + offset),
        turnId,
      });
    await turn('old-1', 1);
    await turn('old-2', 2);
    const { resource } = await cosmos.containers.customers.item(id, id).read();
    const { recentTurns: _dropped, ...legacy } = resource as CustomerDocument;
    await cosmos.containers.customers.item(id, id).replace({ ...legacy, version: legacy.version + 1 });
    await cache.delete(`customer:${id}`);

    await turnStore.inTurn(async () => {
      expect((await turnStore.recentTurns(id, 50)).map((t) => t.turnId)).toEqual(['old-1', 'old-2']);
    });
    expect((await stored(id)).recentTurns?.map((t) => t.turnId)).toEqual(['old-1', 'old-2']);
    await turn('new-3', 3);
    expect((await turnStore.recentTurns(id, 2)).map((t) => t.turnId)).toEqual(['old-2', 'new-3']);
  });

  it('given two customers with turns, when merged, then the survivor keeps the newest turns of both in order', async () => {
    const { customer: a } = await other.resolveCustomer({ kind: 'phone', value: phone() });
    const { customer: b } = await other.resolveCustomer({ kind: 'phone', value: phone() });
    const record = (id: string, turnId: string, offset: number) =>
      other.recordTurn(id, {
        channel: 'voice',
        sessionId: 'call',
        role: 'customer',
        text: turnId,
        at: new Date(clock() + offset),
        turnId,
      });
    await record(a.customerId, 'a-1', 1);
    await record(b.customerId, 'b-2', 2);
    await record(a.customerId, 'a-3', 3);
    await other.mergeCustomers(a.customerId, b.customerId, 'same person');
    expect((await turnStore.recentTurns(a.customerId, 10)).map((t) => t.turnId)).toEqual([
      'a-1',
      'b-2',
      'a-3',
    ]);
    expect((await turnStore.recentTurns(b.customerId, 10)).map((t) => t.turnId)).toEqual([
      'a-1',
      'b-2',
      'a-3',
    ]);
  });
});
