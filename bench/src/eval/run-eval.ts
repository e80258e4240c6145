import { deskView } from '@omni/channel-router/dist/ops/desk.js';
import {
  type ConversationDriver,
  ConversationEngine,
  conversationDriverFor,
  createBuiltInToolRegistry,
  InMemoryConversationStore,
  loadScenario,
  OfflineDriver,
  type QueueSnapshot,
  type Scenario,
  type TurnResult,
} from '@omni/conversation';
import type { Customer, Turn } from '@omni/customer-context';
import {
  CHECKS,
  type CheckName,
  type EvalTranscript,
  judge,
  type SeenReply,
  type Verdict,
} from './checks.js';
import {
  type EvalChannel,
  type EvalConversation,
  evalConversations,
  PAIRS,
  pairName,
  RETURNING_HISTORY,
} from './conversations.js';

/** The assurance level each channel's adapter gives a turn (see the README's security model). */
const CHANNEL_ASSURANCE = { voice: 'asserted', whatsapp: 'channel-verified', webchat: 'none' } as const;

/** Which back end answers: the offline driver, or a real Foundry project. */
export interface EvalBackend {
  readonly kind: 'offline' | 'foundry';
  /** A driver for one conversation (offline: a fresh one; Foundry: the shared project). */
  driver(): ConversationDriver;
  /** The model the engine asks for (Foundry: the model the agents were synced with). */
  readonly model?: string;
}

/** The back end the environment names: Foundry when `FOUNDRY_PROJECT_ENDPOINT` is set, else offline. */
export function backendFromEnv(env: Record<string, string | undefined> = process.env): EvalBackend {
  const endpoint = env.FOUNDRY_PROJECT_ENDPOINT;
  if (!endpoint) return { kind: 'offline', driver: () => new OfflineDriver() };
  const model = env.FOUNDRY_MODEL ?? 'gpt-4.1-mini';
  const shared = conversationDriverFor({
    CONVERSATION_DRIVER: 'foundry',
    FOUNDRY_PROJECT_ENDPOINT: endpoint,
    FOUNDRY_MODEL: model,
    SCENARIO: 'utilities',
  });
  return { kind: 'foundry', driver: () => shared, model };
}

/** One conversation's outcome. */
export interface ConversationOutcome {
  readonly id: string;
  readonly pair: string;
  readonly scenario: string;
  readonly phrasing: string;
  readonly history: string;
  readonly verdicts: Record<CheckName, Verdict>;
  readonly passed: boolean;
  /** What the customer saw, for the failure list. */
  readonly transcript: readonly { readonly channel: string; readonly who: string; readonly text: string }[];
}

/** The whole run. */
export interface EvalReport {
  readonly backend: 'offline' | 'foundry';
  readonly mode: 'short' | 'full';
  readonly finishedAt: string;
  readonly conversations: number;
  readonly perCheck: Record<CheckName, { passed: number; applicable: number; rate: number }>;
  readonly perPair: { pair: string; passed: number; total: number; rate: number }[];
  readonly failures: ConversationOutcome[];
  readonly outcomes: ConversationOutcome[];
}

const BUSY: QueueSnapshot = { queue: 'support', depth: 90, estimatedWaitSeconds: 2400, level: 'critical' };
const NORMAL: QueueSnapshot = { queue: 'support', depth: 1, estimatedWaitSeconds: 30, level: 'normal' };
/** The demo data's day (outage restoration times, return windows). */
const START = Date.parse('2025-06-10T12:00:00Z');

const passedVerdict = (v: Verdict) => 'na' in v || v.ok;

