import { describe, expect, it } from 'vitest';
import { LoopGuard } from './loop-guard.js';

describe('LoopGuard', () => {
  const guard = new LoopGuard({ maxHandoffsPerTurn: 2, maxTurnsPerRun: 3 });

  it('given two handoffs this turn, when a third is asked, then it is refused and the current agent answers', () => {
    let state = guard.start('t1', 'Concierge');
    for (const to of ['Billing', 'Usage']) {
      const verdict = guard.checkHandoff(state, to);
      if (verdict.kind !== 'allow') throw new Error(`handoff to ${to} refused`);
      state = verdict.state;
    }
    const third = guard.checkHandoff(state, 'Service');
    expect(third).toMatchObject({
      kind: 'refuse',
      reason: 'max-handoffs',
      fallback: 'answer-with-current',
      agentId: 'Usage',
    });
  });

  it('given A handed to B this turn, when B hands back to A, then ping-pong is refused with escalation', () => {
    const first = guard.checkHandoff(guard.start('t1', 'Billing'), 'Usage');
    if (first.kind !== 'allow') throw new Error('refused');
    expect(guard.checkHandoff(first.state, 'Billing')).toMatchObject({
      kind: 'refuse',
      reason: 'ping-pong',
      fallback: 'escalate',
      agentId: 'Usage',
    });
  });

  it('given a new turn, when B hands to A again, then it is allowed (ping-pong is per turn)', () => {
    expect(guard.checkHandoff(guard.start('t2', 'Usage'), 'Billing').kind).toBe('allow');
  });

  it('given a target outside the allowed handoffs, when asked, then it is refused as not allowed', () => {
    expect(guard.checkHandoff(guard.start('t1', 'Billing'), 'Outage', ['Usage'])).toMatchObject({
      kind: 'refuse',
      reason: 'not-allowed',
    });
  });

  it('given maxTurnsPerRun steps taken, when one more is asked, then the run stops and escalates', () => {
    let state = guard.start('t1', 'Billing');
    for (let i = 0; i < 3; i++) {
      const verdict = guard.checkStep(state);
      if (verdict.kind !== 'continue') throw new Error(`step ${i} stopped`);
      state = verdict.state;
    }
    expect(guard.checkStep(state)).toMatchObject({ kind: 'stop', reason: 'max-turns', fallback: 'escalate' });
  });

  it('given a check, when it runs, then the input state is not mutated', () => {
    const state = guard.start('t1', 'Billing');
    guard.checkHandoff(state, 'Usage');
    guard.checkStep(state);
    expect(state).toEqual({ turnId: 't1', chain: ['Billing'], handoffs: 0, steps: 0 });
  });

  it('given no limits, when created, then at most 2 handoffs per turn apply', () => {
    expect(new LoopGuard().limits.maxHandoffsPerTurn).toBe(2);
  });
});
