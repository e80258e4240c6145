import type { EvalConversation } from './conversations.js';

/** The checks every conversation is judged by. */
export const CHECKS = [
  'names-issue',
  'no-repeated-question',
  'desk-context',
  'nothing-internal',
  'handoff-completes',
] as const;
export type CheckName = (typeof CHECKS)[number];

export const CHECK_TITLES: Readonly<Record<CheckName, string>> = {
  'names-issue': 'the first reply on the new channel (or the desk summary) names the issue',
  'no-repeated-question': 'no question is asked whose answer is in the collected data or the transcript',
  'desk-context': 'the human desk shows summary + collected data + last turns (desk pairs)',
  'nothing-internal': 'nothing internal (tool text, instructions, ids of calls) reaches the customer',
  'handoff-completes':
    'the switch or escalation is carried out and the new side continues the same conversation',
};

/** A check's verdict: passed, failed with why, or not applicable to this conversation. */
export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: string }
  | { readonly na: true };

/** One agent reply the customer saw, with where. */
export interface SeenReply {
  readonly channel: string;
  readonly text: string;
  /** Whether the issue's facts had been given (or carried over) when the reply was written. */
  readonly factsKnown: boolean;
  /** Whether the issue itself was known (said before, on any channel). */
  readonly issueKnown: boolean;
}

/** What a conversation's run produced, for the checks. */
export interface EvalTranscript {
  readonly replies: readonly SeenReply[];
  /** The first agent reply on the new channel (channel pairs). */
  readonly firstOnNewChannel: string | undefined;
  /** The actions of the turn that asked to leave the channel. */
  readonly switchActions: readonly string[];
  /** Where an `execute_channel_handoff` of that turn moves the conversation. */
  readonly switchTarget?: string;
  readonly summaryStored: string;
  readonly conversationIds: readonly string[];
  /** The new channel's first turn escalated or failed. */
  readonly newChannelEscalated: boolean;
  readonly desk?: {
    readonly summary: string | null;
    readonly collectedData: Readonly<Record<string, unknown>> | null;
    readonly lastTurns: readonly { readonly role: string; readonly text: string }[];
  };
}

/** Text that is for the agent only: tool instructions, third-person talk about the customer, raw JSON, call ids. */
const INTERNAL = [
  /\bask (?:the|this) customer\b/i,
  /\b(?:the|this) customer(?:'s)?\b/i,
  /no account matches/i,
  /\boffer a (?:cancellation|return)\b/i,
  /\{"|"\s*:\s*"/,
  /\b(?:transfer_to_|call_[A-Za-z0-9]|_engine\.)/,
  /\b(?:account_not_found|order_not_found|handoff_refused|invalid_arguments)\b/,
];

/** Questions that ask for a fact, by the fact's key. */
const ASKS_FOR: Readonly<Record<string, RegExp>> = {
  postcode: /postcode/i,
  orderId: /order (?:number|id)|which order/i,
  accountNumber: /account number/i,
  address: /\baddress\b/i,
};

/** A question asking what the customer wants, when the issue is already known. */
const ASKS_FOR_ISSUE =
  /what can i do for you|how can i help(?: you)?(?: today)?\?|what (?:is|was) (?:it|this) about\?|is this about/i;

function questions(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).filter((s) => s.trim().endsWith('?'));
}

/** Judges one conversation. */
export function judge(conversation: EvalConversation, t: EvalTranscript): Record<CheckName, Verdict> {
  const desk = conversation.to === 'desk';
  const names = conversation.issue.names;

  const namesIssue: Verdict = desk
    ? t.desk?.summary && names.test(t.desk.summary)
      ? { ok: true }
      : { ok: false, why: `desk summary does not name the issue: ${JSON.stringify(t.desk?.summary ?? null)}` }
    : t.firstOnNewChannel !== undefined && names.test(t.firstOnNewChannel)
      ? { ok: true }
      : {
          ok: false,
          why: `first reply on ${conversation.to}: ${JSON.stringify(t.firstOnNewChannel ?? null)}`,
        };

  const repeated: string[] = [];
  for (const reply of t.replies) {
    for (const q of questions(reply.text)) {
      if (reply.issueKnown && ASKS_FOR_ISSUE.test(q)) repeated.push(`${reply.channel}: ${q}`);
      if (!reply.factsKnown) continue;
      for (const key of Object.keys(conversation.issue.facts)) {
        if (ASKS_FOR[key]?.test(q)) repeated.push(`${reply.channel}: ${q}`);
      }
    }
  }
  const noRepeat: Verdict =
    repeated.length === 0 ? { ok: true } : { ok: false, why: `asked again: ${repeated.join(' | ')}` };

  let deskContext: Verdict = { na: true };
  if (desk) {
    const missing: string[] = [];
    if (!t.desk) missing.push('no assignment');
    else {
      if (!t.desk.summary || t.desk.summary.trim() === '') missing.push('summary');
      for (const [key, value] of Object.entries(conversation.issue.facts)) {
        if (t.desk.collectedData?.[key] !== value) missing.push(`collectedData.${key}`);
      }
      if (t.desk.lastTurns.length < 2) missing.push('last turns');
      if (!t.desk.lastTurns.some((turn) => turn.role === 'customer' && turn.text === conversation.switchText))
        missing.push("the customer's last words in the last turns");
    }
    deskContext =
      missing.length === 0 ? { ok: true } : { ok: false, why: `desk lacks ${missing.join(', ')}` };
  }

  const leaks = t.replies.filter((r) => INTERNAL.some((p) => p.test(r.text)));
  const nothingInternal: Verdict =
    leaks.length === 0
      ? { ok: true }
      : { ok: false, why: `internal text shown: ${leaks.map((r) => `${r.channel}: ${r.text}`).join(' | ')}` };

  const expected: Readonly<Record<EvalConversation['switchAction'], readonly string[]>> = {
    offer_or_escalate: ['offer_channel_switch', 'escalate_to_human'],
    escalate_to_human: ['escalate_to_human'],
    execute_channel_handoff: ['execute_channel_handoff'],
    none: [],
  };
  const wanted = expected[conversation.switchAction];
  const problems: string[] = [];
  if (wanted.length > 0 && !t.switchActions.some((a) => wanted.includes(a)))
    problems.push(
      `"${conversation.switchText}" gave [${t.switchActions.join(', ')}], not ${wanted.join(' or ')}`,
    );
  if (conversation.switchAction === 'execute_channel_handoff' && t.switchTarget !== conversation.to)
    problems.push(`the handoff went to ${t.switchTarget ?? 'nowhere'}, not ${conversation.to}`);
  if (wanted.length > 0 && t.summaryStored.trim() === '') problems.push('no summary stored at the switch');
  if (new Set(t.conversationIds).size !== 1) problems.push('the conversation changed across channels');
  if (!desk && (t.firstOnNewChannel === undefined || t.newChannelEscalated))
    problems.push('the new channel did not continue the conversation');
  if (desk && !t.desk) problems.push('no human agent took the escalation');
  const handoff: Verdict = problems.length === 0 ? { ok: true } : { ok: false, why: problems.join('; ') };

  return {
    'names-issue': namesIssue,
    'no-repeated-question': noRepeat,
    'desk-context': deskContext,
    'nothing-internal': nothingInternal,
    'handoff-completes': handoff,
  };
}
