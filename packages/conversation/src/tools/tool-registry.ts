import { createHash } from 'node:crypto';
import type { AssuranceLevel } from '@omni/contracts';
import { z } from 'zod';
import type { Agent, ConversationChannel } from '../scenario.js';

/**
 * The idempotency port side-effecting tools run under: `runOnce(key, fn)` runs `fn` at most once per key
 * and returns the first result to every later caller. `CustomerContextStore` from `@omni/customer-context`
 * implements it (Cosmos-backed); tests use an in-memory one.
 */
export interface IdempotencyPort {
  runOnce<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** A snapshot of the human-agent queue, as the queue monitor last reported it. */
export interface QueueSnapshot {
  readonly queue: string;
  readonly depth: number;
  readonly estimatedWaitSeconds: number;
  readonly level: 'normal' | 'high' | 'critical';
}

/** Everything a tool may use besides its arguments. */
export interface ToolContext {
  readonly customerId: string;
  readonly conversationId: string;
  /** The user turn this call belongs to; a replayed turn carries the same id. */
  readonly turnId: string;
  /** The agent calling the tool. */
  readonly agentId?: string;
  readonly channel?: ConversationChannel;
  readonly idempotency: IdempotencyPort;
  /** The current time in epoch milliseconds. */
  readonly clock: () => number;
  /** The latest status of the human-agent queue. */
  readonly queueStatus: () => Promise<QueueSnapshot>;
  /** How sure we are who the person in this session is (see `AssuranceLevel`). Default `none`. */
  readonly assurance?: AssuranceLevel;
  /** Accounts (`account:<number>`) linked to this customer after a verification; tools disclose only these. */
  readonly verifiedAccounts?: readonly string[];
}

/** A function tool an agent can call. */
export interface Tool<Args = never, Result = unknown> {
  readonly name: string;
  readonly description: string;
  /** The argument schema (validated before `run`; also the JSON schema given to the model). */
  readonly parameters: z.ZodType;
  /** Whether the tool changes something outside the conversation (refund, booking): it then runs once per key. */
  readonly sideEffect: boolean;
  /**
   * The assurance level the session needs for this tool to run (it discloses or changes account data). Below
   * it the engine runs a verification step instead. Unset: anyone may call it.
   */
  readonly assurance?: AssuranceLevel;
  /**
   * The idempotency key of a side effect, from the business action it performs (order, amount, customer), so
   * the same refund asked for twice in other words, or in another turn, runs once. Default: the customer, the
   * turn and the arguments ({@link toolIdempotencyKey}).
   */
  idempotencyKey?(args: Args, ctx: ToolContext): string;
  run(args: Args, ctx: ToolContext): Promise<Result>;
}

/** A tool of any argument and result type, as a registry stores it. */
export type AnyTool = Tool<never, unknown>;

/**
 * Defines a tool with its argument type inferred from the zod schema.
 *
 * @example defineTool({ name: 'get_bill', description: '...', parameters: z.object({...}), sideEffect: false, run })
 */
export function defineTool<S extends z.ZodObject, Result>(tool: {
  readonly name: string;
  readonly description: string;
  readonly parameters: S;
  readonly sideEffect: boolean;
  readonly assurance?: AssuranceLevel;
  idempotencyKey?(args: z.output<S>, ctx: ToolContext): string;
  run(args: z.output<S>, ctx: ToolContext): Promise<Result>;
}): Tool<z.output<S>, Result> {
  return tool;
}

/** A function tool definition as the Responses API / Foundry agents take it. */
export interface FunctionToolDefinition {
  readonly type: 'function';
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  readonly strict: false;
}

/** The tools that exist, by name. */
export class ToolRegistry {
  readonly #tools = new Map<string, AnyTool>();
  readonly #definitions = new WeakMap<AnyTool, FunctionToolDefinition>();

  constructor(tools: Iterable<AnyTool> = []) {
    for (const tool of tools) this.register(tool);
  }

