import { randomBytes } from 'node:crypto';
import type { CountryCode } from 'libphonenumber-js/max';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

/**
 * A channel a customer can be reached on. `sms` only ever carries notices (e.g. a web chat link);
 * conversations happen on `voice`, `whatsapp` and `webchat`.
 */
export const Channel = z.enum(['voice', 'whatsapp', 'webchat', 'sms']);

/** A channel a customer can be reached on: `'voice' | 'whatsapp' | 'webchat' | 'sms'`. */
export type Channel = z.infer<typeof Channel>;

// ---------------------------------------------------------------------------------------------
// Common field schemas
// ---------------------------------------------------------------------------------------------

/** Longest text of a single turn, message, summary or reason, in characters. */
export const MAX_TEXT_LENGTH = 16_000;

/**
 * An ISO 8601 date-time that carries its offset (`Z` or `+02:00`), e.g. `2025-01-31T09:30:00.000Z`.
 * Every timestamp in an event is one of these, kept as a string so events survive JSON unchanged.
 */
export const isoDateTime = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time with an offset, e.g. 2025-01-31T09:30:00Z',
});

/** A non-empty identifier (handoff id, session id, provider message id, agent id...), at most 256 characters. */
export const identifier = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** A value of the `collectedData` a conversation gathered: a JSON primitive. */
export const collectedValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Data the conversation collected so far (order number, postcode, ...), keyed by field name. */
export const collectedData = z.record(z.string().min(1), collectedValue);

/** Data the conversation collected so far, keyed by field name. */
export type CollectedData = z.infer<typeof collectedData>;

// ---------------------------------------------------------------------------------------------
// Phone numbers
// ---------------------------------------------------------------------------------------------

/**
 * Thrown by {@link normalizePhone} when the input is not a valid phone number.
 * The message never contains the number; {@link InvalidPhoneError.maskedInput} keeps its last 4 digits
 * only, so the error is safe to log.
 */
export class InvalidPhoneError extends Error {
  /** The region the input was read in, when one was given. */
  readonly region: CountryCode | undefined;
  /** The input with all but its last 4 digits masked (see {@link maskPhone}). */
  readonly maskedInput: string;

  /**
   * @param maskedInput - the rejected input, already masked
   * @param region - the default region the input was read in
   */
  constructor(maskedInput: string, region?: CountryCode) {
    super(
      region === undefined
        ? 'not a valid phone number (no default region given, so it must be in international +<country code> form)'
        : `not a valid phone number for region ${region}`,
    );
    this.name = 'InvalidPhoneError';
    this.region = region;
    this.maskedInput = maskedInput;
  }
}

/**
 * Normalises a phone number to E.164 (`+14255550123`). National numbers (`07911 123456`) need
 * `defaultRegion` (`'GB'`); international ones (`+44 7911 123456`) do not. Uses libphonenumber-js with
 * its full metadata, so numbers with impossible prefixes are rejected, not only wrong lengths.
 *
 * @throws {@link InvalidPhoneError} when the input is not a valid number (the message omits the number).
 */
export function normalizePhone(input: string, defaultRegion?: CountryCode): string {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultRegion);
  if (parsed === undefined || !parsed.isValid()) {
    throw new InvalidPhoneError(maskPhone(input), defaultRegion);
  }
  return parsed.number;
}

const E164_SHAPE = /^\+[1-9]\d{1,14}$/;

/** Numbers already checked by {@link isE164Phone} (a turn checks its sender's several times; ~0.1 ms each). */
const checkedPhones = new Map<string, boolean>();
const CHECKED_PHONES_KEPT = 10_000;

/** True when `value` is a canonical E.164 number (`+` and digits only) that libphonenumber-js considers valid. */
export function isE164Phone(value: string): boolean {
  if (!E164_SHAPE.test(value)) return false;
  const known = checkedPhones.get(value);
  if (known !== undefined) return known;
  const parsed = parsePhoneNumberFromString(value);
  const valid = parsed?.isValid() === true && parsed.number === value;
  // Bounded: forgotten all at once when full (the numbers of the moment come back within a turn or two).
  if (checkedPhones.size >= CHECKED_PHONES_KEPT) checkedPhones.clear();
  checkedPhones.set(value, valid);
  return valid;
}

/**
 * A phone number already in canonical E.164 form (`+14255550123`) that is valid for its country.
 * Does not normalise: run {@link normalizePhone} on user input first.
 */
export const e164Phone = z.string().superRefine((value, ctx) => {
  if (!isE164Phone(value)) {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: 'must be a valid phone number in E.164 form, e.g. +14255550123',
    });
  }
});

/** A phone number in E.164 form (`+14255550123`), validated by {@link e164Phone}. */
export type E164Phone = z.infer<typeof e164Phone>;

/**
 * Masks a phone number for logs: every digit but the last 4 becomes `*`; other characters (the leading
 * `+`, spaces, dashes) stay. `'+14255550123'` gives `'+*******0123'`. Never throws: nullish input gives `''`,
 * and input with 4 digits or fewer comes back unchanged.
 */
