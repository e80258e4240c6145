import { createHmac, timingSafeEqual } from 'node:crypto';
import { entityPathOf } from './broker.js';

/** A token the broker accepted: what it covers and until when. */
export interface Claim {
  /** Entity path the token covers, lower case, `''` for the whole namespace. */
  readonly scope: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** Why a token was refused. */
export class TokenRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRefusal';
  }
}

/**
 * Verifies Service Bus shared access signatures:
 * `SharedAccessSignature sr=<url-encoded resource>&sig=<base64 HMAC-SHA256 of "<sr>\n<se>">&se=<expiry>&skn=<key name>`.
 */
export class SharedAccessPolicy {
  /**
   * @param keyName - the policy name, e.g. `RootManageSharedAccessKey`
   * @param key - the key (used as UTF-8 bytes, like the SDK)
   */
  constructor(
    readonly keyName: string,
    private readonly key: string,
  ) {}

  /**
   * Checks a token at a time (epoch ms).
   *
   * @returns what the token covers
   * @throws {@link TokenRefusal} for a malformed, foreign, forged or expired token
   */
  verify(token: string, now: number): Claim {
    const prefix = 'SharedAccessSignature ';
    if (!token.startsWith(prefix)) throw new TokenRefusal('InvalidToken: not a shared access signature.');
    const fields = new Map<string, string>();
    for (const pair of token.slice(prefix.length).split('&')) {
      const separator = pair.indexOf('=');
      if (separator > 0) fields.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    const resource = fields.get('sr');
    const signature = fields.get('sig');
    const expiry = fields.get('se');
    const keyName = fields.get('skn');
    if (resource === undefined || signature === undefined || expiry === undefined || keyName === undefined) {
      throw new TokenRefusal('InvalidToken: the token must carry sr, sig, se and skn.');
    }
    if (decodeURIComponent(keyName) !== this.keyName) {
      throw new TokenRefusal(
        `InvalidSignature: unknown shared access key name '${decodeURIComponent(keyName)}'.`,
      );
    }
    const expected = createHmac('sha256', this.key).update(`${resource}\n${expiry}`).digest();
    const given = Buffer.from(decodeURIComponent(signature), 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new TokenRefusal('InvalidSignature: The token has an invalid signature.');
    }
    const expiresAt = Number(expiry) * 1000;
    if (!Number.isFinite(expiresAt) || expiresAt <= now) {
      throw new TokenRefusal(`ExpiredToken: The token is expired. Expiration: ${expiry}.`);
    }
    return { scope: entityPathOf(decodeURIComponent(resource)).toLowerCase(), expiresAt };
  }
}

/** Whether a claim covers an entity path (a token for `orders` covers `orders/$management`). */
export function claimCovers(claim: Claim, path: string, now: number): boolean {
  if (claim.expiresAt <= now) return false;
  const target = entityPathOf(path).toLowerCase();
  return claim.scope === '' || target === claim.scope || target.startsWith(`${claim.scope}/`);
}
