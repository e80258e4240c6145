import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { BUILT_IN_TOOL_NAMES } from './tools/built-in-tools.js';

/** The channels a conversation happens on; each has its own reply style. */
export const ConversationChannel = z.enum(['voice', 'whatsapp', 'webchat']);

/** A channel a conversation happens on: `'voice' | 'whatsapp' | 'webchat'`. */
export type ConversationChannel = z.infer<typeof ConversationChannel>;

const text = z.string().trim().min(1, 'must not be empty');
const agentIdSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a letter then letters, digits, "_" or "-" (at most 64)');
const ratio = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** How an agent writes on one channel. */
export const ChannelStyle = z
  .object({
    /** Free-text guidance appended to the agent's instructions on this channel. */
    guidance: text,
    /** Whether markdown is allowed (never on voice: it is read aloud). */
    markdown: z.boolean(),
    /** An upper bound on sentences per reply, when the channel needs one. */
    maxSentences: z.int().positive().optional(),
  })
  .strict();

/** How an agent writes on one channel. */
export type ChannelStyle = z.infer<typeof ChannelStyle>;

const channelStyles = z
  .object({ voice: ChannelStyle, whatsapp: ChannelStyle, webchat: ChannelStyle })
  .strict();
const channelStyleOverrides = z
  .object({
    voice: ChannelStyle.partial(),
    whatsapp: ChannelStyle.partial(),
    webchat: ChannelStyle.partial(),
  })
  .partial()
  .strict();

/** One agent of a scenario, as written in the YAML file. */
export const AgentSpec = z
  .object({
    id: agentIdSchema,
    displayName: text,
    /** What the agent handles, in one sentence (shown to the classifier and to other agents). */
    description: text,
    /** A short noun phrase for the clarifying question, e.g. "your bill or a payment". */
    topic: text,
    instructions: text,
    /** Utterances this agent handles; the offline classifier learns from them. */
    examples: z.array(text).default([]),
    /** The tools this agent may call (and no others). */
    tools: z.array(text).default([]),
    /** The agents this agent may hand the conversation to. */
    handoffs: z.array(agentIdSchema).default([]),
    /** Route to this agent only at or above this confidence; defaults to `routing.clarifyBelow`. */
    confidenceThreshold: ratio.optional(),
    /** Words that point at this agent in a reply (handoff-phrase detection) or a request. */
    keywords: z.array(text).default([]),
    /** Per-channel overrides of the scenario's `channelStyle`. */
    style: channelStyleOverrides.default({}),
  })
  .strict();

/** Routing settings of a scenario (environment settings may override some of them). */
export const RoutingSpec = z
  .object({
    /**
     * `tools`: the coordinator routes with `transfer_to_<agent>` tools; `lazy`: classify on the first
     * message and whenever a specialist's reply matches a handoff phrase.
     */
    mode: z.enum(['tools', 'lazy']),
    /** The agent a failed classification falls back to; when absent, a failure clarifies or escalates. */
    defaultDomain: agentIdSchema.optional(),
    /** Turns of history carried to the next agent: -1 all, 0 none, N the last N. */
    contextTransferTurns: z.int().min(-1, 'must be -1 (all), 0 (none) or a positive number of turns'),
    /** Below an agent's threshold the gate clarifies; this is the threshold of agents that set none. */
    clarifyBelow: ratio,
    /** Below this confidence the gate escalates to a human. */
    escalateBelow: ratio,
    /** Clarifying questions in a row before the gate escalates instead. */
    maxClarifications: z.int().nonnegative().default(2),
  })
  .strict();

/** A scenario file, as written (before cross-reference validation and defaults are resolved). */
export const ScenarioSpec = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and "-"'),
    displayName: text,
    description: text.optional(),
    coordinator: agentIdSchema,
    routing: RoutingSpec,
    /** Handoff templates; `{agent}` stands for an agent's display name or id. */
    handoffPhrases: z.array(text).min(1, 'must list at least one template'),
    /** What the user is told on a handoff; `{agent}` is the target's display name. */
    handoffAnnouncement: text.default("I'll connect you with our {agent}."),
    maxHandoffsPerTurn: z.int().positive().default(2),
    maxTurnsPerRun: z.int().positive().default(8),
    channelStyle: channelStyles,
    agents: z.array(AgentSpec).min(1, 'must list at least one agent'),
  })
  .strict();

