import { z } from 'zod';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './failure-policy.js';

/** Sessions held at once by a consumer of a session entity, unless configured: one per customer in a turn. */
export const DEFAULT_MAX_SESSIONS = 64;
/** Messages in flight at once on an entity without sessions, unless configured. */
export const DEFAULT_MAX_CONCURRENCY = 8;
/**
 * How long a held session waits for its next message before it is released, unless configured. A customer's
 * next message is seconds away, so waiting longer only keeps a slot from other customers' sessions (issue #20:
 * 8 slots x (turn + 100 ms idle) capped a process near 20 turns/s); messages that are already queued in the
 * session arrive within a round trip and are received on the same link.
 */
export const DEFAULT_SESSION_IDLE_MS = 20;

/** How a service's consumers size themselves (spread into its config schema, through `serviceBusConfig`). */
export const consumerSettingsConfig = {
  /** Sessions a consumer of a session entity holds at once (its customers in flight). */
  SERVICEBUS_MAX_SESSIONS: z.coerce.number().int().min(1).max(1_000).optional(),
  /** Messages a consumer of an entity without sessions handles at once. */
  SERVICEBUS_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).optional(),
  /** How long a held session may stay without messages before it is released, in ms. */
  SERVICEBUS_SESSION_IDLE_MS: z.coerce.number().int().min(1).max(60_000).optional(),
  /** Attempts of a message before it is dead-lettered (failure policy; default 9). */
  SERVICEBUS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).optional(),
  /**
   * The waits between attempts, ms, comma-separated; the last repeats (default 1000,5000,30000,120000,600000).
   * Shorter only in tests that must see a message dead-lettered.
   */
  SERVICEBUS_RETRY_SCHEDULE_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be comma-separated milliseconds, e.g. 1000,5000,30000')
    .optional(),
} as const;

/** The values of {@link consumerSettingsConfig}. */
export interface ConsumerSettingsConfig {
  readonly SERVICEBUS_MAX_SESSIONS?: number | undefined;
  readonly SERVICEBUS_MAX_CONCURRENCY?: number | undefined;
  readonly SERVICEBUS_SESSION_IDLE_MS?: number | undefined;
  readonly SERVICEBUS_MAX_ATTEMPTS?: number | undefined;
  readonly SERVICEBUS_RETRY_SCHEDULE_MS?: string | undefined;
}

/** How many sessions or messages a consumer works on at once, and when it releases an idle session. */
export interface ConsumerSettings {
  /** Messages in flight at once (no sessions). */
  readonly maxConcurrency: number;
  /** Sessions held at once (session entities). */
  readonly maxSessions: number;
  readonly sessionIdleMs: number;
  /** When a failed message is tried again, and how often before it is dead-lettered. */
  readonly retry: RetryPolicy;
}

/** The settings a validated configuration names, the defaults where it names none. */
export function consumerSettingsOf(config: ConsumerSettingsConfig): ConsumerSettings {
  return {
    maxConcurrency: config.SERVICEBUS_MAX_CONCURRENCY ?? DEFAULT_MAX_CONCURRENCY,
    maxSessions: config.SERVICEBUS_MAX_SESSIONS ?? DEFAULT_MAX_SESSIONS,
    sessionIdleMs: config.SERVICEBUS_SESSION_IDLE_MS ?? DEFAULT_SESSION_IDLE_MS,
    retry: retryPolicyOf(config),
  };
}

function retryPolicyOf(config: ConsumerSettingsConfig): RetryPolicy {
  const schedule = config.SERVICEBUS_RETRY_SCHEDULE_MS?.split(',').map(Number);
  return {
    maxAttempts: config.SERVICEBUS_MAX_ATTEMPTS ?? DEFAULT_RETRY_POLICY.maxAttempts,
    backoffMs:
      schedule === undefined
        ? DEFAULT_RETRY_POLICY.backoffMs
        : (attempt: number) => schedule[Math.min(attempt - 1, schedule.length - 1)] ?? 0,
  };
}
