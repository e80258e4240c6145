import { describe, expect, it } from 'vitest';
import { TokenExpiredError, TokenInvalidError } from './errors.js';
import { HandoffTokens, hashToken, sameDigest } from './handoff-tokens.js';

const KEY = 'k'.repeat(32);
const NOW = Date.parse('2025-06-01T09:00:00Z');
const claims = {
  handoffId: 'ho_1',
  customerId: 'cust_1',
  toChannel: 'webchat' as const,
  expiresAt: NOW + 900_000,
};

function flipByte(segment: string, index: number): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
}

describe('HandoffTokens', () => {
  const tokens = new HandoffTokens(KEY);

  it('given a signed token, when verified before expiry, then the claims come back', () => {
    const token = tokens.sign(claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(tokens.verify(token, NOW)).toEqual(claims);
  });

  it('given a payload byte flipped, when verified, then TokenInvalid', () => {
    const [payload, signature] = tokens.sign(claims).split('.') as [string, string];
    expect(() => tokens.verify(`${flipByte(payload, 5)}.${signature}`, NOW)).toThrow(TokenInvalidError);
  });

  it('given a signature byte flipped, when verified, then TokenInvalid', () => {
    const [payload, signature] = tokens.sign(claims).split('.') as [string, string];
    expect(() => tokens.verify(`${payload}.${flipByte(signature, 0)}`, NOW)).toThrow(TokenInvalidError);
  });

  it('given a non-canonical base64url spelling of the same signature, when verified, then TokenInvalid', () => {
    const [payload, signature] = tokens.sign(claims).split('.') as [string, string];
    // 32 bytes -> 43 characters; the low 2 bits of the last character are padding and ignored by decoders.
    const last = signature.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 0x01] as string;
    const sibling = `${signature.slice(0, -1)}${twin}`;
    expect(Buffer.from(sibling, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(() => tokens.verify(`${payload}.${sibling}`, NOW)).toThrow(TokenInvalidError);
  });

  it('given a token signed with another key, when verified, then TokenInvalid', () => {
    const foreign = new HandoffTokens('x'.repeat(32)).sign(claims);
    expect(() => tokens.verify(foreign, NOW)).toThrow(TokenInvalidError);
  });

  it('given a token at its expiry instant, when verified, then TokenExpired', () => {
    const token = tokens.sign(claims);
    expect(() => tokens.verify(token, claims.expiresAt)).toThrow(TokenExpiredError);
  });

  it('given garbage, when verified, then TokenInvalid rather than a crash', () => {
    for (const garbage of ['', 'abc', 'a.b.c', '.', 'é.é', `${'a'.repeat(3000)}.b`]) {
      expect(() => tokens.verify(garbage, NOW)).toThrow(TokenInvalidError);
    }
  });

  it('given a rotated key, when a token of the previous key is verified, then it is accepted', () => {
    const old = new HandoffTokens('o'.repeat(32));
    const rotated = new HandoffTokens('n'.repeat(32), ['o'.repeat(32)]);
    expect(rotated.verify(old.sign(claims), NOW).handoffId).toBe('ho_1');
  });

  it('given a key shorter than 32 bytes, when constructed, then it is refused', () => {
    expect(() => new HandoffTokens('short')).toThrow(RangeError);
  });

  it('given two digests, when compared, then only equal hex digests match', () => {
    expect(sameDigest(hashToken('a'), hashToken('a'))).toBe(true);
    expect(sameDigest(hashToken('a'), hashToken('b'))).toBe(false);
    expect(sameDigest(hashToken('a'), 'abcd')).toBe(false);
  });
});
