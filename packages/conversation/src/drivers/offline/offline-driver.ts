import { randomUUID } from 'node:crypto';
import type { TokenUsage } from '../../budget.js';
import type { Classification, ClassificationFailure } from '../../classification.js';
import { decideRoute } from '../../confidence-gate.js';
import type { TransferMessage } from '../../context-transfer.js';
import {
  type AgentStepRequest,
  type AgentStepResult,
  type ClassifyRequest,
  type ConversationDriver,
  type ConversationSummary,
  type SummarizeRequest,
  type ToolCall,
  type ToolOutput,
  TRANSFER_TOOL_PREFIX,
} from '../../driver.js';
import { extractEntities } from '../../entity-extraction.js';
import { asksForPerson, channelAskedFor } from '../../leave-requests.js';
import { OfflineClassifier } from '../../offline-classifier.js';
import type { Agent, Scenario } from '../../scenario.js';
import { customerFacts } from '../../tool-result-text.js';
import { intentOf, summarizeExtractively } from './offline-summary.js';

/** Options of the {@link OfflineDriver}. */
export interface OfflineDriverOptions {
  /** Makes conversation ids (`offline_<id>`); default random UUIDs. */
  readonly idFactory?: () => string;
}

/** What the offline agent knows in a step: from the user's text first, then from the carried context. */
interface Facts {
  readonly text: string;
  readonly intent: string | undefined;
  readonly textIntent: string | undefined;
  readonly postcode: string | undefined;
  readonly address: string | undefined;
  readonly orderId: string | undefined;
  readonly accountNumber: string | undefined;
  readonly amount: number | undefined;
  /** Data the customer gave earlier (another agent or channel) that this step relies on. */
  readonly fromContext: boolean;
  /** The context says another agent handed over. */
  readonly handedOver: boolean;
}

/** A turn in progress: the user's text and the calls asked for, keyed by conversation. */
interface PendingTurn {
  readonly agentId: string;
  readonly facts: Facts;
  readonly calls: Map<
    string,
    { name: string; args: Record<string, unknown>; followUp?: 'refund' | 'return' }
  >;
}

/** A customer closing the conversation ("that's all, thanks, bye"). */
const GOODBYE =
  /^(?:(?:ok(?:ay)?|great|perfect|thanks?|thank you|cheers|that'?s all|no(?:thing)? (?:else|more)),?\s*)*(?:bye|goodbye|good bye|that'?s all|that is all|nothing else)\b/i;

const OUTAGE_INTENTS = new Set(['a power outage', 'a gas supply problem', 'a suspected gas leak']);
const AFFIRMATIVE = /^(?:yes|yeah|yep|sure|ok(?:ay)?|please do|go ahead)\b/i;

/** The model the offline driver's classifications and summaries are priced as. */
const OFFLINE_CLASSIFIER_MODEL = 'gpt-4.1-mini';

function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * A wait as every channel quotes it: "less than a minute", "about 1 minute", "about 9 minutes" (rounded to the
 * nearest minute, like the phone's announcements and the router's quoted wait), so one estimate is one figure.
 */
export function quotedWait(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
}

function money(amount: number, currency: '£' | '$'): string {
  return `${currency}${amount.toFixed(2)}`;
}

function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d.toISOString().slice(11, 16)} UTC on ${d.toISOString().slice(0, 10)}`;
}

/** Parses `Already collected: k=v, k=v.` of a context note (values may contain commas). */
function parseCollected(note: string): Record<string, string> {
  const line = /Already collected: (.*)\.$/m.exec(note)?.[1];
  if (!line) return {};
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=(.*?)(?=, \w+=|$)/g)) if (m[1] && m[2] !== undefined) out[m[1]] = m[2];
  return out;
}

function gatherFacts(text: string, context: readonly TransferMessage[]): Facts {
  const now = extractEntities(text);
  const notes = context.filter((m) => m.role === 'system').map((m) => m.text);
  const collected = Object.assign({}, ...notes.map(parseCollected)) as Record<string, string>;
  const earlier: Record<string, string> = {};
  for (const m of context) {
    if (m.role !== 'user') continue;
    for (const [k, v] of Object.entries(extractEntities(m.text))) earlier[k] ??= v;
  }
  const pick = (key: string) => {
    if (now[key] !== undefined) return { value: now[key], fromContext: false };
    const value = collected[key] ?? earlier[key];
    return { value, fromContext: value !== undefined };
  };
  const postcode = pick('postcode');
  const address = pick('address');
  const orderId = pick('orderId');
  const accountNumber = pick('accountNumber');
  const amount = pick('amount');
  const textIntent = intentOf(text);
  // The latest issue the customer raised in the carried context (older issues of a returning customer are history).
  const contextIntent =
    context
      .filter((m) => m.role === 'user')
      .map((m) => intentOf(m.text))
      .reverse()
      .find((i) => i !== undefined) ?? collected.intent;
  return {
    text,
    textIntent,
    intent: textIntent ?? contextIntent,
    postcode: postcode.value,
    address: address.value,
    orderId: orderId.value,
    accountNumber: accountNumber.value,
    amount: amount.value === undefined ? undefined : Number.parseFloat(amount.value),
    fromContext: [postcode, address, orderId].some((p) => p.fromContext) || (!textIntent && !!contextIntent),
    handedOver: notes.some((n) => /was speaking with/.test(n)),
  };
}

/** "I can see you reported a power outage at 14 Cardigan Road, LS6 1LF." when the facts came from elsewhere. */
function acknowledgement(facts: Facts): string | undefined {
  if (!(facts.fromContext || facts.handedOver) || facts.intent === undefined) return undefined;
  const place = [facts.address, facts.postcode].filter((v) => v !== undefined).join(', ');
  if (OUTAGE_INTENTS.has(facts.intent))
    return `I can see you reported ${facts.intent}${place ? ` at ${place}` : ''}.`;
  return `I can see you're asking about ${facts.intent}${facts.orderId ? ` for order ${facts.orderId}` : ''}.`;
}

