/**
 * Extracts simple entities from a user message with patterns: order ids (`ORD-12345`), account numbers,
 * amounts, UK postcodes and US ZIP codes, street addresses and e-mail addresses. Keys are stable field
 * names the tools and the summary use (`orderId`, `accountNumber`, `amount`, `postcode`, `address`, `email`).
 * The first match of each kind wins.
 */
export function extractEntities(text: string): Record<string, string> {
  const entities: Record<string, string> = {};
  const order = /\bORD-?(\d{4,})\b/i.exec(text);
  if (order?.[1]) entities.orderId = `ORD-${order[1]}`;

  const labelledAccount =
    /\baccount\s*(?:number|no\.?|#)?\s*(?:is\s*)?[:#]?\s*([A-Z]{0,3}-?\d{6,12})\b/i.exec(text);
  const bareAccount = /(?<![\d-])\b(\d{10})\b(?![\d-])/.exec(text);
  const account = labelledAccount?.[1] ?? bareAccount?.[1];
  if (account) entities.accountNumber = account.toUpperCase();

  const amount =
    /([$£€])\s?(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)/.exec(text) ??
    /\b(\d{1,6}(?:\.\d{1,2})?)\s?(dollars|pounds|euros|usd|gbp|eur)\b/i.exec(text);
  if (amount?.[1] && amount[2]) {
    const symbol = { $: 'USD', '£': 'GBP', '€': 'EUR' }[amount[1]];
    entities.amount = symbol
      ? `${amount[2].replace(/,/g, '')} ${symbol}`
      : `${amount[1]} ${{ dollars: 'USD', pounds: 'GBP', euros: 'EUR' }[amount[2].toLowerCase()] ?? amount[2].toUpperCase()}`;
  }

  const ukPostcode = /\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b/i.exec(text);
  const zip = /\b(?:zip(?:\s?code)?|postcode|postal code)\s*(?:is\s*)?:?\s*(\d{5}(?:-\d{4})?)\b/i.exec(text);
  if (ukPostcode?.[1] && ukPostcode[2]) entities.postcode = `${ukPostcode[1]} ${ukPostcode[2]}`.toUpperCase();
  else if (zip?.[1]) entities.postcode = zip[1];

  const address =
    /\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z']+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Close|Court|Ct|Crescent|Place|Pl|Boulevard|Blvd|Terrace|Gardens|Square)\b\.?/.exec(
      text,
    );
  if (address) entities.address = address[0].replace(/\.$/, '');

  const email = /\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/.exec(text);
  if (email) entities.email = email[0].toLowerCase();
  return entities;
}