/** Runs one scripted conversation through the engine, as the channel adapters would, and judges it. */
export async function runConversation(
  c: EvalConversation,
  scenario: Scenario,
  backend: EvalBackend,
): Promise<ConversationOutcome> {
  let now = START;
  const clock = () => {
    now += 1000;
    return now;
  };
  const store = new InMemoryConversationStore();
  let queue = NORMAL;
  const engine = new ConversationEngine({
    scenario,
    settings: { budgetLimitUsd: 0.5 },
    driver: backend.driver(),
    store,
    tools: createBuiltInToolRegistry(),
    queueStatus: async () => queue,
    clock,
    ...(backend.model ? { model: backend.model } : {}),
  });
  const seen: SeenReply[] = [];
  const log: { channel: string; who: string; text: string }[] = [];
  const conversationIds: string[] = [];
  let turnNo = 0;
  let issueSaid = false;
  const say = async (channel: EvalChannel, text: string): Promise<TurnResult> => {
    turnNo += 1;
    log.push({ channel, who: 'customer', text });
    const result = await engine.turn({
      customerId: c.customerId,
      channel,
      sessionId: `${channel}-session`,
      text,
      turnId: `${c.id}:${turnNo}`,
      // What each channel's adapter vouches for (#16): WhatsApp verified the number, caller ID is only asserted.
      assurance: CHANNEL_ASSURANCE[channel],
    });
    conversationIds.push(result.conversationId);
    for (const reply of result.replies) {
      log.push({ channel, who: 'agent', text: reply });
      seen.push({
        channel,
        text: reply,
        factsKnown: issueSaid || text === openingText,
        issueKnown: issueSaid,
      });
    }
    return result;
  };
  const openingText = c.issue.opening[c.phrasing];

  // Earlier contact: a returning customer's older, different issue (closed with a summary, days ago).
  if (c.history === 'returning') {
    await say(c.from, RETURNING_HISTORY[c.scenario]);
    await say(c.from, "That's all, thanks, bye");
    await engine.summarize(c.customerId);
    now += 3 * 86_400_000;
  }
  // A merged identity: the issue was told on another channel, under the identity now merged into this customer.
  const openingChannel: EvalChannel =
    c.history === 'merged'
      ? ((['webchat', 'whatsapp', 'voice'] as const).find((ch) => ch !== c.from && ch !== c.to) ?? 'webchat')
      : c.from;
  await say(openingChannel, openingText);
  issueSaid = true;

  queue = c.to === 'desk' ? NORMAL : BUSY;
  let switchActions: string[] = [];
  let switchTarget: string | undefined;
  let summary = { summary: '' };
  if (c.switchText !== '') {
    const switched = await say(c.from, c.switchText);
    switchActions = switched.actions.map((a) => a.action);
    const execute = switched.actions.find((a) => a.action === 'execute_channel_handoff');
    switchTarget = execute && 'toChannel' in execute ? execute.toChannel : undefined;
    // What the adapters do next: summarise for the handoff or the escalation (stored with the customer).
    summary = await engine.summarize(c.customerId);
  }
  queue = NORMAL;

  let firstOnNewChannel: string | undefined;
  let newChannelEscalated = false;
  let desk: EvalTranscript['desk'];
  if (c.to === 'desk') {
    const customer = await store.getCustomer(c.customerId);
    const voice = c.from === 'voice';
    const assignment = {
      agentId: 'agent-eval',
      assignedAt: now + 30_000,
      item: {
        id: voice ? 'call:eval' : 'escalation:eval',
        queue: 'support',
        kind: voice ? ('voice' as const) : ('messaging' as const),
        customerId: c.customerId,
        channel: c.from,
        priority: 5,
        enqueuedAt: now,
        correlationId: c.id,
        // A messaging escalation carries the summary it was raised with; a queued call carries none.
        ...(voice
          ? { callId: 'eval' }
          : { escalationId: 'eval', summary: summary.summary, collectedData: customer.collectedData }),
      },
    };
    const view = await deskView(assignment, {
      getCustomer: async (id) =>
        ({ ...(await store.getCustomer(id)), customerId: id }) as unknown as Customer,
      recentTurns: async (id, n) => (await store.recentTurns(id, n)) as unknown as Turn[],
    });
    desk = { summary: view.summary, collectedData: view.collectedData ?? null, lastTurns: view.lastTurns };
    log.push({ channel: 'desk', who: 'desk', text: `summary: ${view.summary ?? '(none)'}` });
  } else {
    const first = await say(c.to, c.followUp);
    firstOnNewChannel = first.replies.join(' ') || undefined;
    newChannelEscalated = first.events.some((e) => e.type === 'escalated');
  }

  const transcript: EvalTranscript = {
    replies: seen,
    firstOnNewChannel,
    switchActions,
    ...(switchTarget ? { switchTarget } : {}),
    summaryStored: (await store.getCustomer(c.customerId)).summary ?? '',
    conversationIds,
    newChannelEscalated,
    ...(desk ? { desk } : {}),
  };
  const verdicts = judge(c, transcript);
  return {
    id: c.id,
    pair: pairName(c.from, c.to),
    scenario: c.scenario,
    phrasing: c.phrasing,
    history: c.history,
    verdicts,
    passed: Object.values(verdicts).every(passedVerdict),
    transcript: log,
  };
}

/** Runs the suite (short: 36 conversations, full: 108) and computes the pass rates. */
export async function runEval(options: {
  short: boolean;
  backend: EvalBackend;
  progress?: (message: string) => void;
}): Promise<EvalReport> {
  const conversations = evalConversations(options.short);
  const scenarios = {
    utilities: await loadScenario('utilities'),
    ecommerce: await loadScenario('ecommerce'),
  };
  const outcomes: ConversationOutcome[] = [];
  for (const c of conversations) {
    outcomes.push(await runConversation(c, scenarios[c.scenario], options.backend));
  }
  options.progress?.(`${outcomes.filter((o) => o.passed).length}/${outcomes.length} conversations passed`);
  const rate = (passed: number, total: number) =>
    total === 0 ? 1 : Math.round((passed / total) * 10_000) / 10_000;
  const perCheck = Object.fromEntries(
    CHECKS.map((check) => {
      const applicable = outcomes.filter((o) => !('na' in o.verdicts[check]));
      const passed = applicable.filter((o) => passedVerdict(o.verdicts[check])).length;
      return [check, { passed, applicable: applicable.length, rate: rate(passed, applicable.length) }];
    }),
  ) as EvalReport['perCheck'];
  const perPair = PAIRS.map(([from, to]) => {
    const pair = pairName(from, to);
    const mine = outcomes.filter((o) => o.pair === pair);
    const passed = mine.filter((o) => o.passed).length;
    return { pair, passed, total: mine.length, rate: rate(passed, mine.length) };
  });
  return {
    backend: options.backend.kind,
    mode: options.short ? 'short' : 'full',
    finishedAt: new Date().toISOString(),
    conversations: outcomes.length,
    perCheck,
    perPair,
    failures: outcomes.filter((o) => !o.passed),
    outcomes,
  };
}
