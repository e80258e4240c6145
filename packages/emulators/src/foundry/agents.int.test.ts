import type { Agent, AgentVersion, PromptAgentDefinition } from '@azure/ai-projects';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FoundryFixture, functionTool, startFoundryFixture } from './test-support/fixture.js';

const lookupBill = functionTool('lookup_bill', 'Looks up the latest bill of an account.', {
  accountId: { type: 'string' },
});
const transferToOutage = functionTool('transfer_to_outage', 'Hands the customer to the Outage agent.');

function billingDefinition(instructions: string, tools = [lookupBill]): PromptAgentDefinition {
  return { kind: 'prompt', model: 'gpt-4o-mini', instructions, tools };
}

describe('Foundry emulator agents, through project.agents', () => {
  let fx: FoundryFixture;

  beforeAll(async () => {
    fx = await startFoundryFixture();
  });
  beforeEach(() => fx.foundry.reset());
  afterAll(async () => {
    await fx?.stop();
  });

  it('createVersion stores the definition with its function tools; get returns it as the latest version', async () => {
    const created = await fx.project.agents.createVersion('Billing', billingDefinition('You handle bills.'), {
      description: 'Billing specialist',
      metadata: { scenario: 'utilities' },
    });
    expect(created).toMatchObject({
      object: 'agent.version',
      name: 'Billing',
      version: '1',
      id: 'Billing:1',
    });
    expect(created.created_at).toBeInstanceOf(Date);
    expect(created.description).toBe('Billing specialist');
    expect(created.metadata).toEqual({ scenario: 'utilities' });

    const agent: Agent = await fx.project.agents.get('Billing');
    expect(agent.name).toBe('Billing');
    const definition = agent.versions.latest.definition as PromptAgentDefinition;
    expect(definition.model).toBe('gpt-4o-mini');
    expect(definition.instructions).toBe('You handle bills.');
    expect(definition.tools).toEqual([lookupBill]);
  });

  it('a second createVersion makes version 2; version 1 keeps its own definition', async () => {
    await fx.project.agents.createVersion('Billing', billingDefinition('v1 instructions'));
    const second = await fx.project.agents.createVersion(
      'Billing',
      billingDefinition('v2 instructions', [lookupBill, transferToOutage]),
    );
    expect(second.version).toBe('2');

    const latest = (await fx.project.agents.get('Billing')).versions.latest;
    expect(latest.version).toBe('2');
    expect((latest.definition as PromptAgentDefinition).tools).toHaveLength(2);

    const first = await fx.project.agents.getVersion('Billing', '1');
    expect((first.definition as PromptAgentDefinition).instructions).toBe('v1 instructions');
    expect((first.definition as PromptAgentDefinition).tools).toEqual([lookupBill]);

    const versions: AgentVersion[] = [];
    for await (const version of fx.project.agents.listVersions('Billing', { order: 'asc' }))
      versions.push(version);
    expect(versions.map((v) => v.version)).toEqual(['1', '2']);
  });

  it('list returns every agent with its latest version, across pages', async () => {
    for (const name of ['UtilitiesConcierge', 'Billing', 'Outage']) {
      await fx.project.agents.createVersion(name, billingDefinition(`${name} instructions`));
    }
    await fx.project.agents.createVersion('Outage', billingDefinition('Outage v2'));

    const listed: Agent[] = [];
    for await (const agent of fx.project.agents.list({ limit: 2, order: 'asc' })) listed.push(agent);
    expect(listed.map((a) => a.name)).toEqual(['UtilitiesConcierge', 'Billing', 'Outage']);
    expect(listed.find((a) => a.name === 'Outage')?.versions.latest.version).toBe('2');
  });

  it('update adds a version only when the definition changed', async () => {
    await fx.project.agents.createVersion('Billing', billingDefinition('same'));
    const unchanged = await fx.project.agents.update('Billing', billingDefinition('same'));
    expect(unchanged.versions.latest.version).toBe('1');
    const changed = await fx.project.agents.update('Billing', billingDefinition('different'));
    expect(changed.versions.latest.version).toBe('2');
  });

  it('an unknown agent or version is a 404', async () => {
    await expect(fx.project.agents.get('Nobody')).rejects.toMatchObject({ statusCode: 404 });
    await fx.project.agents.createVersion('Billing', billingDefinition('x'));
    await expect(fx.project.agents.getVersion('Billing', '7')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses a chat-completions style tool ({ function: { name } }), which the SDK serializes without a name', async () => {
    const nested = { type: 'function', function: { name: 'lookup_bill', parameters: { type: 'object' } } };
    const definition = {
      kind: 'prompt',
      model: 'gpt-4o-mini',
      tools: [nested],
    } as unknown as PromptAgentDefinition;
    await expect(fx.project.agents.createVersion('Billing', definition)).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('definition.tools[0].name is required'),
    });
    await expect(fx.project.agents.get('Billing')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses agent names Foundry refuses (underscores) and definitions without a model', async () => {
    await expect(
      fx.project.agents.createVersion('billing_agent', billingDefinition('x')),
    ).rejects.toMatchObject({ statusCode: 400 });
    const noModel = { kind: 'prompt', instructions: 'x' } as unknown as PromptAgentDefinition;
    await expect(fx.project.agents.createVersion('Billing', noModel)).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it('deleteVersion and delete remove what they name', async () => {
    await fx.project.agents.createVersion('Billing', billingDefinition('v1'));
    await fx.project.agents.createVersion('Billing', billingDefinition('v2'));
    await fx.project.agents.deleteVersion('Billing', '2');
    expect((await fx.project.agents.get('Billing')).versions.latest.version).toBe('1');
    await fx.project.agents.delete('Billing');
    await expect(fx.project.agents.get('Billing')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('shows agents with all their versions to the sandbox (/_emulator/agents)', async () => {
    await fx.project.agents.createVersion('Billing', billingDefinition('v1'));
    await fx.project.agents.createVersion('Billing', billingDefinition('v2'));
    const body = (await (await fetch(`${fx.foundry.origin}/_emulator/agents`)).json()) as {
      name: string;
      versions: { version: string }[];
    }[];
    expect(body).toEqual([
      {
        name: 'Billing',
        versions: [expect.objectContaining({ version: '1' }), expect.objectContaining({ version: '2' })],
      },
    ]);
  });
});
