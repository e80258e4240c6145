/**
 * The scripted conversations of the continuity evaluation: every channel pair (and to the human desk, and back
 * to the phone), both scenarios, two issues each, each issue in plain words, with typos and in a mix of
 * languages; some customers are returning (an older, different issue on file) and some reach us through an
 * identity merged into the customer (earlier turns on another channel and session under the same customer).
 */

/** A channel a customer writes or speaks on. */
export type EvalChannel = 'voice' | 'whatsapp' | 'webchat';

/** Where the conversation goes: another channel, or a human agent's desk. */
export type EvalTarget = EvalChannel | 'desk';

/** What the customer is about; the checks look for it. */
export interface EvalIssue {
  readonly key: string;
  /** Words that name the issue (the first reply on the new channel, the desk summary). */
  readonly names: RegExp;
  /** Facts the customer gives; never to be asked for again, and expected in the desk's collected data. */
  readonly facts: Readonly<Record<string, string>>;
  /** The customer's opening message, by phrasing. */
  readonly opening: Readonly<Record<EvalPhrasing, string>>;
}

/** How the customer words their request. */
export type EvalPhrasing = 'plain' | 'typos' | 'mixed-language';

/** One scripted conversation. */
export interface EvalConversation {
  readonly id: string;
  readonly scenario: 'utilities' | 'ecommerce';
  readonly customerId: string;
  readonly from: EvalChannel;
  readonly to: EvalTarget;
  readonly issue: EvalIssue;
  readonly phrasing: EvalPhrasing;
  /** `returning`: an older, different issue is on file; `merged`: earlier turns came through another identity. */
  readonly history: 'new' | 'returning' | 'merged';
  /**
   * What the customer says on the first channel to leave it: a request for a person (to the desk, or from the
   * phone, where the call offers WhatsApp or web chat when the queue is long), or a request to continue on the
   * other messaging channel; empty when they simply call back later.
   */
  readonly switchText: string;
  /** The engine action the adapter carries out for it (none for a call back). */
  readonly switchAction: 'offer_or_escalate' | 'escalate_to_human' | 'execute_channel_handoff' | 'none';
  /** The customer's first message on the new channel (none for the desk). */
  readonly followUp: string;
}

/** The channel pairs, in report order. */
export const PAIRS: readonly (readonly [EvalChannel, EvalTarget])[] = [
  ['voice', 'whatsapp'],
  ['voice', 'webchat'],
  ['whatsapp', 'webchat'],
  ['webchat', 'whatsapp'],
  ['voice', 'desk'],
  ['whatsapp', 'desk'],
  ['webchat', 'desk'],
  ['whatsapp', 'voice'],
  ['webchat', 'voice'],
];

export const pairName = (from: EvalChannel, to: EvalTarget): string => `${from} -> ${to}`;

const UTILITIES: readonly EvalIssue[] = [
  {
    key: 'outage',
    names: /power outage|outage|power cut/i,
    facts: { postcode: 'LS6 1LF' },
    opening: {
      plain: 'My power is out at 14 Cardigan Road, LS6 1LF',
      typos: 'my powr is out at 14 cardigan road LS6 1LF',
      'mixed-language': 'Hola, no tengo luz: no power at 14 Cardigan Road, LS6 1LF',
    },
  },
  {
    key: 'billing',
    names: /\bbill/i,
    facts: {},
    opening: {
      plain: 'Why is my bill so high this month?',
      typos: 'why is my bil so hihg this month',
      'mixed-language': 'Bonjour, why is my bill si élevée this month?',
    },
  },
];

const ECOMMERCE: readonly EvalIssue[] = [
  {
    key: 'tracking',
    names: /ORD-10057|deliver|order/i,
    facts: { orderId: 'ORD-10057' },
    opening: {
      plain: 'Where is my order ORD-10057? It has not arrived yet',
      typos: 'wher is my ordr ORD-10057 it hasnt arived',
      'mixed-language': '¿Dónde está mi pedido? My order ORD-10057 has not arrived',
    },
  },
  {
    key: 'return',
    names: /return|ORD-10042/i,
    facts: { orderId: 'ORD-10042' },
    opening: {
      plain: 'I want to return order ORD-10042, the headphones do not fit',
      typos: 'i wnat to retrun order ORD-10042 the headphones dont fit',
      'mixed-language': 'Quiero devolver, I want to return order ORD-10042 please',
    },
  },
];

