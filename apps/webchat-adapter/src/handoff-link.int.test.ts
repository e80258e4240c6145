import { createCustomerContextStore } from '@omni/customer-context';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenResponse } from './app.js';
import { readConfig } from './config.js';
import { startWebchatStack, type WebchatStack } from './test-support/stack.js';

/**
 * The handoff link as an attacker would use it (issue #16, finding 1): anyone can get a link for their own
 * customer by asking on WhatsApp, and send it to a victim. Redeeming it must never merge the victim's known
 * customer into the attacker's, and a cross-site request must not redeem anything.
 */
let stack: WebchatStack;

beforeAll(async () => {
  stack = await startWebchatStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

interface Session extends TokenResponse {
  cookie: string;
}

async function redeem(
  options: { handoff?: string; cookie?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${stack.url}/api/directline/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
    body: JSON.stringify(options.handoff === undefined ? {} : { handoff: options.handoff }),
  });
}

async function session(options: { handoff?: string; cookie?: string } = {}): Promise<Session> {
  const response = await redeem({
    ...options,
    headers: { origin: stack.url, 'sec-fetch-site': 'same-origin' },
  });
  expect(response.status).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { ...((await response.json()) as TokenResponse), cookie };
}

async function phoneCustomer(phone: string): Promise<string> {
  const { customer } = await stack.context.store.resolveCustomer(
    { kind: 'phone', value: phone },
    { channel: 'voice' },
  );
  return customer.customerId;
}

/** A fresh store on the same Cosmos (the test's own store may have cached documents from before a merge). */
async function withFreshStore<T>(
  use: (store: ReturnType<typeof createCustomerContextStore>['store']) => Promise<T>,
): Promise<T> {
  const fresh = createCustomerContextStore(readConfig(stack.env));
  try {
    return await use(fresh.store);
  } finally {
    await fresh.close();
  }
}

describe('handoff link redemption against an attacker', () => {
  it("given a victim's browser bound to their own customer, when it opens an attacker's link, then the victim's customer is not merged and the browser gets a fresh web user", async () => {
    // The victim: a caller who continued on web chat, so their browser's web user belongs to their customer.
    const victimId = await phoneCustomer('+14255550181');
    await stack.context.store.updateSummary(victimId, 'Victim asked about their bill.', {
      postcode: 'LS6 1LF',
    });
    const victimLink = await stack.context.store.issueHandoffToken(victimId, 'webchat', 900, {
      fromChannel: 'voice',
    });
    const victimBrowser = await session({ handoff: victimLink.token });

    // The attacker's own link (asked for on WhatsApp), opened in the victim's browser.
    const attackerId = await phoneCustomer('+14255550182');
    const attackerLink = await stack.context.store.issueHandoffToken(attackerId, 'webchat', 900, {
      fromChannel: 'whatsapp',
    });
    const opened = await session({ handoff: attackerLink.token, cookie: victimBrowser.cookie });

    expect(opened.userId).not.toBe(victimBrowser.userId);
    await withFreshStore(async (store) => {
      // The victim is still a customer of their own, with their phone, web user, summary and data.
      const victim = await store.getCustomer(victimId);
      expect(victim.customerId).toBe(victimId);
      expect(victim.identities).toContain('phone:+14255550181');
      expect(victim.identities).toContain(`webchat:${victimBrowser.userId}`);
      expect(victim.summary).toBe('Victim asked about their bill.');
      // The attacker's customer got nothing of the victim's.
      const attacker = await store.getCustomer(attackerId);
      expect(attacker.identities).not.toContain('phone:+14255550181');
      expect(attacker.identities).not.toContain(`webchat:${victimBrowser.userId}`);
      expect(attacker.collectedData).not.toHaveProperty('postcode');
      expect(await store.mergeAudit(attackerId)).toEqual([]);
      // The browser now holds a fresh web user bound to the link's customer only.
      const linked = await store.resolveCustomer({ kind: 'webchat', value: opened.userId });
      expect(linked.customer.customerId).toBe(attackerId);
    });
  });

  it('given a cross-site request, when it posts a link, then it is refused 403 and the link stays unused', async () => {
    const customerId = await phoneCustomer('+14255550183');
    const link = await stack.context.store.issueHandoffToken(customerId, 'webchat');
    const attempts: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'https://sub.evil.example' },
    ];
    for (const headers of attempts) {
      const response = await redeem({ handoff: link.token, headers });
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    const handoffs = await stack.context.store.handoffs(customerId);
    expect(handoffs.find((h) => h.id === link.handoffId)?.status).toBe('offered');
    // The customer's own same-origin request still works.
    const mine = await session({ handoff: link.token });
    expect(mine.handoff).toBeDefined();
  });

  it('given a plain link click (GET), when it carries a handoff token, then nothing is redeemed', async () => {
    const customerId = await phoneCustomer('+14255550184');
    const link = await stack.context.store.issueHandoffToken(customerId, 'webchat');
    const response = await fetch(`${stack.url}/api/directline/token?handoff=${link.token}`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    const handoffs = await stack.context.store.handoffs(customerId);
    expect(handoffs.find((h) => h.id === link.handoffId)?.status).toBe('offered');
    // The page itself (GET /?handoff=...) only serves HTML.
    const page = await fetch(`${stack.url}/?handoff=${link.token}`);
    expect(page.status).toBe(200);
    expect(
      (await stack.context.store.handoffs(customerId)).find((h) => h.id === link.handoffId)?.status,
    ).toBe('offered');
  });

  it('given a link issued from a caller-ID call, when redeemed, then the web chat session inherits asserted for that customer', async () => {
    const customerId = await phoneCustomer('+14255550185');
    await stack.context.store.startSession(customerId, 'voice', 'call-185', {
      assurance: 'asserted',
      method: 'caller-id',
    });
    const link = await stack.context.store.issueHandoffToken(customerId, 'webchat', 900, {
      fromChannel: 'voice',
    });
    const s = await session({ handoff: link.token });
    await withFreshStore(async (store) => {
      const customer = await store.getCustomer(customerId);
      expect(
        customer.sessions.find((x) => x.channel === 'webchat' && x.sessionId === s.conversationId),
      ).toMatchObject({ assurance: 'asserted', assuranceMethod: 'handoff-link' });
    });
  });
});
