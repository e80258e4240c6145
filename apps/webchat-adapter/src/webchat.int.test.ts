import { createEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { installXMLHttpRequest } from '@omni/emulators/directline';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import { type Activity, ConnectionStatus, DirectLine } from 'botframework-directlinejs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TokenResponse } from './app.js';
import { readConfig } from './config.js';
import { startWebchatStack, type WebchatStack } from './test-support/stack.js';

let stack: WebchatStack;
let uninstall: () => void;
const clients: DirectLine[] = [];

interface Session extends TokenResponse {
  cookie: string;
}

/** Asks for a token as the page does: a same-origin POST, with the handoff link in the body. */
function tokenRequest(options: { handoff?: string; cookie?: string } = {}): Promise<Response> {
  return fetch(`${stack.url}/api/directline/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'sec-fetch-site': 'same-origin',
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: JSON.stringify(options.handoff === undefined ? {} : { handoff: options.handoff }),
  });
}

async function session(options: { handoff?: string; cookie?: string } = {}): Promise<Session> {
  const response = await tokenRequest(options);
  expect(response.status).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { ...((await response.json()) as TokenResponse), cookie };
}

function connect(options: { token: string; conversationId?: string; watermark?: string }): {
  directLine: DirectLine;
  seen: Activity[];
} {
  const directLine = new DirectLine({
    domain: stack.directLine.domain,
    webSocket: true,
    timeout: 10_000,
    ...options,
  });
  clients.push(directLine);
  const seen: Activity[] = [];
  directLine.activity$.subscribe({ next: (activity) => seen.push(activity), error: () => {} });
  return { directLine, seen };
}

function botTexts(seen: Activity[]): string[] {
  return seen.flatMap((a) => (a.type === 'message' && a.from.role === 'bot' && a.text ? [a.text] : []));
}

function send(directLine: DirectLine, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    directLine.postActivity({ type: 'message', from: { id: 'ignored' }, text } as Activity).subscribe({
      next: resolve,
      error: reject,
    });
  });
}

/** The events on the channel-router's handoff subscription (peeked through the emulator's inspection API). */
async function routerHandoffEvents(): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const path = encodeURIComponent('handoff-events/Subscriptions/channel-router');
  const response = await fetch(`${stack.bus.httpUrl}/entities/${path}/messages?state=active&limit=1000`);
  const page = (await response.json()) as { messages: { body?: unknown }[] };
  return page.messages.map((m) => m.body as { type: string; data: Record<string, unknown> });
}

/** Active messages left on a handoff-events subscription (0 once its consumer has completed them). */
async function pendingFor(subscription: string): Promise<number> {
  const path = encodeURIComponent(`handoff-events/Subscriptions/${subscription}`);
  const response = await fetch(`${stack.bus.httpUrl}/entities/${path}/messages?state=active&limit=1000`);
  return ((await response.json()) as { messages: unknown[] }).messages.length;
}

async function publishDispatched(
  customerId: string,
  handoffId: string,
  token: string,
  correlationId: string,
) {
  const client = createServiceBusClient({ connectionString: stack.env.SERVICEBUS_CONNECTION_STRING ?? '' });
  const publisher = new EventPublisher({ client });
  const now = new Date();
  try {
    await publisher.publish(
      createEvent(
        'handoff.dispatched',
        {
          handoffId,
          customerId,
          fromChannel: 'voice',
          toChannel: 'webchat',
          deliveryChannel: 'whatsapp',
          address: { phone: '+14255550177' },
          link: `http://127.0.0.1/?handoff=${token}`,
          tokenExpiresAt: new Date(now.getTime() + 900_000).toISOString(),
          dispatchedAt: now.toISOString(),
        },
        { source: '/apps/channel-router', correlationId },
      ),
    );
  } finally {
    await publisher.close();
    await client.close();
  }
}

beforeAll(async () => {
  uninstall = installXMLHttpRequest();
  stack = await startWebchatStack();
}, 60_000);

afterEach(() => {
  for (const c of clients.splice(0)) c.end();
});

afterAll(async () => {
  await stack?.stop();
  uninstall?.();
}, 30_000);