/**
 * A deterministic, network-free {@link ConversationDriver} for the sandbox and tests. Conversations are
 * `offline_<uuid>`; `classify` is the {@link OfflineClassifier}; `step` is a rules-based agent: the coordinator
 * routes through the confidence gate with `transfer_to_<agent>`, a specialist calls its own tool when the
 * user's text (or data carried from earlier turns and channels) matches it, and after tool outputs it replies
 * from templates filled with the results — naming the issue and data already given when they came from the
 * context, so cross-channel continuity is visible. `summarize` is extractive. See the README for its limits.
 */
export class OfflineDriver implements ConversationDriver {
  readonly kind = 'offline';
  readonly #idFactory: () => string;
  readonly #classifiers = new WeakMap<Scenario, OfflineClassifier>();
  readonly #pending = new Map<string, PendingTurn>();
  readonly #notes = new Map<string, string[]>();
  /** Calls per method, for tests that prove a path made no model call. */
  readonly calls = {
    createConversation: 0,
    step: 0,
    classify: 0,
    summarize: 0,
    addNote: 0,
    closeToolCalls: 0,
  };

  constructor(options: OfflineDriverOptions = {}) {
    this.#idFactory = options.idFactory ?? randomUUID;
  }

  async createConversation(_customerId: string): Promise<string> {
    this.calls.createConversation += 1;
    return `offline_${this.#idFactory()}`;
  }

  async classify(request: ClassifyRequest): Promise<Classification | ClassificationFailure> {
    this.calls.classify += 1;
    const result = this.#classifier(request.scenario).classifySync(request.text);
    // What a model call of this size would cost: the offline driver is budgeted like a real one.
    const usage = { inputTokens: estimateTokens(request.text), outputTokens: 24 };
    return { ...result, usage, model: OFFLINE_CLASSIFIER_MODEL };
  }

  async summarize(request: SummarizeRequest): Promise<ConversationSummary> {
    this.calls.summarize += 1;
    const summary = summarizeExtractively(request);
    const usage = {
      inputTokens: estimateTokens(request.turns.map((t) => t.text).join('\n')),
      outputTokens: estimateTokens(summary.summary),
    };
    return { ...summary, usage, model: OFFLINE_CLASSIFIER_MODEL };
  }

