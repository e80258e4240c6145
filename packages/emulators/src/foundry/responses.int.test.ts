import type { PromptAgentDefinition } from '@azure/ai-projects';
import { BadRequestError, InternalServerError, RateLimitError } from 'openai';
import type { ResponseFunctionToolCall, ResponseInputItem } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  agentReference,
  type FoundryFixture,
  functionTool,
  startFoundryFixture,
} from './test-support/fixture.js';

const lookupOutage = functionTool('lookup_outage', 'Finds outages at an address.', {
  address: { type: 'string' },
});
const transferToBilling = functionTool('transfer_to_billing', 'Hands the customer to the Billing agent.', {
  reason: { type: 'string' },
});

function functionCalls(output: readonly { type: string }[]): ResponseFunctionToolCall[] {
  return output.filter((item): item is ResponseFunctionToolCall => item.type === 'function_call');
}

describe('Foundry emulator conversations and responses, through getOpenAIClient()', () => {
  let fx: FoundryFixture;

  beforeAll(async () => {
    fx = await startFoundryFixture();
  });
  beforeEach(async () => {
    fx.foundry.reset();
    const concierge: PromptAgentDefinition = {
      kind: 'prompt',
      model: 'gpt-4o-mini',
      instructions: 'You are the utilities concierge.',
      tools: [lookupOutage, transferToBilling],
    };
    await fx.project.agents.createVersion('UtilitiesConcierge', concierge);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('one conversation per customer: the conversation keeps the user input and the agent’s reply', async () => {
    fx.foundry.model.script({ text: 'Sorry about that. Which address?' });
    const conversation = await fx.openai.conversations.create({ metadata: { customerId: 'cust-1' } });
    expect(conversation.id).toMatch(/^conv_/);

    const response = await fx.openai.responses.create(
      { conversation: conversation.id, input: 'My power is out' },
      agentReference('UtilitiesConcierge'),
    );
    expect(response).toMatchObject({ object: 'response', status: 'completed' });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe('Sorry about that. Which address?');
    expect(response.conversation?.id).toBe(conversation.id);

    const items = [];
    for await (const item of fx.openai.conversations.items.list(conversation.id, { order: 'asc' }))
      items.push(item);
    expect(items).toMatchObject([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'My power is out' }] },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Sorry about that. Which address?' }],
      },
    ]);

    const request = fx.foundry.model.lastRequest;
    expect(request?.agent).toEqual({ name: 'UtilitiesConcierge', version: '1' });
    expect(request?.instructions).toBe('You are the utilities concierge.');
    expect(request?.functionTools.map((t) => t.name)).toEqual(['lookup_outage', 'transfer_to_billing']);
    expect(request?.conversationId).toBe(conversation.id);
  });

  it('a later turn in the same conversation sees the earlier turns; another customer’s does not', async () => {
    const alice = await fx.openai.conversations.create();
    const bob = await fx.openai.conversations.create();
    await fx.openai.responses.create(
      { conversation: alice.id, input: 'Alice here' },
      agentReference('UtilitiesConcierge'),
    );
    await fx.openai.responses.create(
      { conversation: bob.id, input: 'Bob here' },
      agentReference('UtilitiesConcierge'),
    );
    const again = await fx.openai.responses.create(
      { conversation: alice.id, input: 'Still no power' },
      agentReference('UtilitiesConcierge'),
    );
    expect(again.output_text).toBe('You said: Still no power');

    const context = fx.foundry.model.lastRequest?.context ?? [];
    const texts = context.map((item) => (item.type === 'message' ? item.content[0]?.text : item.type));
    expect(texts).toEqual(['Alice here', 'You said: Alice here', 'Still no power']);
    expect(fx.foundry.inspect.conversationItems(bob.id)).toHaveLength(2);
  });

  it('items added with conversations.items.create are what the next response answers', async () => {
    const conversation = await fx.openai.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'First message' }],
    });
    await fx.openai.conversations.items.create(conversation.id, {
      items: [{ type: 'message', role: 'user', content: 'Second message' }],
    });
    const response = await fx.openai.responses.create(
      { conversation: conversation.id },
      agentReference('UtilitiesConcierge'),
    );
    expect(response.output_text).toBe('You said: Second message');
    expect(fx.foundry.model.lastRequest?.input).toEqual([]);
    expect(fx.foundry.model.lastRequest?.context).toHaveLength(2);
  });

  it('function-call round trip: the output sent back with the same call_id reaches the model, which answers', async () => {
    fx.foundry.model.script(
      {
        functionCall: { name: 'lookup_outage', arguments: { address: '1 Main St' }, callId: 'call_outage_1' },
      },
      (request) => {
        const output = request.functionOutputs[0];
        return { text: `Outage found: ${output?.output} (via ${output?.name})` };
      },
    );
    const conversation = await fx.openai.conversations.create();
    const first = await fx.openai.responses.create(
      { conversation: conversation.id, input: 'No power at 1 Main St' },
      agentReference('UtilitiesConcierge'),
    );
    const [call] = functionCalls(first.output);
    expect(call).toMatchObject({ type: 'function_call', name: 'lookup_outage', call_id: 'call_outage_1' });
    expect(JSON.parse(call?.arguments ?? '')).toEqual({ address: '1 Main St' });
    expect(first.output_text).toBe('');

    const toolOutput: ResponseInputItem = {
      type: 'function_call_output',
      call_id: call?.call_id ?? '',
      output: JSON.stringify({ outage: true, eta: '18:00' }),
    };
    const second = await fx.openai.responses.create(
      { conversation: conversation.id, input: [toolOutput] },
      agentReference('UtilitiesConcierge'),
    );
    expect(second.output_text).toBe('Outage found: {"outage":true,"eta":"18:00"} (via lookup_outage)');
    expect(fx.foundry.model.requests[1]?.functionOutputs).toEqual([
      { callId: 'call_outage_1', name: 'lookup_outage', output: '{"outage":true,"eta":"18:00"}' },
    ]);

    const kinds = fx.foundry.inspect.conversationItems(conversation.id).map((item) => item.type);
    expect(kinds).toEqual(['message', 'function_call', 'function_call_output', 'message']);
  });

  it('a function_call_output whose call_id matches no call is refused (400), and nothing is stored', async () => {
    fx.foundry.model.script({ functionCall: { name: 'lookup_outage', arguments: {}, callId: 'call_real' } });
    const conversation = await fx.openai.conversations.create();
    await fx.openai.responses.create(
      { conversation: conversation.id, input: 'No power' },
      agentReference('UtilitiesConcierge'),
    );
    const error = await fx.openai.responses
      .create(
        {
          conversation: conversation.id,
          input: [{ type: 'function_call_output', call_id: 'call_wrong', output: 'x' }],
        },
        agentReference('UtilitiesConcierge'),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toContain('call_wrong');
    expect(fx.foundry.inspect.conversationItems(conversation.id)).toHaveLength(2);
  });

  it('a new user message while a function call is unanswered is refused (400)', async () => {
    fx.foundry.model.script({
      functionCall: { name: 'lookup_outage', arguments: {}, callId: 'call_pending' },
    });
    const conversation = await fx.openai.conversations.create();
    await fx.openai.responses.create(
      { conversation: conversation.id, input: 'No power' },
      agentReference('UtilitiesConcierge'),
    );
    await expect(
      fx.openai.responses.create(
        { conversation: conversation.id, input: 'Hello?' },
        agentReference('UtilitiesConcierge'),
      ),
    ).rejects.toThrow(/No tool output found for function call call_pending/);
  });

  it('a transfer tool call (transfer_to_billing) comes back as a function_call the caller can act on', async () => {
    fx.foundry.model.script({
      text: 'Let me bring in our billing team.',
      functionCall: { name: 'transfer_to_billing', arguments: { reason: 'double charge' } },
    });
    const conversation = await fx.openai.conversations.create();
    const response = await fx.openai.responses.create(
      { conversation: conversation.id, input: 'I was charged twice' },
      agentReference('UtilitiesConcierge'),
    );
    expect(response.output_text).toBe('Let me bring in our billing team.');
    const [transfer] = functionCalls(response.output);
    expect(transfer?.name).toBe('transfer_to_billing');
    expect(transfer?.call_id).toMatch(/^call_/);
    expect(JSON.parse(transfer?.arguments ?? '')).toEqual({ reason: 'double charge' });
  });

  it('the model cannot call a tool the agent does not have', async () => {
    fx.foundry.model.script({ functionCall: { name: 'issue_refund', arguments: { amount: 10 } } });
    const error = await fx.openai.responses
      .create({ input: 'Refund me' }, agentReference('UtilitiesConcierge'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as Error).message).toContain("'issue_refund', which is not a function tool");
  });

  it('structured output (text.format json_schema) returns the scripted JSON as output_text', async () => {
    const classification = { agent_id: 'Billing', confidence: 0.92, ambiguous: false };
    fx.foundry.model.script({ json: classification });
    const response = await fx.openai.responses.create({
      model: 'gpt-4o-mini',
      instructions: 'Classify the customer message.',
      input: 'I was charged twice',
      text: {
        format: {
          type: 'json_schema',
          name: 'classification',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              agent_id: { type: 'string' },
              confidence: { type: 'number' },
              ambiguous: { type: 'boolean' },
            },
            required: ['agent_id', 'confidence', 'ambiguous'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(JSON.parse(response.output_text)).toEqual(classification);
    expect(fx.foundry.model.lastRequest?.textFormat).toMatchObject({
      type: 'json_schema',
      name: 'classification',
    });
    expect(fx.foundry.model.lastRequest?.agent).toBeUndefined();
    expect(fx.foundry.model.lastRequest?.instructions).toBe('Classify the customer message.');
  });

  it('refuses tools or instructions next to an agent reference: the agent owns them', async () => {
    const error = await fx.openai.responses
      .create({ input: 'hi', tools: [lookupOutage] }, agentReference('UtilitiesConcierge'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      param: 'tools',
      message: expect.stringContaining('Not allowed when agent'),
    });
    expect(fx.foundry.model.requests).toHaveLength(0);
  });

  it('an agent reference may pin a version', async () => {
    await fx.project.agents.createVersion('UtilitiesConcierge', {
      kind: 'prompt',
      model: 'gpt-4o',
      instructions: 'Version two.',
    });
    await fx.openai.responses.create({ input: 'hi' }, agentReference('UtilitiesConcierge', '1'));
    expect(fx.foundry.model.lastRequest).toMatchObject({ agent: { version: '1' }, model: 'gpt-4o-mini' });
    await fx.openai.responses.create({ input: 'hi' }, agentReference('UtilitiesConcierge'));
    expect(fx.foundry.model.lastRequest).toMatchObject({
      agent: { version: '2' },
      model: 'gpt-4o',
      instructions: 'Version two.',
    });
    await expect(
      fx.openai.responses.create({ input: 'hi' }, agentReference('NoSuchAgent')),
    ).rejects.toMatchObject({ status: 404 });
  });

  it('previous_response_id continues a chain without a conversation, with per-request tools', async () => {
    fx.foundry.model.script(
      { functionCall: { name: 'lookup_outage', arguments: { address: '2 Elm' } } },
      {
        text: 'Power returns at 18:00.',
      },
    );
    const first = await fx.openai.responses.create({
      model: 'gpt-4o-mini',
      input: 'Outage at 2 Elm?',
      tools: [lookupOutage],
    });
    const [call] = functionCalls(first.output);
    const second = await fx.openai.responses.create({
      model: 'gpt-4o-mini',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call?.call_id ?? '', output: '18:00' }],
      tools: [lookupOutage],
    });
    expect(second.output_text).toBe('Power returns at 18:00.');
    expect(second.previous_response_id).toBe(first.id);
    expect(fx.foundry.model.lastRequest?.context.map((i) => i.type)).toEqual([
      'message',
      'function_call',
      'function_call_output',
    ]);
    expect((await fx.openai.responses.retrieve(second.id)).id).toBe(second.id);
  });

  it('reports deterministic usage (about four characters a token) or the scripted counts', async () => {
    fx.foundry.model.script(
      { text: '12345678' },
      { text: 'x', usage: { input_tokens: 1000, output_tokens: 250 } },
    );
    const computed = await fx.openai.responses.create({
      model: 'm',
      instructions: 'abcd',
      input: 'abcdefgh',
    });
    expect(computed.usage).toMatchObject({ input_tokens: 3, output_tokens: 2, total_tokens: 5 });
    const scripted = await fx.openai.responses.create({ model: 'm', input: 'x' });
    expect(scripted.usage).toMatchObject({ input_tokens: 1000, output_tokens: 250, total_tokens: 1250 });
  });

  it('a scripted error (429) reaches the caller as the SDK error, and the conversation is left untouched', async () => {
    fx.foundry.model.script({
      error: { status: 429, message: 'Rate limit reached', code: 'rate_limit_exceeded' },
    });
    const conversation = await fx.openai.conversations.create();
    const error = await fx.openai.responses
      .create({ conversation: conversation.id, input: 'hi' }, agentReference('UtilitiesConcierge'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(fx.foundry.inspect.conversationItems(conversation.id)).toEqual([]);
  });

  it('a scripted 429 asks for a wait (retry-after-ms, retry-after) as Azure OpenAI does, so the SDK retries after it', async () => {
    fx.foundry.model.script(
      {
        error: {
          status: 429,
          message: 'Rate limit reached',
          code: 'rate_limit_exceeded',
          retryAfterMs: 1500,
        },
      },
      { error: { status: 429, message: 'Rate limit reached', code: 'rate_limit_exceeded' } },
    );
    const first = await fx.openai.responses.create({ model: 'm', input: 'hi' }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RateLimitError);
    expect((first as RateLimitError).headers?.get('retry-after-ms')).toBe('1500');
    expect((first as RateLimitError).headers?.get('retry-after')).toBe('2');
    const second = await fx.openai.responses.create({ model: 'm', input: 'hi' }).catch((e: unknown) => e);
    expect((second as RateLimitError).headers?.get('retry-after-ms')).toBe('100');
  });

  it('streams a response as server-sent events the SDK assembles', async () => {
    fx.foundry.model.script({ text: 'Streaming works.' });
    const stream = await fx.openai.responses.create(
      { input: 'stream please', stream: true },
      agentReference('UtilitiesConcierge'),
    );
    const types: string[] = [];
    let delta = '';
    let completedText: string | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') delta += event.delta;
      if (event.type === 'response.completed') {
        const [message] = event.response.output;
        completedText =
          message?.type === 'message'
            ? message.content.map((p) => ('text' in p ? p.text : '')).join('')
            : undefined;
      }
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(delta).toBe('Streaming works.');
    expect(completedText).toBe('Streaming works.');
  });

  it('deleting a conversation makes it and its items unreachable', async () => {
    const conversation = await fx.openai.conversations.create();
    const deleted = await fx.openai.conversations.delete(conversation.id);
    expect(deleted).toMatchObject({ id: conversation.id, deleted: true });
    await expect(fx.openai.conversations.retrieve(conversation.id)).rejects.toMatchObject({ status: 404 });
  });

  it('shows a conversation’s items to the sandbox (/_emulator/conversations/:id/items)', async () => {
    const conversation = await fx.openai.conversations.create();
    await fx.openai.responses.create(
      { conversation: conversation.id, input: 'hello' },
      agentReference('UtilitiesConcierge'),
    );
    const res = await fetch(`${fx.foundry.origin}/_emulator/conversations/${conversation.id}/items`);
    const body = (await res.json()) as { data: { role: string }[] };
    expect(body.data.map((item) => item.role)).toEqual(['user', 'assistant']);
  });
});
