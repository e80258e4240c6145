import { randomUUID } from 'node:crypto';

/** An event in the Event Grid schema (what ACS system topics deliver). */
export interface EventGridEvent<T = unknown> {
  id: string;
  topic: string;
  subject: string;
  data: T;
  eventType: string;
  dataVersion: string;
  metadataVersion: '1';
  eventTime: string;
}

/** One HTTP attempt to deliver an event (or the validation handshake) to the webhook. */
export interface DeliveryAttempt {
  readonly eventId: string;
  readonly eventType: string;
  /** 1-based attempt number within one delivery. */
  readonly attempt: number;
  readonly at: string;
  /** The HTTP status, when an answer came. */
  readonly status?: number;
  /** `timeout` or the network error's message, when none came. */
  readonly error?: string;
}

/** Where and how events are delivered. */
export interface WebhookTarget {
  /** The endpoint URL, with `?code=<secret>` already appended when a secret is used. */
  readonly url: string;
  readonly bearer?: string;
}

/** Retry policy, shortened from Event Grid's (which retries with exponential backoff for up to 24 hours). */
export interface RetryPolicy {
  /** Attempts per delivery, the first included. Default 4. */
  maxAttempts: number;
  /** Waits before each retry, in ms (the last repeats). Default [50, 100, 200] (exponential). */
  backoffMs: readonly number[];
  /** Per-attempt timeout in ms (Event Grid: 30 s). Default 2000. */
  timeoutMs: number;
  /**
   * The longest `Retry-After` honoured, in ms (a webhook's `Retry-After` lengthens the wait before the next try up
   * to this). Default 5000, so tests stay short.
   */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  backoffMs: [50, 100, 200],
  timeoutMs: 2000,
  maxRetryAfterMs: 5000,
};

/** `attempts - 1` waits doubling from `baseMs`: Event Grid's exponential backoff, shortened. */
export function exponentialBackoffMs(baseMs: number, retries: number): number[] {
  return Array.from({ length: Math.max(1, retries) }, (_, n) => baseMs * 2 ** n);
}

/** The order held deliveries are released in (see {@link EventGridDeliverer.hold}). */
export type ReleaseOrder = 'in-order' | 'reverse' | ((events: readonly EventGridEvent[]) => EventGridEvent[]);

/** The result of delivering one event. */
export interface DeliveryResult {
  readonly eventId: string;
  readonly delivered: boolean;
  /** The last HTTP status, if any answer came. */
  readonly status?: number;
  readonly attempts: number;
}

/**
 * Statuses Event Grid does not retry for a webhook: 400 Bad Request, 401 Unauthorized, 403 Forbidden, 413 Request
 * Entity Too Large. Every other failure (other 4xx, 5xx, timeouts, network errors) is retried.
 */
export const NON_RETRYABLE_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 413]);

function retryable(status: number): boolean {
  return !NON_RETRYABLE_STATUSES.has(status);
}

/** A `Retry-After` header (seconds or an HTTP date) in ms, if it is one. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

interface HeldDelivery {
  readonly target: WebhookTarget;
  readonly event: EventGridEvent;
}

/** Posts Event Grid payloads to one webhook, recording every attempt. */
export class EventGridDeliverer {
  readonly attempts: DeliveryAttempt[] = [];
  #held: HeldDelivery[] | undefined;

