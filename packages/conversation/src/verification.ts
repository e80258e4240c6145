import type { AssuranceLevel } from '@omni/contracts';
import { DEMO_ACCOUNTS } from './demo-data/utilities-data.js';

/**
 * Step-up verification: the engine's gate in front of tools that disclose or change account data. A tool
 * declares the level it needs; below it (or for an account not linked to the customer) the tool does not run,
 * the model is told `verification_required`, and the engine itself asks the customer to verify. Prompts and
 * checks live here, not in agent instructions, so the offline and the Foundry drivers follow the same rule.
 */

/** The output a gated tool call gets instead of running (the model sees it; the customer never does). */
export interface VerificationRequired {
  readonly verification_required: {
    readonly reason: 'assurance' | 'account_not_linked';
    readonly required: AssuranceLevel;
    /** The account the call was about (`account:<number>`), when known. */
    readonly accountRef?: string;
    readonly instruction: string;
  };
}

const INSTRUCTION =
  'The system is verifying the customer before any account data can be shared or changed. Do not reveal, guess or ask for account details yourself.';

/** Builds the {@link VerificationRequired} output. */
export function verificationRequired(
  reason: VerificationRequired['verification_required']['reason'],
  required: AssuranceLevel,
  accountRef?: string,
): VerificationRequired {
  return {
    verification_required: {
      reason,
      required,
      ...(accountRef === undefined ? {} : { accountRef }),
      instruction: INSTRUCTION,
    },
  };
}

/** Whether a tool output is a {@link VerificationRequired}. */
export function isVerificationRequired(value: unknown): value is VerificationRequired {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verification_required?: unknown }).verification_required === 'object'
  );
}

/** The reference of a utility account: `account:<10 digits>`. */
export function accountRef(accountNumber: string): string {
  return `account:${accountNumber}`;
}

/** The account number of an `account:` reference, or undefined. */
export function accountNumberOf(ref: string): string | undefined {
  return ref.startsWith('account:') ? ref.slice('account:'.length) : undefined;
}

/**
 * The records a knowledge check is answered against: the account number and the postcode of the address on
 * the account, as a contact centre asks on the phone.
 */
export interface AccountDirectory {
  /** Whether the account exists. */
  has(ref: string): boolean;
  /** Whether `postcode` is the postcode of the account's address (spaces and case ignored). */
  postcodeMatches(ref: string, postcode: string): boolean;
}

const compactPostcode = (value: string) => value.replace(/\s+/g, '').toUpperCase();

/** The utilities demo accounts as an {@link AccountDirectory}. */
export const demoAccountDirectory: AccountDirectory = {
  has: (ref) => DEMO_ACCOUNTS.some((a) => accountRef(a.accountNumber) === ref),
  postcodeMatches: (ref, postcode) =>
    DEMO_ACCOUNTS.some(
      (a) => accountRef(a.accountNumber) === ref && compactPostcode(a.postcode) === compactPostcode(postcode),
    ),
};

/** A verification the engine asked for and the customer has not answered yet (kept in the engine state). */
export interface PendingVerification {
  /** The channel session it was asked in: an answer in another session does not count. */
  readonly sessionId: string;
  /** The account to check, when the gated call named one. */
  readonly accountRef: string | null;
  /** The customer's request that hit the gate; run again once verified, so they need not repeat it. */
  readonly request: string;
  readonly askedAt: number;
}

/** A pending verification expires after this long (the customer moved on). */
export const PENDING_VERIFICATION_MS = 15 * 60_000;

/** What the customer's message does to a pending verification. */
export type VerificationAnswer =
  | { readonly kind: 'verified'; readonly accountRef: string }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'need'; readonly accountRef: string | null; readonly missing: 'account' | 'postcode' }
  | { readonly kind: 'not_an_answer' };

const ACCOUNT_NUMBER = /(?<!\d)(\d{10})(?!\d)/;
const POSTCODE = /\b([A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2})\b/;

/**
 * Reads a customer's answer to a knowledge check (account number and postcode, in any order, in one message
 * or two). Pure: the caller records failures and links the account.
 */
export function answerVerification(
  pending: PendingVerification,
  text: string,
  directory: AccountDirectory,
): VerificationAnswer {
  const typedNumber = ACCOUNT_NUMBER.exec(text)?.[1];
  const postcode = POSTCODE.exec(text)?.[1];
  if (typedNumber === undefined && postcode === undefined) return { kind: 'not_an_answer' };
  const ref = typedNumber !== undefined ? accountRef(typedNumber) : pending.accountRef;
  if (ref === null) return { kind: 'need', accountRef: null, missing: 'account' };
  if (postcode === undefined) return { kind: 'need', accountRef: ref, missing: 'postcode' };
  if (!directory.has(ref) || !directory.postcodeMatches(ref, postcode)) return { kind: 'mismatch' };
  return { kind: 'verified', accountRef: ref };
}

/** What the engine says to the customer during a verification (plain sentences, fit for voice too). */
export const verificationPrompts = {
  challenge(ref: string | null): string {
    const ending = ref === null ? undefined : accountNumberOf(ref)?.slice(-4);
    return ending === undefined
      ? "Before I can share or change account details, I need to check it's you. Please tell me your 10-digit account number and the postcode of the address on the account."
      : `Before I can share or change account details, I need to check it's you. What is the postcode of the address on the account ending ${ending}?`;
  },
  need(missing: 'account' | 'postcode'): string {
    return missing === 'account'
      ? 'Thank you. And what is your 10-digit account number?'
      : 'Thank you. And what is the postcode of the address on the account?';
  },
  verified: 'Thank you, that matches our records.',
  mismatch: "Sorry, those details don't match our records. Please check them and try again.",
  locked:
    "For your security I can't check your details again right now. Please try again later, or ask to speak to a member of our team.",
} as const;
