import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryContextCache } from './cache.js';
import { IdentityConflictError } from './errors.js';
import { freshUsNumber, manualClock, storeFor, useCosmos } from './test-support/harness.js';

const cosmos = useCosmos();

function fixture() {
  const clock = manualClock();
  const store = storeFor(cosmos.containers, new MemoryContextCache(), { clock });
  const newCustomer = async () =>
    (await store.resolveCustomer({ kind: 'phone', value: `+1${freshUsNumber()}` })).customer.customerId;
  return { clock, store, newCustomer };
}

/** The open handoffs as `[id, toChannel, status]`. */
const brief = (handoffs: readonly { id: string; toChannel: string; status: string }[]) =>
  handoffs.map((h) => [h.id, h.toChannel, h.status]);

describe('open handoffs kept with the customer (issue #20: no query on the turn path)', () => {
  it('given an issued link, when redeemed and then closed, then the customer lists it offered, then redeemed by that user, then not at all', async () => {
    const { store, newCustomer } = fixture();
    const id = await newCustomer();
    const { token, handoffId } = await store.issueHandoffToken(id, 'webchat', 900, { fromChannel: 'voice' });
    expect(brief(await store.openHandoffs(id))).toEqual([[handoffId, 'webchat', 'offered']]);

    const webUser = `web-${randomUUID()}`;
    await store.redeemHandoffToken(token, { kind: 'webchat', value: webUser }, { channel: 'webchat' });
    const [redeemed] = await store.openHandoffs(id);
    expect(redeemed).toMatchObject({ id: handoffId, status: 'redeemed', redeemedBy: `webchat:${webUser}` });
    expect(redeemed?.redeemedAt).not.toBeNull();

    await store.closeHandoff(id, handoffId);
    expect(await store.openHandoffs(id)).toEqual([]);
    // The record itself stays (the audit, the ops timeline).
    expect((await store.handoffs(id)).map((h) => h.status)).toEqual(['redeemed']);
  });

  it('given a handoff offered for 15 minutes, when 15 minutes pass, then it is no longer open, and the next change drops it from the document', async () => {
    const { clock, store, newCustomer } = fixture();
    const id = await newCustomer();
    const first = await store.issueHandoffToken(id, 'whatsapp', 900);
    clock.advance(900_000);
    expect(await store.openHandoffs(id)).toEqual([]);
    const second = await store.issueHandoffToken(id, 'whatsapp', 900);
    const { resource } = await cosmos.containers.customers.item(id, id).read();
    expect(resource.openHandoffs.map((h: { id: string }) => h.id)).toEqual([second.handoffId]);
    expect(first.handoffId).not.toBe(second.handoffId);
  });

  it('given a saga replaying its issue step, when issued twice with the same id, then the customer lists it once', async () => {
    const { store, newCustomer } = fixture();
    const id = await newCustomer();
    const handoffId = `ho_saga_${randomUUID()}`;
    const expiresAt = new Date(manualClock()() + 600_000);
    await store.issueHandoffToken(id, 'whatsapp', 900, { handoffId, expiresAt });
    await store.issueHandoffToken(id, 'whatsapp', 900, { handoffId, expiresAt });
    expect(brief(await store.openHandoffs(id))).toEqual([[handoffId, 'whatsapp', 'offered']]);
  });

  it('given a redeem whose identity belongs to another customer, when it fails, then the handoff is open and offered again', async () => {
    const { store, newCustomer } = fixture();
    const id = await newCustomer();
    const other = await newCustomer();
    const webUser = `web-${randomUUID()}`;
    await store.linkIdentity(other, { kind: 'webchat', value: webUser });
    // `other` has a phone: not anonymous, so no merge.
    const { token, handoffId } = await store.issueHandoffToken(id, 'webchat', 900);
    await expect(
      store.redeemHandoffToken(token, { kind: 'webchat', value: webUser }, { channel: 'webchat' }),
    ).rejects.toBeInstanceOf(IdentityConflictError);
    expect(brief(await store.openHandoffs(id))).toEqual([[handoffId, 'webchat', 'offered']]);
  });

  it('given two customers with open handoffs, when merged, then the survivor lists both', async () => {
    const { store, newCustomer } = fixture();
    const keep = await newCustomer();
    const merge = await newCustomer();
    const a = await store.issueHandoffToken(keep, 'webchat', 900);
    const b = await store.issueHandoffToken(merge, 'whatsapp', 900);
    await store.mergeCustomers(keep, merge, 'test');
    expect(brief(await store.openHandoffs(keep)).sort()).toEqual(
      [
        [a.handoffId, 'webchat', 'offered'],
        [b.handoffId, 'whatsapp', 'offered'],
      ].sort(),
    );
    // The merged id resolves to the survivor's list.
    expect(await store.openHandoffs(merge)).toHaveLength(2);
  });

  it('given a customer document written before the list was kept, when read, then its handoffs are queried, and the next issue seeds the list with them', async () => {
    const { store, newCustomer } = fixture();
    const id = await newCustomer();
    const old = await store.issueHandoffToken(id, 'whatsapp', 900);
    // Remove the list, as on a document written by the previous version.
    const item = cosmos.containers.customers.item(id, id);
    const { resource } = await item.read();
    const { openHandoffs: _kept, ...legacy } = resource;
    await item.replace(legacy);
    const fresh = storeFor(cosmos.containers, new MemoryContextCache(), { clock: manualClock() });
    expect(brief(await fresh.openHandoffs(id))).toEqual([[old.handoffId, 'whatsapp', 'offered']]);

    const next = await fresh.issueHandoffToken(id, 'webchat', 900);
    const { resource: seeded } = await item.read();
    expect(seeded.openHandoffs.map((h: { id: string }) => h.id).sort()).toEqual(
      [old.handoffId, next.handoffId].sort(),
    );
  });
});
