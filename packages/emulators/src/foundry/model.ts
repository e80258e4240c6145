import type { ConversationItem } from './items.js';
import { messageText, outputText } from './items.js';

/** A function tool as the model sees it (the flat Responses API shape). */
export interface FunctionToolDefinition {
  readonly type: 'function';
  readonly name: string;
  readonly description?: string;
  readonly parameters?: Record<string, unknown>;
  readonly strict?: boolean;
}

/** The `text.format` of a request: plain text, JSON mode or a JSON schema (structured output). */
export type TextFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
      readonly type: 'json_schema';
      readonly name: string;
      readonly schema: Record<string, unknown>;
      readonly strict?: boolean;
      readonly description?: string;
    };

/** Everything the scripted model is asked for one `responses.create`, recorded in {@link ScriptedModel.requests}. */
export interface ModelRequest {
  /** The id the response will get (`resp_...`). */
  readonly responseId: string;
  /** The agent the request referenced (`agent: { type: 'agent_reference', name, version? }`), resolved to a version. */
  readonly agent: { readonly name: string; readonly version: string } | undefined;
  /** The model deployment: the agent definition's, else the request's `model`. */
  readonly model: string;
  /** The agent's instructions, else the request's `instructions`. */
  readonly instructions: string | undefined;
  /** Every tool the model may use: the agent's (baked in at creation), else the request's. */
  readonly tools: readonly unknown[];
  /** The function tools among {@link tools}, by name. */
  readonly functionTools: readonly FunctionToolDefinition[];
  /** The conversation the response belongs to (`conv_...`), if any. */
  readonly conversationId: string | undefined;
  /** The `previous_response_id` of the request, if any. */
  readonly previousResponseId: string | undefined;
  /** The items this request added (its `input`). */
  readonly input: readonly ConversationItem[];
  /** Everything the model sees: the conversation (or previous responses) followed by {@link input}. */
  readonly context: readonly ConversationItem[];
  /** The requested output format (`text.format`), if any. */
  readonly textFormat: TextFormat | undefined;
  /** The request's `metadata`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The request's `max_output_tokens`, if any. */
  readonly maxOutputTokens: number | undefined;
  /** The text of the last user message in {@link context}, if any. */
  readonly lastUserText: string | undefined;
  /** The `function_call_output` items of {@link input}, with the name of the call they answer. */
  readonly functionOutputs: readonly {
    readonly callId: string;
    readonly name: string;
    readonly output: string;
  }[];
}

/** A function call the scripted model makes. */
export interface ScriptedFunctionCall {
  /** A function tool of the request (the model refuses names it was not given). */
  readonly name: string;
  /** An object (JSON-encoded for the wire) or an already encoded JSON string. Default `{}`. */
  readonly arguments?: unknown;
  /** The `call_id`; a fresh `call_...` when omitted. */
  readonly callId?: string;
}

/** Token counts to report instead of the computed ones. */
export interface ScriptedUsage {
  readonly input_tokens?: number;
  readonly output_tokens?: number;
}

/**
 * What the scripted model answers with:
 * - `{ text }`: an assistant message;
 * - `{ json }`: an assistant message holding the JSON text (structured output, `text.format` json_schema);
 * - `{ functionCall }` / `{ functionCalls }`: one or several `function_call` items (optionally after a `text`);
 * - `{ error }`: the request fails with that HTTP status (e.g. 429, 500), nothing is stored. A 429 carries
 *   `retry-after-ms` and `retry-after` (from `retryAfterMs`, default 100), as Azure OpenAI's throttling answers do.
 */
export type ModelStep =
  | { readonly text: string; readonly usage?: ScriptedUsage }
  | { readonly json: unknown; readonly usage?: ScriptedUsage }
  | { readonly functionCall: ScriptedFunctionCall; readonly text?: string; readonly usage?: ScriptedUsage }
  | {
      readonly functionCalls: readonly ScriptedFunctionCall[];
      readonly text?: string;
      readonly usage?: ScriptedUsage;
    }
  | {
      readonly error: {
        readonly status: number;
        readonly message: string;
        readonly code?: string;
        /** For a 429: the wait the answer asks for (`retry-after-ms`). Default 100. */
        readonly retryAfterMs?: number;
      };
    };

