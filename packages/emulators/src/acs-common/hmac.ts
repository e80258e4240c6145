import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How far `x-ms-date` may be from the emulator's clock, as ACS allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Why a request's HMAC authentication was refused (never echoed with secrets). */
export class HmacAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HmacAuthError';
  }
}

/** What {@link verifyHmacRequest} needs from a request. */
export interface SignedRequest {
  method: string;
  /** The request target as received: path and query (`/messages/notifications:send?api-version=...`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received ('' when none). */
  rawBody: string;
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Base64 SHA-256 of the body, as the SDK puts in `x-ms-content-sha256`. */
export function contentHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('base64');
}

/** The path-and-query as the SDK signs it: the pathname and the re-serialised search parameters. */
export function signedPathAndQuery(url: string): string {
  const parsed = new URL(url, 'http://emulator.invalid');
  const query = parsed.searchParams.toString();
  return query ? `${parsed.pathname}?${query}` : parsed.pathname;
}

/** HMAC-SHA256 (base64) of `stringToSign` with the base64-decoded access key. */
export function hmacSignature(accessKey: string, stringToSign: string): string {
  return createHmac('sha256', Buffer.from(accessKey, 'base64')).update(stringToSign, 'utf8').digest('base64');
}

const AUTHORIZATION = /^HMAC-SHA256\s+SignedHeaders=([^&\s]+)&Signature=(\S+)$/i;

/**
 * Checks an ACS access-key signature: `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<b64>`
 * over `VERB\nPATH_AND_QUERY\nDATE;HOST;CONTENT_HASH`, the content hash against the body and the date against
 * the clock (at most 15 minutes off). Throws {@link HmacAuthError} when anything is wrong.
 */
export function verifyHmacRequest(request: SignedRequest, accessKey: string, now: number = Date.now()): void {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined) throw new HmacAuthError('The Authorization header is missing.');
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match?.[1] || !match[2])
    throw new HmacAuthError('The Authorization header is not an HMAC-SHA256 signature.');
  const signedHeaders = match[1].toLowerCase().split(';');
  for (const required of ['x-ms-date', 'host', 'x-ms-content-sha256']) {
    if (!signedHeaders.includes(required)) throw new HmacAuthError(`SignedHeaders must include ${required}.`);
  }
  const date = header(request.headers, 'x-ms-date');
  if (date === undefined) throw new HmacAuthError('The x-ms-date header is missing.');
  const sentAt = Date.parse(date);
  if (Number.isNaN(sentAt)) throw new HmacAuthError('The x-ms-date header is not a date.');
  if (Math.abs(now - sentAt) > MAX_CLOCK_SKEW_MS) {
    throw new HmacAuthError('The x-ms-date header is more than 15 minutes from the server time.');
  }
  const claimedHash = header(request.headers, 'x-ms-content-sha256');
  if (claimedHash === undefined) throw new HmacAuthError('The x-ms-content-sha256 header is missing.');
  if (claimedHash !== contentHash(request.rawBody)) {
    throw new HmacAuthError('The x-ms-content-sha256 header does not match the body.');
  }
  const values: string[] = [];
  for (const name of signedHeaders) {
    const value = header(request.headers, name);
    if (value === undefined) throw new HmacAuthError(`The signed header ${name} is missing.`);
    values.push(value);
  }
  const stringToSign = `${request.method.toUpperCase()}\n${signedPathAndQuery(request.url)}\n${values.join(';')}`;
  const expected = Buffer.from(hmacSignature(accessKey, stringToSign), 'base64');
  const actual = Buffer.from(match[2], 'base64');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new HmacAuthError('The signature does not match.');
  }
}
