import { InvalidIdentityError, InvalidPhoneError, maskPhone } from '@omni/contracts';

export { InvalidIdentityError, InvalidPhoneError };

/**
 * Base class of every error this package throws on purpose. `code` is stable and machine-readable
 * (services map it to a problem+json type); messages never hold a full phone number or a token.
 */
export abstract class CustomerContextError extends Error {
  /** Stable, machine-readable error code. */
  abstract readonly code: string;
}

/** The customer does not exist (never created, or erased). */
export class CustomerNotFoundError extends CustomerContextError {
  readonly code = 'CustomerNotFound';
  /** The customer id that was looked up. */
  readonly customerId: string;

  constructor(customerId: string) {
    super(`customer ${customerId} does not exist`);
    this.name = 'CustomerNotFoundError';
    this.customerId = customerId;
  }
}

/** An identity is already linked to another customer (and the caller did not ask for a merge). */
export class IdentityConflictError extends CustomerContextError {
  readonly code = 'IdentityConflict';
  /** The identity key, with a phone number masked to its last 4 digits. */
  readonly maskedIdentity: string;
  /** The customer the identity was to be linked to. */
  readonly customerId: string;
  /** The customer that owns the identity. */
  readonly ownerCustomerId: string;

  constructor(identityKey: string, customerId: string, ownerCustomerId: string) {
    const masked = maskIdentityKey(identityKey);
    super(`identity ${masked} belongs to customer ${ownerCustomerId}, not ${customerId}`);
    this.name = 'IdentityConflictError';
    this.maskedIdentity = masked;
    this.customerId = customerId;
    this.ownerCustomerId = ownerCustomerId;
  }
}

/** A merge that cannot be done (same customer twice, or a survivor that was itself merged away). */
export class InvalidMergeError extends CustomerContextError {
  readonly code = 'InvalidMerge';

  constructor(message: string) {
    super(message);
    this.name = 'InvalidMergeError';
  }
}

/** A handoff token that is not one of ours: malformed, tampered with, signed with another key, or for another channel. */
export class TokenInvalidError extends CustomerContextError {
  readonly code = 'TokenInvalid';

  constructor(reason: string) {
    super(`handoff token is invalid: ${reason}`);
    this.name = 'TokenInvalidError';
  }
}

/** A genuine handoff token whose time is up. */
export class TokenExpiredError extends CustomerContextError {
  readonly code = 'TokenExpired';
  /** When it expired. */
  readonly expiredAt: Date;

  constructor(expiredAt: Date) {
    super(`handoff token expired at ${expiredAt.toISOString()}`);
    this.name = 'TokenExpiredError';
    this.expiredAt = expiredAt;
  }
}

/** A genuine handoff token that was already redeemed: tokens are single use. */
export class TokenUsedError extends CustomerContextError {
  readonly code = 'TokenUsed';
  /** The handoff the token belongs to. */
  readonly handoffId: string;

  constructor(handoffId: string) {
    super(`handoff token of handoff ${handoffId} was already used`);
    this.name = 'TokenUsedError';
    this.handoffId = handoffId;
  }
}

/**
 * A read-modify-write kept losing to concurrent writers (412 after every retry), was throttled (429) more
 * often than allowed, or a wait for another holder's lease ran out. Retrying later may succeed.
 */
export class ConcurrencyExhaustedError extends CustomerContextError {
  readonly code = 'ConcurrencyExhausted';
  /** What was being attempted. */
  readonly operation: string;
  /** Attempts made. */
  readonly attempts: number;

  constructor(operation: string, attempts: number, options?: ErrorOptions) {
    super(`${operation}: gave up after ${attempts} attempts under contention`, options);
    this.name = 'ConcurrencyExhaustedError';
    this.operation = operation;
    this.attempts = attempts;
  }
}

/** A stored document does not have the shape this package writes; names the container, id and field. */
export class CorruptDocumentError extends CustomerContextError {
  readonly code = 'CorruptDocument';
  /** The container the document was read from. */
  readonly container: string;
  /** The document id (identity ids are masked). */
  readonly documentId: string;
  /** Dotted path of the first invalid field, e.g. `sessions.0.channel`. */
  readonly field: string;

  constructor(container: string, documentId: string, field: string, problem: string) {
    const id = maskIdentityKey(documentId);
    super(`corrupt document ${id} in ${container}: field "${field}" ${problem}`);
    this.name = 'CorruptDocumentError';
    this.container = container;
    this.documentId = id;
    this.field = field;
  }
}

/** Masks the phone number inside an identity key (`phone:+*******0123`); other keys come back unchanged. */
export function maskIdentityKey(key: string): string {
  return key.startsWith('phone:') ? `phone:${maskPhone(key.slice('phone:'.length))}` : key;
}
