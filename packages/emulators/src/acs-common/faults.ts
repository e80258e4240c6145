import { AcsError } from './errors.js';

/** A failure an ACS emulator answers with instead of serving the request. */
export interface AcsFault {
  /** 429 (throttled), 500 or 503. */
  readonly status: 429 | 500 | 503;
  /** `Retry-After` in seconds (429 and 503). Default 1. */
  readonly retryAfterSeconds?: number;
  /** How many requests in a row fail. Default 1. */
  readonly count?: number;
}

const CODES = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' } as const;

/**
 * The fault switches of an ACS emulator: the next signed data-plane requests fail with 429 / 500 / 503, as ACS
 * answers under load or during an incident (the SDKs retry 429 and 503 after `Retry-After`).
 */
export class AcsFaults {
  readonly #queue: AcsFault[] = [];

  /** Queues a fault for the next request(s). */
  next(fault: AcsFault): void {
    for (let index = 0; index < (fault.count ?? 1); index += 1) this.#queue.push(fault);
  }

  /** How many requests are still to fail. */
  pending(): number {
    return this.#queue.length;
  }

  /** Forgets every queued fault. */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Throws the next queued fault as an ACS error, if any. Used by the emulators' request hooks. */
  take(): void {
    const fault = this.#queue.shift();
    if (fault === undefined) return;
    const headers: Record<string, string> =
      fault.status === 500 ? {} : { 'retry-after': String(fault.retryAfterSeconds ?? 1) };
    throw new AcsError(
      fault.status,
      CODES[fault.status],
      `Injected fault: ${fault.status}.`,
      undefined,
      headers,
    );
  }
}
