import {
  type AgentStepRequest,
  createBuiltInToolRegistry,
  FoundryDriver,
  foundryAgentTools,
  loadScenario,
  syncAgents,
} from '@omni/conversation';
import { startFoundryEmulator, staticTokenCredential, trustFoundryEmulator } from '@omni/emulators/foundry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

// The emulators' own fault switches (issue #22), each switched on while the app works: the answers Azure gives under
// load (Cosmos 429 with x-ms-retry-after-ms, Service Bus ServerBusy, ACS 429 / 500 / 503, Foundry 429 with
// retry-after-ms) must cost a retry, never a message. Small loads: the point is the path, not the volume.

let stack: WhatsAppStack;

beforeAll(async () => {
  stack = await startWhatsAppStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

async function answeredExactlyOnceInOrder(run: number): Promise<void> {
  const load = await runConversationLoad({
    webhook: stack.webhook,
    channelRegistrationId: stack.acs.channelRegistrationId,
    customers: 4,
    messagesPerCustomer: 3,
    run,
  });
  expect(load.undelivered).toBe(0);
  expect(await eventually(() => allAnswered(load, stack.replies), 45_000)).toBe(true);
  expect(answerMismatches(load, stack.replies)).toEqual([]);
}

describe('whatsapp-adapter with the emulators fault switches on', () => {
  it('given Cosmos answers 429 with x-ms-retry-after-ms, when customers write, then every message is answered exactly once and in order', async () => {
    stack.cosmos.faults.throttle({ requests: 12, retryAfterMs: 20 });
    await answeredExactlyOnceInOrder(31);
    expect(stack.cosmos.faults.pending()).toBe(0);
  }, 90_000);

  it('given Service Bus refuses sends with ServerBusy, when customers write, then every message is answered exactly once and in order', async () => {
    // The SDK waits its default fixed retry delay (core-amqp: 30 s) after ServerBusy, so this one takes ~30 s.
    stack.bus.faults.serverBusy(2);
    await answeredExactlyOnceInOrder(32);
    expect(stack.bus.faults.pending()).toBe(0);
  }, 90_000);

  it('given ACS answers 429, 503 and 500, when customers write, then every message is answered exactly once and in order', async () => {
    stack.acs.faults.next({ status: 429, retryAfterSeconds: 1, count: 2 });
    stack.acs.faults.next({ status: 503, retryAfterSeconds: 1 });
    stack.acs.faults.next({ status: 500 });
    await answeredExactlyOnceInOrder(33);
    expect(stack.acs.faults.pending()).toBe(0);
  }, 90_000);
});

describe('FoundryDriver with the Foundry emulator answering 429', () => {
  it('given the model is throttled twice (retry-after-ms), when a customer speaks, then the step is answered once', async () => {
    const foundry = await startFoundryEmulator({ port: 0 });
    const untrust = trustFoundryEmulator(foundry);
    try {
      const project = { endpoint: foundry.endpoint, credential: staticTokenCredential() };
      const scenario = await loadScenario('utilities');
      const tools = createBuiltInToolRegistry();
      await syncAgents({ project, scenario, tools, model: 'gpt-4.1-mini' });
      // The production driver: the SDKs' default retries, nothing configured for the test.
      const driver = new FoundryDriver({
        project,
        agentModel: 'gpt-4.1-mini',
        classifierModel: 'gpt-4.1-mini',
      });
      const agent = scenario.agents.find((candidate) => candidate.id === 'UtilitiesConcierge');
      if (agent === undefined) throw new Error('no UtilitiesConcierge agent');
      const conversationId = await driver.createConversation('cust-throttled');
      const throttled = {
        status: 429,
        message: 'Rate limit reached',
        code: 'rate_limit_exceeded',
        retryAfterMs: 50,
      };
      foundry.model.script({ error: throttled }, { error: throttled }, { text: 'Which postcode?' });
      const request: AgentStepRequest = {
        customerId: 'cust-throttled',
        conversationId,
        scenario,
        agent,
        channel: 'whatsapp',
        model: 'gpt-4.1-mini',
        input: { kind: 'text', text: 'My power is out' },
        context: [],
        tools: foundryAgentTools(tools, scenario, agent),
      };

      const result = await driver.step(request);

      expect(result.text).toBe('Which postcode?');
      expect(foundry.model.requests).toHaveLength(3);
      const said = foundry.inspect
        .conversationItems(conversationId)
        .filter((item) => item.type === 'message' && item.role !== 'developer');
      expect(said.map((item) => (item.type === 'message' ? item.role : item.type))).toEqual([
        'user',
        'assistant',
      ]);
    } finally {
      untrust();
      await foundry.stop();
    }
  }, 60_000);
});
