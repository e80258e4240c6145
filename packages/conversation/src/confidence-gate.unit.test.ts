import { beforeAll, describe, expect, it } from 'vitest';
import type { Classification, ClassificationFailure } from './classification.js';
import { decideRoute } from './confidence-gate.js';
import { loadScenario, type Scenario } from './scenario.js';

let utilities: Scenario;
beforeAll(async () => {
  utilities = await loadScenario('utilities');
});

const result = (overrides: Partial<Classification>): Classification => ({
  agent_id: 'Outage',
  confidence: 0.9,
  ambiguous: false,
  intent_summary: 'power cut',
  entities: {},
  ...overrides,
});

describe('decideRoute', () => {
  it('given a confident classification, when gated, then it routes to that agent', () => {
    expect(decideRoute(result({}), utilities)).toEqual({
      kind: 'route',
      agentId: 'Outage',
      reason: 'classified',
      confidence: 0.9,
    });
  });

  it('given confidence below the agent threshold but above escalateBelow, when gated, then it clarifies naming the top candidates', () => {
    const decision = decideRoute(
      result({
        confidence: 0.35,
        candidates: [
          { agentId: 'Outage', score: 0.3 },
          { agentId: 'Billing', score: 0.2 },
        ],
      }),
      utilities,
    );
    expect(decision).toEqual({
      kind: 'clarify',
      question:
        'Just to be sure I get you to the right place: is this about a power cut or gas supply problem or your bill or a payment?',
      candidates: ['Outage', 'Billing'],
    });
  });

  it('given an ambiguous classification with high confidence, when gated, then it clarifies instead of routing', () => {
    const decision = decideRoute(result({ confidence: 0.8, ambiguous: true }), utilities);
    expect(decision.kind).toBe('clarify');
    expect(decision.kind === 'clarify' && decision.question).toContain('a power cut or gas supply problem');
  });

  it('given confidence below escalateBelow, when gated, then it escalates with the reason', () => {
    expect(decideRoute(result({ confidence: 0.1 }), utilities)).toEqual({
      kind: 'escalate',
      reason: 'classification confidence 0.10 is below 0.15',
    });
  });

  it('given a low-confidence message after two clarifications, when gated, then it escalates instead of asking again', () => {
    expect(decideRoute(result({ confidence: 0.35 }), utilities, {}, { clarificationsInARow: 2 }).kind).toBe(
      'escalate',
    );
  });

  const failures: readonly [string, Classification | ClassificationFailure][] = [
    ['an error', { kind: 'failure', reason: 'error', detail: 'HTTP 500' }],
    ['a timeout', { kind: 'failure', reason: 'timeout', detail: '5 s' }],
    ['an unknown agent id', result({ agent_id: 'Plumbing', confidence: 0.99 })],
    ['a malformed result', result({ confidence: Number.NaN })],
  ];

  it.each(failures)(
    'given %s, when gated, then it clarifies and never routes to any agent',
    (_label, input) => {
      const decision = decideRoute(input, utilities);
      expect(decision.kind).toBe('clarify');
      expect(decision).not.toHaveProperty('agentId');
    },
  );

  it.each(failures)('given %s after two clarifications, when gated, then it escalates', (_label, input) => {
    expect(decideRoute(input, utilities, {}, { clarificationsInARow: 2 }).kind).toBe('escalate');
  });

  it('given a failure and HANDOFF_DEFAULT_DOMAIN set explicitly, when gated, then it routes to that default domain only', () => {
    const decision = decideRoute({ kind: 'failure', reason: 'error', detail: 'boom' }, utilities, {
      defaultDomain: 'Billing',
    });
    expect(decision).toEqual({ kind: 'route', agentId: 'Billing', reason: 'default-domain', confidence: 0 });
  });

  it('given a default domain that is not an agent of the scenario, when gated, then it fails fast instead of routing', () => {
    expect(() => decideRoute(result({}), utilities, { defaultDomain: 'Plumbing' })).toThrow(
      /HANDOFF_DEFAULT_DOMAIN/,
    );
  });
});
