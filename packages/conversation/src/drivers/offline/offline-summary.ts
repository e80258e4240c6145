import type { CollectedData } from '@omni/contracts';
import type { ConversationSummary, SummarizeRequest } from '../../driver.js';
import { extractEntities } from '../../entity-extraction.js';

/** Intent rules of the extractive summary: the first pattern a user message matches names the issue. */
export const OFFLINE_INTENTS: readonly { readonly pattern: RegExp; readonly intent: string }[] = [
  { pattern: /\bgas\b.*\b(?:smell|leak)|\b(?:smell|leak)\w*\b.*\bgas\b/i, intent: 'a suspected gas leak' },
  {
    pattern:
      /\b(?:(?:power|powr|pwer|powre) (?:cut|outage|is out|went|is off)|outage|outtage|blackout|no (?:power|electricity|electricty)|lights? (?:went|are) (?:out|off)|no tengo luz|plus de courant)\b/i,
    intent: 'a power outage',
  },
  { pattern: /\bno gas\b|\bgas supply\b/i, intent: 'a gas supply problem' },
  { pattern: /\brefund|money back|overcharged\b/i, intent: 'a refund request' },
  { pattern: /\bcancel/i, intent: 'an order cancellation' },
  { pattern: /\b(?:return|retrun|retrn|send (?:it )?back|exchange|devolver)/i, intent: 'a return' },
  {
    pattern:
      /\b(?:where is|wher is|where'?s|track|tracking|parcel|package|delivery|deliver|not arrived|hasn'?t arrived|hasnt arived|has not arrived|d[oó]nde est[aá])\b/i,
    intent: 'an order delivery question',
  },
  {
    pattern: /\b(?:pair|bluetooth|won't (?:turn on|charge)|reset|firmware|not working)\b/i,
    intent: 'a device problem',
  },
  { pattern: /\b(?:recommend|suggest|gift|looking for)\b/i, intent: 'a product recommendation' },
  {
    pattern: /\b(?:bill|bil|invoice|charged?|payment|direct debit|balance|facture)\b/i,
    intent: 'a billing question',
  },
  {
    pattern: /\b(?:engineer|technician|meter|appointment|visit)\b/i,
    intent: 'an engineer visit or meter issue',
  },
  {
    pattern: /\b(?:usage|consumption|kwh)\b|\bhow much (?:electricity|gas|energy)\b/i,
    intent: 'an energy usage question',
  },
];

/** The issue a text is about (see {@link OFFLINE_INTENTS}), or `undefined`. */
export function intentOf(text: string): string | undefined {
  return OFFLINE_INTENTS.find((rule) => rule.pattern.test(text))?.intent;
}

/** How every summary of this function begins (and how one is recognised when it comes back as the previous). */
const OWN_SUMMARY_OPENING = 'The customer contacted us about';

const REFERENCE = /\b(?:OUT|FLT|RF|RMA|VIS|BILL|PRV)-[A-Z0-9-]+\b/g;

/**
 * An extractive summary (no model): the issue from the first user message that matches an intent rule,
 * entities (order id, account number, postcode, street address, amount, e-mail) from the user messages —
 * earlier values kept, new kinds added —, references the assistants gave (outage, ticket, refund, return,
 * visit ids), the customer's latest words, the last update given, and the channels used. A previous summary
 * that this function did not write is kept (`Earlier: ...`). Deterministic.
 */
export function summarizeExtractively(request: SummarizeRequest): ConversationSummary {
  const userTexts = request.turns.filter((t) => t.role === 'user').map((t) => t.text);
  const collected: CollectedData = { ...request.collectedData };
  const previous = request.previousSummary?.trim();
  // A summary written elsewhere (a human, another model) is kept word for word; one of ours is rebuilt from the
  // collected data it left behind, so summaries do not nest.
  const earlier = previous && !previous.startsWith(OWN_SUMMARY_OPENING) ? previous : undefined;
  // The latest issue the customer raised (a returning customer's older issue is history, not today's).
  const intent =
    userTexts
      .map(intentOf)
      .reverse()
      .find((i) => i !== undefined) ??
    (typeof collected.intent === 'string' ? collected.intent : undefined) ??
    (earlier === undefined ? undefined : intentOf(earlier));
  if (intent) collected.intent = intent;
  for (const text of userTexts) {
    for (const [key, value] of Object.entries(extractEntities(text))) {
      if (collected[key] === undefined || collected[key] === null || collected[key] === '')
        collected[key] = value;
    }
  }
  const references = [
    ...new Set(
      request.turns.filter((t) => t.role === 'assistant').flatMap((t) => t.text.match(REFERENCE) ?? []),
    ),
  ];
  if (references.length > 0) collected.references = references.join(', ');
  const channels = [...new Set(request.turns.map((t) => t.channel))];

  const where = [collected.address, collected.postcode].filter((v) => typeof v === 'string' && v !== '');
  const parts: string[] = [];
  parts.push(
    `${OWN_SUMMARY_OPENING} ${intent ?? 'a general enquiry'}${where.length > 0 ? ` at ${where.join(', ')}` : ''}.`,
  );
  if (earlier !== undefined) parts.push(`Earlier: ${earlier.replace(/\s+/g, ' ').slice(0, 400)}`);
  const ids = ['accountNumber', 'orderId', 'amount', 'email'].filter((k) => typeof collected[k] === 'string');
  if (ids.length > 0)
    parts.push(`Details given: ${ids.map((k) => `${k} ${String(collected[k])}`).join(', ')}.`);
  if (references.length > 0) parts.push(`References so far: ${references.join(', ')}.`);
  const lastUser = userTexts.at(-1);
  if (lastUser) parts.push(`Latest from the customer: "${lastUser.replace(/\s+/g, ' ').slice(0, 200)}"`);
  const lastAssistant = [...request.turns].reverse().find((t) => t.role === 'assistant');
  if (lastAssistant)
    parts.push(`Last update given: ${lastAssistant.text.replace(/\s+/g, ' ').slice(0, 240)}`);
  if (channels.length > 0) parts.push(`Channels used: ${channels.join(', ')}.`);
  return { summary: parts.join(' '), collectedData: collected };
}