export function maskPhone(phone: string | null | undefined): string {
  if (phone === null || phone === undefined) return '';
  const text = String(phone);
  let digitsToMask = Math.max(0, (text.match(/\d/g)?.length ?? 0) - 4);
  let masked = '';
  for (const char of text) {
    if (digitsToMask > 0 && char >= '0' && char <= '9') {
      masked += '*';
      digitsToMask -= 1;
    } else {
      masked += char;
    }
  }
  return masked;
}

// ---------------------------------------------------------------------------------------------
// Customer ids
// ---------------------------------------------------------------------------------------------

/** Crockford's base32 alphabet (no I, L, O, U), as used by ULIDs. */
const CROCKFORD_BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Shape of a customer id: `cust_` + a 26-character ULID in upper-case Crockford base32. The first 10
 * characters encode the creation time in milliseconds (so ids sort by creation time), the last 16 are
 * 80 random bits. The first ULID character is at most `7` because a ULID is 128 bits.
 */
export const CUSTOMER_ID_PATTERN = /^cust_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * A customer id, e.g. `cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C4` (see {@link CUSTOMER_ID_PATTERN}).
 * Branded: only a parse or {@link newCustomerId} produces a `CustomerId`.
 */
export const customerId = z
  .string()
  .regex(CUSTOMER_ID_PATTERN, 'must be a customer id: "cust_" followed by a 26-character ULID')
  .brand<'CustomerId'>();

/** A customer id (`cust_` + ULID); the Cosmos `customers` document id and the session key of customer events. */
export type CustomerId = z.infer<typeof customerId>;

/**
 * Generates a new {@link CustomerId} from the clock and `node:crypto` randomness.
 *
 * @param now - the creation time in epoch milliseconds (defaults to `Date.now()`)
 */
export function newCustomerId(now: number = Date.now()): CustomerId {
  if (!Number.isSafeInteger(now) || now < 0 || now >= 2 ** 48) {
    throw new RangeError('newCustomerId: now must be an epoch time in milliseconds between 0 and 2^48');
  }
  let time = '';
  let remaining = now;
  for (let i = 0; i < 10; i += 1) {
    time = CROCKFORD_BASE32.charAt(remaining % 32) + time;
    remaining = Math.floor(remaining / 32);
  }
  let random = '';
  // 256 is a multiple of 32, so `byte & 31` is uniform: 16 characters carry 80 random bits.
  for (const byte of randomBytes(16)) random += CROCKFORD_BASE32.charAt(byte & 31);
  return `cust_${time}${random}` as CustomerId;
}

// ---------------------------------------------------------------------------------------------
// Identities and identity keys
// ---------------------------------------------------------------------------------------------

/**
 * The kinds of identity a customer can be known by:
 * - `phone`: an E.164 number (voice caller id, WhatsApp number, SMS);
 * - `webchat`: a Direct Line user id;
 * - `whatsapp-bsuid`: a WhatsApp business-scoped user id (may arrive without a phone number);
 * - `call`: a call connection id, for callers who withhold their number.
 */
export const IdentityKind = z.enum(['phone', 'webchat', 'whatsapp-bsuid', 'call']);

/** The kind of an {@link Identity}. */
export type IdentityKind = z.infer<typeof IdentityKind>;

/**
 * Longest identity key. Keys are Cosmos document ids (at most 255 characters) and Service Bus session ids
 * (at most 128), so 128 it is.
 */
export const MAX_IDENTITY_KEY_LENGTH = 128;

/** Characters a Cosmos document id cannot hold, plus whitespace and control characters. */
const FORBIDDEN_IN_KEY = /[/\\?#\s\p{Cc}]/u;

const identityValue = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_IDENTITY_KEY_LENGTH - 'whatsapp-bsuid:'.length, 'is too long for an identity key')
  .refine((value) => !FORBIDDEN_IN_KEY.test(value), {
    message: 'must not contain "/", "\\", "?", "#", whitespace or control characters',
  });

/**
 * An identity a customer is known by, as `{ kind, value }`. Phone values must be E.164.
 * {@link identityKey} turns one into the id of its Cosmos `identities` document.
 */
export const identitySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('phone'), value: e164Phone }),
  z.object({ kind: z.literal('webchat'), value: identityValue }),
  z.object({ kind: z.literal('whatsapp-bsuid'), value: identityValue }),
  z.object({ kind: z.literal('call'), value: identityValue }),
]);

/** An identity a customer is known by: `{ kind: 'phone', value: '+14255550123' }`, ... */
export type Identity = z.infer<typeof identitySchema>;

/** An identity key: `<kind>:<value>`, e.g. `phone:+14255550123` or `webchat:dl_8f2c`. */
export type IdentityKey = `${IdentityKind}:${string}`;

/** Thrown by {@link identityKey} and {@link parseIdentityKey} for an invalid identity or key. */
export class InvalidIdentityError extends Error {
  /**
   * @param message - what is wrong; never contains a full phone number
   */
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIdentityError';
  }
}

function describeIdentityIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'identity'}: ${issue.message}`)
    .join('; ');
}

/**
 * The key of an identity, which is also the id of its document in the Cosmos `identities` container:
 * `phone:+14255550123`, `webchat:<directLineUserId>`, `whatsapp-bsuid:<bsuid>`, `call:<callConnectionId>`.
 *
 * @throws {@link InvalidIdentityError} when the identity is invalid (e.g. a phone value that is not E.164).
 */
export function identityKey(identity: Identity): IdentityKey {
  const result = identitySchema.safeParse(identity);
  if (!result.success)
    throw new InvalidIdentityError(`invalid identity: ${describeIdentityIssues(result.error)}`);
  return `${result.data.kind}:${result.data.value}`;
}

/**
 * Reads an identity key back into an {@link Identity}; the inverse of {@link identityKey}.
 * Only the first `:` separates kind from value.
 *
 * @throws {@link InvalidIdentityError} for an unknown kind, a missing separator or an invalid value.
 */
export function parseIdentityKey(key: string): Identity {
  const result = safeParseIdentityKey(key);
  if (!result.ok) throw new InvalidIdentityError(result.message);
  return result.identity;
}

function safeParseIdentityKey(
  key: string,
): { ok: true; identity: Identity } | { ok: false; message: string } {
  if (key.length > MAX_IDENTITY_KEY_LENGTH) {
    return { ok: false, message: `identity key is longer than ${MAX_IDENTITY_KEY_LENGTH} characters` };
  }
  const separator = key.indexOf(':');
  if (separator <= 0) {
    return { ok: false, message: 'identity key must look like "<kind>:<value>", e.g. "phone:+14255550123"' };
  }
  const kind = key.slice(0, separator);
  if (!IdentityKind.safeParse(kind).success) {
    return {
      ok: false,
      message: `identity key has an unknown kind; expected one of ${IdentityKind.options.join(', ')}`,
    };
  }
  const result = identitySchema.safeParse({ kind, value: key.slice(separator + 1) });
  if (!result.success)
    return { ok: false, message: `invalid identity key: ${describeIdentityIssues(result.error)}` };
  return { ok: true, identity: result.data };
}

/** A string that is a valid identity key (see {@link identityKey}); parses to {@link IdentityKey}. */
export const identityKeySchema = z
  .string()
  .superRefine((value, ctx) => {
    const result = safeParseIdentityKey(value);
    if (!result.ok) ctx.addIssue({ code: 'custom', input: value, message: result.message });
  })
  .transform((value) => value as IdentityKey);

// ---------------------------------------------------------------------------------------------
// Contact addresses
// ---------------------------------------------------------------------------------------------

/**
 * Where a customer can be reached: their phone (E.164), WhatsApp BSUID and/or Direct Line user id.
 * Used as the `sender` of inbound messages and the `address` of handoffs.
 */
export const contactAddress = z.object({
  phone: e164Phone.optional(),
  whatsappBsuid: identityValue.optional(),
  webchatUserId: identityValue.optional(),
});

/** Where a customer can be reached (see {@link contactAddress}). */
export type ContactAddress = z.infer<typeof contactAddress>;

/** The identity keys a contact address stands for, phone first. */
export function identityKeysOf(address: ContactAddress): IdentityKey[] {
  const keys: IdentityKey[] = [];
  if (address.phone !== undefined) keys.push(`phone:${address.phone}`);
  if (address.whatsappBsuid !== undefined) keys.push(`whatsapp-bsuid:${address.whatsappBsuid}`);
  if (address.webchatUserId !== undefined) keys.push(`webchat:${address.webchatUserId}`);
  return keys;
}

/**
 * How sure the platform is who a person is, lowest first:
 * - `none`: nothing was checked (an anonymous web chat);
 * - `asserted`: the person or their network claims an identity nobody verified (caller ID, a keyed-in number);
 * - `channel-verified`: the channel verified it (WhatsApp verified the number; a web chat reached through a
 *   redeemed handoff link inherits the issuing session's level, for that customer only);
 * - `verified`: a check passed in this session (a one-time code read back, or a knowledge check).
 */
export const AssuranceLevel = z.enum(['none', 'asserted', 'channel-verified', 'verified']);
/** `'none' | 'asserted' | 'channel-verified' | 'verified'`. */
export type AssuranceLevel = z.infer<typeof AssuranceLevel>;

const ASSURANCE_RANK: Readonly<Record<AssuranceLevel, number>> = {
  none: 0,
  asserted: 1,
  'channel-verified': 2,
  verified: 3,
};

/** Whether `level` is at least `required`. */
export function assuranceAtLeast(level: AssuranceLevel, required: AssuranceLevel): boolean {
  return ASSURANCE_RANK[level] >= ASSURANCE_RANK[required];
}

/** The higher of two levels. */
export function maxAssurance(a: AssuranceLevel, b: AssuranceLevel): AssuranceLevel {
  return ASSURANCE_RANK[a] >= ASSURANCE_RANK[b] ? a : b;
}
