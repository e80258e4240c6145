import { quotedWait, styleReply } from '@omni/conversation';

/** The queue thresholds above which the caller is offered another channel instead of waiting. */
export interface SwitchThresholds {
  /** Offer when the estimated wait is above this many seconds. */
  readonly waitSeconds: number;
  /** Offer when more than this many callers are waiting. */
  readonly queueDepth: number;
}

/** What the adapter knows about the human queue (the `queue.status.changed` snapshot). */
export interface QueueReading {
  readonly queue: string;
  readonly depth: number;
  readonly estimatedWaitSeconds: number;
  readonly level: 'normal' | 'high' | 'critical';
  /** When the router computed it (ISO 8601); absent in tests that fix a reading. */
  readonly at?: string;
}

/** A queue status older than this is not quoted to a caller (the router publishes every 10 s and on change). */
export const WAIT_QUOTE_MAX_AGE_SECONDS = 120;

/**
 * The wait to tell a caller, or `undefined` when the newest estimate is too old to quote (the router has not
 * published for {@link WAIT_QUOTE_MAX_AGE_SECONDS}): one estimate, one source, never quoted stale.
 */
export function quotableWait(reading: QueueReading, now: number): string | undefined {
  if (reading.at !== undefined) {
    const age = (now - Date.parse(reading.at)) / 1000;
    if (!(age <= WAIT_QUOTE_MAX_AGE_SECONDS)) return undefined;
  }
  return spokenWait(reading.estimatedWaitSeconds);
}

/** Whether the queue is long enough that a switch is worth offering. */
export function exceedsThresholds(reading: QueueReading, thresholds: SwitchThresholds): boolean {
  return reading.estimatedWaitSeconds > thresholds.waitSeconds || reading.depth > thresholds.queueDepth;
}

/**
 * The queue as the voice agent's `check_queue_status` sees it: the adapter's thresholds decide whether the
 * load is `high` (a switch is offered) or `normal` (the caller is queued); `critical` from the monitor is kept.
 */
export function queueForAgent(reading: QueueReading, thresholds: SwitchThresholds): QueueReading {
  const level = exceedsThresholds(reading, thresholds)
    ? reading.level === 'critical'
      ? 'critical'
      : 'high'
    : 'normal';
  return {
    queue: reading.queue,
    depth: reading.depth,
    estimatedWaitSeconds: reading.estimatedWaitSeconds,
    level,
  };
}

/** What the caller answered to "continue on WhatsApp?": yes, no, or web chat instead (a link by message). */
export type OfferAnswer = 'yes' | 'no' | 'webchat' | 'unclear';

const WEBCHAT = /\b(?:web ?chat|website|web site|online chat|(?:a |the )?link|browser)\b/i;