  async addNote(conversationId: string, text: string): Promise<void> {
    this.calls.addNote += 1;
    const notes = this.#notes.get(conversationId) ?? [];
    notes.push(text);
    this.#notes.set(conversationId, notes);
  }

  async closeToolCalls(conversationId: string, _outputs: readonly ToolOutput[]): Promise<void> {
    this.calls.closeToolCalls += 1;
    this.#pending.delete(conversationId);
  }

  /** The notes posted into a conversation, oldest first. */
  notes(conversationId: string): readonly string[] {
    return [...(this.#notes.get(conversationId) ?? [])];
  }

  async step(request: AgentStepRequest): Promise<AgentStepResult> {
    this.calls.step += 1;
    // After a handoff the new agent starts from the user's text: this driver keeps no conversation.
    const outcome =
      request.input.kind === 'tool_outputs'
        ? this.#onToolOutputs(request)
        : this.#onText(request, request.input.text);
    const inputText =
      request.input.kind === 'tool_outputs'
        ? request.input.outputs.map((o) => o.output).join('\n')
        : request.input.text;
    const usage: TokenUsage = {
      inputTokens: estimateTokens(inputText) + estimateTokens(request.context.map((m) => m.text).join('\n')),
      outputTokens: estimateTokens(outcome.text ?? JSON.stringify(outcome.toolCalls)),
    };
    if (request.onTextDelta && outcome.text !== undefined) {
      // Streams word by word, each word in its own macrotask, as a model would.
      for (const word of outcome.text.match(/\S+\s*/g) ?? []) {
        request.onTextDelta(word);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return {
      ...(outcome.text === undefined ? {} : { text: outcome.text }),
      toolCalls: outcome.toolCalls,
      usage,
      model: request.model,
      stepId: `offline_step_${this.calls.step}`,
    };
  }

  #classifier(scenario: Scenario): OfflineClassifier {
    let classifier = this.#classifiers.get(scenario);
    if (!classifier) {
      classifier = new OfflineClassifier(scenario);
      this.#classifiers.set(scenario, classifier);
    }
    return classifier;
  }

  #call(
    request: AgentStepRequest,
    facts: Facts,
    name: string,
    args: Record<string, unknown>,
    followUp?: 'refund' | 'return',
  ): { toolCalls: ToolCall[] } {
    let pending = this.#pending.get(request.conversationId);
    if (!pending || pending.agentId !== request.agent.id || pending.facts !== facts) {
      pending = { agentId: request.agent.id, facts, calls: new Map() };
      this.#pending.set(request.conversationId, pending);
    }
    const callId = `call_${this.calls.step}_${pending.calls.size + 1}`;
    pending.calls.set(callId, followUp ? { name, args, followUp } : { name, args });
    return { toolCalls: [{ callId, name, arguments: JSON.stringify(args) }] };
  }

  #onText(request: AgentStepRequest, text: string): { text?: string; toolCalls: ToolCall[] } {
    const { agent, scenario } = request;
    const offered = new Set(request.tools.map((t) => t.name));
    const facts = gatherFacts(text, request.context);
    this.#pending.delete(request.conversationId);

    if (GOODBYE.test(text) && offered.has('end_session')) {
      return this.#call(request, facts, 'end_session', { reason: 'The customer said goodbye.' });
    }
    if (asksForPerson(text)) {
      if (offered.has('check_queue_status')) return this.#call(request, facts, 'check_queue_status', {});
      if (offered.has('escalate_to_human')) {
        return this.#call(request, facts, 'escalate_to_human', {
          reason: 'The customer asked to speak to a person.',
          priority: 5,
        });
      }
    }
    const toChannel = channelAskedFor(text);
    if (toChannel && toChannel !== request.channel && offered.has('execute_channel_handoff')) {
      return this.#call(request, facts, 'execute_channel_handoff', { toChannel });
    }
    if (AFFIRMATIVE.test(text) && offered.has('execute_channel_handoff')) {
      const lastOffer = [...request.context].reverse().find((m) => m.role === 'assistant');
      const channel = /whatsapp/i.test(lastOffer?.text ?? '') ? 'whatsapp' : undefined;
      if (channel && /continue with you on/i.test(lastOffer?.text ?? '')) {
        return this.#call(request, facts, 'execute_channel_handoff', { toChannel: channel });
      }
    }