  constructor(
    private readonly retry: RetryPolicy,
    private readonly subscriptionName: string,
    /** How the deliverer waits between attempts (tests record the waits instead of taking them). */
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async #post(
    target: WebhookTarget,
    eventType: 'Notification' | 'SubscriptionValidation',
    event: EventGridEvent,
    deliveryCount: number,
  ): Promise<{ status: number; body: string; retryAfter: string | null }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'aeg-event-type': eventType,
      'aeg-subscription-name': this.subscriptionName,
      'aeg-delivery-count': String(deliveryCount),
      'aeg-data-version': event.dataVersion,
      'aeg-metadata-version': event.metadataVersion,
    };
    if (target.bearer !== undefined) headers.authorization = `Bearer ${target.bearer}`;
    const response = await fetch(target.url, {
      method: 'POST',
      headers,
      body: JSON.stringify([event]),
      signal: AbortSignal.timeout(this.retry.timeoutMs),
    });
    return {
      status: response.status,
      body: await response.text(),
      retryAfter: response.headers.get('retry-after'),
    };
  }

  /**
   * Holds every delivery from now on instead of sending it (each `deliver` resolves at once, not delivered),
   * until {@link release}: the way to make Event Grid's lack of ordering happen in a test.
   */
  hold(): void {
    this.#held ??= [];
  }

  /** Sends the held deliveries one after another in `order` (default in order), then delivers normally again. */
  async release(order: ReleaseOrder = 'in-order'): Promise<DeliveryResult[]> {
    const held = this.#held ?? [];
    this.#held = undefined;
    const events = held.map((delivery) => delivery.event);
    const ordered =
      order === 'in-order' ? events : order === 'reverse' ? [...events].reverse() : order(events);
    const results: DeliveryResult[] = [];
    for (const event of ordered) {
      const delivery = held.find((candidate) => candidate.event === event);
      if (delivery !== undefined) results.push(await this.deliver(delivery.target, delivery.event));
    }
    return results;
  }

  /**
   * Delivers one Notification, retrying like Event Grid: every failure but 400, 401, 403 and 413, with the
   * policy's exponential backoff, waiting at least the webhook's `Retry-After` (up to `maxRetryAfterMs`). Never
   * throws.
   */
  async deliver(target: WebhookTarget, event: EventGridEvent): Promise<DeliveryResult> {
    if (this.#held !== undefined) {
      this.#held.push({ target, event });
      return { eventId: event.id, delivered: false, attempts: 0 };
    }
    let status: number | undefined;
    let askedWaitMs = 0;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      if (attempt > 1) {
        const waits = this.retry.backoffMs;
        const backoff = waits[Math.min(attempt - 2, waits.length - 1)] ?? 0;
        await this.sleep(Math.max(backoff, askedWaitMs));
      }
      askedWaitMs = 0;
      const at = new Date().toISOString();
      try {
        const answer = await this.#post(target, 'Notification', event, attempt - 1);
        status = answer.status;
        this.attempts.push({ eventId: event.id, eventType: event.eventType, attempt, at, status });
        if (status >= 200 && status < 300)
          return { eventId: event.id, delivered: true, status, attempts: attempt };
        if (!retryable(status)) break;
        askedWaitMs = Math.min(
          retryAfterMs(answer.retryAfter) ?? 0,
          this.retry.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs ?? 0,
        );
      } catch (error) {
        const message = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : String(error);
        this.attempts.push({ eventId: event.id, eventType: event.eventType, attempt, at, error: message });
      }
    }
    const attempts = this.attempts.filter((a) => a.eventId === event.id).length;
    return { eventId: event.id, delivered: false, ...(status === undefined ? {} : { status }), attempts };
  }

  /**
   * The subscription validation handshake: one `Microsoft.EventGrid.SubscriptionValidationEvent` with
   * `aeg-event-type: SubscriptionValidation`; the endpoint must answer 200 with `{ validationResponse: <code> }`.
   */
  async validate(target: WebhookTarget, topic: string): Promise<void> {
    const validationCode = randomUUID();
    const event: EventGridEvent = {
      id: randomUUID(),
      topic,
      subject: '',
      data: {
        validationCode,
        validationUrl: `${target.url.split('?')[0] ?? ''}#manual-validation-not-emulated`,
      },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: new Date().toISOString(),
      metadataVersion: '1',
      dataVersion: '2',
    };
    const at = new Date().toISOString();
    let answer: { status: number; body: string; retryAfter: string | null };
    try {
      answer = await this.#post(target, 'SubscriptionValidation', event, 0);
    } catch (error) {
      this.attempts.push({
        eventId: event.id,
        eventType: event.eventType,
        attempt: 1,
        at,
        error: String(error),
      });
      throw new Error(`Event Grid validation handshake failed: ${String(error)}`);
    }
    this.attempts.push({
      eventId: event.id,
      eventType: event.eventType,
      attempt: 1,
      at,
      status: answer.status,
    });
    if (answer.status !== 200) {
      throw new Error(`Event Grid validation handshake failed: the webhook answered ${answer.status}`);
    }
    let response: unknown;
    try {
      response = JSON.parse(answer.body);
    } catch {
      throw new Error('Event Grid validation handshake failed: the answer is not JSON');
    }
    if ((response as { validationResponse?: unknown } | null)?.validationResponse !== validationCode) {
      throw new Error(
        'Event Grid validation handshake failed: validationResponse does not match the validationCode',
      );
    }
  }
}
