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

/** Retry policy, shortened from Event Grid's (which retries for up to 24 hours). */
export interface RetryPolicy {
  /** Attempts per delivery, the first included. Default 4. */
  maxAttempts: number;
  /** Waits before each retry, in ms (the last repeats). Default [50, 100, 200]. */
  backoffMs: readonly number[];
  /** Per-attempt timeout in ms (Event Grid: 30 s). Default 2000. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  backoffMs: [50, 100, 200],
  timeoutMs: 2000,
};

/** The result of delivering one event. */
export interface DeliveryResult {
  readonly eventId: string;
  readonly delivered: boolean;
  /** The last HTTP status, if any answer came. */
  readonly status?: number;
  readonly attempts: number;
}

/** Event Grid retries on 408, 429 and 5xx, and on timeouts and network errors; not on other 4xx. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Posts Event Grid payloads to one webhook, recording every attempt. */
export class EventGridDeliverer {
  readonly attempts: DeliveryAttempt[] = [];

  constructor(
    private readonly retry: RetryPolicy,
    private readonly subscriptionName: string,
  ) {}

  async #post(
    target: WebhookTarget,
    eventType: 'Notification' | 'SubscriptionValidation',
    event: EventGridEvent,
    deliveryCount: number,
  ): Promise<{ status: number; body: string }> {
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
    return { status: response.status, body: await response.text() };
  }

  /** Delivers one Notification, retrying like Event Grid. Never throws. */
  async deliver(target: WebhookTarget, event: EventGridEvent): Promise<DeliveryResult> {
    let status: number | undefined;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      if (attempt > 1) {
        const waits = this.retry.backoffMs;
        await new Promise((resolve) =>
          setTimeout(resolve, waits[Math.min(attempt - 2, waits.length - 1)] ?? 0),
        );
      }
      const at = new Date().toISOString();
      try {
        const answer = await this.#post(target, 'Notification', event, attempt - 1);
        status = answer.status;
        this.attempts.push({ eventId: event.id, eventType: event.eventType, attempt, at, status });
        if (status >= 200 && status < 300)
          return { eventId: event.id, delivered: true, status, attempts: attempt };
        if (!retryable(status)) break;
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
    let answer: { status: number; body: string };
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