    const classification = this.#classifier(scenario).classifySync(text);
    if (agent.id === scenario.coordinator) return this.#coordinate(request, facts, classification, offered);

    const tool = this.#specialistTool(request, facts, offered, false);
    if (tool) return tool;
    // A follow-up with no topic of its own ("When will it be fixed?") is about the issue already on the table:
    // the agent holding it answers from the context before any word of it is taken as another topic.
    if (facts.textIntent === undefined && facts.fromContext) {
      const followUp = this.#specialistTool(request, facts, offered, true);
      if (followUp) return followUp;
    }

    const route = decideRoute(classification, scenario);
    if (route.kind === 'route' && route.agentId !== agent.id && route.agentId !== scenario.coordinator) {
      if (offered.has(`${TRANSFER_TOOL_PREFIX}${route.agentId}`)) {
        return this.#call(request, facts, `${TRANSFER_TOOL_PREFIX}${route.agentId}`, {});
      }
      return {
        text: 'This is outside my area. Let me connect you with the right specialist.',
        toolCalls: [],
      };
    }
    return (
      this.#specialistTool(request, facts, offered, true) ?? { text: this.#ask(agent, facts), toolCalls: [] }
    );
  }

  #coordinate(
    request: AgentStepRequest,
    facts: Facts,
    classification: Classification | ClassificationFailure,
    offered: ReadonlySet<string>,
  ): { text?: string; toolCalls: ToolCall[] } {
    const { scenario, agent } = request;
    let clarifications = 0;
    for (const m of [...request.context].reverse()) {
      if (m.role === 'user') continue;
      if (m.role === 'assistant' && m.agentId === agent.id && m.text.trim().endsWith('?'))
        clarifications += 1;
      else break;
    }
    const route = decideRoute(classification, scenario, {}, { clarificationsInARow: clarifications });
    if (route.kind === 'route' && route.agentId !== agent.id) {
      const transfer = `${TRANSFER_TOOL_PREFIX}${route.agentId}`;
      if (offered.has(transfer)) return this.#call(request, facts, transfer, {});
    }
    if (route.kind === 'clarify') return { text: route.question, toolCalls: [] };
    if (route.kind === 'escalate' && offered.has('escalate_to_human')) {
      return this.#call(request, facts, 'escalate_to_human', {
        reason: route.reason.slice(0, 1000),
        priority: 5,
      });
    }
    const topics = scenario.agents.filter((a) => a.id !== agent.id).map((a) => a.topic);
    return {
      text: `Hello, this is the ${agent.displayName}. I can help with ${topics.join(', ')}. What can I do for you?`,
      toolCalls: [],
    };
  }

  #specialistTool(
    request: AgentStepRequest,
    facts: Facts,
    offered: ReadonlySet<string>,
    followUps: boolean,
  ): { toolCalls: ToolCall[] } | undefined {
    const has = (name: string) => offered.has(name);
    const intent = facts.textIntent;
    const followUpOnly = followUps && intent === undefined;
    const reason = facts.text.slice(0, 300);
    if (
      has('check_outage') &&
      facts.postcode &&
      (followUpOnly || (intent !== undefined && OUTAGE_INTENTS.has(intent)))
    ) {
      return this.#call(request, facts, 'check_outage', { postcode: facts.postcode });
    }
    const account =
      facts.accountNumber && /^\d{10}$/.test(facts.accountNumber)
        ? { accountNumber: facts.accountNumber }
        : {};
    if (has('get_bill') && intent === 'a billing question')
      return this.#call(request, facts, 'get_bill', account);
    if (has('get_usage') && intent === 'an energy usage question')
      return this.#call(request, facts, 'get_usage', account);
    const date = /\b\d{4}-\d{2}-\d{2}\b/.exec(facts.text)?.[0];
    if (has('schedule_service_visit') && date && intent === 'an engineer visit or meter issue') {
      const visitReason = /smart/i.test(facts.text)
        ? 'smart_meter_install'
        : /safety/i.test(facts.text)
          ? 'safety_check'
          : /connection/i.test(facts.text)
            ? 'new_connection'
            : 'meter_fault';
      return this.#call(request, facts, 'schedule_service_visit', {
        ...account,
        reason: visitReason,
        preferredDate: date,
      });
    }
    const orderId = facts.orderId;
    if (orderId) {
      if (has('issue_refund') && intent === 'a refund request') {
        if (facts.amount !== undefined) {
          return this.#call(request, facts, 'issue_refund', { orderId, amount: facts.amount, reason });
        }
        if (has('get_order')) return this.#call(request, facts, 'get_order', { orderId }, 'refund');
      }
      if (has('cancel_order') && intent === 'an order cancellation') {
        return this.#call(request, facts, 'cancel_order', { orderId, reason });
      }
      if (has('start_return') && has('get_order') && intent === 'a return') {
        return this.#call(request, facts, 'get_order', { orderId }, 'return');
      }
      if (has('track_order') && (intent === 'an order delivery question' || followUpOnly)) {
        return this.#call(request, facts, 'track_order', { orderId });
      }
      if (has('get_order') && (intent === 'a device problem' || followUpOnly)) {
        return this.#call(request, facts, 'get_order', { orderId });
      }
    }
    if (has('recommend_products') && intent === 'a product recommendation') {
      const interests = ['music', 'travel', 'running', 'fitness', 'gaming', 'work', 'home'].filter((w) =>
        new RegExp(`\\b${w}`, 'i').test(facts.text),
      );
      return this.#call(request, facts, 'recommend_products', { interests });
    }
    return undefined;
  }

  /** A question for what the agent still needs (never for data the context already holds). */
  #ask(agent: Agent, facts: Facts): string {
    const ack = acknowledgement(facts);
    const prefix = ack ? `${ack} ` : `${agent.displayName} here. `;
    if (agent.tools.includes('check_outage') && !facts.postcode) {
      return `${prefix}What is the postcode of the property, so I can check for outages there?`;
    }
    if (agent.tools.some((t) => ['get_order', 'issue_refund', 'track_order'].includes(t)) && !facts.orderId) {
      return `${prefix}Could you give me the order number? It looks like ORD-10042.`;
    }
    return `${prefix}How can I help with ${agent.topic}?`;
  }

  #onToolOutputs(request: AgentStepRequest): { text?: string; toolCalls: ToolCall[] } {
    if (request.input.kind !== 'tool_outputs') return { toolCalls: [] };
    const pending = this.#pending.get(request.conversationId);
    const offered = new Set(request.tools.map((t) => t.name));
    const facts = pending?.facts ?? gatherFacts('', request.context);
    const parts: string[] = [];
    for (const output of request.input.outputs) {
      const call = pending?.calls.get(output.callId);
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(output.output) as Record<string, unknown>;
      } catch {
        value = { error: { message: output.output } };
      }
      const error = value.error as { code?: string; message?: string } | string | undefined;
      if (error !== undefined && typeof error === 'object') {
        // The error is for the agent (codes, field issues): the customer gets a sentence written for them.
        parts.push(
          error.code === 'handoff_refused'
            ? `I can't transfer you from here, but I'll help as best I can. How can I help with ${request.agent.topic}?`
            : error.code === 'not_allowed'
              ? "I'm not able to do that myself."
              : error.code === 'invalid_arguments'
                ? "Sorry, I didn't get all the details I need for that. Could you say it again in a few words?"
                : "Sorry, I couldn't do that just now. Please try again in a moment.",
        );
        continue;
      }
      const next = this.#followUp(request, facts, call, value, offered);
      if (next) return next;
      parts.push(render(call?.name, value, call?.args));
    }
    const ack = acknowledgement(facts);
    const body = parts.join(' ');
    return { text: ack ? `${ack} ${body}` : body, toolCalls: [] };
  }

  #followUp(
    request: AgentStepRequest,
    facts: Facts,
    call: { name: string; args: Record<string, unknown>; followUp?: 'refund' | 'return' } | undefined,
    value: Record<string, unknown>,
    offered: ReadonlySet<string>,
  ): { toolCalls: ToolCall[] } | undefined {
    if (!call) return undefined;
    if (call.name === 'check_queue_status') {
      if ((value.level === 'high' || value.level === 'critical') && offered.has('offer_channel_switch')) {
        return this.#call(request, facts, 'offer_channel_switch', {});
      }
      if (offered.has('escalate_to_human')) {
        return this.#call(request, facts, 'escalate_to_human', {
          reason: 'The customer asked to speak to a person.',
          priority: 5,
        });
      }
    }
    if (
      call.name === 'check_outage' &&
      value.knownOutage === false &&
      offered.has('report_outage') &&
      facts.postcode
    ) {
      return this.#call(request, facts, 'report_outage', {
        postcode: facts.postcode,
        service: /\bgas\b/i.test(facts.text) ? 'gas' : 'electricity',
        description: facts.text.slice(0, 500) || 'No supply at the property.',
      });
    }
    if (call.name === 'get_order' && typeof value.orderId === 'string' && typeof value.error !== 'string') {
      const reason = facts.text.slice(0, 300) || 'customer request';
      if (call.followUp === 'refund' && typeof value.total === 'number' && offered.has('issue_refund')) {
        const refunded = typeof value.refundedAmount === 'number' ? value.refundedAmount : 0;
        const amount = Math.round((value.total - refunded) * 100) / 100;
        if (amount > 0)
          return this.#call(request, facts, 'issue_refund', { orderId: value.orderId, amount, reason });
      }
      if (call.followUp === 'return' && Array.isArray(value.lines) && offered.has('start_return')) {
        const skus = (value.lines as { sku: string }[]).map((l) => l.sku);
        return this.#call(request, facts, 'start_return', { orderId: value.orderId, skus, reason });
      }
    }
    return undefined;
  }
}

