import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Channel } from '@omni/contracts';
import { z } from 'zod';
import { MIN_HANDOFF_TOKEN_KEY_BYTES } from './config.js';
import { TokenExpiredError, TokenInvalidError } from './errors.js';

/** What a handoff token carries (signed, not encrypted: it holds ids, never personal data). */
export interface HandoffTokenClaims {
  /** The handoff document id. */
  readonly handoffId: string;
  /** The customer the token hands over. */
  readonly customerId: string;
  /** The channel the token may be redeemed on. */
  readonly toChannel: Channel;
  /** Expiry, epoch milliseconds. */
  readonly expiresAt: number;
}

const claimsSchema = z.strictObject({
  v: z.literal(1),
  h: z.string().min(1).max(256),
  c: z.string().min(1).max(256),
  t: Channel,
  e: z.number().int().nonnegative(),
});

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Signs and verifies handoff tokens: `base64url(claims JSON) "." base64url(HMAC-SHA256(key, first segment))`,
 * URL-safe and opaque to the customer. Signatures are compared in constant time; every encoding must be
 * canonical, so no two strings verify as the same token. Single use is enforced by the store, not here.
 */
export class HandoffTokens {
  readonly #keys: Buffer[];

  /**
   * @param key - the signing key (at least 32 bytes; a string is taken as UTF-8)
   * @param previousKeys - keys still accepted for verification during a rotation
   */
  constructor(key: string | Buffer, previousKeys: readonly (string | Buffer)[] = []) {
    this.#keys = [key, ...previousKeys].map((k) => {
      const bytes = typeof k === 'string' ? Buffer.from(k, 'utf8') : k;
      if (bytes.length < MIN_HANDOFF_TOKEN_KEY_BYTES) {
        throw new RangeError(`a handoff token key must be at least ${MIN_HANDOFF_TOKEN_KEY_BYTES} bytes`);
      }
      return bytes;
    });
  }

  /** Signs claims into a token. */
  sign(claims: HandoffTokenClaims): string {
    const body = {
      v: 1,
      h: claims.handoffId,
      c: claims.customerId,
      t: claims.toChannel,
      e: claims.expiresAt,
    } satisfies z.infer<typeof claimsSchema>;
    const payload = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
    return `${payload}.${this.#mac(this.#keys[0] as Buffer, payload).toString('base64url')}`;
  }

  /**
   * Verifies a token's signature and expiry.
   *
   * @param now - the current time, epoch milliseconds
   * @throws {@link TokenInvalidError} for anything but a genuine token of ours
   * @throws {@link TokenExpiredError} for a genuine token past its expiry
   */
  verify(token: string, now: number): HandoffTokenClaims {
    const parts = typeof token === 'string' && token.length <= 2_048 ? token.split('.') : [];
    const [payload, signature] = parts;
    if (parts.length !== 2 || payload === undefined || signature === undefined) {
      throw new TokenInvalidError('malformed');
    }
    if (!isCanonicalBase64Url(payload) || !isCanonicalBase64Url(signature)) {
      throw new TokenInvalidError('malformed');
    }
    const given = Buffer.from(signature, 'base64url');
    const genuine = this.#keys.some((key) => {
      const expected = this.#mac(key, payload);
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!genuine) throw new TokenInvalidError('bad signature');
    let parsed: z.infer<typeof claimsSchema>;
    try {
      parsed = claimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      throw new TokenInvalidError('bad claims');
    }
    if (now >= parsed.e) throw new TokenExpiredError(new Date(parsed.e));
    return { handoffId: parsed.h, customerId: parsed.c, toChannel: parsed.t, expiresAt: parsed.e };
  }

  #mac(key: Buffer, payload: string): Buffer {
    return createHmac('sha256', key).update(payload, 'utf8').digest();
  }
}

function isCanonicalBase64Url(segment: string): boolean {
  return SEGMENT.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** SHA-256 of a token, hex: the only form in which a token is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
