import { isDeepStrictEqual } from 'node:util';
import { FoundryApiError } from './errors.js';
import type { FunctionToolDefinition, TextFormat } from './model.js';

/** A stored agent version, as `project.agents.getVersion` returns it (`created_at` in Unix seconds). */
export interface AgentVersionRecord {
  readonly object: 'agent.version';
  /** `<name>:<version>`. */
  readonly id: string;
  readonly name: string;
  /** `'1'`, `'2'`...: every create adds one. */
  readonly version: string;
  readonly description?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly created_at: number;
  /** The `prompt` definition as sent (kind, model, instructions, tools, text...). */
  readonly definition: Readonly<Record<string, unknown>>;
}

/** An agent, as `project.agents.get` returns it. */
export interface AgentRecord {
  readonly object: 'agent';
  readonly id: string;
  readonly name: string;
  readonly state: 'enabled';
  readonly versions: { readonly latest: AgentVersionRecord };
}

/** What the Responses API takes from an agent version. */
export interface ResolvedAgent {
  readonly name: string;
  readonly version: string;
  readonly model: string;
  readonly instructions: string | undefined;
  readonly tools: readonly unknown[];
  readonly functionTools: readonly FunctionToolDefinition[];
  readonly textFormat: TextFormat | undefined;
}

/** Agent names as Foundry accepts them: letters, digits and inner hyphens, at most 63 characters. */
const AGENT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** Function names as the Responses API accepts them. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks an agent name (400 otherwise). */
export function checkAgentName(name: string): void {
  if (!AGENT_NAME.test(name)) {
    throw FoundryApiError.invalid(
      `Agent name '${name}' is invalid: use letters, digits and hyphens (not first or last), at most 63 characters.`,
      'agent_name',
    );
  }
}

/**
 * Validates a tools array (agent definition or request) and returns its function tools. Function tools must have
 * the flat Responses shape `{ type: 'function', name, parameters }`, with unique names.
 */
export function functionToolsOf(tools: unknown, param: string): FunctionToolDefinition[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw FoundryApiError.invalid(`${param} must be an array`, param);
  const seen = new Set<string>();
  const functions: FunctionToolDefinition[] = [];
  tools.forEach((tool, index) => {
    const at = `${param}[${index}]`;
    if (!isRecord(tool) || typeof tool.type !== 'string') {
      throw FoundryApiError.invalid(`${at} must be an object with a type`, at);
    }
    if (tool.type !== 'function') return;
    if (typeof tool.name !== 'string' || !FUNCTION_NAME.test(tool.name)) {
      throw FoundryApiError.invalid(
        `${at}.name is required (letters, digits, _ and -, at most 64): function tools are { type: 'function', name, parameters }`,
        `${at}.name`,
      );
    }
    if (seen.has(tool.name))
      throw FoundryApiError.invalid(`${at}.name '${tool.name}' is duplicated`, `${at}.name`);
    seen.add(tool.name);
    if (tool.parameters !== undefined && tool.parameters !== null && !isRecord(tool.parameters)) {
      throw FoundryApiError.invalid(`${at}.parameters must be a JSON schema object`, `${at}.parameters`);
    }
    functions.push({
      type: 'function',
      name: tool.name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      ...(isRecord(tool.parameters) ? { parameters: tool.parameters } : {}),
      ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
    });
  });
  return functions;
}

/** Validates a `text.format` (request or agent definition). */
export function textFormatOf(text: unknown, param: string): TextFormat | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isRecord(text)) throw FoundryApiError.invalid(`${param} must be an object`, param);
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isRecord(format))
    throw FoundryApiError.invalid(`${param}.format must be an object`, `${param}.format`);
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      if (typeof format.name !== 'string' || format.name === '') {
        throw FoundryApiError.invalid(
          `${param}.format.name is required for json_schema`,
          `${param}.format.name`,
        );
      }
      if (!isRecord(format.schema)) {
        throw FoundryApiError.invalid(
          `${param}.format.schema must be a JSON schema object`,
          `${param}.format.schema`,
        );
      }
      return {
        type: 'json_schema',
        name: format.name,
        schema: format.schema,
        ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}),
        ...(typeof format.description === 'string' ? { description: format.description } : {}),
      };
    default:
      throw FoundryApiError.invalid(
        `${param}.format.type must be text, json_object or json_schema`,
        `${param}.format.type`,
      );
  }
}

function checkDefinition(definition: unknown): Record<string, unknown> {
  if (!isRecord(definition)) throw FoundryApiError.invalid('definition is required', 'definition');
  if (definition.kind !== 'prompt') {
    throw FoundryApiError.invalid(
      `definition.kind '${String(definition.kind)}' is not emulated (only 'prompt' agents)`,
      'definition.kind',
    );
  }
  if (typeof definition.model !== 'string' || definition.model === '') {
    throw FoundryApiError.invalid(
      'definition.model (a model deployment name) is required',
      'definition.model',
    );
  }
  if (definition.instructions !== undefined && typeof definition.instructions !== 'string') {
    throw FoundryApiError.invalid('definition.instructions must be a string', 'definition.instructions');
  }
  functionToolsOf(definition.tools, 'definition.tools');
  textFormatOf(definition.text, 'definition.text');
  // JSON round trip: drops `undefined` members, so stored definitions compare like the wire form.
  return JSON.parse(JSON.stringify(definition)) as Record<string, unknown>;
}

function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw FoundryApiError.invalid('metadata must map strings to strings', 'metadata');
  }
  return value as Record<string, string>;
}