/**
 * What the offline agent tells the customer when a tool reports an error. The tool's `message` is written for
 * the agent ("ask the customer for ...") and is never shown: the reply comes from the error code and the call's
 * own arguments.
 */
function renderToolError(code: string, args: Record<string, unknown>): string {
  const arg = (key: string) => (typeof args[key] === 'string' ? (args[key] as string) : undefined);
  switch (code) {
    case 'account_not_found': {
      const given = arg('accountNumber');
      return given
        ? `I couldn't find account ${given}. Could you check the 10-digit account number for me?`
        : "I couldn't find an account linked to the number you're contacting us from. What is your 10-digit account number? It's at the top of your bill.";
    }
    case 'order_not_found': {
      const given = arg('orderId');
      return given
        ? `I can't find order ${given} on your account. Could you check the order number? It looks like ORD-10042.`
        : 'Could you give me the order number? It looks like ORD-10042.';
    }
    case 'bill_not_found':
      return `I couldn't find a bill${arg('period') ? ` for ${arg('period')}` : ''}. Which month's bill do you mean?`;
    case 'date_unavailable':
      return 'That date is not available: visits can be booked from tomorrow onwards. Which later date would suit you?';
    default:
      return "Sorry, I couldn't find that. Could you tell me a little more?";
  }
}

