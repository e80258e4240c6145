import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Why a request's `authorization` header was refused; `undefined` when it is valid. */
export type AuthorizationFailure = string | undefined;

/** The resource type and link a Cosmos master-key signature covers, derived from a request path. */
export interface SignedResource {
  /** `dbs`, `colls`, `docs`, `pkranges`, `udfs`... or `''` for the database account. */
  resourceType: string;
  /** The name-based link without leading or trailing slashes (`dbs/omnichannel/colls/customers`). */
  resourceLink: string;
}

/**
 * The resource a request path addresses, as the SDK signs it: a path with an even number of segments names an item
 * (`dbs/db/colls/c` -> type `colls`, link `dbs/db/colls/c`), an odd number a feed of its parent
 * (`dbs/db/colls/c/docs` -> type `docs`, link `dbs/db/colls/c`).
 */
export function signedResourceOf(pathname: string): SignedResource {
  const segments = safeDecodeUri(pathname)
    .split('/')
    .filter((segment) => segment !== '');
  if (segments.length === 0) return { resourceType: '', resourceLink: '' };
  if (segments.length % 2 === 0) {
    return { resourceType: segments[segments.length - 2] ?? '', resourceLink: segments.join('/') };
  }
  return { resourceType: segments[segments.length - 1] ?? '', resourceLink: segments.slice(0, -1).join('/') };
}

/**
 * Checks a request's master-key signature the way Cosmos DB does: `type=master&ver=1.0&sig=` + base64
 * HMAC-SHA256 (with the base64-decoded key) of `verb\nresourceType\nresourceLink\nx-ms-date\n\n`, lower-cased
 * except for the link. The date's age is not checked.
 */
export function verifyMasterKeySignature(
  method: string,
  pathname: string,
  headers: IncomingHttpHeaders,
  key: string,
): AuthorizationFailure {
  const header = headers.authorization;
  const date = headers['x-ms-date'];
  if (typeof header !== 'string' || header === '') return 'Required Header authorization is missing.';
  if (typeof date !== 'string' || date === '') return 'Required Header x-ms-date is missing.';
  const token = parseToken(safeDecodeUriComponent(header));
  if (token.get('type') !== 'master') return 'Only master-key authorization is emulated.';
  const received = token.get('sig') ?? '';
  const { resourceType, resourceLink } = signedResourceOf(pathname);
  const text = `${method.toLowerCase()}\n${resourceType.toLowerCase()}\n${resourceLink}\n${date.toLowerCase()}\n\n`;
  const expected = createHmac('sha256', Buffer.from(key, 'base64')).update(text).digest('base64');
  const receivedBytes = Buffer.from(received);
  const expectedBytes = Buffer.from(expected);
  if (receivedBytes.length === expectedBytes.length && timingSafeEqual(receivedBytes, expectedBytes))
    return undefined;
  return (
    "The input authorization token can't serve the request. The wrong key is being used or the expected payload " +
    `is not built as per the protocol. Server used the following payload to sign: '${text.replaceAll('\n', '\\n')}'`
  );
}

/** `type=master&ver=1.0&sig=...`: split by hand, since a base64 signature holds `+`, which URLSearchParams reads as a space. */
function parseToken(token: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const field of token.split('&')) {
    const at = field.indexOf('=');
    if (at > 0) fields.set(field.slice(0, at), field.slice(at + 1));
  }
  return fields;
}

function safeDecodeUri(value: string): string {
  try {
    return decodeURI(value);
  } catch {
    return value;
  }
}

function safeDecodeUriComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
