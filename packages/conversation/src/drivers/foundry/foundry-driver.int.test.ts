import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isClassificationFailure } from '../../classification.js';
import type { AgentStepRequest } from '../../driver.js';
import type { ConversationChannel } from '../../scenario.js';
import { foundryAgentTools } from './agent-definitions.js';
import { syncAgents } from './sync-agents.js';
import { type FoundryDriverFixture, startFoundryDriverFixture } from './test-support/fixture.js';

describe('FoundryDriver against the Foundry emulator, through the real SDK', () => {
  let fx: FoundryDriverFixture;

  function agent(id: string) {
    const found = fx.scenario.agents.find((a) => a.id === id);
    if (!found) throw new Error(`no agent ${id}`);
    return found;
  }

  function stepRequest(
    customerId: string,
    conversationId: string,
    agentId: string,
    input: AgentStepRequest['input'],
    extra: Partial<Pick<AgentStepRequest, 'context' | 'channel' | 'model'>> = {},
  ): AgentStepRequest {
    const a = agent(agentId);
    return {
      customerId,
      conversationId,
      scenario: fx.scenario,
      agent: a,
      channel: extra.channel ?? ('voice' satisfies ConversationChannel),
      model: extra.model ?? 'gpt-4.1-mini',
      input,
      context: extra.context ?? [],
      tools: foundryAgentTools(fx.tools, fx.scenario, a),
    };
  }

  const messageTexts = (conversationId: string) =>
    fx.foundry.inspect
      .conversationItems(conversationId)
      .flatMap((item) =>
        item.type === 'message' ? [`${item.role}: ${item.content.map((c) => c.text).join('')}`] : [],
      );

  beforeAll(async () => {
    fx = await startFoundryDriverFixture();
  });
  beforeEach(async () => {
    fx.foundry.reset();
    await syncAgents({ project: fx.project, scenario: fx.scenario, tools: fx.tools, model: 'gpt-4.1-mini' });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('given two customers, when each starts a conversation, then each gets its own Foundry conversation', async () => {
    const alice = await fx.driver.createConversation('cust-alice');
    const bob = await fx.driver.createConversation('cust-bob');
    expect(alice).toMatch(/^conv_/);
    expect(bob).toMatch(/^conv_/);
    expect(alice).not.toBe(bob);
    const conversations = fx.foundry.inspect.conversations();
    expect(conversations.find((c) => c.id === alice)?.metadata).toEqual({ customerId: 'cust-alice' });
  });

  it('given one customer, when two steps run, then both land in the same conversation with the agent reference', async () => {
    const conv = await fx.driver.createConversation('cust-1');
    fx.foundry.model.script({
      text: 'Sorry to hear that. What is your postcode?',
      usage: { input_tokens: 120, output_tokens: 9 },
    });
    const first = await fx.driver.step(
      stepRequest('cust-1', conv, 'UtilitiesConcierge', { kind: 'text', text: 'My power is out' }),
    );
    expect(first).toMatchObject({
      text: 'Sorry to hear that. What is your postcode?',
      toolCalls: [],
      usage: { inputTokens: 120, outputTokens: 9 },
      model: 'gpt-4.1-mini',
    });
    expect(first.stepId).toMatch(/^resp_/);
    const request = fx.foundry.model.lastRequest;
    expect(request?.agent).toEqual({ name: 'utilities-utilities-concierge', version: '1' });
    expect(request?.conversationId).toBe(conv);

    fx.foundry.model.script({ text: 'Thanks.' });
    await fx.driver.step(
      stepRequest('cust-1', conv, 'UtilitiesConcierge', { kind: 'text', text: 'SW1A 1AA' }),
    );
    expect(messageTexts(conv)).toEqual([
      'developer: [channel: voice]',
      'user: My power is out',
      'assistant: Sorry to hear that. What is your postcode?',
      'user: SW1A 1AA',
      'assistant: Thanks.',
    ]);
  });

  it('function-call round trip: a tool call comes back, its output goes back with the same call_id, the model answers', async () => {
    const conv = await fx.driver.createConversation('cust-2');
    fx.foundry.model.script(
      {
        text: 'Let me check.',
        functionCall: { name: 'check_outage', arguments: { postcode: 'SW1A 1AA' }, callId: 'call_outage_1' },
      },
      (req) => ({ text: `There is an outage: ${req.functionOutputs[0]?.output ?? 'none'}` }),
    );
    const first = await fx.driver.step(
      stepRequest('cust-2', conv, 'Outage', { kind: 'text', text: 'Is there a power cut at SW1A 1AA?' }),
    );
    expect(first.text).toBe('Let me check.');
    expect(first.toolCalls).toEqual([
      { callId: 'call_outage_1', name: 'check_outage', arguments: JSON.stringify({ postcode: 'SW1A 1AA' }) },
    ]);

    const output = JSON.stringify({ status: 'active', eta: '18:00' });
    const second = await fx.driver.step(
      stepRequest('cust-2', conv, 'Outage', {
        kind: 'tool_outputs',
        outputs: [{ callId: 'call_outage_1', output }],
      }),
    );
    const request = fx.foundry.model.lastRequest;
    expect(request?.input).toEqual([
      expect.objectContaining({ type: 'function_call_output', call_id: 'call_outage_1', output }),
    ]);
    expect(request?.functionOutputs).toEqual([{ callId: 'call_outage_1', name: 'check_outage', output }]);
    expect(second).toMatchObject({ text: `There is an outage: ${output}`, toolCalls: [] });
  });

  it('a transfer_to_Billing call comes back as a tool call; the next step runs Billing with the context note, in the same conversation', async () => {
    const conv = await fx.driver.createConversation('cust-3');
    fx.foundry.model.script({
      functionCall: {
        name: 'transfer_to_Billing',
        arguments: { reason: 'charged twice' },
        callId: 'call_t1',
      },
    });
    const first = await fx.driver.step(
      stepRequest('cust-3', conv, 'UtilitiesConcierge', { kind: 'text', text: 'I was charged twice' }),
    );
    expect(first.toolCalls).toEqual([
      {
        callId: 'call_t1',
        name: 'transfer_to_Billing',
        arguments: JSON.stringify({ reason: 'charged twice' }),
      },
    ]);

    fx.foundry.model.script({ text: 'I can see two payments on your bill.' });
    const note = '[Context from the previous agent]\nThe customer was speaking with UtilitiesConcierge.';
    const second = await fx.driver.step(
      stepRequest(
        'cust-3',
        conv,
        'Billing',
        { kind: 'tool_outputs', outputs: [{ callId: 'call_t1', output: '{"transferred":"Billing"}' }] },
        {
          context: [
            { role: 'system', text: note },
            { role: 'user', text: 'I was charged twice' },
          ],
        },
      ),
    );
    expect(second.text).toBe('I can see two payments on your bill.');
    const request = fx.foundry.model.lastRequest;
    expect(request?.agent?.name).toBe('utilities-billing');
    // The turn the conversation already holds is not sent again; the note is.
    expect(request?.input.map((i) => i.type)).toEqual(['function_call_output', 'message']);
    expect(messageTexts(conv)).toContain(`system: ${note}`);
    expect(messageTexts(conv).filter((t) => t === 'user: I was charged twice')).toHaveLength(1);
  });

  it('the channel marker is added only when the channel changes', async () => {
    const conv = await fx.driver.createConversation('cust-4');
    await fx.driver.step(stepRequest('cust-4', conv, 'UtilitiesConcierge', { kind: 'text', text: 'one' }));
    await fx.driver.step(stepRequest('cust-4', conv, 'UtilitiesConcierge', { kind: 'text', text: 'two' }));
    await fx.driver.step(
      stepRequest(
        'cust-4',
        conv,
        'UtilitiesConcierge',
        { kind: 'text', text: 'three' },
        { channel: 'whatsapp' },
      ),
    );
    expect(messageTexts(conv).filter((t) => t.startsWith('developer:'))).toEqual([
      'developer: [channel: voice]',
      'developer: [channel: whatsapp]',
    ]);
  });

  it('a degraded model runs without the agent reference: model, instructions and tools in the request', async () => {
    const conv = await fx.driver.createConversation('cust-5');
    fx.foundry.model.script({ text: 'Short answer.' });
    const result = await fx.driver.step(
      stepRequest('cust-5', conv, 'Billing', { kind: 'text', text: 'my bill?' }, { model: 'gpt-4.1-nano' }),
    );
    const request = fx.foundry.model.lastRequest;
    expect(request?.agent).toBeUndefined();
    expect(request?.model).toBe('gpt-4.1-nano');
    expect(request?.instructions).toContain('Billing Specialist');
    expect(request?.functionTools.map((t) => t.name)).toContain('transfer_to_Usage');
    expect(result.model).toBe('gpt-4.1-nano');
  });

  it('classify: scripted JSON is a Classification, asked for with the JSON schema and no agent', async () => {
    const json = {
      agent_id: 'Billing',
      confidence: 0.92,
      ambiguous: false,
      intent_summary: 'double charge',
      entities: { amount: '42.10' },
    };
    fx.foundry.model.script({ json });
    const result = await fx.driver.classify({
      scenario: fx.scenario,
      text: 'I was charged twice',
      context: [],
    });
    // The classification, and what its model call used (it counts against the conversation budget).
    expect(result).toEqual({
      ...json,
      usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
      model: expect.any(String),
    });
    const request = fx.foundry.model.lastRequest;
    expect(request?.maxOutputTokens).toBe(256);
    expect(request?.agent).toBeUndefined();
    expect(request?.conversationId).toBeUndefined();
    expect(request?.textFormat).toMatchObject({ type: 'json_schema', name: 'classification' });
    expect(request?.instructions).toContain('- Outage:');
  });

  it('classify: garbage or a failing model is a ClassificationFailure, never a throw', async () => {
    fx.foundry.model.script({ text: 'Billing, probably' });
    const garbage = await fx.driver.classify({ scenario: fx.scenario, text: 'hmm', context: [] });
    expect(isClassificationFailure(garbage) && garbage.reason).toBe('malformed');

    fx.foundry.model.script({ json: { agent_id: 'Billing' } });
    const partial = await fx.driver.classify({ scenario: fx.scenario, text: 'hmm', context: [] });
    expect(isClassificationFailure(partial) && partial.reason).toBe('malformed');

    fx.foundry.model.script({ error: { status: 500, message: 'boom' } });
    const failed = await fx.driver.classify({ scenario: fx.scenario, text: 'hmm', context: [] });
    expect(isClassificationFailure(failed) && failed.reason).toBe('error');
  });

  it('summarize: scripted JSON is the summary, merged over the data already collected', async () => {
    fx.foundry.model.script({
      json: {
        summary: 'Power cut at SW1A 1AA, engineer on the way.',
        collectedData: { postcode: 'SW1A 1AA', outage_ref: 'OUT-7' },
      },
    });
    const summary = await fx.driver.summarize({
      customerId: 'cust-6',
      conversationId: 'conv_x',
      turns: [
        { role: 'user', text: 'My power is out at SW1A 1AA', channel: 'voice' },
        { role: 'assistant', text: 'There is an outage, ref OUT-7.', channel: 'voice' },
      ],
      collectedData: { account: 'A-100' },
    });
    expect(summary).toEqual({
      summary: 'Power cut at SW1A 1AA, engineer on the way.',
      collectedData: { account: 'A-100', postcode: 'SW1A 1AA', outage_ref: 'OUT-7' },
      usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) },
      model: expect.any(String),
    });
    expect(fx.foundry.model.lastRequest?.maxOutputTokens).toBe(1024);
    expect(fx.foundry.model.lastRequest?.textFormat).toMatchObject({
      type: 'json_schema',
      name: 'conversation_summary',
    });

    fx.foundry.model.script({ text: 'not json' });
    const fallback = await fx.driver.summarize({
      customerId: 'cust-6',
      conversationId: 'conv_x',
      turns: [],
      previousSummary: 'earlier',
      collectedData: { account: 'A-100' },
    });
    expect(fallback).toEqual({ summary: 'earlier', collectedData: { account: 'A-100' } });
  });

  it('addNote appears in the conversation as an assistant item the next step sees', async () => {
    const conv = await fx.driver.createConversation('cust-7');
    await fx.driver.addNote(conv, 'Summary: outage at SW1A 1AA. Do not ask for the address again.');
    expect(messageTexts(conv)).toEqual([
      'assistant: Summary: outage at SW1A 1AA. Do not ask for the address again.',
    ]);
    expect(fx.foundry.inspect.conversationItems(conv)[0]).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text' }],
    });
    await fx.driver.step(
      stepRequest('cust-7', conv, 'Outage', { kind: 'text', text: 'any news?' }, { channel: 'whatsapp' }),
    );
    const context = fx.foundry.model.lastRequest?.context ?? [];
    expect(context[0]).toMatchObject({ type: 'message', role: 'assistant' });
  });
});