/** Renders a tool result as a reply sentence (the offline agent's templates), never the tool's own words for the agent. */
export function render(
  tool: string | undefined,
  v: Record<string, unknown>,
  args: Record<string, unknown> = {},
): string {
  const s = (key: string) => String(v[key] ?? '');
  if (typeof v.error === 'string') return renderToolError(v.error, args);
  switch (tool) {
    case 'check_outage': {
      const outages =
        (v.outages as {
          outageId: string;
          service: string;
          cause: string;
          estimatedRestorationAt: string;
        }[]) ?? [];
      const o = outages[0];
      if (!o) return `There is no known outage at ${s('postcode')}.`;
      return `There is a known ${o.service} outage in ${s('district')} (${o.outageId}): ${o.cause.toLowerCase()}. Our crew expects to restore supply by ${time(o.estimatedRestorationAt)}.`;
    }
    case 'report_outage':
      return `I've reported the fault at ${s('postcode')}: your ticket is ${s('ticketId')}${v.linkedOutageId ? `, linked to outage ${s('linkedOutageId')}` : ''}.`;
    case 'get_bill': {
      const lines = (v.lines as { label: string; amount: number }[]) ?? [];
      return `Your latest bill, for ${s('period')}, is ${money(Number(v.amount), '£')} and is ${s('status')} (due ${s('dueOn')}). It covers ${lines.map((l) => `${l.label} ${money(l.amount, '£')}`).join(', ')}.`;
    }
    case 'get_usage': {
      const months =
        (v.months as { month: string; electricityKwh: number; gasKwh: number; estimated: boolean }[]) ?? [];
      return `Your usage: ${months.map((m) => `${m.month} ${m.electricityKwh} kWh electricity, ${m.gasKwh} kWh gas${m.estimated ? ' (estimated)' : ''}`).join('; ')}.`;
    }
    case 'get_account':
      return `Your account ${s('accountNumber')} is for ${s('address')}, ${s('postcode')}, on the ${s('tariff')} tariff.`;
    case 'schedule_service_visit':
      return `Your engineer visit ${s('visitId')} is booked for ${s('date')} (${s('slot') === 'am' ? 'morning' : 'afternoon'}) at ${s('address')}.`;
    case 'get_order': {
      const lines = (v.lines as { name: string; quantity: number }[]) ?? [];
      return `Order ${s('orderId')} is ${s('status')}: ${lines.map((l) => `${l.quantity} × ${l.name}`).join(', ')}, total ${money(Number(v.total), '$')}.`;
    }
    case 'track_order': {
      const events = (v.events as { description: string }[]) ?? [];
      const last = events[events.length - 1];
      return `Order ${s('orderId')} is ${s('status')}${v.carrier ? ` with ${s('carrier')} (tracking ${s('trackingNumber')})` : ''}.${last ? ` Latest: ${last.description}.` : ''}${v.estimatedDelivery ? ` Estimated delivery ${s('estimatedDelivery')}.` : ''}`;
    }
    case 'issue_refund':
      return v.status === 'issued'
        ? `I've issued a refund of ${money(Number(v.amount), '$')} for order ${s('orderId')} (refund ${s('refundId')}). It goes back to your original payment method.`
        : `I couldn't issue that refund: ${customerFacts(s('reason'))}`;
    case 'cancel_order':
      return v.status === 'cancelled'
        ? `Order ${s('orderId')} is cancelled and ${money(Number(v.refundAmount), '$')} will be refunded.`
        : v.status === 'already_cancelled'
          ? `Order ${s('orderId')} was already cancelled.`
          : `I couldn't cancel it: ${customerFacts(s('reason'))}`;
    case 'start_return':
      return v.status === 'started'
        ? `Your return ${s('returnId')} is started. Your label: ${s('labelUrl')}`
        : `I couldn't start the return: ${customerFacts(s('reason'))}`;
    case 'recommend_products': {
      const products = (v.products as { name: string; price: number }[]) ?? [];
      return products.length > 0
        ? `I'd suggest: ${products.map((p) => `${p.name} (${money(p.price, '$')})`).join(', ')}.`
        : 'I have nothing matching that right now.';
    }
    case 'change_order_price':
      return `I've sent your price change request to our team for review (${s('reviewId')}); you'll hear back within 2 business days.`;
    case 'check_queue_status':
      return `The wait for our team is ${quotedWait(Number(v.estimatedWaitSeconds))}.`;
    case 'offer_channel_switch': {
      const channels = ((v.channels as string[]) ?? []).map((c) =>
        c === 'whatsapp' ? 'WhatsApp' : 'web chat',
      );
      return `Our team is busy right now and the wait is ${quotedWait(Number(v.estimatedWaitSeconds))}. I can continue with you on ${channels.join(' or ')} instead, so you don't have to wait. Would you like that?`;
    }
    case 'execute_channel_handoff':
      return `I'm moving our conversation to ${s('toChannel') === 'whatsapp' ? 'WhatsApp' : s('toChannel')} now. You won't need to repeat anything.`;
    case 'escalate_to_human':
      return "I'm passing you to a member of our team now. They will see everything you've told me, so you won't need to repeat yourself.";
    case 'end_session':
      return 'Thank you for getting in touch. Goodbye!';
    default:
      return 'Done.';
  }
}