/** Computes a step from the request (to assert on it, or to answer from what it contains). */
export type ModelResponder = (request: ModelRequest) => ModelStep | Promise<ModelStep>;

/**
 * The model behind the emulator's Responses API. Tests queue steps with {@link script} (consumed one per
 * `responses.create`, in order), or set a fallback {@link respondWith}; unscripted requests get a deterministic
 * reply ({@link defaultStep}). Every request is recorded in {@link requests}.
 */
export class ScriptedModel {
  readonly #queue: (ModelStep | ModelResponder)[] = [];
  #responder: ModelResponder | undefined;
  readonly #requests: ModelRequest[] = [];

  /** Every request the model was asked, oldest first. */
  get requests(): readonly ModelRequest[] {
    return this.#requests;
  }

  /** The most recent request, if any. */
  get lastRequest(): ModelRequest | undefined {
    return this.#requests.at(-1);
  }

  /** How many queued steps are still unused. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues steps (or per-request responders), used one per `responses.create`, in order. */
  script(...steps: (ModelStep | ModelResponder)[]): this {
    this.#queue.push(...steps);
    return this;
  }

  /** Sets the responder used when the queue is empty (`undefined` restores the default reply). */
  respondWith(responder: ModelResponder | undefined): this {
    this.#responder = responder;
    return this;
  }

  /** Forgets the queue, the responder and the recorded requests. */
  reset(): void {
    this.#queue.length = 0;
    this.#responder = undefined;
    this.#requests.length = 0;
  }

  /** Records the request and picks its step. Used by the emulator. */
  async next(request: ModelRequest): Promise<ModelStep> {
    this.#requests.push(request);
    const queued = this.#queue.shift();
    if (queued !== undefined) return typeof queued === 'function' ? queued(request) : queued;
    if (this.#responder) return this.#responder(request);
    return defaultStep(request);
  }
}

/**
 * The reply of an unscripted model: deterministic, so unscripted runs are repeatable. After function outputs it
 * acknowledges them (`Done: <name> returned <output>`), otherwise it echoes the last user message
 * (`You said: <text>`). A structured-output request cannot be answered without a script: it fails with 500.
 */
export function defaultStep(request: ModelRequest): ModelStep {
  if (request.textFormat?.type === 'json_schema' || request.textFormat?.type === 'json_object') {
    return {
      error: {
        status: 500,
        code: 'unscripted_structured_output',
        message:
          'The scripted model has no step for this structured-output request; script one with { json }.',
      },
    };
  }
  const outputs = request.functionOutputs;
  if (outputs.length > 0) {
    return { text: outputs.map((o) => `Done: ${o.name} returned ${o.output}`).join('\n') };
  }
  return { text: request.lastUserText === undefined ? 'Hello.' : `You said: ${request.lastUserText}` };
}

/** The last user message's text in a context. */
export function lastUserTextOf(context: readonly ConversationItem[]): string | undefined {
  for (let i = context.length - 1; i >= 0; i--) {
    const item = context[i];
    if (item?.type === 'message' && item.role === 'user') return messageText(item);
  }
  return undefined;
}

/** The function outputs of `input`, named after the call they answer (found in `context`). */
export function functionOutputsOf(
  input: readonly ConversationItem[],
  context: readonly ConversationItem[],
): ModelRequest['functionOutputs'] {
  const names = new Map<string, string>();
  for (const item of context) if (item.type === 'function_call') names.set(item.call_id, item.name);
  return input.flatMap((item) =>
    item.type === 'function_call_output'
      ? [{ callId: item.call_id, name: names.get(item.call_id) ?? '', output: outputText(item) }]
      : [],
  );
}
