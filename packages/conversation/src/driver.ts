import type { TokenUsage } from './budget.js';
import type { Classification, ClassificationFailure } from './classification.js';
import type { TransferMessage } from './context-transfer.js';
import type { Agent, ConversationChannel, Scenario } from './scenario.js';
import type { FunctionToolDefinition } from './tools/tool-registry.js';

/**
 * The contract between the `ConversationEngine` and a model back end. The engine owns the agent loop:
 * which agent holds the conversation, the confidence gate, loop guards, tool execution (with idempotency),
 * budgets and transcripts. A driver only turns one agent step into a model call and back, so the Foundry
 * driver and the offline driver run the very same loop.
 */
export interface ConversationDriver {
  /** `foundry` or `offline`; appears in logs and metrics. */
  readonly kind: string;

  /**
   * The driver's conversation id for a customer, created on first use. The engine gets it through
   * customer-context's `getOrCreateConversationId(customerId, () => driver.createConversation(...))`, so every
   * channel shares one id (Foundry: a `conv_...` conversation).
   */
  createConversation(customerId: string): Promise<string>;

  /**
   * One agent step. `input` is the user's text on the first call of a turn, or the outputs of the tool calls
   * the previous step asked for. The step answers with text, tool calls, or both (text before the calls).
   * A call to a `transfer_to_<agentId>` tool is a handoff the engine decides on.
   */
  step(request: AgentStepRequest): Promise<AgentStepResult>;

  /** Classifies a message to a specialist of the scenario (structured output in Foundry). Never throws. */
  classify(request: ClassifyRequest): Promise<Classification | ClassificationFailure>;

  /** A summary and collected data of the conversation so far, for a channel handoff. */
  summarize(request: SummarizeRequest): Promise<ConversationSummary>;

  /** Posts a note into the driver's conversation (Foundry: an assistant item), e.g. the handoff summary. */
  addNote(conversationId: string, text: string): Promise<void>;

  /**
   * Records the outputs of tool calls whose run the engine stopped (step limit, budget, a refused handoff that
   * escalates) WITHOUT asking the model for another step. Every call a step returned gets an output before the
   * run ends, on every path: the Responses API refuses every later request of a conversation that holds a
   * call without one (`400 No tool output found for function call ...`), and the customer has one
   * conversation on every channel. Foundry: `function_call_output` items appended to the conversation.
   */
  closeToolCalls(conversationId: string, outputs: readonly ToolOutput[]): Promise<void>;
}

/** The input of one agent step. */
export interface AgentStepRequest {
  readonly customerId: string;
  readonly conversationId: string;
  readonly scenario: Scenario;
  readonly agent: Agent;
  readonly channel: ConversationChannel;
  /** The model to use (the budget may have degraded it to a cheaper one). */
  readonly model: string;
  /**
   * What this step answers: the user's text (first step of a turn), the outputs of the tool calls the previous
   * step asked for, or a handoff. A handoff carries the outputs answering EVERY call of the handing-off step
   * (the transfer itself and any call it cut short: the Responses API refuses a conversation with an
   * unanswered call) and the user's text of this turn, for back ends that do not keep the conversation.
   */
  readonly input:
    | { readonly kind: 'text'; readonly text: string }
    | { readonly kind: 'tool_outputs'; readonly outputs: readonly ToolOutput[] }
    | { readonly kind: 'handoff'; readonly text: string; readonly outputs: readonly ToolOutput[] };
  /**
   * Context carried over from other agents and channels (`transferContext`): a note with the summary and
   * collected data, then the last N turns. Drivers that keep server-side history (Foundry) may send only
   * what the conversation does not hold yet.
   */
  readonly context: readonly TransferMessage[];
  /** The agent's own tools plus its allowed `transfer_to_<agentId>` tools. */
  readonly tools: readonly FunctionToolDefinition[];
  /** The driver's id of the previous step in this turn, when the back end chains steps. */
  readonly previousStepId?: string;
  /**
   * When set, the driver streams: it calls this with each piece of the step's text as the model produces it
   * (the pieces joined are the step's `text`). Optional for drivers; the result is the same either way.
   */
  readonly onTextDelta?: (delta: string) => void;
}

/** A tool's output sent back to the model. */
export interface ToolOutput {
  readonly callId: string;
  /** JSON text. */
  readonly output: string;
}

/** A tool call the model asked for. */
export interface ToolCall {
  readonly callId: string;
  readonly name: string;
  /** JSON text, validated by the tool registry before anything runs. */
  readonly arguments: string;
}

/** What one agent step produced. */
export interface AgentStepResult {
  /** Text for the user, if any. */
  readonly text?: string;
  readonly toolCalls: readonly ToolCall[];
  readonly usage: TokenUsage;
  /** The model that answered (for the budget's price table). */
  readonly model: string;
  /** The back end's id of this step (Foundry: the response id). */
  readonly stepId?: string;
}

/** Input of {@link ConversationDriver.classify}. */
export interface ClassifyRequest {
  readonly scenario: Scenario;
  readonly text: string;
  /** Recent turns, for messages that only make sense in context. */
  readonly context: readonly TransferMessage[];
}

/** Input of {@link ConversationDriver.summarize}. */
export interface SummarizeRequest {
  readonly customerId: string;
  readonly conversationId: string;
  /** The transcript, oldest first, across channels. */
  readonly turns: readonly {
    readonly role: 'user' | 'assistant';
    readonly text: string;
    readonly channel: string;
  }[];
  readonly previousSummary?: string;
  readonly collectedData: Readonly<Record<string, string | number | boolean | null>>;
}

/** A conversation summary for the next agent or channel. */
export interface ConversationSummary {
  readonly summary: string;
  readonly collectedData: Record<string, string | number | boolean | null>;
  /** The tokens the summarising model call used, when one was made. */
  readonly usage?: TokenUsage;
  readonly model?: string;
}

/** The prefix of handoff tools: `transfer_to_<agentId>`. */
export const TRANSFER_TOOL_PREFIX = 'transfer_to_';
