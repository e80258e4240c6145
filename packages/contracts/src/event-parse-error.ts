import type { z } from 'zod';

/** One problem found in an event: where (`data.toChannel`, `subject`, `(root)`) and what. */
export interface EventIssue {
  /** Dotted path to the failing field (`data.queues[0]`), or `(root)` for the whole event. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/**
 * Why an event was rejected:
 * - `invalid_json`: the body is not JSON (or not UTF-8);
 * - `not_an_object`: the body is JSON but not an object;
 * - `unknown_type`: `type` is missing or names no known event;
 * - `invalid_event`: the event does not match the schema of its type.
 */
export type EventParseErrorCode = 'invalid_json' | 'not_an_object' | 'unknown_type' | 'invalid_event';

/**
 * An event that could not be read or built. The message names the event type and every failing field,
 * e.g. `handoff.requested: data.toChannel: Invalid option: expected one of "voice"|"whatsapp"|...`,
 * and is meant to be the dead-letter reason. It never contains field values beyond the event type.
 */
export class EventParseError extends Error {
  /** Why the event was rejected. */
  readonly code: EventParseErrorCode;
  /** The event type, when the input had a known one. */
  readonly eventType: string | undefined;
  /** Every problem found, in schema order. */
  readonly issues: readonly EventIssue[];

  /**
   * @param code - why the event was rejected
   * @param issues - the problems found (at least one)
   * @param eventType - the event type, when known
   */
  constructor(code: EventParseErrorCode, issues: readonly EventIssue[], eventType?: string) {
    const details = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    super(eventType === undefined ? details : `${eventType}: ${details}`);
    this.name = 'EventParseError';
    this.code = code;
    this.eventType = eventType;
    this.issues = issues;
  }

  /** Builds the error for an event that failed its schema. */
  static fromZodError(eventType: string, error: z.ZodError): EventParseError {
    return new EventParseError('invalid_event', error.issues.map(toEventIssue), eventType);
  }
}

/** Formats a Zod issue path as `data.queues[0]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let formatted = '';
  for (const segment of path) {
    if (typeof segment === 'number') formatted += `[${segment}]`;
    else formatted += formatted === '' ? String(segment) : `.${String(segment)}`;
  }
  return formatted === '' ? '(root)' : formatted;
}

function toEventIssue(issue: z.core.$ZodIssue): EventIssue {
  return { path: formatIssuePath(issue.path), message: issue.message };
}
