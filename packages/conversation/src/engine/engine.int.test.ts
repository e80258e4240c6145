import { randomUUID } from 'node:crypto';
import {
  type CustomerContextContainers,
  CustomerContextStore,
  createCosmosContainers,
} from '@omni/customer-context';
import { type CosmosEmulator, startCosmosEmulator } from '@omni/emulators/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OfflineDriver } from '../drivers/offline/offline-driver.js';
import { loadScenario } from '../scenario.js';
import { createBuiltInToolRegistry } from '../tools/built-in-tools.js';
import { ConversationEngine } from './conversation-engine.js';
import { queueAt, TEST_NOW } from './test-support/engine-fixtures.js';

let emulator: CosmosEmulator;
let containers: CustomerContextContainers;

beforeAll(async () => {
  emulator = await startCosmosEmulator({ port: 0 });
  containers = createCosmosContainers({ endpoint: emulator.endpoint, key: emulator.key });
});

afterAll(async () => {
  containers?.client.dispose();
  await emulator?.stop();
});

describe('ConversationEngine on the real CustomerContextStore', () => {
  it('given a voice call about an outage and a summary, when the customer continues on WhatsApp, then the first reply names the outage and address without asking again', async () => {
    let now = TEST_NOW;
    const clock = () => now;
    const store = new CustomerContextStore({
      containers,
      handoffTokenKey: 'test-handoff-token-key-0123456789abcdef',
      clock,
      pollIntervalMs: 5,
    });
    const { customer } = await store.resolveCustomer(
      { kind: 'phone', value: '+14255550142' },
      { channel: 'voice' },
    );
    const driver = new OfflineDriver();
    const engine = new ConversationEngine({
      scenario: await loadScenario('utilities'),
      settings: { budgetLimitUsd: 0.5 },
      driver,
      store,
      tools: createBuiltInToolRegistry(),
      queueStatus: async () => queueAt('normal'),
      clock,
    });
    const customerId = customer.customerId;

    const voice = await engine.turn({
      customerId,
      channel: 'voice',
      sessionId: `call-${randomUUID()}`,
      text: 'Hi, my power is out at 14 Cardigan Road, postcode LS6 1LF',
      turnId: 'voice-1',
    });
    expect(voice.agentId).toBe('Outage');
    expect(voice.replies.join(' ')).toContain('OUT-7781');
    expect(voice.replies.join(' ')).not.toMatch(/[*#]/);

    now += 60_000;
    const summary = await engine.summarize(customerId);
    expect(summary.collectedData).toMatchObject({
      postcode: 'LS6 1LF',
      address: '14 Cardigan Road',
      intent: 'a power outage',
    });
    const stored = await store.getCustomer(customerId);
    expect(stored.summary).toBe(summary.summary);
    expect(driver.notes(voice.conversationId)[0]).toMatch(/Do not ask the customer again/);

    now += 60_000;
    const whatsapp = await engine.turn({
      customerId,
      channel: 'whatsapp',
      sessionId: `wa-${randomUUID()}`,
      text: 'Hi again, any update on this?',
      turnId: 'wa-1',
    });
    const reply = whatsapp.replies.join('\n');
    expect(whatsapp.conversationId).toBe(voice.conversationId);
    expect(reply).toMatch(/power outage/);
    expect(reply).toContain('14 Cardigan Road');
    expect(reply).toContain('LS6 1LF');
    expect(reply).not.toMatch(/postcode\?|what is your|could you (?:give|tell)/i);
    expect(driver.calls.createConversation).toBe(1);

    const turns = await store.recentTurns(customerId, 10);
    expect(turns.map((t) => `${t.channel}:${t.role}`)).toEqual([
      'voice:customer',
      'voice:assistant',
      'whatsapp:customer',
      'whatsapp:assistant',
    ]);
    const replay = await engine.turn({
      customerId,
      channel: 'whatsapp',
      sessionId: 'wa-x',
      text: 'Hi again, any update on this?',
      turnId: 'wa-1',
    });
    expect(replay.replies).toEqual(whatsapp.replies);
    expect(await store.recentTurns(customerId, 10)).toHaveLength(4);
  });
});
