import type { CosmosClientOptions, PluginConfig } from '@azure/cosmos';
import { type CosmosEmulator, startCosmosEmulator } from '@omni/emulators/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryContextCache } from './cache.js';
import { type CustomerContextContainers, createCosmosContainers } from './cosmos.js';
import { freshUsNumber, manualClock, storeFor } from './test-support/harness.js';

/** Every document request of the client, as `<operation> <container>` (e.g. `read customers`). */
const requests: string[] = [];
const recordRequests: PluginConfig = {
  on: 'request',
  plugin: async (context, _diagnostics, next) => {
    const container = /colls\/([^/]+)/.exec(context.path ?? '')?.[1];
    // Documents only: the SDK also reads a container's own definition once per client.
    if (container !== undefined && context.resourceType === 'docs')
      requests.push(`${context.operationType} ${container}`);
    return next(context);
  },
};

let emulator: CosmosEmulator;
let containers: CustomerContextContainers;

beforeAll(async () => {
  emulator = await startCosmosEmulator({ port: 0 });
  containers = createCosmosContainers({
    endpoint: emulator.endpoint,
    key: emulator.key,
    // The SDK's request plugins (not in its public option type): they see every request it sends.
    clientOptions: { plugins: [recordRequests] } as Partial<CosmosClientOptions>,
  });
});

afterAll(async () => {
  containers?.client.dispose();
  await emulator?.stop();
});

/** The requests `work` makes, counted by kind. */
async function requestsOf(work: () => Promise<unknown>): Promise<Record<string, number>> {
  requests.length = 0;
  await work();
  const counts: Record<string, number> = {};
  for (const request of requests) counts[request] = (counts[request] ?? 0) + 1;
  return counts;
}

describe('the requests of one turn (issue #20: one read, one write)', () => {
  it('given a returning customer, when a WhatsApp turn runs in a turn scope, then the customer is read once and written once, and its identity is not read', async () => {
    const clock = manualClock();
    const store = storeFor(containers, new MemoryContextCache(), { clock });
    const phone = `+1${freshUsNumber()}`;
    const { customer } = await store.resolveCustomer({ kind: 'phone', value: phone });
    await store.getOrCreateConversationId(customer.customerId, async () => 'conv_returning');
    const id = customer.customerId;
    // The SDK's first query of a container reads its routing once per client: not part of a turn.
    await store.handoffs(id);
    const link = await store.issueHandoffToken(id, 'whatsapp', 900, { fromChannel: 'voice' });
    let open: Awaited<ReturnType<typeof store.openHandoffs>> = [];

    const counts = await requestsOf(() =>
      store.inTurn(async () => {
        // What the WhatsApp handler and the engine do for one message, in the same order and concurrency.
        await store.resolveCustomer(
          { kind: 'phone', value: phone },
          { channel: 'whatsapp', inboundAt: new Date(clock() + 1_000) },
        );
        await Promise.all([
          store.openHandoffs(id).then((handoffs) => {
            open = handoffs;
          }),
          store.getOrCreateConversationId(id, async () => 'conv_unused'),
          store.getCustomer(id),
          store.recentTurns(id, 50),
        ]);
        const turn = { channel: 'whatsapp' as const, sessionId: 's', at: new Date(clock() + 1_000) };
        await Promise.all([
          store.closeHandoff(id, link.handoffId),
          store.recordTurn(id, { ...turn, role: 'customer', text: 'still out', turnId: 'm1:customer' }),
          store.recordTurn(id, { ...turn, role: 'assistant', text: 'on it', turnId: 'm1:assistant' }),
          store.updateSummary(id, undefined, { '_engine.agentId': 'triage' }),
        ]);
      }),
    );

    expect(counts).toEqual({
      'read customers': 1,
      // The handoff's completion (closed) goes out with the turn's one write.
      'replace customers': 1,
      // The open handoffs come with the customer: no query (it was two trips, query plan then query).
      'create transcripts': 2,
    });
    expect(open.map((h) => [h.id, h.toChannel, h.status])).toEqual([[link.handoffId, 'whatsapp', 'offered']]);
    expect(await store.openHandoffs(id)).toEqual([]);
    const stored = await store.getCustomer(id);
    expect(stored.lastInboundAt.whatsapp).toBe(new Date(clock() + 1_000).toISOString());
    expect(stored.collectedData['_engine.agentId']).toBe('triage');
  });

  it('given a new customer, when a WhatsApp turn runs in a turn scope, then nothing is queried and the conversation takes no lease', async () => {
    const clock = manualClock();
    const store = storeFor(containers, new MemoryContextCache(), { clock });
    const counts = await requestsOf(() =>
      store.inTurn(async () => {
        const { customer } = await store.resolveCustomer(
          { kind: 'phone', value: `+1${freshUsNumber()}` },
          { channel: 'whatsapp', inboundAt: new Date(clock()) },
        );
        const id = customer.customerId;
        await Promise.all([
          store.openHandoffs(id),
          store.getOrCreateConversationId(id, async () => 'conv_new'),
          store.getCustomer(id),
          store.recentTurns(id, 50),
        ]);
        await store.updateSummary(id, undefined, { '_engine.agentId': 'triage' });
      }),
    );
    expect(counts).toEqual({
      'read identities': 1,
      'create identities': 1,
      'create customers': 1,
      'replace customers': 2,
    });
  });
});
