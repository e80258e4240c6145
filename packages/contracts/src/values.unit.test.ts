import { describe, expect, it } from 'vitest';
import {
  Channel,
  CUSTOMER_ID_PATTERN,
  customerId,
  e164Phone,
  type Identity,
  InvalidIdentityError,
  InvalidPhoneError,
  identityKey,
  identityKeySchema,
  identityKeysOf,
  maskPhone,
  newCustomerId,
  normalizePhone,
  parseIdentityKey,
} from './values.js';

describe('Channel', () => {
  it('given the four channels, then each parses and anything else is rejected', () => {
    expect(Channel.options).toEqual(['voice', 'whatsapp', 'webchat', 'sms']);
    expect(Channel.safeParse('email').success).toBe(false);
  });
});

describe('normalizePhone', () => {
  it.each([
    ['a GB mobile in national form with region GB', '07911 123456', 'GB', '+447911123456'],
    ['a US number in national form with region US', '(425) 555-0123', 'US', '+14255550123'],
    ['an international number with spaces and no region', '+44 20 7946 0958', undefined, '+442079460958'],
    ['an international number with a different default region', '+1 425-555-0123', 'GB', '+14255550123'],
    ['surrounding whitespace', '  +14255550123 ', undefined, '+14255550123'],
  ] as const)('given %s, then it returns E.164', (_label, input, region, expected) => {
    expect(normalizePhone(input, region)).toBe(expected);
  });

  it('given a national number without a region, then it is rejected with a message asking for +<country code>', () => {
    expect(() => normalizePhone('07911 123456')).toThrow(
      'not a valid phone number (no default region given, so it must be in international +<country code> form)',
    );
  });

  it('given a number of the wrong length for its region, then InvalidPhoneError names the region but not the number', () => {
    let caught: unknown;
    try {
      normalizePhone('07911 12345', 'GB');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(InvalidPhoneError);
    const error = caught as InvalidPhoneError;
    expect(error.message).toBe('not a valid phone number for region GB');
    expect(error.region).toBe('GB');
    expect(error.maskedInput).toBe('***** *2345');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('791112');
  });

  it('given a German number that is the right length but an impossible prefix, then it is rejected (full metadata)', () => {
    expect(() => normalizePhone('+491234')).toThrow(InvalidPhoneError);
  });

  it.each(['', 'not a phone', '+', '12'])('given %j, then it is rejected', (input) => {
    expect(() => normalizePhone(input, 'US')).toThrow(InvalidPhoneError);
  });
});

describe('e164Phone', () => {
  it('given canonical valid E.164 numbers, then they pass', () => {
    expect(e164Phone.parse('+14255550123')).toBe('+14255550123');
    expect(e164Phone.parse('+447911123456')).toBe('+447911123456');
  });

  it.each([
    ['a formatted number', '+1 425 555 0123'],
    ['a national number', '4255550123'],
    ['a number invalid for its country', '+1425555012'],
    ['an empty string', ''],
  ])('given %s, then it fails with a readable message', (_label, input) => {
    const result = e164Phone.safeParse(input);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'must be a valid phone number in E.164 form, e.g. +14255550123',
    );
  });
});