/** An agent of a loaded scenario, with its threshold and per-channel style resolved. */
export interface Agent {
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  readonly topic: string;
  readonly instructions: string;
  readonly examples: readonly string[];
  readonly tools: readonly string[];
  readonly handoffs: readonly string[];
  readonly confidenceThreshold: number;
  readonly keywords: readonly string[];
  readonly style: Readonly<Record<ConversationChannel, ChannelStyle>>;
}

/** A loaded, cross-validated scenario. */
export interface Scenario {
  readonly id: string;
  readonly displayName: string;
  readonly description: string | undefined;
  readonly coordinator: string;
  readonly routing: Readonly<z.infer<typeof RoutingSpec>>;
  readonly handoffPhrases: readonly string[];
  readonly handoffAnnouncement: string;
  readonly maxHandoffsPerTurn: number;
  readonly maxTurnsPerRun: number;
  readonly agents: readonly Agent[];
  /** Where the scenario came from (a file path or a label), for error messages. */
  readonly source: string;
}

/** One problem in a scenario file: the field (a dotted path) and what is wrong with it. */
export interface ScenarioIssue {
  readonly path: string;
  readonly message: string;
}

/** Thrown when a scenario file cannot be read, parsed or validated; the message names the file and fields. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  /** The file (or label) the scenario came from. */
  readonly source: string;
  /** Every problem found. */
  readonly issues: readonly ScenarioIssue[];

  constructor(source: string, issues: readonly ScenarioIssue[]) {
    super(
      `Invalid scenario ${source}:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
    this.source = source;
    this.issues = issues;
  }
}

/** Options of {@link parseScenario} and {@link loadScenario}. */
export interface ScenarioLoadOptions {
  /** The tools that exist; an agent listing any other tool is an error. Defaults to the built-in tools. */
  readonly toolNames?: Iterable<string>;
}

/** The directory of the scenario files shipped in this package (works from `src` and from `dist`). */
export const SCENARIOS_DIR: URL = new URL('../scenarios/', import.meta.url);

/** Formats a zod/YAML path as `agents[2].handoffs[0]`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * Validates a scenario given as a YAML string or an already-parsed object, including cross references:
 * the coordinator and every handoff target exist, no agent hands off to itself, every tool exists, agent
 * ids are unique, and the thresholds are ordered.
 *
 * @param input - YAML text, or the parsed object.
 * @param source - the file or label used in error messages.
 * @throws {ScenarioError} listing every problem with its field path.
 */
export function parseScenario(input: unknown, source: string, options: ScenarioLoadOptions = {}): Scenario {
  let raw: unknown = input;
  if (typeof input === 'string') {
    const doc = parseDocument(input, { prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new ScenarioError(
        source,
        doc.errors.map((e) => ({
          path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
          message: `YAML ${e.message.split('\n')[0] ?? e.code}`,
        })),
      );
    }
    raw = doc.toJS();
  }
  const parsed = ScenarioSpec.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioError(
      source,
      parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  const spec = parsed.data;
  const toolNames = new Set(options.toolNames ?? BUILT_IN_TOOL_NAMES);
  const issues: ScenarioIssue[] = [];
  const ids = spec.agents.map((a) => a.id);
  const known = new Set(ids);
  const knownList = ids.join(', ');

  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i)
      issues.push({ path: `agents[${i}].id`, message: `duplicate agent id "${id}"` });
  });
  if (!known.has(spec.coordinator)) {
    issues.push({
      path: 'coordinator',
      message: `unknown agent "${spec.coordinator}" (agents: ${knownList})`,
    });
  }
  if (spec.routing.defaultDomain !== undefined && !known.has(spec.routing.defaultDomain)) {
    issues.push({
      path: 'routing.defaultDomain',
      message: `unknown agent "${spec.routing.defaultDomain}" (agents: ${knownList})`,
    });
  }
  if (spec.routing.escalateBelow > spec.routing.clarifyBelow) {
    issues.push({ path: 'routing.escalateBelow', message: 'must not be above routing.clarifyBelow' });
  }
  spec.agents.forEach((agent, i) => {
    agent.handoffs.forEach((target, j) => {
      if (target === agent.id) {
        issues.push({
          path: `agents[${i}].handoffs[${j}]`,
          message: `agent "${agent.id}" cannot hand off to itself`,
        });
      } else if (!known.has(target)) {
        issues.push({
          path: `agents[${i}].handoffs[${j}]`,
          message: `unknown agent "${target}" (agents: ${knownList})`,
        });
      }
    });
    agent.tools.forEach((tool, j) => {
      if (!toolNames.has(tool)) {
        issues.push({
          path: `agents[${i}].tools[${j}]`,
          message: `unknown tool "${tool}" (not in the tool registry)`,
        });
      }
    });
    if (agent.id !== spec.coordinator && agent.examples.length === 0) {
      issues.push({
        path: `agents[${i}].examples`,
        message: 'a specialist needs at least one example utterance',
      });
    }
    if (agent.confidenceThreshold !== undefined && agent.confidenceThreshold < spec.routing.escalateBelow) {
      issues.push({
        path: `agents[${i}].confidenceThreshold`,
        message: 'must not be below routing.escalateBelow',
      });
    }
  });
  const coordinator = spec.agents.find((a) => a.id === spec.coordinator);
  if (spec.routing.mode === 'tools' && coordinator && coordinator.handoffs.length === 0) {
    issues.push({
      path: `agents[${ids.indexOf(spec.coordinator)}].handoffs`,
      message: 'the coordinator needs handoff targets in routing mode "tools"',
    });
  }
  if (issues.length > 0) throw new ScenarioError(source, issues);

  return {
    id: spec.id,
    displayName: spec.displayName,
    description: spec.description,
    coordinator: spec.coordinator,
    routing: spec.routing,
    handoffPhrases: spec.handoffPhrases,
    handoffAnnouncement: spec.handoffAnnouncement,
    maxHandoffsPerTurn: spec.maxHandoffsPerTurn,
    maxTurnsPerRun: spec.maxTurnsPerRun,
    source,
    agents: spec.agents.map((a) => ({
      id: a.id,
      displayName: a.displayName,
      description: a.description,
      topic: a.topic,
      instructions: a.instructions,
      examples: a.examples,
      tools: a.tools,
      handoffs: a.handoffs,
      confidenceThreshold: a.confidenceThreshold ?? spec.routing.clarifyBelow,
      keywords: a.keywords,
      style: {
        voice: { ...spec.channelStyle.voice, ...a.style.voice },
        whatsapp: { ...spec.channelStyle.whatsapp, ...a.style.whatsapp },
        webchat: { ...spec.channelStyle.webchat, ...a.style.webchat },
      } as Record<ConversationChannel, ChannelStyle>,
    })),
  };
}

/**
 * Resolves a scenario name (`utilities` → `scenarios/utilities.yaml` of this package) or a path to a
 * `.yaml`/`.yml` file (relative to the working directory).
 */
export function resolveScenarioPath(nameOrPath: string): string {
  if (/^[a-z][a-z0-9-]*$/.test(nameOrPath)) {
    return fileURLToPath(new URL(`${nameOrPath}.yaml`, SCENARIOS_DIR));
  }
  if (/\.ya?ml$/i.test(nameOrPath)) return isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  throw new ScenarioError(nameOrPath, [
    { path: '', message: 'expected a scenario name (e.g. "utilities") or a path to a .yaml file' },
  ]);
}

/**
 * Loads and validates a scenario by name (`utilities`, `ecommerce`) or path.
 *
 * @throws {ScenarioError} when the file is missing, not YAML, or invalid (the message names the file and fields).
 */
export async function loadScenario(nameOrPath: string, options: ScenarioLoadOptions = {}): Promise<Scenario> {
  const path = resolveScenarioPath(nameOrPath);
  const label = relative(process.cwd(), path) || path;
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ScenarioError(label, [
      {
        path: '',
        message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'unknown error'})`,
      },
    ]);
  }
  return parseScenario(content, label, options);
}

/** The agent with this id, or `undefined`. */
export function findAgent(scenario: Scenario, agentId: string): Agent | undefined {
  return scenario.agents.find((a) => a.id === agentId);
}

/** The agents other than the coordinator. */
export function specialists(scenario: Scenario): readonly Agent[] {
  return scenario.agents.filter((a) => a.id !== scenario.coordinator);
}
