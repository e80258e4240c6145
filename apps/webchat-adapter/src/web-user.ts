import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The cookie that keeps a browser's web chat user id between visits. */
export const WEB_USER_COOKIE = 'omni_webchat_user';

const MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/**
 * Web chat user ids (`dl_<random>`, the prefix Direct Line reserves for ids embedded in tokens) kept in an
 * HttpOnly cookie signed with HMAC-SHA256, so a returning browser is the same user (and customer) and no page
 * script can claim another user's id.
 */
export class WebUsers {
  readonly #key: Buffer;
  readonly #secure: boolean;

  /**
   * @param secret - the HMAC key material (derived, so it can be shared with another purpose's key)
   * @param secure - set the cookie's `Secure` flag (https deployments)
   */
  constructor(secret: string, secure: boolean) {
    this.#key = createHmac('sha256', secret).update('omni:webchat-user-cookie:v1').digest();
    this.#secure = secure;
  }

  /** A new user id. */
  mint(): string {
    return `dl_${randomBytes(16).toString('base64url')}`;
  }

  /** The user id in a `cookie` header, when it is there and genuine. */
  fromCookieHeader(header: string | undefined): string | undefined {
    if (header === undefined) return undefined;
    for (const part of header.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name !== WEB_USER_COOKIE) continue;
      const value = decodeURIComponent(rest.join('='));
      const dot = value.lastIndexOf('.');
      if (dot <= 0) return undefined;
      const userId = value.slice(0, dot);
      const given = Buffer.from(value.slice(dot + 1), 'base64url');
      const expected = this.#sign(userId);
      if (!/^dl_[A-Za-z0-9_-]{8,64}$/.test(userId)) return undefined;
      return given.length === expected.length && timingSafeEqual(given, expected) ? userId : undefined;
    }
    return undefined;
  }

  /** The `set-cookie` header value for a user id. */
  cookieFor(userId: string): string {
    const value = `${userId}.${this.#sign(userId).toString('base64url')}`;
    return `${WEB_USER_COOKIE}=${value}; Path=/; Max-Age=${MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${this.#secure ? '; Secure' : ''}`;
  }

  #sign(userId: string): Buffer {
    return createHmac('sha256', this.#key).update(userId).digest();
  }
}
