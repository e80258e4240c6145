import { describe, expect, it } from 'vitest';
import { WEB_USER_COOKIE, WebUsers } from './web-user.js';

const users = new WebUsers('k'.repeat(48), true);

function cookieHeader(setCookie: string): string {
  return setCookie.split(';')[0] ?? '';
}

describe('WebUsers', () => {
  it('given a minted user, when its cookie comes back, then the same user id is read', () => {
    const userId = users.mint();
    expect(userId).toMatch(/^dl_[A-Za-z0-9_-]{22}$/);
    const header = `other=1; ${cookieHeader(users.cookieFor(userId))}`;
    expect(users.fromCookieHeader(header)).toBe(userId);
  });

  it('given a cookie naming another user with the old signature, when read, then it is refused', () => {
    const userId = users.mint();
    const [, value] = cookieHeader(users.cookieFor(userId)).split('=');
    const signature = value?.slice(value.lastIndexOf('.') + 1);
    expect(users.fromCookieHeader(`${WEB_USER_COOKIE}=dl_someoneelse1234.${signature}`)).toBeUndefined();
  });

  it('given a cookie signed with another key, when read, then it is refused', () => {
    const other = new WebUsers('z'.repeat(48), true);
    const userId = other.mint();
    expect(users.fromCookieHeader(cookieHeader(other.cookieFor(userId)))).toBeUndefined();
  });

  it('given an https deployment, when the cookie is set, then it is HttpOnly, SameSite=Lax and Secure', () => {
    const cookie = users.cookieFor(users.mint());
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Secure');
    expect(new WebUsers('k'.repeat(48), false).cookieFor('dl_abcdefgh12')).not.toContain('Secure');
  });

  it('given no cookie, when read, then there is no user', () => {
    expect(users.fromCookieHeader(undefined)).toBeUndefined();
    expect(users.fromCookieHeader('a=b')).toBeUndefined();
  });
});
