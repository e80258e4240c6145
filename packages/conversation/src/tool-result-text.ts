/**
 * Tool results are written for the agent, not for the customer: they may carry instructions ("ask the customer
 * for their account number", "offer a cancellation instead") and internal wording. These pure functions keep
 * them out of what the customer reads or hears (and so out of the transcript and the summaries built from it).
 */

/** A clause that tells the agent what to do, or talks about the customer in the third person. */
const INSTRUCTION =
  /^(?:please\s+)?(?:ask|offer|tell|confirm|check with|suggest|escalate|transfer|advise|inform|remind|do not|don't|never|always)\b|\b(?:the|this) customer(?:'s)?\b/i;

/** Splits text into clauses at sentence ends and semicolons. */
function clauses(text: string): string[] {
  return text
    .split(/(?<=[.!?;])\s+|;\s*/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

function normal(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The facts of a tool's text for the customer: its clauses without the instructions to the agent. */
export function customerFacts(text: string): string {
  return clauses(text)
    .filter((c) => !INSTRUCTION.test(c))
    .map((c) => c.replace(/[;,]$/, '.'))
    .map((c) => (/[.!?]$/.test(c) ? c : `${c}.`))
    .join(' ');
}

/**
 * The texts of a tool output (JSON) that must never reach the customer word for word: the whole `message` of an
 * error result, and every instruction clause of any string in it.
 */
export function internalTextsOf(output: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    return [];
  }
  const found: string[] = [];
  const visit = (v: unknown, inError: boolean): void => {
    if (typeof v === 'string') {
      if (inError) found.push(...clauses(v));
      else found.push(...clauses(v).filter((c) => INSTRUCTION.test(c)));
      return;
    }
    if (Array.isArray(v)) {
      for (const item of v) visit(item, inError);
      return;
    }
    if (v !== null && typeof v === 'object') {
      const record = v as Record<string, unknown>;
      const isError = inError || record.error !== undefined;
      for (const item of Object.values(record)) visit(item, isError);
    }
  };
  visit(value, false);
  return found.map(normal).filter((c) => c.length >= 12);
}

/** The outcome of {@link withholdInternalText}. */
export interface WithheldReply {
  readonly text: string;
  /** How many sentences were taken out. */
  readonly withheld: number;
}

/**
 * A reply without the sentences that repeat a tool's internal text ({@link internalTextsOf}) or that talk to the
 * agent about "the customer". Sentences are kept in order; nothing else is rewritten.
 */
export function withholdInternalText(reply: string, internal: readonly string[]): WithheldReply {
  const sentences = reply.split(/(?<=[.!?])\s+/);
  const kept = sentences.filter((sentence) => {
    const n = normal(sentence);
    if (n === '') return true;
    if (/\b(?:the|this) customer(?:'s)?\b/i.test(sentence)) return false;
    return !internal.some((i) => n.includes(i) || (n.length >= 12 && i.includes(n)));
  });
  return { text: kept.join(' ').trim(), withheld: sentences.length - kept.length };
}
