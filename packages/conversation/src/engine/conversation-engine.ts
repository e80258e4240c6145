import { randomUUID } from 'node:crypto';
import type { AssuranceLevel, CollectedData } from '@omni/contracts';
import type { Logger } from 'pino';
import { type EngineAction, EscalateToHumanAction, isEngineAction } from '../actions.js';
import {
  type BudgetState,
  type BudgetStatus,
  BudgetTracker,
  evaluateBudget,
  type ModelPrice,
  type TokenUsage,
} from '../budget.js';
import type { Classifier } from '../classification.js';
import {
  type ClassificationCache,
  classifyCached,
  InMemoryClassificationCache,
} from '../classification-cache.js';
import { decideRoute } from '../confidence-gate.js';
import { type HistoryItem, type TransferMessage, transferContext } from '../context-transfer.js';
import {
  type AgentStepRequest,
  type ConversationDriver,
  type ConversationSummary,
  type ToolOutput,
  TRANSFER_TOOL_PREFIX,
} from '../driver.js';
import { shouldClassify } from '../handoff-phrases.js';
import { asksToLeave } from '../leave-requests.js';
import { LoopGuard, type LoopGuardState } from '../loop-guard.js';
import { type Agent, type ConversationChannel, findAgent, type Scenario } from '../scenario.js';
import { type ConversationSettings, DEFAULT_TOKENS_PER_MINUTE, effectiveRouting } from '../settings.js';
import { BUSY_REPLY, MemorySpendBreaker, type SpendBreaker } from '../spend-breaker.js';
import { internalTextsOf, withholdInternalText } from '../tool-result-text.js';
import {
  type FunctionToolDefinition,
  invokeTool,
  type QueueSnapshot,
  type ToolContext,
  type ToolRegistry,
} from '../tools/tool-registry.js';
import { type AccountDirectory, demoAccountDirectory, type PendingVerification } from '../verification.js';
import { styleReply } from './channel-style.js';
import {
  type ConversationStore,
  ENGINE_STATE_KEYS,
  publicCollectedData,
  type StoredTurn,
} from './conversation-store.js';
import { VerificationGate, type VerificationOutcome } from './verification-gate.js';

/** One user message into the engine. */
export interface TurnInput {
  readonly customerId: string;
  readonly channel: ConversationChannel;
  /** The channel session (call, chat) the message arrived in. */
  readonly sessionId: string;
  readonly text: string;
  /**
   * The id of this user turn (e.g. the channel's message id). A replayed turn with the same id returns the
   * first answer and never repeats a side effect; defaults to a fresh id.
   */
  readonly turnId?: string;
  /**
   * Receives the model's text as it is generated (drivers that stream: Foundry, offline word by word), for
   * showing a reply as it grows. A preview only: the turn's `replies` are what the channel keeps and sends.
   */
  readonly onTextDelta?: (delta: string) => void;
  /**
   * What the channel itself vouches for about the person on this message (WhatsApp: `channel-verified`; a call
   * with caller ID: `asserted`; web chat: `none`). The engine raises it with what is stored for the session.
   */
  readonly assurance?: AssuranceLevel;
  /**
   * `false`: the channel records the reply itself, as `<turnId>:assistant`, with the words it really said or
   * sent (voice may play a switch offer or a hold message instead of the agent's text). Default `true`.
   */
  readonly recordReply?: boolean;
  /**
   * Sends the turn's replies while the turn's writes are in flight (they no longer wait for each other: one
   * round trip less before the customer hears back). Called at most once; not for a replayed turn, whose
   * stored replies the caller sends itself. The send must be idempotent per turn (a redelivered message may
   * run the turn again when its writes did not land). A turn with actions is delivered once the user's turn is
   * stored (an action may summarise the transcript).
   */
  readonly deliver?: (result: TurnResult) => Promise<void>;
}

/** Something that happened during a turn, for logs, metrics and tests. */
export type EngineEvent =
  | {
      readonly type: 'classified';
      readonly reason: string;
      readonly agentId?: string;
      readonly confidence?: number;
    }
  | { readonly type: 'routed'; readonly agentId: string; readonly confidence: number }
  | { readonly type: 'clarified'; readonly question: string; readonly candidates: readonly string[] }
  | { readonly type: 'escalated'; readonly reason: string }
  | { readonly type: 'agent_step'; readonly agentId: string; readonly model: string }
  | { readonly type: 'handoff'; readonly from: string; readonly to: string; readonly announcement: string }
  | {
      readonly type: 'handoff_refused';
      readonly from: string;
      readonly to: string;
      readonly reason: string;
      readonly detail: string;
    }
  | {
      readonly type: 'tool_called';
      readonly agentId: string;
      readonly tool: string;
      readonly ok: boolean;
      readonly error?: string;
    }
  | {
      readonly type: 'budget';
      readonly status: BudgetStatus;
      readonly spentUsd: number;
      readonly model?: string;
    }
  | { readonly type: 'replayed'; readonly turnId: string }
  | { readonly type: 'verification'; readonly outcome: VerificationOutcome }
  /** Sentences of an agent reply that repeated a tool's text for the agent, kept from the customer. */
  | { readonly type: 'internal_text_withheld'; readonly agentId: string; readonly sentences: number };

