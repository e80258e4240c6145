import { normaliseText } from './text-normalisation.js';

/**
 * A customer asking for a person rather than the assistant: "I need to speak to someone", "a human please",
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