const ASK_FOR_PERSON: Readonly<Record<EvalPhrasing, string>> = {
  plain: 'I need to speak to someone',
  typos: 'can i speek to somone please',
  'mixed-language': 'Quiero hablar con alguien, a real person please',
};

const MOVE_TO: Readonly<Record<'whatsapp' | 'webchat', Readonly<Record<EvalPhrasing, string>>>> = {
  webchat: {
    plain: 'Can we continue on web chat instead? Please send me a link',
    typos: 'can we continu on webchat insted, send me a link',
    'mixed-language': '¿Podemos seguir por web chat? Can we continue on web chat please',
  },
  whatsapp: {
    plain: 'Can we continue on WhatsApp instead?',
    typos: 'can we continue on whatsap insted',
    'mixed-language': 'On peut continuer sur WhatsApp? Can we continue on WhatsApp please',
  },
};

function switchOf(
  from: EvalChannel,
  to: EvalTarget,
  phrasing: EvalPhrasing,
): Pick<EvalConversation, 'switchText' | 'switchAction'> {
  if (to === 'desk') return { switchText: ASK_FOR_PERSON[phrasing], switchAction: 'escalate_to_human' };
  if (from === 'voice') return { switchText: ASK_FOR_PERSON[phrasing], switchAction: 'offer_or_escalate' };
  if (to === 'voice') return { switchText: '', switchAction: 'none' };
  return { switchText: MOVE_TO[to][phrasing], switchAction: 'execute_channel_handoff' };
}

const FOLLOW_UP: Readonly<Record<EvalChannel, Readonly<Record<EvalPhrasing, string>>>> = {
  voice: {
    plain: "Hi, I'm calling back about this",
    typos: 'hi im callin back abut this',
    'mixed-language': 'Hola, I am calling back about this',
  },
  whatsapp: {
    plain: "Hi, it's me again. Any update?",
    typos: 'hi its me agian any updte?',
    'mixed-language': 'Hola, soy yo. Any update?',
  },
  webchat: {
    plain: 'Hello, I was just talking to you. Any news?',
    typos: 'helo i was just tlaking to you, any news',
    'mixed-language': 'Bonjour, any news about this?',
  },
};

/** The older issue a returning customer has on file (a different one from today's). */
export const RETURNING_HISTORY: Readonly<Record<'utilities' | 'ecommerce', string>> = {
  utilities: 'How much electricity did I use last month?',
  ecommerce: 'Can you recommend some headphones for running?',
};

const CUSTOMERS: Readonly<Record<string, string>> = {
  outage: 'eval-utilities-outage',
  billing: 'cust-utilities-1',
  tracking: 'cust-shop-1',
  return: 'cust-shop-1',
};

const PHRASINGS: readonly EvalPhrasing[] = ['plain', 'typos', 'mixed-language'];
const HISTORIES = ['new', 'returning', 'merged'] as const;

/**
 * The suite: 9 channel pairs x 2 scenarios x 2 issues x 3 phrasings = 108 conversations (short mode: one
 * phrasing per pair, scenario and issue, rotating, 36). Histories rotate over the conversations.
 */
export function evalConversations(short: boolean): EvalConversation[] {
  const out: EvalConversation[] = [];
  let n = 0;
  for (const [from, to] of PAIRS) {
    for (const [scenario, issues] of [
      ['utilities', UTILITIES],
      ['ecommerce', ECOMMERCE],
    ] as const) {
      for (const issue of issues) {
        const phrasings = short ? [PHRASINGS[n % PHRASINGS.length] as EvalPhrasing] : PHRASINGS;
        for (const phrasing of phrasings) {
          const history = HISTORIES[n % HISTORIES.length] ?? 'new';
          n += 1;
          out.push({
            id: `${scenario}/${issue.key}/${from}-${to}/${phrasing}/${history}`,
            scenario,
            // The demo customer who owns the account or order; every conversation runs on a fresh store.
            customerId: CUSTOMERS[issue.key] ?? 'eval-customer',
            from,
            to,
            issue,
            phrasing,
            history,
            ...switchOf(from, to, phrasing),
            followUp: to === 'desk' ? '' : FOLLOW_UP[to][phrasing],
          });
        }
      }
    }
  }
  return out;
}