/** The engine's answer to one user message. */
export interface TurnResult {
  /** What to say or send, in order (handoff announcements included), styled for the channel. */
  readonly replies: string[];
  /** The agent that holds the conversation after this turn. */
  readonly agentId: string;
  readonly events: EngineEvent[];
  /** What the channel adapter must do (offer or execute a channel switch, escalate, end the session). */
  readonly actions: EngineAction[];
  /** The driver's conversation id (the same on every channel). */
  readonly conversationId: string;
  readonly turnId: string;
}

/** What {@link ConversationEngine.stream} yields, in order: agents start, handoffs, tool calls, tokens, final. */
export type EngineStreamEvent =
  | { readonly type: 'agent_start'; readonly agentId: string }
  | {
      readonly type: 'handoff_announcement';
      readonly from: string;
      readonly to: string;
      readonly text: string;
    }
  | { readonly type: 'tool_called'; readonly agentId: string; readonly tool: string; readonly ok: boolean }
  | { readonly type: 'token'; readonly text: string }
  | { readonly type: 'final'; readonly result: TurnResult };

/** The logger the engine writes to (a pino logger fits). */
export type EngineLogger = Pick<Logger, 'info' | 'warn' | 'debug'>;

/** Dependencies of a {@link ConversationEngine}. */
export interface ConversationEngineOptions {
  readonly scenario: Scenario;
  /** Routing overrides and the budget limit (`conversationSettingsFromEnv`). */
  readonly settings: Pick<
    ConversationSettings,
    | 'lazyClassification'
    | 'defaultDomain'
    | 'contextTransferTurns'
    | 'budgetLimitUsd'
    | 'budgetScope'
    | 'tokensPerMinute'
  >;
  readonly driver: ConversationDriver;
  readonly store: ConversationStore;
  readonly tools: ToolRegistry;
  /** The latest status of the human-agent queue (for `check_queue_status`). */
  readonly queueStatus: () => Promise<QueueSnapshot>;
  /** The current time in epoch milliseconds. Default `Date.now`. */
  readonly clock?: () => number;
  readonly logger?: EngineLogger;
  /** Classification cache (lazy routing). Default: in memory. */
  readonly classificationCache?: ClassificationCache;
  /** The model agents run on before any budget degradation. Default `gpt-4.1`. */
  readonly model?: string;
  /** The price table of the budget. Default `MODEL_PRICES`. */
  readonly prices?: Readonly<Record<string, ModelPrice>>;
  /** Stored turns loaded per turn as history (the transfer then keeps the configured last N). Default 50. */
  readonly historyLimit?: number;
  /** The records knowledge checks are answered against. Default: the demo accounts. */
  readonly accounts?: AccountDirectory;
  /** The global limit on model tokens per minute. Default: in memory, `settings.tokensPerMinute`. */
  readonly spendBreaker?: SpendBreaker;
}

/** The engine's per-customer state, kept in the collected data under {@link ENGINE_STATE_KEYS}. */
interface EngineState {
  agentId: string | undefined;
  budget: BudgetState;
  clarifications: number;
  lastTurn: { turnId: string; result: TurnResult } | undefined;
}

/** A reply of the turn before styling. */
interface Reply {
  readonly text: string;
  readonly kind: 'announcement' | 'agent';
}

/** Mutable state of one turn. */
interface TurnRun {
  readonly input: TurnInput;
  readonly turnId: string;
  readonly conversationId: string;
  readonly emit: (event: EngineStreamEvent) => void;
  readonly history: readonly HistoryItem[];
  readonly summary: string | undefined;
  readonly collectedData: CollectedData;
  readonly replies: Reply[];
  readonly events: EngineEvent[];
  readonly actions: EngineAction[];
  agent: Agent;
  guard: LoopGuardState;
  /** When the user turn was recorded (the reply is recorded at least 1 ms later, so the order is stable). */
  readonly at: Date;
  budget: BudgetState;
  clarifications: number;
  /** The request the agents work on: the user's text, or the request a passed verification resumes. */
  text: string;
  /** The session's assurance level (see {@link VerificationGate}). */
  assurance: AssuranceLevel;
  readonly verifiedAccounts: string[];
  /** A gated call was refused: the engine asks the customer to verify instead of the agent answering. */
  challenge: { readonly accountRef: string | null; readonly subject: 'account' | 'order' } | undefined;
  /** The pending verification to store (undefined keeps it, null clears it). */
  pending: PendingVerification | null | undefined;
  /** What this turn's budget covers (see `BUDGET_SCOPE`). */
  readonly scope: string;
  /** What this turn's tool outputs said to the agent only (never shown to the customer). */
  readonly internalTexts: string[];
  /** The write of the user's turn, started before the agent ran. */
  readonly userRecorded: Promise<unknown>;
}