describe('webchat-adapter with botframework-directlinejs through the Direct Line emulator', () => {
  it('given a new web user, when they join and send a message, then they are welcomed, see typing and get the reply', async () => {
    const s = await session();
    expect(s.userId).toMatch(/^dl_/);
    const { directLine, seen } = connect({ token: s.token });
    await vi.waitFor(() => expect(botTexts(seen)[0]).toContain('How can I help'), { timeout: 15_000 });
    await send(directLine, 'echo hello web');
    await vi.waitFor(() => expect(botTexts(seen)).toContain('echo: hello web'), { timeout: 15_000 });
    expect(seen.some((a) => a.type === 'typing')).toBe(true);
    const user = seen.find((a) => a.type === 'message' && a.from.role === 'user');
    expect(user?.from.id).toBe(s.userId);
  });

  it('given a conversation, when the client reconnects with its watermark, then it receives only what came after', async () => {
    const s = await session();
    const first = connect({ token: s.token });
    await send(first.directLine, 'echo first');
    await vi.waitFor(() => expect(botTexts(first.seen)).toContain('echo: first'), { timeout: 15_000 });
    const watermark = String(stack.directLine.activities(s.conversationId).length);
    first.directLine.end();

    const second = connect({ token: s.token, conversationId: s.conversationId, watermark });
    await vi.waitFor(
      () => expect(second.directLine.connectionStatus$.getValue()).toBe(ConnectionStatus.Online),
      {
        timeout: 15_000,
      },
    );
    await send(second.directLine, 'echo second');
    await vi.waitFor(() => expect(botTexts(second.seen)).toContain('echo: second'), { timeout: 15_000 });
    expect(botTexts(second.seen)).not.toContain('echo: first');
  });

  it('given a returning browser (cookie), when it opens a new chat, then it is welcomed back with its recent turns', async () => {
    const s = await session();
    const first = connect({ token: s.token });
    await send(first.directLine, 'echo remember me');
    await vi.waitFor(() => expect(botTexts(first.seen)).toContain('echo: remember me'), { timeout: 15_000 });
    first.directLine.end();

    const again = await session({ cookie: s.cookie });
    expect(again.userId).toBe(s.userId);
    const { seen } = connect({ token: again.token });
    // Greeting and recent turns are separate activities: wait for both.
    await vi.waitFor(
      () => {
        const texts = botTexts(seen).join('\n');
        expect(texts).toContain('Welcome back');
        expect(texts).toContain('*You* (webchat): echo remember me');
      },
      { timeout: 15_000 },
    );
  });

  it('given a handoff link from a call, when it is redeemed, then the web user is the customer and the first reply uses the call context', async () => {
    const phone = '+14255550177';
    const { customer } = await stack.context.store.resolveCustomer(
      { kind: 'phone', value: phone },
      { channel: 'voice' },
    );
    await stack.context.store.updateSummary(
      customer.customerId,
      'Caller reported a power outage at 14 Cardigan Road, LS6 1LF.',
      { postcode: 'LS6 1LF', address: '14 Cardigan Road' },
    );
    const issued = await stack.context.store.issueHandoffToken(customer.customerId, 'webchat', 900, {
      fromChannel: 'voice',
    });
    // The router's dispatch (the link travels by WhatsApp): the adapter remembers it for the completion.
    const correlationId = `corr_${issued.handoffId}`;
    await publishDispatched(customer.customerId, issued.handoffId, issued.token, correlationId);
    await vi.waitFor(async () => expect(await pendingFor('webchat-adapter')).toBe(0), {
      timeout: 15_000,
      interval: 100,
    });
    const s = await session({ handoff: issued.token });
    const linked = await stack.context.store.resolveCustomer({ kind: 'webchat', value: s.userId });
    expect(linked.customer.customerId).toBe(customer.customerId);

    const { directLine, seen } = connect({ token: s.token });
    // The welcome comes as several activities (greeting, summary, recent turns): wait for all of it.
    await vi.waitFor(
      () => {
        const texts = botTexts(seen).join('\n');
        expect(texts).toContain('Welcome back');
        expect(texts).toContain('from our phone call');
        expect(texts).toContain('LS6 1LF');
      },
      { timeout: 15_000 },
    );
    const before = botTexts(seen).length;
    await send(directLine, 'any update on the outage?');
    await vi.waitFor(() => expect(botTexts(seen).slice(before).join('\n')).toContain('LS6 1LF'), {
      timeout: 20_000,
    });
    await vi.waitFor(
      async () =>
        expect(await routerHandoffEvents()).toContainEqual(
          expect.objectContaining({
            type: 'handoff.completed',
            correlationId,
            data: expect.objectContaining({ handoffId: issued.handoffId, toChannel: 'webchat' }),
          }),
        ),
      { timeout: 15_000, interval: 100 },
    );
  });

  it('given a used or expired handoff link, when the page asks for a token, then it is refused with a clear problem', async () => {
    const { customer } = await stack.context.store.resolveCustomer(
      { kind: 'phone', value: '+14255550178' },
      { channel: 'voice' },
    );
    const issued = await stack.context.store.issueHandoffToken(customer.customerId, 'webchat');
    await session({ handoff: issued.token });
    const replay = await tokenRequest({ handoff: issued.token });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect(((await replay.json()) as { detail: string }).detail).toContain('already been used');

    // Issued an hour ago with a one-minute lifetime, by a store on the same Cosmos.
    const past = createCustomerContextStore(readConfig(stack.env), { clock: () => Date.now() - 3_600_000 });
    try {
      const old = await past.store.issueHandoffToken(customer.customerId, 'webchat', 60);
      const expired = await tokenRequest({ handoff: old.token });
      expect(expired.status).toBe(410);
      expect(((await expired.json()) as { detail: string }).detail).toContain('expired');
    } finally {
      await past.close();
    }
    const forged = await tokenRequest({ handoff: 'x'.repeat(40) });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { detail: string }).detail).toContain('not valid');
  });

  it('given Direct Line retries an activity, when it arrives twice, then it is answered once', async () => {
    const s = await session();
    const { directLine, seen } = connect({ token: s.token });
    const activityId = await send(directLine, 'echo only once');
    await vi.waitFor(() => expect(botTexts(seen)).toContain('echo: only once'), { timeout: 15_000 });
    const original = stack.directLine.activities(s.conversationId).find((a) => a.id === activityId);
    const retry = await fetch(`${stack.url}/api/messages`, {
      method: 'POST',
      // The channel signs its retry as it signed the first delivery.
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${stack.directLine.channelToken()}`,
      },
      body: JSON.stringify({
        ...original,
        serviceUrl: `${stack.directLine.endpoint}/`,
        recipient: { id: 'omni-bot', name: 'omni-bot' },
      }),
    });
    expect(retry.status).toBe(200);
    // Same user, same session: once the next message is answered, the retry has been handled before it.
    await send(directLine, 'echo barrier');
    await vi.waitFor(() => expect(botTexts(seen)).toContain('echo: barrier'), { timeout: 15_000 });
    expect(botTexts(seen).filter((text) => text === 'echo: only once')).toHaveLength(1);
  });

  it('given a browser that chatted anonymously, when it redeems a handoff link, then its chat is folded into the handed-off customer', async () => {
    const anonymous = await session();
    const first = connect({ token: anonymous.token });
    await send(first.directLine, 'echo before the link');
    await vi.waitFor(() => expect(botTexts(first.seen)).toContain('echo: before the link'), {
      timeout: 15_000,
    });
    const before = await stack.context.store.resolveCustomer({ kind: 'webchat', value: anonymous.userId });

    const { customer } = await stack.context.store.resolveCustomer(
      { kind: 'phone', value: '+14255550179' },
      { channel: 'voice' },
    );
    expect(customer.customerId).not.toBe(before.customer.customerId);
    const issued = await stack.context.store.issueHandoffToken(customer.customerId, 'webchat');
    const redeemed = await session({ handoff: issued.token, cookie: anonymous.cookie });
    expect(redeemed.userId).toBe(anonymous.userId);
    // A fresh store: this test's store cached the identity before the merge (no shared Redis here).
    const fresh = createCustomerContextStore(readConfig(stack.env));
    try {
      const after = await fresh.store.resolveCustomer({ kind: 'webchat', value: anonymous.userId });
      expect(after.customer.customerId).toBe(customer.customerId);
      const turns = await fresh.store.recentTurns(customer.customerId, 10);
      expect(turns.map((t) => t.text)).toContain('echo before the link');
    } finally {
      await fresh.close();
    }
  });
});
