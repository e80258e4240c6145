import { type AssuranceLevel, assuranceAtLeast, type CollectedData, maxAssurance } from '@omni/contracts';
import type { AnyTool } from '../tools/tool-registry.js';
import {
  type AccountDirectory,
  accountRef,
  answerVerification,
  isVerificationRequired,
  PENDING_VERIFICATION_MS,
  type PendingVerification,
  type VerificationRequired,
  verificationPrompts,
  verificationRequired,
} from '../verification.js';
import { type ConversationStore, ENGINE_STATE_KEYS, type StoredCustomer } from './conversation-store.js';

/** What a verification step did, as an engine event. */
export type VerificationOutcome = 'challenged' | 'verified' | 'mismatch' | 'locked' | 'asked' | 'abandoned';

/** The part of a turn the gate reads and changes. */
export interface GateRun {
  readonly input: {
    readonly customerId: string;
    readonly channel: 'voice' | 'whatsapp' | 'webchat';
    readonly sessionId: string;
    readonly text: string;
  };
  /** The request the agents work on (the original one again, once a verification passed). */
  text: string;
  assurance: AssuranceLevel;
  readonly verifiedAccounts: string[];
  /** Set when a gated call was refused in this turn: the engine asks the customer to verify. */
  challenge: { readonly accountRef: string | null } | undefined;
  /** The pending verification to store: undefined keeps the stored one, null clears it. */
  pending: PendingVerification | null | undefined;
  readonly replies: { text: string; kind: 'announcement' | 'agent' }[];
  readonly events: { type: string }[];
}

/**
 * The engine's gate in front of tools that disclose or change account data: the session's assurance level
 * (the channel's floor, raised by verifications stored with the session), the knowledge check that raises it,
 * attempt limits and lock-out. See `verification.ts` for the rules and the prompts.
 */
export class VerificationGate {
  readonly #store: ConversationStore;
  readonly #directory: AccountDirectory;
  readonly #clock: () => number;

  constructor(store: ConversationStore, directory: AccountDirectory, clock: () => number) {
    this.#store = store;
    this.#directory = directory;
    this.#clock = clock;
  }

  /** The session's level: what is stored with it, at least what the channel vouches for on this message. */
  assuranceOf(
    customer: StoredCustomer,
    input: { channel: string; sessionId: string; assurance?: AssuranceLevel | undefined },
  ): AssuranceLevel {
    const stored = customer.sessions?.find(
      (s) => s.channel === input.channel && s.sessionId === input.sessionId,
    )?.assurance;
    return maxAssurance(stored ?? 'none', input.assurance ?? 'none');
  }

  /** The accounts linked to the customer after a verification. */
  verifiedAccountsOf(customer: StoredCustomer): string[] {
    return (customer.verifiedAccounts ?? []).map((a) => a.ref);
  }

  /** The refusal a call gets when the session is below the tool's level; undefined when it may run. */
  refusal(run: GateRun, tool: AnyTool | undefined, rawArgs: string): VerificationRequired | undefined {
    if (tool?.assurance === undefined || assuranceAtLeast(run.assurance, tool.assurance)) return undefined;
    return verificationRequired('assurance', tool.assurance, accountRefIn(rawArgs));
  }

  /** Notes a refused call's output: the first one in a turn decides what the customer is asked. */
  observe(run: GateRun, output: unknown): void {
    if (run.challenge !== undefined || !isVerificationRequired(output)) return;
    run.challenge = { accountRef: output.verification_required.accountRef ?? null };
  }

  /**
   * Continues a verification asked for earlier in this session. `answered`: the turn is done (the customer was
   * asked for more, or refused); `continue`: run the agents on `run.text` (after a pass, the original request).
   */
  async resume(run: GateRun, customer: StoredCustomer): Promise<'answered' | 'continue'> {
    const pending = pendingIn(customer.collectedData);
    if (pending === undefined) return 'continue';
    if (
      pending.sessionId !== run.input.sessionId ||
      this.#clock() - pending.askedAt > PENDING_VERIFICATION_MS
    ) {
      run.pending = null;
      return 'continue';
    }
    if (this.#lockedUntil(customer) !== undefined) {
      this.#say(run, verificationPrompts.locked, 'locked');
      run.pending = null;
      return 'answered';
    }
    const answer = answerVerification(pending, run.input.text, this.#directory);
    switch (answer.kind) {
      case 'not_an_answer':
        run.pending = null;
        run.events.push({ type: 'verification', outcome: 'abandoned' } as { type: string });
        return 'continue';
      case 'need':
        run.pending = { ...pending, accountRef: answer.accountRef };
        this.#say(run, verificationPrompts.need(answer.missing), 'asked');
        return 'answered';
      case 'mismatch': {
        const failure = await this.#store.recordVerificationFailure(run.input.customerId);
        if (failure.lockedUntil !== undefined) {
          run.pending = null;
          this.#say(run, verificationPrompts.locked, 'locked');
        } else {
          this.#say(run, verificationPrompts.mismatch, 'mismatch');
        }
        return 'answered';
      }
      case 'verified': {
        const { customerId, channel, sessionId } = run.input;
        await Promise.all([
          this.#store.linkVerifiedAccount(customerId, answer.accountRef, 'knowledge-check'),
          this.#store.raiseAssurance(customerId, channel, sessionId, 'verified', 'knowledge-check'),
        ]);
        run.assurance = 'verified';
        if (!run.verifiedAccounts.includes(answer.accountRef)) run.verifiedAccounts.push(answer.accountRef);
        run.pending = null;
        this.#say(run, verificationPrompts.verified, 'verified');
        // The customer need not repeat what they asked for before the check.
        run.text = pending.request;
        return 'continue';
      }
    }
  }

  /** Ends a turn whose gated call was refused: the customer is asked to verify (or told they are locked out). */
  challenge(run: GateRun, customer: StoredCustomer): void {
    const challenge = run.challenge;
    if (challenge === undefined) return;
    if (this.#lockedUntil(customer) !== undefined) {
      this.#say(run, verificationPrompts.locked, 'locked');
      run.pending = null;
      return;
    }
    run.pending = {
      sessionId: run.input.sessionId,
      accountRef: challenge.accountRef,
      request: run.text,
      askedAt: this.#clock(),
    };
    this.#say(run, verificationPrompts.challenge(challenge.accountRef), 'challenged');
  }

  #lockedUntil(customer: StoredCustomer): number | undefined {
    const until = customer.verificationFailures?.lockedUntil;
    if (until === null || until === undefined) return undefined;
    const at = Date.parse(until);
    return at > this.#clock() ? at : undefined;
  }

  #say(run: GateRun, text: string, outcome: VerificationOutcome): void {
    run.replies.push({ text, kind: 'agent' });
    run.events.push({ type: 'verification', outcome } as { type: string });
  }
}

/** The pending verification in the engine state, or undefined. */
export function pendingIn(data: CollectedData): PendingVerification | undefined {
  const raw = data[ENGINE_STATE_KEYS.verification];
  if (typeof raw !== 'string') return undefined;
  try {
    const value = JSON.parse(raw) as PendingVerification;
    return typeof value.sessionId === 'string' && typeof value.request === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The `account:` reference of a call's `accountNumber` argument, when it has one. */
function accountRefIn(rawArgs: string): string | undefined {
  try {
    const args = JSON.parse(rawArgs) as { accountNumber?: unknown };
    return typeof args.accountNumber === 'string' && /^\d{10}$/.test(args.accountNumber)
      ? accountRef(args.accountNumber)
      : undefined;
  } catch {
    return undefined;
  }
}
