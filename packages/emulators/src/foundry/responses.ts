import { type AgentRegistry, functionToolsOf, textFormatOf } from './agents.js';
import { type ConversationStore, metadataOf } from './conversations.js';
import { FoundryApiError } from './errors.js';
import {
  type ConversationItem,
  checkFunctionCallPairs,
  type FunctionCallItem,
  type MessageItem,
  messageText,
  newId,
  normalizeInputItems,
  outputText,
} from './items.js';
import {
  functionOutputsOf,
  lastUserTextOf,
  type ModelRequest,
  type ModelStep,
  type ScriptedFunctionCall,
  type ScriptedModel,
} from './model.js';

/** A response object as the OpenAI Responses API returns it. */
export type ResponseObject = Record<string, unknown> & {
  readonly id: string;
  readonly output: readonly ConversationItem[];
};

interface StoredResponse {
  readonly response: ResponseObject;
  /** What the model saw plus what it answered: the history a `previous_response_id` continues. */
  readonly history: readonly ConversationItem[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw FoundryApiError.invalid(`${key} must be a string`, key);
  return value;
}

/** The fields Foundry refuses next to an agent reference: the agent's definition owns them. */
const AGENT_OWNED_FIELDS = ['tools', 'tool_choice', 'parallel_tool_calls', 'instructions'] as const;

interface AgentReference {
  readonly name: string;
  readonly version: string | undefined;
}

function agentReferenceOf(body: Record<string, unknown>): AgentReference | undefined {
  const key = body.agent !== undefined && body.agent !== null ? 'agent' : 'agent_reference';
  const raw = body[key];
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw) || typeof raw.name !== 'string' || raw.name === '') {
    throw FoundryApiError.invalid(`${key} must be { type: 'agent_reference', name, version? }`, key);
  }
  if (raw.type !== undefined && raw.type !== 'agent_reference') {
    throw FoundryApiError.invalid(`${key}.type must be 'agent_reference'`, `${key}.type`);
  }
  if (raw.version !== undefined && raw.version !== null && typeof raw.version !== 'string') {
    throw FoundryApiError.invalid(`${key}.version must be a string`, `${key}.version`);
  }
  return { name: raw.name, version: typeof raw.version === 'string' ? raw.version : undefined };
}

function conversationIdOf(body: Record<string, unknown>): string | undefined {
  const raw = body.conversation;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') return raw;
  if (isRecord(raw) && typeof raw.id === 'string') return raw.id;
  throw FoundryApiError.invalid('conversation must be an id or { id }', 'conversation');
}

/** Roughly four characters a token, as the Responses API's usage is only used for budgets here. */
function tokens(characters: number): number {
  return Math.ceil(characters / 4);
}

function itemCharacters(item: ConversationItem): number {
  switch (item.type) {
    case 'message':
      return messageText(item).length;
    case 'function_call':
      return item.name.length + item.arguments.length;
    case 'function_call_output':
      return outputText(item).length;
  }
}

