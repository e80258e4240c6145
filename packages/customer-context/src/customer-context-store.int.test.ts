import { randomUUID } from 'node:crypto';
import type { CosmosEmulator } from '@omni/emulators/cosmos';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CachedEntry, ContextCache } from './cache.js';
import type { CustomerContextContainers } from './cosmos.js';
import type { CustomerContextStore } from './customer-context-store.js';
import {
  CorruptDocumentError,
  CustomerNotFoundError,
  IdentityConflictError,
  InvalidPhoneError,
  TokenExpiredError,
  TokenInvalidError,
  TokenUsedError,
} from './errors.js';
import {
  cacheVariants,
  deferred,
  freshUsNumber,
  type ManualClock,
  manualClock,
  openCache,
  startCosmos,
  storeFor,
} from './test-support/harness.js';

let emulator: CosmosEmulator;
let containers: CustomerContextContainers;

beforeAll(async () => {
  ({ emulator, containers } = await startCosmos());
});

afterAll(async () => {
  containers?.client.dispose();
  await emulator?.stop();
});

async function count(
  container: 'customers' | 'identities' | 'transcripts' | 'handoffs',
  where: string,
  params: Record<string, unknown>,
) {
  const { resources } = await containers[container].items
    .query<number>({
      query: `SELECT VALUE COUNT(1) FROM c WHERE ${where}`,
      parameters: Object.entries(params).map(([name, value]) => ({ name, value: value as string })),
    })
    .fetchAll();
  return resources[0] ?? 0;
}

function flipByte(segment: string, index: number): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
}