describe('maskPhone', () => {
  it.each([
    ['+14255550123', '+*******0123'],
    ['+447911123456', '+********3456'],
    ['+1 (425) 555-0123', '+* (***) ***-0123'],
    ['12345', '*2345'],
    ['1234', '1234'],
    ['+12', '+12'],
    ['', ''],
    ['call me', 'call me'],
  ])('given %j, then it gives %j', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it('given null or undefined, then it gives an empty string instead of throwing', () => {
    expect(maskPhone(null)).toBe('');
    expect(maskPhone(undefined)).toBe('');
  });
});

describe('customer ids', () => {
  it('given a new id, then it is cust_ + 26 Crockford base32 characters and passes the schema', () => {
    const id = newCustomerId();

    expect(id).toMatch(CUSTOMER_ID_PATTERN);
    expect(id).toHaveLength(31);
    expect(customerId.parse(id)).toBe(id);
  });

  it('given the epoch and a later time, then the time part encodes them and sorts in creation order', () => {
    const first = newCustomerId(0);
    const later = newCustomerId(1_738_315_800_000);

    expect(first.slice(5, 15)).toBe('0000000000');
    expect(later.slice(5, 15)).toBe('01JJXV47E0');
    expect([later, first].sort()).toEqual([first, later]);
  });

  it('given many new ids at the same instant, then none repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newCustomerId(1_738_315_800_000)));

    expect(ids.size).toBe(1000);
  });

  it.each([
    ['lower case', 'cust_01jh5zk3q4v6w8x9y0z1a2b3c4'],
    ['a letter Crockford base32 excludes (U)', 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3CU'],
    ['25 characters', 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C'],
    ['a first character above 7 (over 128 bits)', 'cust_81JH5ZK3Q4V6W8X9Y0Z1A2B3C4'],
    ['another prefix', 'user_01JH5ZK3Q4V6W8X9Y0Z1A2B3C4'],
  ])('given %s, then the schema rejects it', (_label, id) => {
    const result = customerId.safeParse(id);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^must be a customer id/);
  });

  it('given a time outside 48 bits, then newCustomerId refuses it', () => {
    expect(() => newCustomerId(2 ** 48)).toThrow(RangeError);
    expect(() => newCustomerId(-1)).toThrow(RangeError);
  });
});

describe('identity keys', () => {
  it.each<[Identity, string]>([
    [{ kind: 'phone', value: '+14255550123' }, 'phone:+14255550123'],
    [{ kind: 'webchat', value: 'dl_8f2c1a' }, 'webchat:dl_8f2c1a'],
    [{ kind: 'whatsapp-bsuid', value: 'US.13491208655302741918' }, 'whatsapp-bsuid:US.13491208655302741918'],
    [
      { kind: 'call', value: '421f3500-f5de-4c12-bf61-9e2641433687' },
      'call:421f3500-f5de-4c12-bf61-9e2641433687',
    ],
  ])('given %j, then its key is %s and parses back to it', (identity, key) => {
    expect(identityKey(identity)).toBe(key);
    expect(parseIdentityKey(key)).toEqual(identity);
    expect(identityKeySchema.parse(key)).toBe(key);
  });

  it('given a value holding a colon, then only the first colon separates kind from value', () => {
    expect(parseIdentityKey('webchat:a:b')).toEqual({ kind: 'webchat', value: 'a:b' });
  });

  it('given a phone identity that is not E.164, then identityKey throws without echoing the number', () => {
    expect(() => identityKey({ kind: 'phone', value: '07911123456' })).toThrow(InvalidIdentityError);
    expect(() => identityKey({ kind: 'phone', value: '07911123456' })).toThrow(
      'invalid identity: value: must be a valid phone number in E.164 form, e.g. +14255550123',
    );
  });

  it.each([
    ['no separator', 'phone+14255550123', /must look like "<kind>:<value>"/],
    ['an empty kind', ':abc', /must look like "<kind>:<value>"/],
    ['an unknown kind', 'email:a@b.c', /unknown kind; expected one of phone, webchat, whatsapp-bsuid, call/],
    ['an empty value', 'webchat:', /value: must not be empty/],
    ['a slash, which a Cosmos id cannot hold', 'webchat:a/b', /must not contain "\/"/],
    ['whitespace', 'webchat:a b', /whitespace/],
    ['a national phone number', 'phone:07911123456', /E\.164/],
    ['more than 128 characters', `webchat:${'a'.repeat(121)}`, /longer than 128/],
  ])('given a key with %s, then parseIdentityKey rejects it', (_label, key, message) => {
    expect(() => parseIdentityKey(key)).toThrow(message);
    expect(identityKeySchema.safeParse(key).success).toBe(false);
  });

  it('given a contact address, then identityKeysOf lists its keys phone first', () => {
    expect(identityKeysOf({ webchatUserId: 'dl_1', whatsappBsuid: 'US.9', phone: '+14255550123' })).toEqual([
      'phone:+14255550123',
      'whatsapp-bsuid:US.9',
      'webchat:dl_1',
    ]);
  });
});