function encodeArguments(value: unknown): string {
  if (value === undefined) return '{}';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The emulated `/openai/v1/responses`: resolves the agent and history, asks the scripted model, stores. */
/** How long a function call waits for its output before Foundry expires it. */
export const TOOL_OUTPUT_WINDOW_MS = 10 * 60 * 1000;

export class ResponsesService {
  readonly #responses = new Map<string, StoredResponse>();
  readonly #agents: AgentRegistry;
  readonly #conversations: ConversationStore;
  readonly #model: ScriptedModel;
  readonly #now: () => number;
  /** When each function call was handed out (ms), by call_id: its output is due within {@link TOOL_OUTPUT_WINDOW_MS}. */
  readonly #callIssuedAt = new Map<string, number>();
  /** Conversations with a response being answered right now. */
  readonly #busy = new Set<string>();

  constructor(
    agents: AgentRegistry,
    conversations: ConversationStore,
    model: ScriptedModel,
    now: () => number = Date.now,
  ) {
    this.#agents = agents;
    this.#conversations = conversations;
    this.#model = model;
    this.#now = now;
  }

  /** `POST /responses` (non-streaming form; the route streams the same object as SSE when asked). */
  async create(rawBody: unknown): Promise<ResponseObject> {
    if (!isRecord(rawBody)) throw FoundryApiError.invalid('The body must be a JSON object', '');
    const body = rawBody;
    const reference = agentReferenceOf(body);
    if (reference) {
      for (const field of AGENT_OWNED_FIELDS) {
        if (body[field] !== undefined && body[field] !== null) {
          throw FoundryApiError.invalid('Not allowed when agent is specified.', field);
        }
      }
    }
    const agent = reference ? this.#agents.resolve(reference.name, reference.version) : undefined;
    const model = agent?.model ?? optionalString(body, 'model');
    if (model === undefined || model === '') {
      throw FoundryApiError.invalid('model is required (or an agent reference)', 'model');
    }
    const instructions = agent ? agent.instructions : optionalString(body, 'instructions');
    const tools = agent ? agent.tools : Array.isArray(body.tools) ? (body.tools as unknown[]) : [];
    const functionTools = agent ? agent.functionTools : functionToolsOf(body.tools, 'tools');
    const textFormat = textFormatOf(body.text, 'text') ?? agent?.textFormat;
    const metadata = metadataOf(body.metadata);

    const conversationId = conversationIdOf(body);
    const previousResponseId = optionalString(body, 'previous_response_id');
    if (conversationId !== undefined && previousResponseId !== undefined) {
      throw FoundryApiError.invalid(
        'conversation and previous_response_id cannot be used together.',
        'previous_response_id',
      );
    }
    let history: readonly ConversationItem[] = [];
    if (conversationId !== undefined) history = this.#conversations.get(conversationId).items;
    if (previousResponseId !== undefined) {
      const previous = this.#responses.get(previousResponseId);
      if (!previous) {
        throw FoundryApiError.notFound(
          `Previous response with id '${previousResponseId}' not found.`,
          'previous_response_id',
        );
      }
      history = previous.history;
    }
    const input =
      body.input === undefined || body.input === null ? [] : normalizeInputItems(body.input, 'input');
    const context = [...history, ...input];
    if (context.length === 0) throw FoundryApiError.invalid('input is required', 'input');
    checkFunctionCallPairs(context);
    this.#checkToolOutputsInTime(input);
    if (conversationId !== undefined) {
      if (this.#busy.has(conversationId)) {
        throw new FoundryApiError(409, 'conflict', 'Another response is in progress on this conversation.', {
          param: 'conversation',
        });
      }
      this.#busy.add(conversationId);
    }
    try {
      return await this.#answer(body, {
        agent,
        model,
        instructions,
        tools,
        functionTools,
        textFormat,
        metadata,
        conversationId,
        previousResponseId,
        input,
        context,
      });
    } finally {
      if (conversationId !== undefined) this.#busy.delete(conversationId);
    }
  }

  /** Tool outputs must come within 10 minutes of the function call, or Foundry refuses them (400). */
  #checkToolOutputsInTime(input: readonly ConversationItem[]): void {
    const now = this.#now();
    for (const item of input) {
      if (item.type !== 'function_call_output') continue;
      const callId = (item as { call_id?: unknown }).call_id;
      const issuedAt = typeof callId === 'string' ? this.#callIssuedAt.get(callId) : undefined;
      if (issuedAt !== undefined && now - issuedAt >= TOOL_OUTPUT_WINDOW_MS) {
        throw FoundryApiError.invalid(
          `The function call '${String(callId)}' expired: tool outputs must be submitted within 10 minutes.`,
          'input',
        );
      }
    }
  }

  async #answer(
    body: Record<string, unknown>,
    prepared: {
      agent: ReturnType<AgentRegistry['resolve']> | undefined;
      model: string;
      instructions: string | undefined;
      tools: readonly unknown[];
      functionTools: ModelRequest['functionTools'];
      textFormat: ModelRequest['textFormat'];
      metadata: Record<string, string>;
      conversationId: string | undefined;
      previousResponseId: string | undefined;
      input: ConversationItem[];
      context: ConversationItem[];
    },
  ): Promise<ResponseObject> {
    const {
      agent,
      model,
      instructions,
      tools,
      functionTools,
      textFormat,
      metadata,
      conversationId,
      previousResponseId,
      input,
      context,
    } = prepared;

    const responseId = newId('resp');
    const request: ModelRequest = {
      responseId,
      agent: agent ? { name: agent.name, version: agent.version } : undefined,
      model,
      instructions,
      tools,
      functionTools,
      conversationId,
      previousResponseId,
      input,
      context,
      textFormat,
      metadata,
      maxOutputTokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : undefined,
      lastUserText: lastUserTextOf(context),
      functionOutputs: functionOutputsOf(input, context),
    };
    const step = await this.#model.next(request);
    const output = outputOf(step, request);
    const issuedAt = this.#now();
    for (const item of output) {
      const callId = (item as { type?: unknown; call_id?: unknown }).call_id;
      if (item.type === 'function_call' && typeof callId === 'string')
        this.#callIssuedAt.set(callId, issuedAt);
    }
    const inputCharacters =
      (instructions?.length ?? 0) + context.reduce((sum, item) => sum + itemCharacters(item), 0);
    const outputCharacters = output.reduce((sum, item) => sum + itemCharacters(item), 0);
    const usage = 'usage' in step ? step.usage : undefined;
    const inputTokens = usage?.input_tokens ?? Math.max(1, tokens(inputCharacters));
    const outputTokens = usage?.output_tokens ?? tokens(outputCharacters);

    const response: ResponseObject = {
      id: responseId,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      background: false,
      error: null,
      incomplete_details: null,
      instructions: instructions ?? null,
      max_output_tokens: request.maxOutputTokens ?? null,
      model,
      output,
      parallel_tool_calls: true,
      previous_response_id: previousResponseId ?? null,
      conversation: conversationId === undefined ? null : { id: conversationId },
      ...(agent ? { agent: { type: 'agent_reference', name: agent.name, version: agent.version } } : {}),
      reasoning: { effort: null, summary: null },
      store: body.store !== false,
      temperature: typeof body.temperature === 'number' ? body.temperature : 1,
      top_p: typeof body.top_p === 'number' ? body.top_p : 1,
      text: { format: textFormat ?? { type: 'text' } },
      tool_choice: 'auto',
      tools,
      truncation: 'disabled',
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: outputTokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
      user: null,
      metadata,
    };
    if (body.store !== false) this.#responses.set(responseId, { response, history: [...context, ...output] });
    if (conversationId !== undefined) {
      // The conversation may have been deleted while the model was answering; the response still stands.
      try {
        this.#conversations.append(conversationId, [...input, ...output]);
      } catch {}
    }
    return response;
  }

  /** A stored response (404 when unknown, deleted or created with `store: false`). */
  get(id: string): ResponseObject {
    const stored = this.#responses.get(id);
    if (!stored) throw FoundryApiError.notFound(`Response with id '${id}' not found.`, 'response_id');
    return stored.response;
  }

  /** Deletes a stored response (404 when unknown). */
  delete(id: string): void {
    this.get(id);
    this.#responses.delete(id);
  }

  /** Forgets every response. */
  clear(): void {
    this.#responses.clear();
    this.#callIssuedAt.clear();
    this.#busy.clear();
  }
}

