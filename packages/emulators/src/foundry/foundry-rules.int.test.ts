import type { PromptAgentDefinition } from '@azure/ai-projects';
import { BadRequestError, ConflictError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  agentReference,
  type FoundryFixture,
  functionTool,
  startFoundryFixture,
} from './test-support/fixture.js';

// What Foundry refuses, the emulator refuses too (issue #22): unknown api-versions, tokens it did not issue,
// tool outputs sent after the 10-minute window, a second response on a conversation that is still answering.

const clock = { ms: Date.UTC(2026, 0, 1), now: () => clock.ms };
const lookupOutage = functionTool('lookup_outage', 'Finds outages at an address.', {
  address: { type: 'string' },
});
let fx: FoundryFixture;

beforeAll(async () => {
  fx = await startFoundryFixture({ clock });
});
beforeEach(async () => {
  fx.foundry.reset();
  const concierge: PromptAgentDefinition = { kind: 'prompt', model: 'gpt-4o-mini', tools: [lookupOutage] };
  await fx.project.agents.createVersion('UtilitiesConcierge', concierge);
});
afterAll(async () => {
  await fx?.stop();
});

const call = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${fx.foundry.endpoint}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });

describe('api-version and bearer token', () => {
  it('refuses an api-version Foundry does not serve (400)', async () => {
    const unknown = await call('/agents?api-version=1999-01-01', 'local-emulator');
    const known = await call('/agents?api-version=v1', 'local-emulator');

    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
      'unsupported_api_version',
    );
    expect(known.status).toBe(200);
  });

  it('refuses a bearer token it did not issue (401)', async () => {
    const forged = await call('/openai/v1/conversations', 'forged', { method: 'POST', body: '{}' });

    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('Bearer');
  });
});

describe('pending tool calls', () => {
  async function pendingCall() {
    fx.foundry.model.script({ functionCall: { name: 'lookup_outage', callId: 'call_1' } });
    const conversation = await fx.openai.conversations.create();
    await fx.openai.responses.create(
      { conversation: conversation.id, input: 'No power' },
      agentReference('UtilitiesConcierge'),
    );
    return conversation.id;
  }
  const answer = (conversation: string) =>
    fx.openai.responses.create(
      { conversation, input: [{ type: 'function_call_output', call_id: 'call_1', output: '18:00' }] },
      agentReference('UtilitiesConcierge'),
    );

  it('takes the tool output within 10 minutes', async () => {
    const conversation = await pendingCall();
    clock.ms += 9 * 60_000;

    await expect(answer(conversation)).resolves.toMatchObject({ status: 'completed' });
  });

  it('refuses the tool output after 10 minutes (400): the pending call expired', async () => {
    const conversation = await pendingCall();
    clock.ms += 10 * 60_000 + 1_000;

    const error = await answer(conversation).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toContain('expired');
  });
});

describe('one response at a time per conversation', () => {
  it('refuses a second response while the first is still being answered (409), then takes the next', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    fx.foundry.model.script(async () => {
      await gate;
      return { text: 'first' };
    });
    const conversation = await fx.openai.conversations.create();
    const first = fx.openai.responses.create(
      { conversation: conversation.id, input: 'one' },
      agentReference('UtilitiesConcierge'),
    );
    await vi.waitFor(() => expect(fx.foundry.model.requests).toHaveLength(1));

    const second = await fx.openai.responses
      .create({ conversation: conversation.id, input: 'two' }, agentReference('UtilitiesConcierge'))
      .catch((failure: unknown) => failure);
    release();

    expect(second).toBeInstanceOf(ConflictError);
    expect((await first).output_text).toBe('first');
    await expect(
      fx.openai.responses.create(
        { conversation: conversation.id, input: 'three' },
        agentReference('UtilitiesConcierge'),
      ),
    ).resolves.toMatchObject({ status: 'completed' });
  });
});

describe('metadata limits', () => {
  it('refuses more than 16 pairs, keys over 64 and values over 512 characters (400)', async () => {
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));

    for (const metadata of [many, { ['k'.repeat(65)]: 'v' }, { customerId: 'x'.repeat(513) }]) {
      await expect(fx.openai.conversations.create({ metadata })).rejects.toBeInstanceOf(BadRequestError);
    }
    await expect(
      fx.openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', metadata: many }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      fx.openai.conversations.create({ metadata: { customerId: 'cust-1' } }),
    ).resolves.toMatchObject({
      metadata: { customerId: 'cust-1' },
    });
  });
});