describe.each(cacheVariants)('CustomerContextStore with the %s cache', (variant) => {
  let cache: ContextCache;
  let redis: Redis | undefined;
  let clock: ManualClock;
  let store: CustomerContextStore;

  beforeAll(async () => {
    ({ cache, redis } = await openCache(variant));
  });

  afterAll(async () => {
    await cache?.clear();
    await redis?.quit();
  });

  beforeEach(() => {
    clock = manualClock();
    store = storeFor(containers, cache, { clock });
  });

  const newCustomer = async (displayName = 'Ada') =>
    (await store.resolveCustomer({ kind: 'phone', value: `+1${freshUsNumber()}` }, { displayName })).customer;

  describe('resolveCustomer', () => {
    it('given 20 concurrent first contacts for one new number from voice and whatsapp in mixed formats, when resolved, then there is exactly one customer and one identity document', async () => {
      const digits = freshUsNumber();
      const formats = [`+1${digits}`, `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.resolveCustomer(
            { kind: 'phone', value: formats[i % 2] as string },
            { channel: i % 2 === 0 ? 'voice' : 'whatsapp', displayName: `caller ${i}` },
          ),
        ),
      );
      const ids = new Set(results.map((r) => r.customer.customerId));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const key = `phone:+1${digits}`;
      expect(await count('identities', 'c.id = @k', { '@k': key })).toBe(1);
      // The losers deleted the customer documents they created: no orphans carry the identity.
      expect(await count('customers', 'ARRAY_CONTAINS(c.identities, @k)', { '@k': key })).toBe(1);
      expect(results[0]?.customer.identities).toEqual([key]);
    });

    it('given an invalid phone number, when resolved, then InvalidPhoneError is thrown without the number in its message', async () => {
      const attempt = store.resolveCustomer({ kind: 'phone', value: '+1 555 123' });
      await expect(attempt).rejects.toBeInstanceOf(InvalidPhoneError);
      await attempt.catch((error: Error) => expect(error.message).not.toMatch(/555|123/));
    });

    it('given a WhatsApp contact with a BSUID and a phone, when resolved, then later contacts by either identity reach the same customer', async () => {
      const digits = freshUsNumber();
      const bsuid = `bsuid-${randomUUID()}`;
      const first = await store.resolveCustomer({ kind: 'whatsapp-bsuid', value: bsuid }, { phone: digits });
      expect(first.customer.identities).toEqual([`whatsapp-bsuid:${bsuid}`, `phone:+1${digits}`]);
      const byPhone = await store.resolveCustomer({ kind: 'phone', value: `+1${digits}` });
      const byBsuid = await store.resolveCustomer({ kind: 'whatsapp-bsuid', value: bsuid });
      expect(byPhone.created).toBe(false);
      expect(byPhone.customer.customerId).toBe(first.customer.customerId);
      expect(byBsuid.customer.customerId).toBe(first.customer.customerId);
    });

    it('given a new identity and a phone alias of a known customer, when resolved, then the known customer is found and the identity linked to it', async () => {
      const known = await newCustomer('Known');
      const phone = known.identities[0]?.slice('phone:'.length) as string;
      const bsuid = `bsuid-${randomUUID()}`;
      const result = await store.resolveCustomer({ kind: 'whatsapp-bsuid', value: bsuid }, { phone });
      expect(result.created).toBe(false);
      expect(result.customer.customerId).toBe(known.customerId);
      expect(result.customer.identities).toEqual([`phone:${phone}`, `whatsapp-bsuid:${bsuid}`]);
    });

    it('given an identity of one customer and an alias owned by another, when resolved, then the alias is reported masked and not linked', async () => {
      const web = `web-${randomUUID()}`;
      const mine = (await store.resolveCustomer({ kind: 'webchat', value: web })).customer;
      const other = await newCustomer('Other');
      const otherPhone = other.identities[0]?.slice('phone:'.length) as string;
      const result = await store.resolveCustomer({ kind: 'webchat', value: web }, { phone: otherPhone });
      expect(result.customer.customerId).toBe(mine.customerId);
      expect(result.conflicts).toEqual([`phone:+*******${otherPhone.slice(-4)}`]);
      expect(result.customer.identities).toEqual([`webchat:${web}`]);
      expect((await store.getCustomer(other.customerId)).identities).toEqual(other.identities);
    });

    it('given an inbound hint, when a known customer is resolved, then the inbound time is recorded', async () => {
      const customer = await newCustomer();
      const at = new Date(clock());
      const resolved = await store.resolveCustomer(
        { kind: 'phone', value: customer.identities[0]?.slice(6) as string },
        { channel: 'whatsapp', inboundAt: at },
      );
      expect(resolved.customer.lastInboundAt.whatsapp).toBe(at.toISOString());
    });
  });

  describe('linkIdentity and mergeCustomers', () => {
    it('given an identity of another customer, when linked without merge, then IdentityConflict is thrown and nothing moves', async () => {
      const a = await newCustomer('A');
      const b = await newCustomer('B');
      const bPhone = b.identities[0]?.slice(6) as string;
      await expect(store.linkIdentity(a.customerId, { kind: 'phone', value: bPhone })).rejects.toBeInstanceOf(
        IdentityConflictError,
      );
      const resolved = await store.resolveCustomer({ kind: 'phone', value: bPhone });
      expect(resolved.customer.customerId).toBe(b.customerId);
    });

    it('given a free identity, when linked twice, then it is linked once', async () => {
      const a = await newCustomer();
      const webchat = `web-${randomUUID()}`;
      await store.linkIdentity(a.customerId, { kind: 'webchat', value: webchat });
      const again = await store.linkIdentity(a.customerId, { kind: 'webchat', value: webchat });
      expect(again.identities.filter((k) => k === `webchat:${webchat}`)).toHaveLength(1);
      expect((await store.resolveCustomer({ kind: 'webchat', value: webchat })).customer.customerId).toBe(
        a.customerId,
      );
    });

    it('given two customers with sessions, transcripts, handoffs and conversations, when merged, then everything moves to the survivor and an audit record is left', async () => {
      const keep = await newCustomer('Keep');
      const merge = await newCustomer('Merge');
      await store.getOrCreateConversationId(keep.customerId, async () => 'conv_keep');
      await store.getOrCreateConversationId(merge.customerId, async () => 'conv_merge');
      await store.updateSummary(keep.customerId, 'keep summary', { orderId: 'K-1', postcode: 'KEEP' });
      await store.updateSummary(merge.customerId, 'merge summary', { postcode: 'MERGE', account: 'M-9' });
      await store.startSession(keep.customerId, 'voice', 'call-keep');
      await store.startSession(merge.customerId, 'whatsapp', 'wa-merge');
      await store.recordTurn(merge.customerId, {
        channel: 'whatsapp',
        sessionId: 'wa-merge',
        role: 'customer',
        text: 'my router is broken',
        at: new Date(clock()),
        turnId: 't-merge-1',
      });
      const { handoffId } = await store.issueHandoffToken(merge.customerId, 'webchat');

      const survivor = await store.mergeCustomers(
        keep.customerId,
        merge.customerId,
        'same person (agent confirmed)',
      );

      expect(survivor.customerId).toBe(keep.customerId);
      expect(survivor.identities).toEqual([...keep.identities, ...merge.identities]);
      expect(survivor.foundryConversationId).toBe('conv_keep');
      expect(survivor.mergedConversationIds).toEqual(['conv_merge']);
      expect(survivor.collectedData).toEqual({ orderId: 'K-1', postcode: 'KEEP', account: 'M-9' });
      expect(survivor.summary).toBe('keep summary');
      expect(survivor.sessions.map((s) => s.sessionId).sort()).toEqual(['call-keep', 'wa-merge']);
      expect((await store.recentTurns(keep.customerId, 10)).map((t) => t.text)).toEqual([
        'my router is broken',
      ]);
      expect(
        await count('transcripts', "c.customerId = @id AND c.type = 'turn'", { '@id': merge.customerId }),
      ).toBe(0);
      expect((await store.handoffs(keep.customerId)).map((h) => h.id)).toEqual([handoffId]);
      expect(await count('handoffs', 'c.customerId = @id', { '@id': merge.customerId })).toBe(0);
      const [audit] = await store.mergeAudit(keep.customerId);
      expect(audit).toMatchObject({
        mergedCustomerId: merge.customerId,
        reason: 'same person (agent confirmed)',
        movedTurns: 1,
        movedHandoffs: 1,
        mergedConversationId: 'conv_merge',
        movedIdentities: merge.identities,
      });
      // The merged customer's identities and id now lead to the survivor.
      const mergedPhone = merge.identities[0]?.slice(6) as string;
      expect((await store.resolveCustomer({ kind: 'phone', value: mergedPhone })).customer.customerId).toBe(
        keep.customerId,
      );
      expect((await store.getCustomer(merge.customerId)).customerId).toBe(keep.customerId);
    });

    it('given an identity of another known customer, when linked with merge-anonymous, then nothing is merged and the conflict is refused', async () => {
      const a = await newCustomer('A');
      const b = await newCustomer('B');
      const bPhone = b.identities[0]?.slice(6) as string;
      await expect(
        store.linkIdentity(a.customerId, { kind: 'phone', value: bPhone }, { onConflict: 'merge-anonymous' }),
      ).rejects.toBeInstanceOf(IdentityConflictError);
      expect((await store.getCustomer(b.customerId)).customerId).toBe(b.customerId);
      expect((await store.getCustomer(a.customerId)).identities).not.toContain(`phone:${bPhone}`);
      expect(await store.mergeAudit(a.customerId)).toEqual([]);
    });

    it('given a web user of an anonymous web chat customer, when linked with merge-anonymous, then that customer is folded in', async () => {
      const a = await newCustomer('A');
      const webUser = `web-${randomUUID()}`;
      const anonymous = (await store.resolveCustomer({ kind: 'webchat', value: webUser })).customer;
      const merged = await store.linkIdentity(
        a.customerId,
        { kind: 'webchat', value: webUser },
        { onConflict: 'merge-anonymous' },
      );
      expect(merged.customerId).toBe(a.customerId);
      expect(merged.identities).toContain(`webchat:${webUser}`);
      expect((await store.getCustomer(anonymous.customerId)).customerId).toBe(a.customerId);
    });

    it('given a web chat customer whose session was verified, when linked with merge-anonymous, then it is not anonymous and is not merged', async () => {
      const a = await newCustomer('A');
      const webUser = `web-${randomUUID()}`;
      const known = (await store.resolveCustomer({ kind: 'webchat', value: webUser })).customer;
      await store.raiseAssurance(known.customerId, 'webchat', 'conv-1', 'verified', 'knowledge-check');
      await expect(
        store.linkIdentity(
          a.customerId,
          { kind: 'webchat', value: webUser },
          { onConflict: 'merge-anonymous' },
        ),
      ).rejects.toBeInstanceOf(IdentityConflictError);
    });
  });

  describe('sessions, inbound window and consent', () => {
    it('given a session started asserted, when raised to verified and then started again lower, then it keeps verified', async () => {
      const c = await newCustomer();
      await store.startSession(c.customerId, 'voice', 'call-a', {
        assurance: 'asserted',
        method: 'caller-id',
      });
      await store.raiseAssurance(c.customerId, 'voice', 'call-a', 'verified', 'knowledge-check');
      const after = await store.startSession(c.customerId, 'voice', 'call-a', { assurance: 'asserted' });
      expect(after.sessions.find((s) => s.sessionId === 'call-a')).toMatchObject({
        assurance: 'verified',
        assuranceMethod: 'knowledge-check',
      });
    });

    it('given three failed verifications, when counted, then verification locks; a verified account link clears the count', async () => {
      const c = await newCustomer();
      expect((await store.recordVerificationFailure(c.customerId)).lockedUntil).toBeUndefined();
      expect((await store.recordVerificationFailure(c.customerId)).lockedUntil).toBeUndefined();
      const third = await store.recordVerificationFailure(c.customerId, { lockMs: 60_000 });
      expect(third).toEqual({ failures: 3, lockedUntil: new Date(clock() + 60_000) });
      const linked = await store.linkVerifiedAccount(c.customerId, 'account:4001234567', 'knowledge-check');
      expect(linked.verificationFailures).toBeNull();
      expect(linked.verifiedAccounts).toEqual([
        { ref: 'account:4001234567', linkedAt: expect.any(String), method: 'knowledge-check' },
      ]);
    });

    it('given a started session, when start and end are delivered twice, then one session ends once with the first end', async () => {
      const c = await newCustomer();
      await store.startSession(c.customerId, 'voice', 'call-1');
      await store.startSession(c.customerId, 'voice', 'call-1');
      clock.advance(60_000);
      const firstEnd = new Date(clock());
      await store.endSession(c.customerId, 'voice', 'call-1', 'handed-off');
      clock.advance(60_000);
      const after = await store.endSession(c.customerId, 'voice', 'call-1', 'completed');
      expect(after.sessions).toEqual([
        {
          channel: 'voice',
          sessionId: 'call-1',
          startedAt: expect.any(String),
          endedAt: firstEnd.toISOString(),
          status: 'handed-off',
          assurance: 'none',
          assuranceMethod: null,
        },
      ]);
    });

    it('given an end delivered before its start, when the start arrives, then the session stays ended', async () => {
      const c = await newCustomer();
      await store.endSession(c.customerId, 'webchat', 'chat-1', 'abandoned');
      const after = await store.startSession(c.customerId, 'webchat', 'chat-1');
      expect(after.sessions).toHaveLength(1);
      expect(after.sessions[0]?.status).toBe('abandoned');
    });

    it('given an inbound WhatsApp message, when checked 23 h and 25 h later, then only the first is within the window', async () => {
      const c = await newCustomer();
      const at = new Date(clock());
      await store.recordInbound(c.customerId, 'whatsapp', at);
      await store.recordInbound(c.customerId, 'whatsapp', new Date(at.getTime() - 3_600_000)); // older: ignored
      expect((await store.lastInbound(c.customerId, 'whatsapp'))?.toISOString()).toBe(at.toISOString());
      expect(
        await store.isWithinWindow(c.customerId, 'whatsapp', new Date(at.getTime() + 23 * 3_600_000)),
      ).toBe(true);
      expect(
        await store.isWithinWindow(c.customerId, 'whatsapp', new Date(at.getTime() + 25 * 3_600_000)),
      ).toBe(false);
      expect(await store.isWithinWindow(c.customerId, 'webchat', new Date(at.getTime()))).toBe(false);
    });

    it('given consent given then withdrawn, when read in the customer, then the latest decision shows', async () => {
      const c = await newCustomer();
      await store.setConsent(c.customerId, 'whatsapp', true, { source: 'ivr' });
      clock.advance(1_000);
      await store.setConsent(c.customerId, 'whatsapp', false);
      const read = await store.getCustomer(c.customerId);
      expect(read.consent.whatsapp?.granted).toBe(false);
    });
  });

  describe('getOrCreateConversationId', () => {
    it('given 10 concurrent callers, when the conversation is created, then the creator runs once and one id is stored', async () => {
      const c = await newCustomer();
      let calls = 0;
      const create = async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 30));
        return `conv_${randomUUID()}`;
      };
      const ids = await Promise.all(
        Array.from({ length: 10 }, () => store.getOrCreateConversationId(c.customerId, create)),
      );
      expect(calls).toBe(1);
      expect(new Set(ids).size).toBe(1);
      expect((await store.getCustomer(c.customerId)).foundryConversationId).toBe(ids[0]);
    });

    it('given a failing creator, when called again, then the lease was released and the next call creates', async () => {
      const c = await newCustomer();
      await expect(
        store.getOrCreateConversationId(c.customerId, async () => {
          throw new Error('foundry down');
        }),
      ).rejects.toThrow('foundry down');
      expect(await store.getOrCreateConversationId(c.customerId, async () => 'conv_second')).toBe(
        'conv_second',
      );
    });

    it('given a holder whose lease expired, when another caller takes over and stores, then the late holder discards its id and returns the stored one', async () => {
      const c = await newCustomer();
      const slow = deferred<string>();
      const started = deferred();
      const discarded: string[] = [];
      const late = store.getOrCreateConversationId(
        c.customerId,
        () => {
          started.resolve();
          return slow.promise;
        },
        { discard: async (id) => void discarded.push(id) },
      );
      await started.promise;
      clock.advance(31_000); // past the 30 s lease
      const winner = await store.getOrCreateConversationId(c.customerId, async () => 'conv_takeover');
      slow.resolve('conv_late');
      expect(winner).toBe('conv_takeover');
      expect(await late).toBe('conv_takeover');
      expect(discarded).toEqual(['conv_late']);
      expect((await store.getCustomer(c.customerId)).foundryConversationId).toBe('conv_takeover');
    });
  });

  describe('transcript and summary', () => {
    it('given turns recorded out of order, when the last 3 are read, then they are the newest 3 in chronological order', async () => {
      const c = await newCustomer();
      const base = clock();
      for (const minute of [4, 1, 5, 2, 3]) {
        await store.recordTurn(c.customerId, {
          channel: 'voice',
          sessionId: 'call',
          role: minute % 2 === 0 ? 'assistant' : 'customer',
          text: `t${minute}`,
          at: new Date(base + minute * 60_000),
        });
      }
      expect((await store.recentTurns(c.customerId, 3)).map((t) => t.text)).toEqual(['t3', 't4', 't5']);
    });

    it('given a redelivered turn with the same turnId, when recorded, then only one turn is stored', async () => {
      const c = await newCustomer();
      const turn = {
        channel: 'whatsapp' as const,
        sessionId: 's',
        role: 'customer' as const,
        text: 'hi',
        at: new Date(clock()),
        turnId: 'wamid.1',
      };
      await store.recordTurn(c.customerId, turn);
      const again = await store.recordTurn(c.customerId, { ...turn, text: 'hi (retry)' });
      expect(again.text).toBe('hi');
      expect(await store.recentTurns(c.customerId, 10)).toHaveLength(1);
    });

    it('given collected data, when the summary is updated with a patch, then the patch wins and other keys stay', async () => {
      const c = await newCustomer();
      await store.updateSummary(c.customerId, 'first', { orderId: 'A-1', postcode: 'SW1' });
      const updated = await store.updateSummary(c.customerId, 'second', { postcode: 'EC2', verified: true });
      expect(updated.summary).toBe('second');
      expect(updated.collectedData).toEqual({ orderId: 'A-1', postcode: 'EC2', verified: true });
    });
  });

  describe('handoff tokens', () => {
    it('given a link issued from an asserted call, when redeemed, then the redeeming session inherits asserted and no more', async () => {
      const c = await newCustomer();
      await store.startSession(c.customerId, 'voice', 'call-x', {
        assurance: 'asserted',
        method: 'caller-id',
      });
      const { token } = await store.issueHandoffToken(c.customerId, 'webchat', 900, { fromChannel: 'voice' });
      const redeemed = await store.redeemHandoffToken(
        token,
        { kind: 'webchat', value: `web-${randomUUID()}` },
        { channel: 'webchat' },
      );
      expect(redeemed.handoff.assurance).toBe('asserted');
      const fromWhatsApp = await store.issueHandoffToken(c.customerId, 'webchat', 900, {
        fromChannel: 'whatsapp',
      });
      const second = await store.redeemHandoffToken(
        fromWhatsApp.token,
        { kind: 'webchat', value: `web-${randomUUID()}` },
        { channel: 'webchat' },
      );
      expect(second.handoff.assurance).toBe('channel-verified');
    });

    it('given an issued token, when redeemed from web chat, then the web user is linked and only the token hash is stored', async () => {
      const c = await newCustomer();
      const { token, handoffId } = await store.issueHandoffToken(c.customerId, 'webchat', 900, {
        fromChannel: 'voice',
      });
      const webUser = `web-${randomUUID()}`;
      const redeemed = await store.redeemHandoffToken(
        token,
        { kind: 'webchat', value: webUser },
        { channel: 'webchat' },
      );
      expect(redeemed.customerId).toBe(c.customerId);
      expect(redeemed.identities).toContain(`webchat:${webUser}`);
      const { resource } = await containers.handoffs.item(handoffId, c.customerId).read();
      expect(JSON.stringify(resource)).not.toContain(token);
      expect(resource).toMatchObject({
        status: 'redeemed',
        tokenHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    it('given a handoff id and expiry, when issued twice, then the same token is returned and one handoff is recorded', async () => {
      const c = await newCustomer();
      const handoffId = `ho_saga_${randomUUID()}`;
      const expiresAt = new Date(Date.now() + 600_000);
      const first = await store.issueHandoffToken(c.customerId, 'webchat', 900, { handoffId, expiresAt });
      const again = await store.issueHandoffToken(c.customerId, 'webchat', 900, { handoffId, expiresAt });
      expect(again).toEqual(first);
      expect(first.handoffId).toBe(handoffId);
      expect(first.expiresAt.getTime()).toBe(expiresAt.getTime());
      expect((await store.handoffs(c.customerId)).filter((h) => h.id === handoffId)).toHaveLength(1);
      await expect(
        store.issueHandoffToken(c.customerId, 'whatsapp', 900, { handoffId, expiresAt }),
      ).rejects.toThrow();
    });

    it('given a redeemed token, when replayed, then TokenUsed', async () => {
      const c = await newCustomer();
      const { token } = await store.issueHandoffToken(c.customerId, 'webchat');
      await store.redeemHandoffToken(token, { kind: 'webchat', value: `web-${randomUUID()}` });
      await expect(
        store.redeemHandoffToken(token, { kind: 'webchat', value: `web-${randomUUID()}` }),
      ).rejects.toBeInstanceOf(TokenUsedError);
    });

    it('given a token with a flipped payload byte or signature byte, when redeemed, then TokenInvalid', async () => {
      const c = await newCustomer();
      const { token } = await store.issueHandoffToken(c.customerId, 'webchat');
      const [payload, signature] = token.split('.') as [string, string];
      const web = { kind: 'webchat' as const, value: `web-${randomUUID()}` };
      await expect(
        store.redeemHandoffToken(`${flipByte(payload, 3)}.${signature}`, web),
      ).rejects.toBeInstanceOf(TokenInvalidError);
      await expect(
        store.redeemHandoffToken(`${payload}.${flipByte(signature, 7)}`, web),
      ).rejects.toBeInstanceOf(TokenInvalidError);
      // The genuine token still works: tampered attempts consumed nothing.
      expect((await store.redeemHandoffToken(token, web)).customerId).toBe(c.customerId);
    });

    it('given a token signed with another key, when redeemed, then TokenInvalid', async () => {
      const c = await newCustomer();
      const foreign = storeFor(containers, cache, {
        clock,
        handoffTokenKey: 'another-key-that-is-32-bytes-long!!',
      });
      const { token } = await foreign.issueHandoffToken(c.customerId, 'webchat');
      await expect(
        store.redeemHandoffToken(token, { kind: 'webchat', value: `web-${randomUUID()}` }),
      ).rejects.toBeInstanceOf(TokenInvalidError);
    });

    it('given a token past its ttl on the injected clock, when redeemed, then TokenExpired', async () => {
      const c = await newCustomer();
      const { token } = await store.issueHandoffToken(c.customerId, 'webchat', 60);
      clock.advance(60_001);
      await expect(
        store.redeemHandoffToken(token, { kind: 'webchat', value: `web-${randomUUID()}` }),
      ).rejects.toBeInstanceOf(TokenExpiredError);
    });

    it('given a token for WhatsApp, when redeemed on web chat, then TokenInvalid', async () => {
      const c = await newCustomer();
      const { token } = await store.issueHandoffToken(c.customerId, 'whatsapp');
      await expect(
        store.redeemHandoffToken(
          token,
          { kind: 'webchat', value: `web-${randomUUID()}` },
          { channel: 'webchat' },
        ),
      ).rejects.toBeInstanceOf(TokenInvalidError);
    });

    it('given 10 concurrent redeems of one token, when they race, then exactly one succeeds and the rest get TokenUsed', async () => {
      const c = await newCustomer();
      const { token } = await store.issueHandoffToken(c.customerId, 'webchat');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          store.redeemHandoffToken(token, { kind: 'webchat', value: `web-${randomUUID()}` }),
        ),
      );
      const ok = outcomes.filter((o) => o.status === 'fulfilled');
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed.every((o) => o.reason instanceof TokenUsedError)).toBe(true);
      expect(
        (await store.getCustomer(c.customerId)).identities.filter((k) => k.startsWith('webchat:')),
      ).toHaveLength(1);
    });

    it('given a redeeming identity owned by another customer, when redeemed without merge, then IdentityConflict and the token stays usable', async () => {
      const c = await newCustomer();
      const other = await store.resolveCustomer({ kind: 'webchat', value: `web-${randomUUID()}` });
      const otherWeb = other.customer.identities[0]?.slice('webchat:'.length) as string;
      const { token } = await store.issueHandoffToken(c.customerId, 'webchat');
      await expect(
        store.redeemHandoffToken(token, { kind: 'webchat', value: otherWeb }),
      ).rejects.toBeInstanceOf(IdentityConflictError);
      const fresh = `web-${randomUUID()}`;
      expect((await store.redeemHandoffToken(token, { kind: 'webchat', value: fresh })).identities).toContain(
        `webchat:${fresh}`,
      );
    });
  });

  describe('runOnce', () => {
    it('given 10 concurrent callers with one key, when run, then fn runs once and all get its result', async () => {
      const key = `refund:${randomUUID()}`;
      let runs = 0;
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          store.runOnce(key, async () => {
            runs += 1;
            await new Promise((r) => setTimeout(r, 30));
            return { refundId: `rf_${runs}`, amount: 42 };
          }),
        ),
      );
      expect(runs).toBe(1);
      expect(
        results.every((r) => JSON.stringify(r) === JSON.stringify({ refundId: 'rf_1', amount: 42 })),
      ).toBe(true);
      expect(await store.runOnce(key, async () => ({ refundId: 'never', amount: 0 }))).toEqual({
        refundId: 'rf_1',
        amount: 42,
      });
    });

    it('given a key, when peeked before, during and after its run, then only the finished result is seen', async () => {
      const key = `notice:${randomUUID()}`;
      expect(await store.idempotency.peek(key)).toBeUndefined();
      const release = deferred<string>();
      const started = deferred();
      const running = store.runOnce(key, () => {
        started.resolve();
        return release.promise;
      });
      await started.promise;
      expect(await store.idempotency.peek(key)).toBeUndefined();
      release.resolve('handoff-1');
      await running;
      expect(await store.idempotency.peek(key)).toBe('handoff-1');
      clock.advance(86_400_001);
      expect(await store.idempotency.peek(key)).toBeUndefined();
    });

    it('given a failing fn, when the key is run again, then the retry runs', async () => {
      const key = `webhook:${randomUUID()}`;
      await expect(store.runOnce(key, async () => Promise.reject(new Error('psp timeout')))).rejects.toThrow(
        'psp timeout',
      );
      expect(await store.runOnce(key, async () => 'second')).toBe('second');
    });

    it('given a holder that crashed mid-run, when its lease expires on the clock, then the next caller takes over', async () => {
      const key = `crash:${randomUUID()}`;
      const never = deferred<string>();
      const started = deferred();
      void store.runOnce(
        key,
        () => {
          started.resolve();
          return never.promise;
        },
        { leaseMs: 5_000 },
      );
      await started.promise;
      clock.advance(5_001);
      expect(await store.runOnce(key, async () => 'taken over', { leaseMs: 5_000 })).toBe('taken over');
    });

    it('given a stored result past its ttl, when run again, then fn runs again (the emulator does not expire documents)', async () => {
      const key = `ttl:${randomUUID()}`;
      await store.runOnce(key, async () => 'first', { ttlSeconds: 60 });
      clock.advance(61_000);
      expect(await store.runOnce(key, async () => 'second', { ttlSeconds: 60 })).toBe('second');
    });
  });

  describe('cache coherence', () => {
    it('given a warm cache, when the customer is read, updated and read again, then the new value is returned', async () => {
      const c = await newCustomer();
      await store.getCustomer(c.customerId);
      await store.getCustomer(c.customerId);
      await store.updateSummary(c.customerId, 'after update');
      expect((await store.getCustomer(c.customerId)).summary).toBe('after update');
      // A second store on the same cache (another instance of a service sharing it) sees it too.
      const peer = storeFor(containers, cache, { clock });
      expect((await peer.getCustomer(c.customerId)).summary).toBe('after update');
    });

    it('given a reader that read the old document before a write, when it fills the cache after the write, then the cache keeps the new value', async () => {
      const c = await newCustomer();
      const key = `customer:${c.customerId}`;
      await cache.delete(key);
      // Pause the reader's cache fill until the writer has written Cosmos and the cache.
      const readerRead = deferred();
      const writerDone = deferred();
      let gateNext = true;
      const gated: ContextCache = {
        get: (k) => cache.get(k),
        delete: (k) => cache.delete(k),
        clear: () => cache.clear(),
        close: () => cache.close(),
        setIfNewer: async (k, version, value) => {
          if (k === key && gateNext) {
            gateNext = false;
            readerRead.resolve();
            await writerDone.promise;
          }
          return cache.setIfNewer(k, version, value);
        },
      };
      const reader = storeFor(containers, gated, { clock });
      const staleRead = reader.getCustomer(c.customerId);
      await readerRead.promise; // the reader has the old document from Cosmos in hand
      await store.updateSummary(c.customerId, 'written while the reader was slow');
      writerDone.resolve();
      expect((await staleRead).summary).toBeNull();
      const entry = (await cache.get(key)) as CachedEntry;
      expect((entry.value as { summary: string }).summary).toBe('written while the reader was slow');
      expect((await reader.getCustomer(c.customerId)).summary).toBe('written while the reader was slow');
    });
  });

  describe('eraseCustomer and corrupt documents', () => {
    it('given a customer with identities, turns, handoffs and a conversation, when erased, then everything is gone and the conversation id is returned', async () => {
      const c = await newCustomer();
      const phone = c.identities[0]?.slice(6) as string;
      await store.linkIdentity(c.customerId, { kind: 'webchat', value: `web-${randomUUID()}` });
      await store.getOrCreateConversationId(c.customerId, async () => 'conv_erase');
      await store.startSession(c.customerId, 'voice', 'call-erase');
      await store.recordTurn(c.customerId, {
        channel: 'voice',
        sessionId: 'call-erase',
        role: 'customer',
        text: 'x',
        at: new Date(clock()),
      });
      await store.issueHandoffToken(c.customerId, 'whatsapp');
      await store.getCustomer(c.customerId); // warm the cache

      const erased = await store.eraseCustomer(c.customerId);

      expect(erased).toMatchObject({ foundryConversationId: 'conv_erase', existed: true });
      await expect(store.getCustomer(c.customerId)).rejects.toBeInstanceOf(CustomerNotFoundError);
      expect(await count('identities', 'c.customerId = @id', { '@id': c.customerId })).toBe(0);
      expect(await count('transcripts', 'c.customerId = @id', { '@id': c.customerId })).toBe(0);
      expect(await count('handoffs', 'c.customerId = @id', { '@id': c.customerId })).toBe(0);
      expect(await count('customers', 'c.id = @id', { '@id': c.customerId })).toBe(0);
      const again = await store.resolveCustomer({ kind: 'phone', value: phone });
      expect(again.created).toBe(true);
      expect(again.customer.customerId).not.toBe(c.customerId);
      expect((await store.eraseCustomer(c.customerId)).existed).toBe(false);
    });

    it('given a corrupt customer document, when read, then CorruptDocument names the field', async () => {
      const c = await newCustomer();
      const { resource } = await containers.customers.item(c.customerId, c.customerId).read();
      await containers.customers
        .item(c.customerId, c.customerId)
        .replace({ ...resource, sessions: 'oops', version: 99 });
      await cache.delete(`customer:${c.customerId}`);
      await expect(store.getCustomer(c.customerId)).rejects.toThrow(CorruptDocumentError);
      await expect(store.getCustomer(c.customerId)).rejects.toThrow(/field "sessions"/);
    });
  });
});
