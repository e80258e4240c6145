import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** A Direct Line error answer (`{ error: { code, message } }`). */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The claims of a Direct Line conversation token. */
export interface TokenClaims {
  /** Conversation the token is bound to. */
  conv: string;
  /** The user bound to the token (`dl_...`), if any. */
  user?: string;
  exp: number;
  iat: number;
  jti: string;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** Direct Line conversation tokens (HS256 with a key of the emulator's own), bound to a conversation and user. */
export class ConversationTokens {
  readonly #key = randomBytes(32);
  readonly #ttl: number;

  constructor(ttlSeconds: number) {
    this.#ttl = ttlSeconds;
  }

  readonly sign = (claims: Omit<TokenClaims, 'iat' | 'exp' | 'jti'>): string => {
    const now = Math.floor(Date.now() / 1000);
    const full: TokenClaims = { ...claims, iat: now, exp: now + this.#ttl, jti: randomUUID() };
    const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(full))}`;
    return `${head}.${b64url(createHmac('sha256', this.#key).update(head).digest())}`;
  };

  /** The claims of a valid token; undefined when it is not one of ours; throws 403 when it expired. */
  readonly verify = (token: string): TokenClaims | undefined => {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = createHmac('sha256', this.#key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2] ?? '', 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as TokenClaims;
    if (claims.exp * 1000 <= Date.now()) throw new ProblemError(403, 'TokenExpired', 'Token expired');
    return claims;
  };
}

/** The user id asked for in a token or conversation request; Direct Line wants it to start with `dl_`. */
export function userIdOf(body: { user?: { id?: unknown } }): string | undefined {
  const id = body.user?.id;
  if (id === undefined || id === '') return undefined;
  if (typeof id !== 'string' || !id.startsWith('dl_')) {
    throw new ProblemError(400, 'BadArgument', 'user.id must be a string starting with dl_');
  }
  return id;
}
