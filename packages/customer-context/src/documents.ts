import { AssuranceLevel, Channel, collectedData, customerId, identityKeySchema } from '@omni/contracts';
import { z } from 'zod';
import { CorruptDocumentError } from './errors.js';

const isoString = z.string().min(1);

/** Lifecycle of a session on one channel. */
export const SessionStatus = z.enum(['active', 'completed', 'abandoned', 'handed-off', 'failed']);
/** `'active' | 'completed' | 'abandoned' | 'handed-off' | 'failed'`. */
export type SessionStatus = z.infer<typeof SessionStatus>;

/** One session of a customer on a channel (a call, a WhatsApp conversation, a web chat). */
export const sessionSchema = z.object({
  channel: Channel,
  sessionId: z.string().min(1),
  startedAt: isoString,
  endedAt: isoString.nullable(),
  status: SessionStatus,
  /** How sure we are who the person in this session is (documents written before levels existed: `none`). */
  assurance: AssuranceLevel.default('none'),
  /** How the level was reached (`caller-id`, `whatsapp`, `handoff-link`, `knowledge-check`, `one-time-code`). */
  assuranceMethod: z.string().nullable().default(null),
});
/** One session of a customer on a channel. */
export type Session = z.infer<typeof sessionSchema>;

/** A consent decision for one channel. */
export const consentSchema = z.object({
  granted: z.boolean(),
  at: isoString,
  source: z.string().optional(),
});
/** A consent decision for one channel. */
export type Consent = z.infer<typeof consentSchema>;

const perChannel = <T extends z.ZodType>(value: T) => z.partialRecord(Channel, value);

/** The `customers` document (pk `/id`). A merged customer keeps a tombstone with `mergedInto` and no data. */
export const customerDocumentSchema = z.object({
  id: customerId,
  type: z.literal('customer'),
  customerId: customerId,
  displayName: z.string().nullable(),
  identities: z.array(identityKeySchema),
  foundryConversationId: z.string().min(1).nullable(),
  /** Conversation ids of merged customers, kept so they can be deleted on erasure. */
  mergedConversationIds: z.array(z.string().min(1)),
  /** A claim on creating the Foundry conversation (see `getOrCreateConversationId`). */
  conversationLease: z.object({ holder: z.string().min(1), expiresAt: z.number() }).nullable(),
  summary: z.string().nullable(),
  collectedData: collectedData,
  sessions: z.array(sessionSchema),
  consent: perChannel(consentSchema),
  lastInboundAt: perChannel(isoString),
  /**
   * Accounts (`account:<number>`, `order:<id>`) linked to this customer after a verification in some session;
   * a tool discloses or changes only these.
   */
  verifiedAccounts: z
    .array(z.object({ ref: z.string().min(1), linkedAt: isoString, method: z.string() }))
    .default([]),
  /** Failed verification attempts in a row, and the lock-out they caused. */
  verificationFailures: z
    .object({ count: z.number().int().nonnegative(), lockedUntil: isoString.nullable() })
    .nullable()
    .default(null),
  /**
   * The newest turns of the transcript (at most {@link RECENT_TURNS_KEPT}, oldest first), kept with every
   * recorded turn so a turn reads its history with the customer. Absent on documents written before it was
   * kept: their history is queried.
   */
  recentTurns: z.array(z.lazy(() => recentTurnSchema)).optional(),
  /**
   * The customer's handoffs still open (offered and not expired, or redeemed and not completed yet), kept with
   * the customer so a turn learns of them without a query. Absent on documents written before it was kept: their
   * handoffs are queried.
   */
  openHandoffs: z.array(z.lazy(() => openHandoffSchema)).optional(),
  /** Incremented by every write; the cache only moves forward in it. */
  version: z.number().int().nonnegative(),
  createdAt: isoString,
  updatedAt: isoString,
  mergedInto: customerId.optional(),
  mergedAt: isoString.optional(),
  _etag: z.string().optional(),
});
/** A `customers` document as stored. */
export type CustomerDocument = z.infer<typeof customerDocumentSchema>;

/** The `identities` document (pk `/id` = the identity key). */
export const identityDocumentSchema = z.object({
  id: identityKeySchema,
  type: z.literal('identity'),
  customerId: customerId,
  version: z.number().int().nonnegative(),
  createdAt: isoString,
  _etag: z.string().optional(),
});
/** An `identities` document as stored. */
export type IdentityDocument = z.infer<typeof identityDocumentSchema>;

/** Who spoke a turn. */
export const TurnRole = z.enum(['customer', 'assistant', 'agent', 'system']);
/** `'customer' | 'assistant' | 'agent' | 'system'`. */
export type TurnRole = z.infer<typeof TurnRole>;

