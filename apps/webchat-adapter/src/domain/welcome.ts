/** An earlier turn of the customer's conversation, on any channel. */
export interface EarlierTurn {
  /** The transcript's role: `customer`, `assistant` (the AI agent), `agent` (a human) or `system`. */
  readonly role: string;
  readonly text: string;
  readonly channel: string;
}

/** What the adapter knows of a customer who opens the web chat. */
export interface ReturningCustomer {
  /** True when this web user was never seen before (no history, no handoff). */
  readonly isNew: boolean;
  readonly displayName?: string | undefined;
  readonly summary?: string | undefined;
  /** The channel of the previous conversation, when it was another one. */
  readonly previousChannel?: string | undefined;
  readonly recentTurns: readonly EarlierTurn[];
}

/** The greeting of a new web chat user. */
export const WELCOME = 'Hello! I am the virtual assistant. How can I help you today?';

const CHANNEL_NAMES: Record<string, string> = {
  voice: 'phone call',
  whatsapp: 'WhatsApp chat',
  webchat: 'web chat',
  sms: 'text messages',
};

const MAX_TURN_CHARS = 280;

/**
 * The messages that greet a user joining the web chat: a welcome for someone new; for a known customer a
 * "welcome back" with the summary of the conversation so far (naming the channel it happened on) and their
 * recent turns, so they can carry on without repeating anything.
 */
export function welcomeMessages(customer: ReturningCustomer): string[] {
  const hasHistory =
    (customer.summary !== undefined && customer.summary.trim() !== '') ||
    customer.recentTurns.some((turn) => turn.role !== 'system');
  if (customer.isNew || !hasHistory) return [WELCOME];
  const name = customer.displayName ? `, ${customer.displayName}` : '';
  const where =
    customer.previousChannel && customer.previousChannel !== 'webchat'
      ? ` from our ${CHANNEL_NAMES[customer.previousChannel] ?? customer.previousChannel}`
      : '';
  const messages = [`Welcome back${name}! Let's carry on where we left off${where}.`];
  if (customer.summary !== undefined && customer.summary.trim() !== '') {
    messages.push(`**Summary so far:** ${customer.summary.trim()}`);
  }
  const turns = customer.recentTurns.filter((turn) => turn.role !== 'system');
  if (turns.length > 0) {
    const lines = turns.map(
      (turn) => `- *${speakerOf(turn.role)}* (${turn.channel}): ${clipTurn(turn.text)}`,
    );
    messages.push(`**Your recent messages:**\n\n${lines.join('\n')}`);
  }
  return messages;
}

function speakerOf(role: string): string {
  if (role === 'customer' || role === 'user') return 'You';
  if (role === 'agent') return 'Agent';
  return 'Assistant';
}

function clipTurn(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_TURN_CHARS ? `${flat.slice(0, MAX_TURN_CHARS - 1)}…` : flat;
}
