import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadScenario, parseScenario, ScenarioError } from './scenario.js';

function minimal(): Record<string, unknown> {
  return {
    id: 'mini',
    displayName: 'Mini',
    coordinator: 'Front',
    routing: { mode: 'tools', contextTransferTurns: -1, clarifyBelow: 0.5, escalateBelow: 0.2 },
    handoffPhrases: ["I'll transfer you to our {agent} team"],
    channelStyle: {
      voice: { guidance: 'short', markdown: false },
      whatsapp: { guidance: 'paragraphs', markdown: false },
      webchat: { guidance: 'rich', markdown: true },
    },
    agents: [
      {
        id: 'Front',
        displayName: 'Front desk',
        description: 'Routes.',
        topic: 'something else',
        instructions: 'Route.',
        tools: ['escalate_to_human'],
        handoffs: ['Billing'],
      },
      {
        id: 'Billing',
        displayName: 'Billing Specialist',
        description: 'Bills.',
        topic: 'your bill',
        instructions: 'Bills.',
        examples: ['my bill is wrong'],
        tools: ['get_bill'],
        handoffs: ['Front'],
        style: { voice: { maxSentences: 2 } },
      },
    ],
  };
}

/** The agent at `index` of a spec from {@link minimal}, to edit in place. */
function agentAt(spec: Record<string, unknown>, index: number): Record<string, unknown> {
  const agent = (spec.agents as Record<string, unknown>[])[index];
  if (!agent) throw new Error(`no agent at ${index}`);
  return agent;
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected a ScenarioError');
}

describe('loadScenario', () => {
  it('given the shipped utilities file, when loaded by name, then the concierge coordinates four specialists with ≥ 6 examples each', async () => {
    const scenario = await loadScenario('utilities');
    expect(scenario.coordinator).toBe('UtilitiesConcierge');
    const specialists = scenario.agents.filter((a) => a.id !== scenario.coordinator);
    expect(specialists.map((a) => a.id)).toEqual(['Billing', 'Outage', 'Service', 'Usage']);
    for (const agent of specialists) expect(agent.examples.length).toBeGreaterThanOrEqual(6);
    expect(scenario.maxHandoffsPerTurn).toBe(2);
    const billing = scenario.agents.find((a) => a.id === 'Billing');
    expect(billing?.style.voice.markdown).toBe(false);
    expect(billing?.style.webchat.markdown).toBe(true);
  });

  it('given the shipped ecommerce file, when loaded by name, then it has the five specialists in lazy mode', async () => {
    const scenario = await loadScenario('ecommerce');
    expect(scenario.routing.mode).toBe('lazy');
    expect(scenario.agents.filter((a) => a.id !== scenario.coordinator).map((a) => a.id)).toEqual([
      'Returns',
      'OrderTracking',
      'Recommendations',
      'TechSupport',
      'CancellationsRefunds',
    ]);
    for (const agent of scenario.agents.filter((a) => a.id !== scenario.coordinator)) {
      expect(agent.examples.length).toBeGreaterThanOrEqual(6);
    }
  });

  it('given a path to a YAML file, when loaded, then it is read from that path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
    const path = join(dir, 'mini.yaml');
    await writeFile(path, stringify(minimal()));
    const scenario = await loadScenario(path);
    expect(scenario.id).toBe('mini');
    expect(scenario.agents[1]?.confidenceThreshold).toBe(0.5);
    expect(scenario.agents[1]?.style.voice).toEqual({ guidance: 'short', markdown: false, maxSentences: 2 });
  });

  it('given an unknown scenario name, when loaded, then the error names the missing file', async () => {
    await expect(loadScenario('nope')).rejects.toThrow(/nope\.yaml[\s\S]*file not found/);
  });

  it('given broken YAML, when parsed, then the error names the file and the line', () => {
    expect(() => parseScenario('id: [unclosed', 'broken.yaml')).toThrow(/broken\.yaml[\s\S]*line 1/);
  });
});

describe('parseScenario validation', () => {
  it('given a missing field, when parsed, then the error names the file and the field path', () => {
    const spec = minimal();
    (spec.agents as Record<string, unknown>[])[1] = {
      ...(spec.agents as Record<string, unknown>[])[1],
      instructions: undefined,
    };
    expect(() => parseScenario(spec, 'mini.yaml')).toThrow(
      /Invalid scenario mini\.yaml[\s\S]*agents\[1\]\.instructions/,
    );
  });

  it('given a coordinator that is not an agent, when parsed, then coordinator is reported', () => {
    expect(issuesOf(() => parseScenario({ ...minimal(), coordinator: 'Ghost' }, 'x'))).toContain(
      'coordinator: unknown agent "Ghost" (agents: Front, Billing)',
    );
  });

  it('given a handoff to an unknown agent, when parsed, then that handoff entry is reported', () => {
    const spec = minimal();
    agentAt(spec, 1).handoffs = ['Front', 'Outage'];
    expect(issuesOf(() => parseScenario(spec, 'x'))).toEqual([
      'agents[1].handoffs[1]: unknown agent "Outage" (agents: Front, Billing)',
    ]);
  });

  it('given an agent that hands off to itself, when parsed, then it is reported', () => {
    const spec = minimal();
    agentAt(spec, 1).handoffs = ['Billing'];
    expect(issuesOf(() => parseScenario(spec, 'x'))).toEqual([
      'agents[1].handoffs[0]: agent "Billing" cannot hand off to itself',
    ]);
  });

  it('given an agent listing a tool that is not in the registry, when parsed, then the tool is reported', () => {
    const spec = minimal();
    agentAt(spec, 1).tools = ['get_bill', 'launch_rocket'];
    expect(issuesOf(() => parseScenario(spec, 'x'))).toEqual([
      'agents[1].tools[1]: unknown tool "launch_rocket" (not in the tool registry)',
    ]);
  });

  it('given a custom tool registry, when parsed, then tools are checked against it', () => {
    expect(issuesOf(() => parseScenario(minimal(), 'x', { toolNames: ['get_bill'] }))).toEqual([
      'agents[0].tools[0]: unknown tool "escalate_to_human" (not in the tool registry)',
    ]);
  });

  it('given duplicate agent ids and an unknown default domain, when parsed, then both are reported', () => {
    const spec = minimal();
    const agents = spec.agents as Record<string, unknown>[];
    spec.agents = [...agents, { ...agents[1] }];
    spec.routing = { ...(spec.routing as object), defaultDomain: 'Nobody' };
    const issues = issuesOf(() => parseScenario(spec, 'x'));
    expect(issues).toContain('agents[2].id: duplicate agent id "Billing"');
    expect(issues).toContain(
      'routing.defaultDomain: unknown agent "Nobody" (agents: Front, Billing, Billing)',
    );
  });

  it('given escalateBelow above clarifyBelow, when parsed, then the thresholds are reported', () => {
    const spec = minimal();
    spec.routing = { ...(spec.routing as object), escalateBelow: 0.7 };
    expect(issuesOf(() => parseScenario(spec, 'x'))).toContain(
      'routing.escalateBelow: must not be above routing.clarifyBelow',
    );
  });

  it('given a misspelt field, when parsed, then the unknown key is reported', () => {
    expect(issuesOf(() => parseScenario({ ...minimal(), maxHandofsPerTurn: 3 }, 'x')).join('\n')).toMatch(
      /maxHandofsPerTurn/,
    );
  });
});