const APOLOGY_ESCALATION =
  "I'm sorry, I can't take this further myself. I'm passing you to a member of our team, who will see everything you've told me.";

const WITHHELD_FALLBACK = "Sorry, I couldn't complete that just now. Could you tell me a little more?";

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * The one agent engine every channel calls: it keeps who holds each customer's conversation, routes (a
 * coordinator with `transfer_to_<agent>` tools, or lazy classification through the confidence gate), runs
 * the agent loop against a {@link ConversationDriver} (tools with idempotency, handoffs under a
 * {@link LoopGuard}, context transfer), enforces the per-conversation budget, records the transcript and
 * styles replies for the channel.
 *
 * State lives in the {@link ConversationStore}: the transcript (turns), the summary, and the collected data —
 * where the engine keeps its own state under reserved `_engine.*` keys (see {@link ENGINE_STATE_KEYS}).
 */
export class ConversationEngine {
  readonly #scenario: Scenario;
  readonly #settings: ConversationEngineOptions['settings'];
  readonly #driver: ConversationDriver;
  readonly #store: ConversationStore;
  readonly #tools: ToolRegistry;
  readonly #queueStatus: () => Promise<QueueSnapshot>;
  readonly #clock: () => number;
  readonly #logger: EngineLogger | undefined;
  readonly #cache: ClassificationCache;
  readonly #model: string;
  readonly #budget: BudgetTracker;
  readonly #loopGuard: LoopGuard;
  readonly #historyLimit: number;
  readonly #gate: VerificationGate;
  readonly #breaker: SpendBreaker;

  constructor(options: ConversationEngineOptions) {
    this.#scenario = options.scenario;
    this.#settings = options.settings;
    effectiveRouting(options.scenario, options.settings);
    this.#driver = options.driver;
    this.#store = options.store;
    this.#tools = options.tools;
    this.#queueStatus = options.queueStatus;
    this.#clock = options.clock ?? Date.now;
    this.#logger = options.logger;
    this.#cache = options.classificationCache ?? new InMemoryClassificationCache();
    this.#model = options.model ?? 'gpt-4.1';
    this.#budget = new BudgetTracker(options.settings.budgetLimitUsd, options.prices);
    this.#loopGuard = LoopGuard.forScenario(options.scenario);
    this.#historyLimit = options.historyLimit ?? 50;
    this.#gate = new VerificationGate(this.#store, options.accounts ?? demoAccountDirectory, this.#clock);
    this.#breaker =
      options.spendBreaker ??
      new MemorySpendBreaker(options.settings.tokensPerMinute ?? DEFAULT_TOKENS_PER_MINUTE);
  }

  /** The scenario the engine runs. */
  get scenario(): Scenario {
    return this.#scenario;
  }

  /** Handles one user message and returns the replies, the agent holding the conversation and the actions. */
  async turn(input: TurnInput): Promise<TurnResult> {
    return this.#run(input, () => {});
  }

