import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { entityCounts } from '../support/bus-inspection.js';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

// Outages of a dependency that last a minute (a failover, a restart): the port refuses connections for 60 s,
// through a TCP gate in front of the emulator. The consumer's failure policy holds the failed messages (1 s,
// 5 s, 30 s, 2 min ...) instead of dead-lettering them after ~1 s. Oracle: every customer answered exactly once,
// in order, and nothing dead-lettered anywhere.

const OUTAGE_MS = 60_000;

/** One adapter on its own emulators, with a TCP gate in front of one dependency. */
interface GatedStack {
  readonly stack: WhatsAppStack;
  readonly gate: TcpGate;
}

async function gatedStack(dependency: 'cosmos' | 'acs'): Promise<GatedStack> {
  let gate: TcpGate | undefined;
  const stack = await startWhatsAppStack(
    dependency === 'cosmos'
      ? {
          cosmosEndpoint: async (cosmos) => {
            gate = await startTcpGate(cosmos.endpoint);
            return gate.url;
          },
        }
      : {
          acsEndpoint: async (acs) => {
            gate = await startTcpGate(acs.endpoint);
            return gate.url;
          },
        },
  );
  if (gate === undefined) throw new Error(`no gate in front of ${dependency}`);
  return { stack, gate };
}

// The two outages run at the same time, each on a stack of its own: each spends its minutes waiting (the outage,
// then the policy's 2-minute hold), so side by side they cost the time of one without sharing any state.
let cosmosDown: GatedStack;
let acsDown: GatedStack;

beforeAll(async () => {
  [cosmosDown, acsDown] = await Promise.all([gatedStack('cosmos'), gatedStack('acs')]);
}, 60_000);

afterAll(async () => {
  for (const gated of [cosmosDown, acsDown]) {
    await gated?.stack.stop();
    await gated?.gate.stop();
  }
}, 30_000);

/** Dead letters of every entity the emulator holds. */
async function deadLettered(stack: WhatsAppStack): Promise<number> {
  const response = await fetch(`${stack.bus.httpUrl}/entities`);
  const page = (await response.json()) as { entities: { deadLetter: number }[] };
  return page.entities.reduce((sum, entity) => sum + entity.deadLetter, 0);
}

/** Where the dead letters are and why (named in a failure message, so a failing run says what went wrong). */
async function deadLetterReport(stack: WhatsAppStack): Promise<string> {
  const response = await fetch(`${stack.bus.httpUrl}/entities`);
  const page = (await response.json()) as { entities: { path: string; deadLetter: number }[] };
  const lines: string[] = [];
  for (const entity of page.entities.filter((e) => e.deadLetter > 0)) {
    const listed = await fetch(
      `${stack.bus.httpUrl}/entities/${encodeURIComponent(entity.path)}/messages?state=deadletter&limit=20`,
    );
    const { messages } = (await listed.json()) as {
      messages: { subject?: string; deadLetterReason?: string; deadLetterErrorDescription?: string }[];
    };
    for (const m of messages) {
      lines.push(
        `${entity.path}: ${m.subject ?? '?'} ${m.deadLetterReason ?? ''} ${m.deadLetterErrorDescription ?? ''}`,
      );
    }
  }
  return lines.join('\n');
}

/** Concurrent tests assert through their own `expect`, so a failure is reported against the right one. */
async function outage(expect: ExpectStatic, { stack, gate }: GatedStack, run: number) {
  const before = await deadLettered(stack);
  const customers = 10;
  const messagesPerCustomer = 3;
  // Customers write while the dependency is down (the webhook only enqueues, so their messages are taken).
  await gate.close();
  const reopened = new Promise<void>((resolve) => {
    setTimeout(() => {
      gate.open().then(resolve, resolve);
    }, OUTAGE_MS);
  });
  const load = await runConversationLoad({
    webhook: stack.webhook,
    channelRegistrationId: stack.acs.channelRegistrationId,
    customers,
    messagesPerCustomer,
    run,
  });
  expect(load.undelivered).toBe(0);
  await reopened;
  // After the outage: the held messages come back on the policy's schedule (the 2-minute step at the latest).
  expect(await eventually(() => allAnswered(load, stack.replies), 200_000)).toBe(true);
  expect(answerMismatches(load, stack.replies)).toEqual([]);
  expect(await deadLettered(stack), await deadLetterReport(stack)).toBe(before);
  const inbound = await entityCounts(stack.bus.httpUrl, 'inbound-messages/Subscriptions/whatsapp-adapter');
  expect(inbound.deadLetter).toBe(0);
}

describe.concurrent('whatsapp-adapter through 60-second outages', () => {
  it('given Cosmos DB refusing connections for 60 s while 10 customers write, then after it is back every message is answered once, in order, none dead-lettered', async ({
    expect,
  }) => {
    await outage(expect, cosmosDown, 61);
  }, 330_000);

  it('given ACS refusing connections for 60 s while 10 customers write, then after it is back every message is answered once, in order, none dead-lettered', async ({
    expect,
  }) => {
    await outage(expect, acsDown, 62);
  }, 330_000);
});