  /**
   * Adds a tool.
   *
   * @throws {Error} when a tool with the same name exists.
   */
  register(tool: AnyTool): this {
    if (this.#tools.has(tool.name)) throw new Error(`tool "${tool.name}" is already registered`);
    this.#tools.set(tool.name, tool);
    return this;
  }

  /** The tool with this name, or `undefined`. */
  get(name: string): AnyTool | undefined {
    return this.#tools.get(name);
  }

  /** Whether a tool with this name exists. */
  has(name: string): boolean {
    return this.#tools.has(name);
  }

  /** The names of all tools, in registration order. */
  names(): string[] {
    return [...this.#tools.keys()];
  }

  /** The function tool definitions of the tools this agent owns (unknown names are skipped). */
  definitionsFor(agent: Pick<Agent, 'tools'>): FunctionToolDefinition[] {
    return agent.tools.flatMap((name) => {
      const tool = this.#tools.get(name);
      if (tool === undefined) return [];
      // Built once per tool (z.toJSONSchema took ~0.6 ms of every turn); each call gets its own copy.
      let definition = this.#definitions.get(tool);
      if (definition === undefined) {
        definition = toolDefinition(tool);
        this.#definitions.set(tool, definition);
      }
      return [structuredClone(definition)];
    });
  }
}

/** The JSON schema of a tool's parameters (input side: fields with defaults are optional). */
export function toolParametersJsonSchema(tool: Pick<AnyTool, 'parameters'>): Record<string, unknown> {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.parameters, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return schema;
}

/** The function tool definition of one tool (its parameters as JSON schema via `z.toJSONSchema`). */
export function toolDefinition(tool: AnyTool): FunctionToolDefinition {
  return {
    type: 'function',
    name: tool.name,
    description: tool.description,
    parameters: toolParametersJsonSchema(tool),
    strict: false,
  };
}

/** Why a tool call was refused or failed. */
export type ToolErrorCode = 'unknown_tool' | 'not_allowed' | 'invalid_arguments' | 'failed';

/** A refused or failed tool call; safe to send back to the model as the call's output. */
export interface ToolInvocationError {
  readonly code: ToolErrorCode;
  readonly message: string;
  /** For `invalid_arguments`: each bad field and what is wrong. */
  readonly issues?: readonly { readonly path: string; readonly message: string }[];
}

/** The outcome of {@link invokeTool}. */
export type ToolInvocation =
  | { readonly ok: true; readonly tool: string; readonly output: unknown; readonly idempotencyKey?: string }
  | { readonly ok: false; readonly tool: string; readonly error: ToolInvocationError };

/** JSON with object keys sorted at every level, so equal arguments give equal keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The idempotency key of a side-effecting call: `tool:<name>:<hash of customer, turn id and canonical args>`.
 * A retried or replayed turn produces the same key; another turn or other arguments a different one.
 */
export function toolIdempotencyKey(
  toolName: string,
  ctx: Pick<ToolContext, 'customerId' | 'turnId'>,
  args: unknown,
): string {
  const digest = createHash('sha256')
    .update(`${ctx.customerId}\n${ctx.turnId}\n${canonicalJson(args)}`)
    .digest('hex')
    .slice(0, 32);
  return `tool:${toolName}:${digest}`;
}

/**
 * Calls a tool on behalf of an agent: refuses tools the agent does not own, validates the arguments (a JSON
 * string from the model or an object), and runs side-effecting tools under `ctx.idempotency.runOnce` so a
 * retried or replayed turn never repeats the effect. Never throws: every refusal or failure is a typed error.
 */
export async function invokeTool(
  registry: ToolRegistry,
  agent: Pick<Agent, 'id' | 'tools'>,
  name: string,
  rawArgs: unknown,
  ctx: ToolContext,
): Promise<ToolInvocation> {
  const tool = registry.get(name);
  if (!tool)
    return { ok: false, tool: name, error: { code: 'unknown_tool', message: `no tool named "${name}"` } };
  if (!agent.tools.includes(name)) {
    return {
      ok: false,
      tool: name,
      error: { code: 'not_allowed', message: `agent "${agent.id}" may not call tool "${name}"` },
    };
  }
  let candidate: unknown = rawArgs ?? {};
  if (typeof rawArgs === 'string') {
    try {
      candidate = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
    } catch {
      return {
        ok: false,
        tool: name,
        error: { code: 'invalid_arguments', message: 'arguments are not valid JSON' },
      };
    }
  }
  const parsed = tool.parameters.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return {
      ok: false,
      tool: name,
      error: {
        code: 'invalid_arguments',
        message: `invalid arguments for "${name}": ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
        issues,
      },
    };
  }
  const args = parsed.data as never;
  const callCtx: ToolContext = ctx.agentId === undefined ? { ...ctx, agentId: agent.id } : ctx;
  try {
    if (!tool.sideEffect) return { ok: true, tool: name, output: await tool.run(args, callCtx) };
    const idempotencyKey =
      tool.idempotencyKey !== undefined
        ? `tool:${name}:${tool.idempotencyKey(args, callCtx)}`
        : toolIdempotencyKey(name, ctx, parsed.data);
    const output = await ctx.idempotency.runOnce(idempotencyKey, () => tool.run(args, callCtx));
    return { ok: true, tool: name, output, idempotencyKey };
  } catch (error) {
    return {
      ok: false,
      tool: name,
      error: { code: 'failed', message: error instanceof Error ? error.message : String(error) },
    };
  }
}