function outputOf(step: ModelStep, request: ModelRequest): ConversationItem[] {
  if ('error' in step) {
    const { status, code, message, retryAfterMs = 100 } = step.error;
    const headers: Record<string, string> =
      status === 429
        ? { 'retry-after-ms': String(retryAfterMs), 'retry-after': String(Math.ceil(retryAfterMs / 1000)) }
        : {};
    throw new FoundryApiError(status, code ?? 'scripted_error', message, { headers });
  }
  const output: ConversationItem[] = [];
  const text = 'json' in step ? JSON.stringify(step.json) : step.text;
  if (text !== undefined) output.push(assistantMessage(text));
  const calls: readonly ScriptedFunctionCall[] =
    'functionCall' in step ? [step.functionCall] : 'functionCalls' in step ? step.functionCalls : [];
  for (const call of calls) {
    if (!request.functionTools.some((tool) => tool.name === call.name)) {
      const offered = request.functionTools.map((tool) => tool.name).join(', ') || 'none';
      throw new FoundryApiError(
        500,
        'scripted_model_error',
        `The scripted model called '${call.name}', which is not a function tool of this request (tools: ${offered}).`,
      );
    }
    const item: FunctionCallItem = {
      id: newId('fc'),
      type: 'function_call',
      status: 'completed',
      call_id: call.callId ?? newId('call'),
      name: call.name,
      arguments: encodeArguments(call.arguments),
    };
    output.push(item);
  }
  return output;
}

function assistantMessage(text: string): MessageItem {
  return {
    id: newId('msg'),
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}
