import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Scenario } from '../../scenario.js';
import { defaultFoundryAgentName, FOUNDRY_DEFINITION_HASH_METADATA_KEY } from './agent-definitions.js';
import { FOUNDRY_ENDPOINT_MISSING, runAgentsSync } from './agents-sync-cli.js';
import { syncAgents } from './sync-agents.js';
import { type FoundryDriverFixture, startFoundryDriverFixture } from './test-support/fixture.js';

describe('syncAgents / agents:sync against the Foundry emulator', () => {
  let fx: FoundryDriverFixture;

  beforeAll(async () => {
    fx = await startFoundryDriverFixture();
  });
  beforeEach(() => fx.foundry.reset());
  afterAll(async () => {
    await fx?.stop();
  });

  const storedTools = async (name: string, version = '1') => {
    const stored = await fx.project.agents.getVersion(name, version);
    return ((stored.definition as { tools?: { name: string }[] }).tools ?? []).map((t) => t.name);
  };

  it('creates one version per agent with exactly its own tools and its transfer tools baked in', async () => {
    const report = await syncAgents({
      project: fx.project,
      scenario: fx.scenario,
      tools: fx.tools,
      model: 'gpt-4.1-mini',
    });
    expect(report.map((r) => [r.agentId, r.name, r.status, r.version])).toEqual([
      ['UtilitiesConcierge', 'utilities-utilities-concierge', 'created', '1'],
      ['Billing', 'utilities-billing', 'created', '1'],
      ['Outage', 'utilities-outage', 'created', '1'],
      ['Service', 'utilities-service', 'created', '1'],
      ['Usage', 'utilities-usage', 'created', '1'],
    ]);
    expect(await storedTools('utilities-billing')).toEqual([
      'get_account',
      'get_bill',
      'execute_channel_handoff',
      'escalate_to_human',
      'end_session',
      'transfer_to_Usage',
      'transfer_to_Service',
      'transfer_to_Outage',
    ]);
    expect(await storedTools('utilities-billing')).not.toContain('check_outage');
    expect(await storedTools('utilities-outage')).not.toContain('get_bill');

    const stored = await fx.project.agents.getVersion('utilities-billing', '1');
    expect(stored.metadata?.[FOUNDRY_DEFINITION_HASH_METADATA_KEY]).toBe(report[1]?.hash);
    const definition = stored.definition as {
      model: string;
      instructions: string;
      tools: { name: string; parameters: unknown }[];
    };
    expect(definition.model).toBe('gpt-4.1-mini');
    expect(definition.instructions).toContain('Billing Specialist');
    expect(definition.instructions).toContain('- voice:');
    expect(definition.instructions).toContain('Never ask the customer again');
    expect(definition.tools.find((t) => t.name === 'transfer_to_Usage')?.parameters).toMatchObject({
      properties: { reason: { type: 'string' } },
      required: ['reason'],
    });
  });

  it('a second sync with no change adds no version; a changed instruction adds version 2 for that agent only', async () => {
    await syncAgents({ project: fx.project, scenario: fx.scenario, tools: fx.tools });
    const again = await syncAgents({ project: fx.project, scenario: fx.scenario, tools: fx.tools });
    expect(again.every((r) => r.status === 'unchanged' && r.version === '1')).toBe(true);

    const changed: Scenario = {
      ...fx.scenario,
      agents: fx.scenario.agents.map((a) =>
        a.id === 'Billing'
          ? { ...a, instructions: `${a.instructions}\nAlways mention the payment plan.` }
          : a,
      ),
    };
    const third = await syncAgents({ project: fx.project, scenario: changed, tools: fx.tools });
    expect(third.find((r) => r.agentId === 'Billing')).toMatchObject({ status: 'updated', version: '2' });
    expect(third.filter((r) => r.status === 'unchanged')).toHaveLength(4);
    const versions: string[] = [];
    for await (const v of fx.project.agents.listVersions('utilities-billing', { order: 'asc' }))
      versions.push(v.version);
    expect(versions).toEqual(['1', '2']);
  });

  it('default agent names are valid Foundry names', () => {
    expect(defaultFoundryAgentName({ id: 'utilities' }, { id: 'UtilitiesConcierge' })).toBe(
      'utilities-utilities-concierge',
    );
    expect(defaultFoundryAgentName({ id: 'ecommerce' }, { id: 'CancellationsRefunds' })).toBe(
      'ecommerce-cancellations-refunds',
    );
    const long = defaultFoundryAgentName({ id: 'x'.repeat(40) }, { id: `Agent_${'y'.repeat(40)}` });
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });

  it('the CLI fails fast with a clear message when FOUNDRY_PROJECT_ENDPOINT is unset', async () => {
    await expect(runAgentsSync({}, { write: () => {} })).rejects.toThrow(FOUNDRY_ENDPOINT_MISSING);
    await expect(runAgentsSync({ FOUNDRY_PROJECT_ENDPOINT: '  ' }, { write: () => {} })).rejects.toThrow(
      'FOUNDRY_PROJECT_ENDPOINT is not set: run `azd env get-values` or `pnpm start` for the local emulator',
    );
  });

  it('the CLI syncs the ecommerce scenario against a local endpoint with the local token, printing progress', async () => {
    const lines: string[] = [];
    const report = await runAgentsSync(
      { FOUNDRY_PROJECT_ENDPOINT: fx.foundry.endpoint, SCENARIO: 'ecommerce', FOUNDRY_MODEL: 'gpt-4o-mini' },
      { write: (line) => lines.push(line) },
    );
    expect(report.length).toBeGreaterThan(1);
    expect(report.every((r) => r.status === 'created')).toBe(true);
    expect(lines[0]).toContain('agents:sync ecommerce');
    expect(lines).toHaveLength(report.length + 1);
    expect(lines[1]).toMatch(/created \(version 1; tools: /);
  });
});