/** A page of a list, in the `{ object: 'list', data, first_id, last_id, has_more }` form. */
export interface ListPage<T> {
  readonly object: 'list';
  readonly data: readonly T[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/** Pages `items` (oldest first) by `order`, `after` (an id) and `limit` (1 to 100, default 20). */
export function pageOf<T>(
  items: readonly T[],
  idOf: (item: T) => string,
  query: { order?: string | undefined; after?: string | undefined; limit?: string | undefined },
): ListPage<T> {
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw FoundryApiError.invalid('order must be asc or desc', 'order');
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw FoundryApiError.invalid('limit must be an integer from 1 to 100', 'limit');
  }
  let ordered = order === 'asc' ? [...items] : [...items].reverse();
  if (query.after !== undefined) {
    const index = ordered.findIndex((item) => idOf(item) === query.after);
    if (index < 0) throw FoundryApiError.notFound(`No item with id '${query.after}' to page after`, 'after');
    ordered = ordered.slice(index + 1);
  }
  const data = ordered.slice(0, limit);
  const first = data[0];
  const last = data.at(-1);
  return {
    object: 'list',
    data,
    first_id: first === undefined ? null : idOf(first),
    last_id: last === undefined ? null : idOf(last),
    has_more: ordered.length > limit,
  };
}

/** The agents of one emulated project: named, immutable, numbered versions. */
export class AgentRegistry {
  readonly #agents = new Map<string, AgentVersionRecord[]>();
  readonly #now: () => number;

  constructor(now: () => number = () => Math.floor(Date.now() / 1000)) {
    this.#now = now;
  }

  /** Adds a version (the first creates the agent). Body: `{ definition, description?, metadata? }`. */
  createVersion(name: string, body: unknown): AgentVersionRecord {
    checkAgentName(name);
    const request = isRecord(body) ? body : {};
    const definition = checkDefinition(request.definition);
    const versions = this.#agents.get(name) ?? [];
    const version = String(versions.length === 0 ? 1 : Number(versions.at(-1)?.version) + 1);
    const record: AgentVersionRecord = {
      object: 'agent.version',
      id: `${name}:${version}`,
      name,
      version,
      ...(typeof request.description === 'string' ? { description: request.description } : {}),
      metadata: metadataOf(request.metadata),
      created_at: this.#now(),
      definition,
    };
    versions.push(record);
    this.#agents.set(name, versions);
    return record;
  }

  /** `POST /agents`: creates a new agent (409 when the name is taken). */
  create(body: unknown): AgentRecord {
    const request = isRecord(body) ? body : {};
    if (typeof request.name !== 'string') throw FoundryApiError.invalid('name is required', 'name');
    if (this.#agents.has(request.name)) {
      throw new FoundryApiError(409, 'conflict', `Agent '${request.name}' already exists.`, {
        param: 'name',
      });
    }
    this.createVersion(request.name, request);
    return this.get(request.name);
  }

  /** `POST /agents/{name}`: adds a version when the definition changed, else keeps the latest. */
  update(name: string, body: unknown): AgentRecord {
    const latest = this.get(name).versions.latest;
    const request = isRecord(body) ? body : {};
    const definition = checkDefinition(request.definition);
    if (!isDeepStrictEqual(definition, latest.definition)) this.createVersion(name, request);
    return this.get(name);
  }

  /** The agent with its latest version (404 when unknown). */
  get(name: string): AgentRecord {
    const latest = this.#agents.get(name)?.at(-1);
    if (!latest) throw FoundryApiError.notFound(`Agent '${name}' not found.`, 'agent_name');
    return { object: 'agent', id: name, name, state: 'enabled', versions: { latest } };
  }

  /** One version (404 when unknown). */
  getVersion(name: string, version: string): AgentVersionRecord {
    const record = this.#agents.get(name)?.find((v) => v.version === version);
    if (!record)
      throw FoundryApiError.notFound(`Agent '${name}' has no version '${version}'.`, 'agent_version');
    return record;
  }

  /** Every agent, oldest first. */
  list(): AgentRecord[] {
    return [...this.#agents.keys()].map((name) => this.get(name));
  }

  /** Every version of an agent, oldest first (404 when unknown). */
  versions(name: string): readonly AgentVersionRecord[] {
    this.get(name);
    return this.#agents.get(name) ?? [];
  }

  /** Deletes an agent and its versions (404 when unknown). */
  delete(name: string): void {
    this.get(name);
    this.#agents.delete(name);
  }

  /** Deletes one version; the agent goes with its last one (404 when unknown). */
  deleteVersion(name: string, version: string): void {
    this.getVersion(name, version);
    const remaining = (this.#agents.get(name) ?? []).filter((v) => v.version !== version);
    if (remaining.length === 0) this.#agents.delete(name);
    else this.#agents.set(name, remaining);
  }

  /** Resolves an agent reference (latest version when `version` is omitted) for the Responses API. */
  resolve(name: string, version: string | undefined): ResolvedAgent {
    const record = version === undefined ? this.get(name).versions.latest : this.getVersion(name, version);
    const definition = record.definition;
    const tools = Array.isArray(definition.tools) ? (definition.tools as unknown[]) : [];
    return {
      name: record.name,
      version: record.version,
      model: String(definition.model),
      instructions: typeof definition.instructions === 'string' ? definition.instructions : undefined,
      tools,
      functionTools: functionToolsOf(tools, 'definition.tools'),
      textFormat: textFormatOf(definition.text, 'definition.text'),
    };
  }

  /** Forgets every agent. */
  clear(): void {
    this.#agents.clear();
  }
}