  /**
   * The streaming variant of {@link ConversationEngine.turn} for web chat: `agent_start` whenever an agent
   * takes the turn, `handoff_announcement`, `tool_called`, then the reply as `token` chunks (the final text
   * split into words when the driver does not stream) and `final` with the whole {@link TurnResult}.
   */
  async *stream(input: TurnInput): AsyncGenerator<EngineStreamEvent, void, undefined> {
    const queue: EngineStreamEvent[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: { error: unknown } | undefined;
    const run = this.#run(input, (event) => {
      queue.push(event);
      wake?.();
    }).then(
      (result) => {
        queue.push({ type: 'final', result });
      },
      (error: unknown) => {
        failure = { error };
      },
    );
    void run.finally(() => {
      finished = true;
      wake?.();
    });
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    if (failure) throw failure.error;
  }

  /**
   * Summarises the conversation for a channel handoff: the driver's summary over the transcript (extractive
   * offline, the model in Foundry) is stored with `updateSummary` and posted into the driver's conversation
   * as a note telling the next agent not to ask for the collected data again.
   */
  async summarize(customerId: string): Promise<ConversationSummary> {
    const conversationId = await this.#conversationId(customerId);
    const customer = await this.#store.getCustomer(customerId);
    const turns = await this.#store.recentTurns(customerId, 200);
    const collectedData = publicCollectedData(customer.collectedData);
    const summary = await this.#driver.summarize({
      customerId,
      conversationId,
      turns: turns.flatMap((t) =>
        t.role === 'customer' || t.role === 'assistant'
          ? [
              {
                role: t.role === 'customer' ? ('user' as const) : ('assistant' as const),
                text: t.text,
                channel: t.channel,
              },
            ]
          : [],
      ),
      ...(customer.summary ? { previousSummary: customer.summary } : {}),
      collectedData,
    });
    const patch = publicCollectedData(summary.collectedData);
    // The summary's model call counts against the budget of the session (or day) that asked for it.
    let spend: CollectedData = {};
    if (summary.usage !== undefined) {
      const scope = customer.collectedData[ENGINE_STATE_KEYS.budgetScope];
      const before = this.#readState(customer.collectedData, typeof scope === 'string' ? scope : '').budget;
      const after = this.#budget.record(before, summary.model ?? this.#model, summary.usage);
      await this.#breaker.record(summary.usage.inputTokens + summary.usage.outputTokens, this.#clock());
      spend = {
        [ENGINE_STATE_KEYS.spentUsd]: after.spentUsd,
        [ENGINE_STATE_KEYS.inputTokens]: after.inputTokens,
        [ENGINE_STATE_KEYS.outputTokens]: after.outputTokens,
      };
    }
    await this.#store.updateSummary(customerId, summary.summary, { ...patch, ...spend });
    const data = Object.entries({ ...collectedData, ...patch }).filter(([, v]) => v !== null && v !== '');
    const note = [
      `[Handoff summary] ${summary.summary}`,
      data.length > 0 ? `Already collected: ${data.map(([k, v]) => `${k}=${String(v)}`).join(', ')}.` : '',
      'Do not ask the customer again for anything above; continue from here.',
    ]
      .filter((line) => line !== '')
      .join('\n');
    await this.#driver.addNote(conversationId, note);
    this.#logger?.info({ customerId, conversationId }, 'conversation summarised');
    return { summary: summary.summary, collectedData: patch };
  }

  #conversationId(customerId: string): Promise<string> {
    return this.#store.getOrCreateConversationId(customerId, () =>
      this.#driver.createConversation(customerId),
    );
  }

  /** What one budget covers: this session (default), or the customer's UTC day. */
  #scopeOf(input: { channel: string; sessionId: string }): string {
    return this.#settings.budgetScope === 'day'
      ? `day:${new Date(this.#clock()).toISOString().slice(0, 10)}`
      : `session:${input.channel}:${input.sessionId}`;
  }

  #readState(data: CollectedData, scope: string): EngineState {
    const agentId = data[ENGINE_STATE_KEYS.agentId];
    // Spend of another session (or day) does not count: a budget is never for a customer's whole life.
    const sameScope = data[ENGINE_STATE_KEYS.budgetScope] === scope;
    const spentUsd = sameScope ? num(data[ENGINE_STATE_KEYS.spentUsd], 0) : 0;
    const limitUsd = this.#budget.limitUsd;
    let lastTurn: EngineState['lastTurn'];
    const rawLast = data[ENGINE_STATE_KEYS.lastTurn];
    if (typeof rawLast === 'string') {
      try {
        lastTurn = JSON.parse(rawLast) as EngineState['lastTurn'];
      } catch {
        lastTurn = undefined;
      }
    }
    return {
      agentId:
        typeof agentId === 'string' && findAgent(this.#scenario, agentId) !== undefined ? agentId : undefined,
      budget: {
        limitUsd,
        spentUsd,
        inputTokens: sameScope ? num(data[ENGINE_STATE_KEYS.inputTokens], 0) : 0,
        outputTokens: sameScope ? num(data[ENGINE_STATE_KEYS.outputTokens], 0) : 0,
        status: evaluateBudget(spentUsd, limitUsd),
      },
      clarifications: num(data[ENGINE_STATE_KEYS.clarifications], 0),
      lastTurn,
    };
  }

  #agent(id: string): Agent {
    const agent = findAgent(this.#scenario, id);
    if (!agent) throw new Error(`scenario ${this.#scenario.id} has no agent "${id}"`);
    return agent;
  }

  async #run(input: TurnInput, emit: (event: EngineStreamEvent) => void): Promise<TurnResult> {
    const turnId = input.turnId ?? randomUUID();
    // Independent reads at once (one round trip when the customer's document is already in hand).
    const [conversationId, customer, stored] = await Promise.all([
      this.#conversationId(input.customerId),
      this.#store.getCustomer(input.customerId),
      this.#store.recentTurns(input.customerId, this.#historyLimit),
    ]);
    const scope = this.#scopeOf(input);
    const state = this.#readState(customer.collectedData, scope);

    if (state.lastTurn?.turnId === turnId) {
      const previous = state.lastTurn.result;
      this.#logger?.info({ customerId: input.customerId, turnId }, 'replayed turn answered from the store');
      const result: TurnResult = {
        ...previous,
        events: [...previous.events, { type: 'replayed', turnId }],
      };
      emit({ type: 'agent_start', agentId: result.agentId });
      for (const reply of result.replies)
        for (const token of tokens(reply)) emit({ type: 'token', text: token });
      return result;
    }

    const history = toHistory(stored);
    const userTurns = stored.filter((t) => t.role === 'customer').length;
    const at = new Date(this.#clock());
    // Written while the agent works; awaited with the turn's other writes in #finish.
    const userRecorded = this.#store.recordTurn(input.customerId, {
      channel: input.channel,
      sessionId: input.sessionId,
      role: 'customer',
      text: input.text,
      at,
      turnId: `${turnId}:customer`,
    });
    userRecorded.catch(() => undefined); // awaited (and its failure thrown) in #finish

    const startAgent = this.#agent(state.agentId ?? this.#scenario.coordinator);
    const run: TurnRun = {
      input,
      turnId,
      conversationId,
      emit,
      history,
      summary: customer.summary ?? undefined,
      collectedData: publicCollectedData(customer.collectedData),
      replies: [],
      events: [],
      actions: [],
      agent: startAgent,
      guard: this.#loopGuard.start(turnId, startAgent.id),
      at,
      budget: state.budget,
      clarifications: state.clarifications,
      text: input.text,
      assurance: this.#gate.assuranceOf(customer, input),
      verifiedAccounts: this.#gate.verifiedAccountsOf(customer),
      challenge: undefined,
      pending: undefined,
      scope,
      internalTexts: [],
      userRecorded,
    };

    if ((await this.#gate.resume(run, customer)) === 'answered') return this.#finish(run);
    if (!(await this.#breaker.allows(this.#clock()))) {
      // Everyone's model spend is over the limit this minute: say so plainly rather than fail.
      run.replies.push({ text: BUSY_REPLY, kind: 'agent' });
      run.events.push({ type: 'budget', status: 'stopped', spentUsd: run.budget.spentUsd });
      this.#logger?.warn({ customerId: input.customerId }, 'spend breaker open: turn answered busy');
    } else if (!this.#budget.canCallModel(run.budget)) {
      run.events.push({ type: 'budget', status: run.budget.status, spentUsd: run.budget.spentUsd });
      this.#escalate(run, 'conversation budget exhausted');
    } else {
      emit({ type: 'agent_start', agentId: run.agent.id });
      const proceed = await this.#route(run, userTurns, stored, state.agentId);
      if (proceed) await this.#agentLoop(run, proceed.fromAgent);
      this.#gate.challenge(run, customer);
    }
    return this.#finish(run);
  }

  /** Lazy routing (classification + confidence gate); `undefined` when the turn is already answered. */
  async #route(
    run: TurnRun,
    userTurns: number,
    stored: readonly StoredTurn[],
    storedAgentId: string | undefined,
  ): Promise<{ fromAgent?: Agent } | undefined> {
    const routing = effectiveRouting(this.#scenario, this.#settings);
    if (routing.mode !== 'lazy') return {};
    const lastAssistant = [...stored].reverse().find((t) => t.role === 'assistant');
    // The announcement that handed the conversation TO this specialist is part of its stored reply; it is not
    // the specialist handing off.
    const announcedHere = this.#scenario.handoffAnnouncement.replaceAll('{agent}', run.agent.displayName);
    const lastSpecialistReply =
      lastAssistant && lastAssistant.agentId === run.agent.id && run.agent.id !== this.#scenario.coordinator
        ? lastAssistant.text.replace(announcedHere, '').trim()
        : undefined;
    const decision = shouldClassify(
      storedAgentId === undefined ? { userTurns } : { currentAgentId: storedAgentId, userTurns },
      run.text,
      lastSpecialistReply,
      this.#settings,
      this.#scenario,
    );
    if (!decision.classify) return {};
    // A request for a person or another channel is the holder's to handle (queue check, switch offer,
    // escalation, channel handoff), not a topic to classify.
    if (asksToLeave(run.input.text)) return {};
    const context = this.#context(run, undefined);
    const classifier: Classifier = {
      classify: async (text) => {
        const classification = await this.#driver.classify({ scenario: this.#scenario, text, context });
        // A classification is a model call like any other: it counts against the budget and the breaker.
        this.#charge(run, classification.model, classification.usage);
        return classification;
      },
    };
    const classification = await classifyCached(classifier, this.#cache, this.#scenario.id, run.text);
    run.events.push(
      'kind' in classification
        ? { type: 'classified', reason: `${decision.reason}: ${classification.reason}` }
        : {
            type: 'classified',
            reason: decision.reason,
            agentId: classification.agent_id,
            confidence: classification.confidence,
          },
    );
    const route = decideRoute(classification, this.#scenario, this.#settings, {
      clarificationsInARow: run.clarifications,
    });
    if (route.kind === 'clarify') {
      run.clarifications += 1;
      run.events.push({ type: 'clarified', question: route.question, candidates: route.candidates });
      run.replies.push({ text: route.question, kind: 'agent' });
      return undefined;
    }
    run.clarifications = 0;
    if (route.kind === 'escalate') {
      this.#escalate(run, route.reason);
      return undefined;
    }
    run.events.push({ type: 'routed', agentId: route.agentId, confidence: route.confidence });
    if (route.agentId === run.agent.id) return {};
    const from = run.agent;
    const verdict = this.#loopGuard.checkHandoff(run.guard, route.agentId);
    if (verdict.kind === 'refuse') {
      run.events.push({
        type: 'handoff_refused',
        from: from.id,
        to: route.agentId,
        reason: verdict.reason,
        detail: verdict.detail,
      });
      return {};
    }
    run.guard = verdict.state;
    this.#handOff(run, this.#agent(route.agentId));
    return { fromAgent: from };
  }

  /** Counts a model call's tokens against the turn's budget and the global breaker. */
  #charge(run: TurnRun, model: string | undefined, usage: TokenUsage | undefined): void {
    if (usage === undefined) return;
    run.budget = this.#budget.record(run.budget, model ?? this.#model, usage);
    void this.#breaker.record(usage.inputTokens + usage.outputTokens, this.#clock());
  }

  #handOff(run: TurnRun, to: Agent): void {
    const from = run.agent;
    const announcement = this.#scenario.handoffAnnouncement.replaceAll('{agent}', to.displayName);
    run.replies.push({ text: announcement, kind: 'announcement' });
    run.events.push({ type: 'handoff', from: from.id, to: to.id, announcement });
    run.emit({ type: 'handoff_announcement', from: from.id, to: to.id, text: announcement });
    run.agent = to;
    run.emit({ type: 'agent_start', agentId: to.id });
    this.#logger?.info({ customerId: run.input.customerId, from: from.id, to: to.id }, 'handoff');
  }

  #escalate(run: TurnRun, reason: string): void {
    run.replies.push({ text: APOLOGY_ESCALATION, kind: 'agent' });
    run.events.push({ type: 'escalated', reason });
    if (!run.actions.some((a) => a.action === 'escalate_to_human')) {
      run.actions.push(
        EscalateToHumanAction.parse({
          action: 'escalate_to_human',
          reason: reason.slice(0, 1024),
          priority: 5,
        }),
      );
    }
    this.#logger?.warn({ customerId: run.input.customerId, reason }, 'escalated to a human');
  }

  #context(run: TurnRun, fromAgent: Agent | undefined): TransferMessage[] {
    const routing = effectiveRouting(this.#scenario, this.#settings);
    return transferContext({
      history: run.history,
      turns: routing.contextTransferTurns,
      ...(run.summary ? { summary: run.summary } : {}),
      collectedData: run.collectedData,
      ...(fromAgent ? { fromAgent: fromAgent.displayName } : {}),
    });
  }

  #toolsFor(agent: Agent): FunctionToolDefinition[] {
    const transfers = agent.handoffs.flatMap((id): FunctionToolDefinition[] => {
      const target = findAgent(this.#scenario, id);
      if (!target) return [];
      return [
        {
          type: 'function',
          name: `${TRANSFER_TOOL_PREFIX}${target.id}`,
          description: `Transfer the customer to ${target.displayName}: ${target.description}`,
          parameters: { type: 'object', properties: {}, additionalProperties: false },
          strict: false,
        },
      ];
    });
    return [...this.#tools.definitionsFor(agent), ...transfers];
  }

  async #agentLoop(run: TurnRun, initialFrom: Agent | undefined): Promise<void> {
    let input: AgentStepRequest['input'] = { kind: 'text', text: run.text };
    let context = this.#context(run, initialFrom);
    let previousStepId: string | undefined;
    // A stopped run still answers every call of its last step (see ConversationDriver.closeToolCalls).
    const stop = async (reason: string, unsent: readonly ToolOutput[]) => {
      if (unsent.length > 0) await this.#driver.closeToolCalls(run.conversationId, unsent);
      this.#escalate(run, reason);
    };
    for (;;) {
      const unsent = input.kind === 'text' ? [] : input.outputs;
      if (!this.#budget.canCallModel(run.budget)) {
        run.events.push({ type: 'budget', status: run.budget.status, spentUsd: run.budget.spentUsd });
        await stop('conversation budget exhausted', unsent);
        return;
      }
      const step = this.#loopGuard.checkStep(run.guard);
      if (step.kind === 'stop') {
        await stop(step.detail, unsent);
        return;
      }
      run.guard = step.state;
      const agent = run.agent;
      const model = this.#budget.modelFor(run.budget, this.#model);
      run.events.push({ type: 'agent_step', agentId: agent.id, model });
      const result = await this.#driver.step({
        customerId: run.input.customerId,
        conversationId: run.conversationId,
        scenario: this.#scenario,
        agent,
        channel: run.input.channel,
        model,
        input,
        context,
        // Once a call was refused for verification, the model only answers its outputs: no more tools.
        tools: run.challenge === undefined ? this.#toolsFor(agent) : [],
        ...(previousStepId ? { previousStepId } : {}),
        ...(run.input.onTextDelta ? { onTextDelta: run.input.onTextDelta } : {}),
      });
      const before = run.budget.status;
      run.budget = this.#budget.record(run.budget, result.model, result.usage);
      // Counted at once in this replica; the shared counter's write is not the turn's to wait for.
      void this.#breaker.record(result.usage.inputTokens + result.usage.outputTokens, this.#clock());
      if (run.budget.status !== before) {
        run.events.push({
          type: 'budget',
          status: run.budget.status,
          spentUsd: run.budget.spentUsd,
          model: result.model,
        });
      }
      previousStepId = result.stepId;
      // After a refusal for verification the engine asks the customer itself: the model's text is not shown.
      if (result.text?.trim() && run.challenge === undefined) {
        run.replies.push({ text: result.text.trim(), kind: 'agent' });
      }
      if (result.toolCalls.length === 0) return;

      const outputs: ToolOutput[] = [];
      let handedOffTo: string | undefined;
      let escalation: string | undefined;
      for (const call of result.toolCalls) {
        if (handedOffTo !== undefined || escalation !== undefined) {
          // A call after an accepted transfer (or a refusal that escalates) is not run, but it must be answered:
          // the Responses API refuses a conversation that holds a call without an output.
          outputs.push({
            callId: call.callId,
            output: JSON.stringify({
              skipped: handedOffTo !== undefined ? `handed off to ${handedOffTo}` : 'escalated to a human',
            }),
          });
          continue;
        }
        if (call.name.startsWith(TRANSFER_TOOL_PREFIX)) {
          const target = call.name.slice(TRANSFER_TOOL_PREFIX.length);
          const verdict = this.#loopGuard.checkHandoff(run.guard, target, agent.handoffs);
          if (verdict.kind === 'allow') {
            run.guard = verdict.state;
            this.#handOff(run, this.#agent(target));
            handedOffTo = target;
            outputs.push({ callId: call.callId, output: JSON.stringify({ transferred_to: target }) });
            continue;
          }
          run.events.push({
            type: 'handoff_refused',
            from: agent.id,
            to: target,
            reason: verdict.reason,
            detail: verdict.detail,
          });
          outputs.push({
            callId: call.callId,
            output: JSON.stringify({ error: { code: 'handoff_refused', message: verdict.detail } }),
          });
          if (verdict.fallback === 'escalate') escalation = `handoff loop: ${verdict.detail}`;
          continue;
        }
        const ctx: ToolContext = {
          customerId: run.input.customerId,
          conversationId: run.conversationId,
          turnId: run.turnId,
          agentId: agent.id,
          channel: run.input.channel,
          idempotency: this.#store,
          clock: this.#clock,
          queueStatus: this.#queueStatus,
          assurance: run.assurance,
          verifiedAccounts: run.verifiedAccounts,
        };
        const refusal = this.#gate.refusal(run, this.#tools.get(call.name), call.arguments);
        const invocation: Awaited<ReturnType<typeof invokeTool>> =
          refusal === undefined
            ? await invokeTool(this.#tools, agent, call.name, call.arguments, ctx)
            : { ok: true, tool: call.name, output: refusal };
        if (invocation.ok) this.#gate.observe(run, invocation.output);
        run.events.push(
          invocation.ok
            ? { type: 'tool_called', agentId: agent.id, tool: call.name, ok: true }
            : {
                type: 'tool_called',
                agentId: agent.id,
                tool: call.name,
                ok: false,
                error: `${invocation.error.code}: ${invocation.error.message}`,
              },
        );
        run.emit({ type: 'tool_called', agentId: agent.id, tool: call.name, ok: invocation.ok });
        if (invocation.ok && isEngineAction(invocation.output)) run.actions.push(invocation.output);
        const output = JSON.stringify(invocation.ok ? invocation.output : { error: invocation.error });
        run.internalTexts.push(...internalTextsOf(output));
        outputs.push({ callId: call.callId, output });
      }
      if (escalation !== undefined) {
        await stop(escalation, outputs);
        return;
      }
      if (handedOffTo !== undefined) {
        input = { kind: 'handoff', text: run.text, outputs };
        context = this.#context(run, agent);
        previousStepId = undefined;
      } else {
        input = { kind: 'tool_outputs', outputs };
      }
    }
  }

  /** Tool results are for the agent: a reply sentence that repeats one (or talks about "the customer") is dropped. */
  #withholdInternalText(run: TurnRun): void {
    run.replies.forEach((reply, i) => {
      if (reply.kind !== 'agent') return;
      const checked = withholdInternalText(reply.text, run.internalTexts);
      if (checked.withheld === 0) return;
      run.replies[i] = { kind: 'agent', text: checked.text || WITHHELD_FALLBACK };
      run.events.push({ type: 'internal_text_withheld', agentId: run.agent.id, sentences: checked.withheld });
      this.#logger?.warn(
        { customerId: run.input.customerId, turnId: run.turnId, sentences: checked.withheld },
        'agent reply repeated internal tool text; withheld from the customer',
      );
    });
  }

  async #finish(run: TurnRun): Promise<TurnResult> {
    const style = run.agent.style[run.input.channel];
    this.#withholdInternalText(run);
    const replies = run.replies
      .map((r) => styleReply(r.text, run.input.channel, style))
      .filter((r) => r !== '');
    run.replies.forEach((reply, i) => {
      const styled = replies[i];
      if (reply.kind === 'agent' && styled)
        for (const token of tokens(styled)) run.emit({ type: 'token', text: token });
    });
    const result: TurnResult = {
      replies,
      agentId: run.agent.id,
      events: run.events,
      actions: run.actions,
      conversationId: run.conversationId,
      turnId: run.turnId,
    };
    // The turn's writes at once: the user's turn (started earlier), the reply's turn and the engine state.
    const writes: Promise<unknown>[] = [run.userRecorded];
    if (replies.length > 0 && run.input.recordReply !== false) {
      writes.push(
        this.#store.recordTurn(run.input.customerId, {
          channel: run.input.channel,
          sessionId: run.input.sessionId,
          role: 'assistant',
          text: replies.join('\n\n'),
          agentId: run.agent.id,
          at: new Date(Math.max(this.#clock(), run.at.getTime() + 1)),
          turnId: `${run.turnId}:assistant`,
        }),
      );
    }
    // A conversation the customer closed starts again with the coordinator (a returning customer's new issue).
    const closed = run.actions.some((a) => a.action === 'end_session');
    writes.push(
      this.#store.updateSummary(run.input.customerId, undefined, {
        [ENGINE_STATE_KEYS.agentId]: closed ? this.#scenario.coordinator : run.agent.id,
        [ENGINE_STATE_KEYS.spentUsd]: run.budget.spentUsd,
        [ENGINE_STATE_KEYS.inputTokens]: run.budget.inputTokens,
        [ENGINE_STATE_KEYS.outputTokens]: run.budget.outputTokens,
        [ENGINE_STATE_KEYS.clarifications]: run.clarifications,
        [ENGINE_STATE_KEYS.budgetScope]: run.scope,
        [ENGINE_STATE_KEYS.lastTurn]: JSON.stringify({ turnId: run.turnId, result }),
        ...(run.pending === undefined
          ? {}
          : { [ENGINE_STATE_KEYS.verification]: run.pending === null ? null : JSON.stringify(run.pending) }),
      }),
    );
    const deliver = run.input.deliver;
    if (deliver !== undefined) {
      // An action (a handoff, an escalation) may summarise the transcript: it waits for the user's turn.
      writes.push(run.actions.length === 0 ? deliver(result) : run.userRecorded.then(() => deliver(result)));
    }
    await Promise.all(writes);
    return result;
  }
}

/** The stored transcript as engine history (customer → user). */
function toHistory(turns: readonly StoredTurn[]): HistoryItem[] {
  return turns.flatMap((t): HistoryItem[] => {
    if (t.role === 'customer') return [{ type: 'message', role: 'user', text: t.text }];
    if (t.role === 'assistant' || t.role === 'agent') {
      return [
        t.agentId === null
          ? { type: 'message', role: 'assistant', text: t.text }
          : { type: 'message', role: 'assistant', text: t.text, agentId: t.agentId },
      ];
    }
    return [{ type: 'note', text: t.text }];
  });
}

/** Splits a reply into token-like chunks (words with their trailing space) for streaming. */
function tokens(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}
