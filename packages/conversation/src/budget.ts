/** Prices of a model in USD per 1K tokens, and the cheaper model to degrade to. */
export interface ModelPrice {
  readonly inputPer1K: number;
  readonly outputPer1K: number;
  /** The model to use when the budget is degraded (≥ 90 %); the model itself when there is none cheaper. */
  readonly degradeTo?: string;
}

/** List prices (USD per 1K tokens) of the models the engine may use. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4.1': { inputPer1K: 0.002, outputPer1K: 0.008, degradeTo: 'gpt-4.1-mini' },
  'gpt-4.1-mini': { inputPer1K: 0.0004, outputPer1K: 0.0016, degradeTo: 'gpt-4.1-nano' },
  'gpt-4.1-nano': { inputPer1K: 0.0001, outputPer1K: 0.0004 },
  'gpt-4o': { inputPer1K: 0.0025, outputPer1K: 0.01, degradeTo: 'gpt-4o-mini' },
  'gpt-4o-mini': { inputPer1K: 0.00015, outputPer1K: 0.0006 },
};

/** Where a conversation's spend stands against its limit. */
export type BudgetStatus = 'active' | 'warned' | 'degraded' | 'stopped';

/**
 * The budget status for `spent` of `limit` USD: `active` below 80 %, `warned` from 80 %, `degraded` from
 * 90 % (use the cheaper model), `stopped` from 100 % (escalate, no more model calls). Pure.
 */
export function evaluateBudget(spent: number, limit: number): BudgetStatus {
  if (!(limit > 0)) return 'stopped';
  // Compare in whole percent-hundredths so 0.8 × 1 is exactly 80 %.
  const basisPoints = Math.round((spent / limit) * 10_000);
  if (basisPoints >= 10_000) return 'stopped';
  if (basisPoints >= 9_000) return 'degraded';
  if (basisPoints >= 8_000) return 'warned';
  return 'active';
}

/** Token usage of one model call. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A conversation's spend; immutable, {@link recordUsage} returns the next one. */
export interface BudgetState {
  readonly limitUsd: number;
  readonly spentUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly status: BudgetStatus;
}

/** A fresh budget with this limit. */
export function createBudget(limitUsd: number): BudgetState {
  return { limitUsd, spentUsd: 0, inputTokens: 0, outputTokens: 0, status: evaluateBudget(0, limitUsd) };
}

/** The price of a model; an unknown model is charged at the most expensive known price (never free). */
export function priceOf(
  model: string,
  prices: Readonly<Record<string, ModelPrice>> = MODEL_PRICES,
): ModelPrice {
  const known = prices[model];
  if (known) return known;
  const all = Object.values(prices);
  return {
    inputPer1K: Math.max(0, ...all.map((p) => p.inputPer1K)),
    outputPer1K: Math.max(0, ...all.map((p) => p.outputPer1K)),
  };
}

/** The cost in USD of one call. */
export function costOf(
  model: string,
  usage: TokenUsage,
  prices: Readonly<Record<string, ModelPrice>> = MODEL_PRICES,
): number {
  const price = priceOf(model, prices);
  return (usage.inputTokens / 1000) * price.inputPer1K + (usage.outputTokens / 1000) * price.outputPer1K;
}

/** Adds one call's usage to the budget and re-evaluates its status. Pure. */
export function recordUsage(
  state: BudgetState,
  model: string,
  usage: TokenUsage,
  prices: Readonly<Record<string, ModelPrice>> = MODEL_PRICES,
): BudgetState {
  const spentUsd = state.spentUsd + costOf(model, usage, prices);
  return {
    limitUsd: state.limitUsd,
    spentUsd,
    inputTokens: state.inputTokens + usage.inputTokens,
    outputTokens: state.outputTokens + usage.outputTokens,
    status: evaluateBudget(spentUsd, state.limitUsd),
  };
}

/**
 * A per-conversation budget: the limit and price table, with the decisions the engine asks before each
 * model call. State lives in {@link BudgetState} values, not in the tracker.
 */
export class BudgetTracker {
  readonly limitUsd: number;
  readonly prices: Readonly<Record<string, ModelPrice>>;

  constructor(limitUsd: number, prices: Readonly<Record<string, ModelPrice>> = MODEL_PRICES) {
    this.limitUsd = limitUsd;
    this.prices = prices;
  }

  /** A fresh budget state. */
  start(): BudgetState {
    return createBudget(this.limitUsd);
  }

  /** Adds one call's usage. */
  record(state: BudgetState, model: string, usage: TokenUsage): BudgetState {
    return recordUsage(state, model, usage, this.prices);
  }

  /** Whether another model call may be made (`false` once stopped: escalate instead). */
  canCallModel(state: BudgetState): boolean {
    return state.status !== 'stopped';
  }

  /** The model to call: the preferred one, or its cheaper `degradeTo` model once degraded. */
  modelFor(state: BudgetState, preferred: string): string {
    if (state.status !== 'degraded') return preferred;
    return this.prices[preferred]?.degradeTo ?? preferred;
  }
}
