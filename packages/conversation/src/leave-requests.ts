import { normaliseText } from './text-normalisation.js';

/**
 * Requests to leave: for a person rather than the assistant, or for another channel. A customer asking for a person: "I need to speak to someone", "a human please",
 * "representative", "can I talk to somebody", the same in a few other languages, and common typos.
 * Deterministic wording rules. "I need someone to fix my meter" is not one: "someone" counts only after a verb
 * of talking. The engine uses this too, so lazy classification never turns such a request into a question.
 */
const PERSON =
  /\b(?:hum[ae]n|humain|real person|representative|operator|live agent|real agent|advis[eo]r|member of (?:staff|your team)|customer service agent|supervisor|una persona|une personne|einem menschen|mitarbeiter)\b/;
const SOMEONE =
  /\b(?:some ?(?:one|body)|somone|sombody|any ?(?:one|body)|a person|an agent|alguien|quelqu ?un|jemand(?:em)?)\b/;
const TALK =
  /\b(?:speak|speek|spaek|talk|tlak|tolk|chat|put me through|connect me|transfer me|hablar|parler|sprechen)\b/;

/** Whether the text asks to be put through to a person. */
export function asksForPerson(text: string): boolean {
  const t = normaliseText(text).replace(/'/g, ' ');
  return PERSON.test(t) || (TALK.test(t) && SOMEONE.test(t));
}

const CHANNEL = '(?:whats ?app?|web ?-?chat|webchat|the website)';
const MOVE = new RegExp(
  String.raw`\b(?:continu\w*|carry on|move|switch|go|talk|chat|seguir|continuer)\b[^.?!]*?\b(?:on|to|in|over|via|por|sur)\s+(${CHANNEL})\b`,
);
const LINK = /\bsend me (?:a|the) (?:web ?chat )?link\b/;

/**
 * The messaging channel the customer asks to continue on ("can we continue on web chat?", "switch to WhatsApp",
 * "send me a link" — web chat), or `undefined`. Typos such as "whatsap" and "continu" are accepted.
 */
export function channelAskedFor(text: string): 'whatsapp' | 'webchat' | undefined {
  const t = normaliseText(text);
  const move = MOVE.exec(t);
  if (move?.[1]) return /whats/.test(move[1]) ? 'whatsapp' : 'webchat';
  return LINK.test(t) ? 'webchat' : undefined;
}

/** Whether the customer asks to leave the assistant or the channel: for a person, or for another channel. */
export function asksToLeave(text: string): boolean {
  return asksForPerson(text) || channelAskedFor(text) !== undefined;
}
