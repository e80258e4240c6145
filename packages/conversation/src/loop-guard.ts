import type { Scenario } from './scenario.js';

/** The limits a {@link LoopGuard} enforces. */
export interface LoopLimits {
  /** Handoffs allowed within one user turn (default 2). */
  readonly maxHandoffsPerTurn: number;
  /** Agent steps (model calls) allowed within one run of a user turn. */
  readonly maxTurnsPerRun: number;
}

/** Loop-guard state for one user turn; treat it as immutable (every check returns a new one). */
export interface LoopGuardState {
  readonly turnId: string;
  /** The agents that held this turn, in order; the last one holds it now. */
  readonly chain: readonly string[];
  readonly handoffs: number;
  readonly steps: number;
}

/** What to do instead of a refused handoff or step. */
export type LoopFallback = 'answer-with-current' | 'escalate';

/** The guard's verdict on a handoff. */
export type HandoffVerdict =
  | { readonly kind: 'allow'; readonly state: LoopGuardState }
  | {
      readonly kind: 'refuse';
      readonly reason: 'max-handoffs' | 'ping-pong' | 'self-handoff' | 'not-allowed';
      readonly fallback: LoopFallback;
      /** The agent that keeps the turn (answers, or hands to a human). */
      readonly agentId: string;
      readonly detail: string;
      readonly state: LoopGuardState;
    };

/** The guard's verdict on one more agent step. */
export type StepVerdict =
  | { readonly kind: 'continue'; readonly state: LoopGuardState }
  | {
      readonly kind: 'stop';
      readonly reason: 'max-turns';
      readonly fallback: 'escalate';
      readonly detail: string;
      readonly state: LoopGuardState;
    };

/**
 * Keeps a turn from looping between agents: at most `maxHandoffsPerTurn` handoffs per user turn, no
 * handing back to an agent that already held the turn (A→B→A ping-pong), only handoffs the scenario allows,
 * and at most `maxTurnsPerRun` agent steps. It holds only the limits; state goes in and comes out.
 */
export class LoopGuard {
  readonly limits: LoopLimits;

  constructor(limits: Partial<LoopLimits> = {}) {
    this.limits = {
      maxHandoffsPerTurn: limits.maxHandoffsPerTurn ?? 2,
      maxTurnsPerRun: limits.maxTurnsPerRun ?? 8,
    };
  }

  /** A guard with the scenario's limits. */
  static forScenario(scenario: Pick<Scenario, 'maxHandoffsPerTurn' | 'maxTurnsPerRun'>): LoopGuard {
    return new LoopGuard({
      maxHandoffsPerTurn: scenario.maxHandoffsPerTurn,
      maxTurnsPerRun: scenario.maxTurnsPerRun,
    });
  }

  /** The state at the start of a user turn held by `agentId`. */
  start(turnId: string, agentId: string): LoopGuardState {
    return { turnId, chain: [agentId], handoffs: 0, steps: 0 };
  }

  /**
   * Checks a handoff from the current agent to `to`.
   *
   * @param allowedTargets - the current agent's allowed handoff targets; omit to skip that check.
   */
  checkHandoff(state: LoopGuardState, to: string, allowedTargets?: readonly string[]): HandoffVerdict {
    const from = state.chain[state.chain.length - 1] ?? to;
    const refuse = (
      reason: 'max-handoffs' | 'ping-pong' | 'self-handoff' | 'not-allowed',
      fallback: LoopFallback,
      detail: string,
    ): HandoffVerdict => ({ kind: 'refuse', reason, fallback, agentId: from, detail, state });
    if (to === from)
      return refuse('self-handoff', 'answer-with-current', `${from} cannot hand off to itself`);
    if (allowedTargets && !allowedTargets.includes(to)) {
      return refuse('not-allowed', 'answer-with-current', `${from} may not hand off to ${to}`);
    }
    if (state.handoffs >= this.limits.maxHandoffsPerTurn) {
      return refuse(
        'max-handoffs',
        'answer-with-current',
        `already ${state.handoffs} handoffs this turn (limit ${this.limits.maxHandoffsPerTurn}): ${[...state.chain, to].join(' → ')}`,
      );
    }
    if (state.chain.includes(to)) {
      return refuse(
        'ping-pong',
        'escalate',
        `handing back to ${to} would loop: ${[...state.chain, to].join(' → ')}`,
      );
    }
    return { kind: 'allow', state: { ...state, chain: [...state.chain, to], handoffs: state.handoffs + 1 } };
  }

  /** Counts one more agent step (model call) of the run; stops at `maxTurnsPerRun`. */
  checkStep(state: LoopGuardState): StepVerdict {
    if (state.steps >= this.limits.maxTurnsPerRun) {
      return {
        kind: 'stop',
        reason: 'max-turns',
        fallback: 'escalate',
        detail: `the run reached ${this.limits.maxTurnsPerRun} agent steps without an answer`,
        state,
      };
    }
    return { kind: 'continue', state: { ...state, steps: state.steps + 1 } };
  }
}
