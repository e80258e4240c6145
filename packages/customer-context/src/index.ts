/**
 * `@omni/customer-context`: one customer across voice, WhatsApp and web chat — identities, the Foundry
 * conversation id, summary, collected data, sessions, transcripts, handoff tokens and idempotency — in Cosmos DB
 * with a Redis or in-memory cache. See README.md for the data model and the concurrency design.
 *
 * @packageDocumentation
 */
export {
  type CachedEntry,
  type ContextCache,
  createContextCache,
  DEFAULT_CACHE_PREFIX,
  DEFAULT_CACHE_TTL_SECONDS,
  MemoryContextCache,
  type MemoryContextCacheOptions,
  RedisContextCache,
  type RedisContextCacheOptions,
} from './cache.js';
export { type Clock, systemClock } from './clock.js';
export {
  type CustomerContextConfig,
  customerContextConfig,
  customerContextConfigSchema,
  customerContextConfigWithoutTokens,
  handoffTokenKeySchema,
  MIN_HANDOFF_TOKEN_KEY_BYTES,
  type PhoneRegion,
  parseCustomerContextConfig,
} from './config.js';
export {
  type CosmosSettings,
  type CustomerContextContainers,
  createCosmosContainers,
  DEFAULT_COSMOS_DATABASE,
} from './cosmos.js';
export {
  CustomerContextStore,
  type CustomerContextStoreOptions,
  type IdentityInput,
  type IssuedHandoffToken,
  type RedeemedHandoff,
  type ResolvedCustomer,
  type ResolveHints,
  type Turn,
  type TurnInput,
} from './customer-context-store.js';
export { type Customer, CustomerDocuments, toCustomer } from './customer-documents.js';
export {
  CustomerErasure,
  type CustomerErasureOptions,
  type CustomerRecords,
  type ErasedCustomer,
} from './customer-erasure.js';
export {
  type AssuranceMethod,
  CustomerSessions,
  isAnonymousCustomer,
  type StartSessionOptions,
  sessionAssurance,
  type VerificationFailure,
  type VerificationLimits,
  verificationLockedUntil,
  WHATSAPP_WINDOW_MS,
} from './customer-sessions.js';
export {
  type Consent,
  type CustomerDocument,
  customerDocumentSchema,
  type HandoffDocument,
  type IdempotencyDocument,
  type IdentityDocument,
  type MergeAuditDocument,
  type OpenHandoff,
  parseDocument,
  REDEEMED_HANDOFF_OPEN_MS,
  type Session,
  SessionStatus,
  type TurnDocument,
  TurnRole,
} from './documents.js';
export { ErasureRegistry, erasureId, erasuresContainerOf } from './erasure-registry.js';
export {
  ConcurrencyExhaustedError,
  CorruptDocumentError,
  CustomerContextError,
  CustomerNotFoundError,
  IdentityConflictError,
  InvalidIdentityError,
  InvalidMergeError,
  InvalidPhoneError,
  maskIdentityKey,
  TokenExpiredError,
  TokenInvalidError,
  TokenUsedError,
} from './errors.js';
export { type HandoffTokenClaims, HandoffTokens, hashToken } from './handoff-tokens.js';
export {
  IdempotencyLedger,
  type IdempotencyLedgerOptions,
  idempotencyId,
  type RunOnceClaim,
  type RunOnceOptions,
} from './idempotency-ledger.js';
export {
  cosmosStatus,
  type OptimisticRetryOptions,
  realSleep,
  retryAfterMs,
  type Sleep,
  withOptimisticRetry,
  withThrottleRetry,
} from './retry.js';
export { type CustomerContextRuntime, createCustomerContextStore } from './runtime.js';