const YES =
  /^(?:yes|yeah|yep|yup|sure|ok(?:ay)?|please(?: do)?|go ahead|do it|alright|that'?s fine|sounds good)\b/i;
const NO = /^(?:no|nope|nah|no thanks?|i'?ll wait|i will wait|wait|i'?d rather wait|don'?t)\b/i;

/**
 * Interprets the answer to the switch offer: DTMF 1 or a spoken yes; DTMF 2 or a spoken no; DTMF 3 or asking
 * for web chat (or a link) by name.
 */
export function interpretOfferAnswer(input: { speech?: string; digits?: string }): OfferAnswer {
  if (input.digits !== undefined) {
    if (input.digits.startsWith('1')) return 'yes';
    if (input.digits.startsWith('2')) return 'no';
    if (input.digits.startsWith('3')) return 'webchat';
    return 'unclear';
  }
  const text = (input.speech ?? '').trim().replace(/^(?:um+|uh+|well|oh),?\s*/i, '');
  if (WEBCHAT.test(text) && !/^(?:no|nope|nah)\b/i.test(text)) return 'webchat';
  if (NO.test(text)) return 'no';
  if (YES.test(text)) return 'yes';
  return 'unclear';
}

const TONE_DIGITS: Record<string, string> = {
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  asterisk: '*',
  pound: '#',
};

/** DTMF tones as Call Automation names them (`one`, `pound`) to keys (`1`, `#`). */
export function tonesToDigits(tones: readonly string[]): string {
  return tones.map((tone) => TONE_DIGITS[tone.toLowerCase()] ?? '').join('');
}

/**
 * A wait read aloud: "less than a minute", "about 1 minute", "about 7 minutes" — the conversation package's
 * `quotedWait`, so the agent's offer and the hold announcements give the same figure for one estimate.
 */
export function spokenWait(seconds: number): string {
  return quotedWait(seconds);
}

/** A channel's name read aloud. */
export function spokenChannel(channel: string): string {
  return channel === 'whatsapp' ? 'WhatsApp' : channel === 'webchat' ? 'web chat' : channel;
}

/**
 * A reply made fit to be spoken: the engine's voice style (no markdown, short plain sentences), links
 * replaced by "a link", and never empty.
 */
export function spoken(text: string): string {
  const styled = styleReply(text, 'voice')
    .replace(/https?:\/\/\S+/g, 'a link')
    .replace(/\s+/g, ' ')
    .trim();
  return styled === '' || /[.!?]$/.test(styled) ? styled : `${styled}.`;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

/**
 * SSML for a prompt: ISO dates are read as dates, identifiers of four or more digits (account, order
 * numbers; not years) digit by digit,
 * and `pauseSeconds` of silence (in breaks of at most 5 s) follow the text — used between hold announcements.
 */
export function toSsml(text: string, voiceName: string, pauseSeconds = 0): string {
  const body = escapeXml(text)
    .replace(/\b(\d{4}-\d{2}-\d{2})\b/g, '<say-as interpret-as="date" format="ymd">$1</say-as>')
    .replace(/(?<![\w-])(\d{4,})\b(?!-\d)/g, (digits: string) =>
      /^(?:19|20)\d{2}$/.test(digits) ? digits : `<say-as interpret-as="characters">${digits}</say-as>`,
    );
  const breaks: string[] = [];
  for (let left = pauseSeconds; left > 0; left -= 5) breaks.push(`<break time="${Math.min(5, left)}s"/>`);
  return `<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US"><voice name="${escapeXml(voiceName)}">${body}${breaks.join('')}</voice></speak>`;
}

/** Whether a prompt needs SSML (digits to spell out, or a pause). */
export function needsSsml(text: string, pauseSeconds = 0): boolean {
  return pauseSeconds > 0 || /\d{4,}/.test(text);
}

/** The fixed things the voice agent says. */
export const PROMPTS = {
  greeting: 'Hello, thanks for calling. I am the virtual assistant. How can I help you today?',
  askAgain: 'How can I help you today?',
  notHeard: "Sorry, I didn't catch that.",
  goodbyeSilence: "I'm sorry, I can't hear you. Please call us again. Goodbye.",
  offerKeys:
    'Say yes or press 1 to continue on WhatsApp. Say web chat or press 3 for a web chat link. Say no or press 2 to wait for a person.',
  askNumber:
    'Your number is withheld. Please key in your mobile number with the country code, then press the hash key.',
  badNumber: "Sorry, that number doesn't look right.",
  unverifiedNumber:
    "Your number is withheld, and for your security we only send messages to the number you're calling from. Please call again without withholding your number to continue on WhatsApp, or stay on the line for a person.",
  queued: (wait: string | undefined) =>
    `Thanks. You're in the queue for the next available person. ${wait === undefined ? "I'm sorry, I don't have an up-to-date wait time right now." : `The wait is ${wait}.`}`,
  hold: (wait: string | undefined) =>
    wait === undefined
      ? "Thanks for holding. You're still in the queue."
      : `Thanks for holding. Your estimated wait is ${wait}.`,
  confirm: (channel: string) =>
    channel === 'WhatsApp'
      ? "Done. Please check your WhatsApp. We'll continue there, and you won't need to repeat anything. Goodbye."
      : "Done. We've sent you a link to continue in web chat. You won't need to repeat anything. Goodbye.",
  transferFailed: "Sorry, I couldn't connect you just now. You are still in the queue.",
  fallbackTurn: 'Sorry, something went wrong on our side. Could you say that again?',
} as const;