/** A `transcripts` document of type `turn` (pk `/customerId`). */
export const turnDocumentSchema = z.object({
  id: z.string().min(1),
  type: z.literal('turn'),
  customerId: customerId,
  turnId: z.string().min(1),
  channel: Channel,
  sessionId: z.string().min(1),
  role: TurnRole,
  text: z.string(),
  agentId: z.string().nullable(),
  at: isoString,
  _etag: z.string().optional(),
});
/** A turn document as stored. */
export type TurnDocument = z.infer<typeof turnDocumentSchema>;

/** How many of the newest turns a customer document keeps (the engine's default history). */
export const RECENT_TURNS_KEPT = 50;

/** A turn as the customer document keeps it. */
export const recentTurnSchema = turnDocumentSchema.omit({
  id: true,
  type: true,
  customerId: true,
  _etag: true,
});
/** A turn kept in the customer document. */
export type RecentTurn = z.infer<typeof recentTurnSchema>;

/** A `transcripts` document of type `merge-audit`: who was merged into whom, why, and what moved. */
export const mergeAuditDocumentSchema = z.object({
  id: z.string().min(1),
  type: z.literal('merge-audit'),
  customerId: customerId,
  mergedCustomerId: customerId,
  reason: z.string(),
  at: isoString,
  movedIdentities: z.array(z.string()),
  movedTurns: z.number().int().nonnegative(),
  movedHandoffs: z.number().int().nonnegative(),
  mergedConversationId: z.string().nullable(),
  _etag: z.string().optional(),
});
/** A merge audit record as stored. */
export type MergeAuditDocument = z.infer<typeof mergeAuditDocumentSchema>;

/** Status of a handoff. */
export const HandoffStatus = z.enum(['offered', 'redeemed']);

/** The `handoffs` document (pk `/customerId`). Holds only the SHA-256 hash of its token. */
export const handoffDocumentSchema = z.object({
  id: z.string().min(1),
  type: z.literal('handoff'),
  customerId: customerId,
  fromChannel: Channel.nullable(),
  toChannel: Channel,
  status: HandoffStatus,
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  reason: z.string().nullable(),
  offeredAt: isoString,
  expiresAt: isoString,
  redeemedAt: isoString.nullable(),
  redeemedBy: z.string().nullable(),
  /** The assurance of the session that asked for the handoff; the redeeming session inherits it. */
  issuerAssurance: AssuranceLevel.default('none'),
  _etag: z.string().optional(),
});
/** A handoff document as stored. */
export type HandoffDocument = z.infer<typeof handoffDocumentSchema>;

/** A handoff as the customer document keeps it while it is open (no token hash, no reason). */
export const openHandoffSchema = handoffDocumentSchema.pick({
  id: true,
  fromChannel: true,
  toChannel: true,
  status: true,
  offeredAt: true,
  expiresAt: true,
  redeemedAt: true,
  redeemedBy: true,
});
/** An open handoff kept in the customer document. */
export type OpenHandoff = z.infer<typeof openHandoffSchema>;

/** How long a redeemed handoff stays open for its completion (the first message on the new channel). */
export const REDEEMED_HANDOFF_OPEN_MS = 24 * 60 * 60 * 1000;

/** The `idempotency` document (pk `/id` = SHA-256 of the key). */
export const idempotencyDocumentSchema = z.object({
  id: z.string().min(1),
  type: z.literal('idempotency'),
  key: z.string(),
  status: z.enum(['running', 'done']),
  holder: z.string().nullable(),
  leaseExpiresAt: z.number().nullable(),
  result: z.unknown().optional(),
  createdAt: z.number(),
  /**
   * When the key's first holder claimed it; a holder taking over a crashed one's claim keeps it, so a side effect
   * retried under the same key can tell the provider it is the same request (ACS `Repeatability-First-Sent`).
   */
  firstClaimedAt: z.number().optional(),
  completedAt: z.number().nullable(),
  /** Seconds; Cosmos deletes the document after it. Also checked in code, since the emulator does not. */
  ttl: z.number().int().positive(),
  _etag: z.string().optional(),
});
/** An idempotency document as stored. */
export type IdempotencyDocument = z.infer<typeof idempotencyDocumentSchema>;

/**
 * Validates a document read from Cosmos.
 *
 * @throws {@link CorruptDocumentError} naming the container, the document and the first invalid field
 */
export function parseDocument<S extends z.ZodType>(schema: S, container: string, raw: unknown): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const id =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? (raw as { id: string }).id
      : '(no id)';
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(document)';
  throw new CorruptDocumentError(container, id, field, issue?.message ?? 'is invalid');
}
