import type { FastifyBaseLogger, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { badRequest, HttpProblem } from '../problem.js';
import { createCredentialCheck, type EventGridAuth } from './auth.js';
import { type DedupeStore, InMemoryDedupeStore } from './dedupe-store.js';
import {
  CLOUDEVENTS_BATCH_MEDIA_TYPE,
  CLOUDEVENTS_MEDIA_TYPE,
  type Delivery,
  parseDelivery,
} from './delivery.js';
import type { ReceivedEvent } from './received-event.js';

// How the answers map onto Event Grid's delivery policy
// (https://learn.microsoft.com/azure/event-grid/delivery-and-retry):
// - only 200-204 count as delivered; every other status is a failure;
// - for webhooks Event Grid does NOT retry 400, 401, 403 and 413: the event is dead-lettered when the
//   subscription has a dead-letter destination, otherwise dropped. So those statuses are kept for requests
//   that can never succeed: a malformed body (400), missing or invalid credentials (401), a handshake from an
//   origin we refuse (403), a body over the limit (413);
// - everything else is retried with back-off (10 s, 30 s, 1 min, 5 min, ... up to the event's time to live;
//   at least 30 s after a 503). A failing handler therefore answers 500 and a transient condition 503, so the
//   event comes back instead of being lost.

/** The Event Grid schema event that carries the subscription validation handshake. */
export const SUBSCRIPTION_VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** What a handler gets besides the event. */
export interface EventContext {
  /** The delivery request (all events of a batch share it). */
  request: FastifyRequest;
  /** The request's logger, bound to `eventId` and `eventType`. Never log `event.data`: it holds personal data. */
  log: FastifyBaseLogger;
}

/**
 * Handles one event. Resolve once the event's effects are durable: the event is then marked done and never
 * handled again for this `source` + `id`. Throw to have Event Grid redeliver it later; throwing is never
 * turned into a permanent rejection, so a poison event is retried until Event Grid dead-letters or drops it.
 */
export type EventHandler = (event: ReceivedEvent, context: EventContext) => Promise<void>;

/** Options of {@link eventGridWebhook}. */
export interface EventGridWebhookOptions {
  /** The route path, e.g. `/api/events`; the same path answers POST deliveries and the OPTIONS handshake. */
  path: string;
  /** How deliveries authenticate; required, with at least one method. Applies to the handshakes too. */
  auth: EventGridAuth;
  /** Remembers handled events. Default: an {@link InMemoryDedupeStore} of 10 000 keys kept for 24 h. */
  dedupe?: DedupeStore;
  /** Called once per event, in delivery order. */
  handler: EventHandler;
  /**
   * Origins (`WebHook-Request-Origin`, e.g. `eventgrid.azure.net`) allowed by the CloudEvents handshake,
   * compared case-insensitively. Default: any origin, answered with the origin it sent.
   */
  allowedOrigins?: readonly string[];
  /** The largest accepted body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /**
   * How long a claim on an event holds while its handler runs, ms. Default 30 s, Event Grid's response timeout:
   * a handler still running then is retried by Event Grid anyway, and with a shared dedupe store a replica
   * killed mid-delivery blocks the event's redelivery (to any replica) no longer than that.
   */
  claimLeaseMs?: number;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Seconds Event Grid is asked to wait before redelivering an event that another attempt is still handling. */
const IN_PROGRESS_RETRY_AFTER_SECONDS = 30;

/**
 * A fastify plugin that receives Azure Event Grid webhook deliveries (Event Grid schema and CloudEvents 1.0):
 * it authenticates every request, answers both validation handshakes, parses and validates the events with
 * the SDK's `EventGridDeserializer`, and calls `handler` once per event, deduplicating redeliveries.
 * Errors are thrown as {@link HttpProblem}s (or a plain `Error` for a 500) for the app's problem+json handler.
 *
 * Register it with `app.register(eventGridWebhook, options)`; it stays encapsulated (its content-type parsers
 * for `application/cloudevents+json` and `application/cloudevents-batch+json` apply to its routes only).
 * Registration fails when `auth` configures no method.
 */
export const eventGridWebhook: FastifyPluginAsync<EventGridWebhookOptions> = async (app, options) => {
  const { path, handler } = options;
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new Error("eventGridWebhook: path must start with '/'");
  }
  if (typeof handler !== 'function') throw new Error('eventGridWebhook: handler must be a function');
  const checkCredentials = createCredentialCheck(options.auth ?? {});
  const dedupe = options.dedupe ?? new InMemoryDedupeStore({ max: 10_000, ttlMs: DAY_MS });
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
    throw new Error('eventGridWebhook: bodyLimit must be a positive integer');
  }
  const allowedOrigins =
    options.allowedOrigins && new Set(options.allowedOrigins.map((origin) => origin.toLowerCase()));

  for (const mediaType of [CLOUDEVENTS_MEDIA_TYPE, CLOUDEVENTS_BATCH_MEDIA_TYPE]) {
    // Only this plugin's context is affected; a parser inherited from the app is replaced here, not there.
    if (app.hasContentTypeParser(mediaType)) app.removeContentTypeParser(mediaType);
  }
  app.addContentTypeParser(
    [CLOUDEVENTS_MEDIA_TYPE, CLOUDEVENTS_BATCH_MEDIA_TYPE],
    { parseAs: 'string', bodyLimit },
    (_request, body, done) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body as string, rejectPrototypePoisoning);
      } catch (error) {
        // JSON.parse's message quotes the body, which may hold personal data: keep it out of the answer.
        done(error instanceof HttpProblem ? error : badRequest('The request body is not valid JSON.'));
        return;
      }
      done(null, parsed);
    },
  );

  const authenticate = async (request: FastifyRequest): Promise<void> => checkCredentials(request);

  // CloudEvents 1.0 abuse protection (https://github.com/cloudevents/spec/blob/v1.0/http-webhook.md#4-abuse-protection):
  // Event Grid sends OPTIONS with WebHook-Request-Origin and starts delivering once the answer carries
  // WebHook-Allowed-Origin. We always consent synchronously, so a WebHook-Request-Callback URL is never called.
  app.route({
    method: 'OPTIONS',
    url: path,
    onRequest: authenticate,
    handler: async (request, reply) => {
      const origin = firstHeader(request.headers['webhook-request-origin']);
      if (!origin) {
        throw badRequest('The CloudEvents validation handshake needs a WebHook-Request-Origin header.');
      }
      if (allowedOrigins && !allowedOrigins.has(origin.toLowerCase())) {
        // Consent is the WebHook-Allowed-Origin header, not the status; leaving it out refuses the origin.
        throw new HttpProblem(403, 'Forbidden', { detail: 'Deliveries from this origin are not accepted.' });
      }
      request.log.info({ origin }, 'CloudEvents webhook handshake accepted');
      return reply
        .code(200)
        .header('webhook-allowed-origin', origin)
        .header('webhook-allowed-rate', '*')
        .header('allow', 'POST, OPTIONS')
        .send();
    },
  });

  app.route({
    method: 'POST',
    url: path,
    bodyLimit,
    onRequest: authenticate,
    handler: async (request, reply) => {
      const delivery = await parseDelivery(request.body, request.headers['content-type']);
      const validationCode = subscriptionValidationCode(request, delivery);
      if (validationCode !== undefined) {
        // Answered synchronously; the event's validationUrl is never fetched (no outbound calls to URLs
        // taken from a request body).
        request.log.info(
          { eventId: delivery.events[0]?.id },
          'Event Grid subscription validation handshake accepted',
        );
        return reply.code(200).send({ validationResponse: validationCode });
      }
      await handleDelivery(delivery, request);
      return reply.code(200).send();
    },
  });

  async function handleDelivery(delivery: Delivery, request: FastifyRequest): Promise<void> {
    let handled = 0;
    let skipped = 0;
    for (const event of delivery.events) {
      const key = `${event.source}|${event.id}`;
      const log = request.log.child({ eventId: event.id, eventType: event.type });
      const claim = await dedupe.claim(key, options.claimLeaseMs ?? 30_000);
      if (claim === 'done') {
        log.debug('Event already handled; skipped');
        skipped++;
        continue;
      }
      if (claim === 'in-progress') {
        // Another attempt is handling this event right now (typically Event Grid retrying after its 30 s
        // response timeout while the first attempt still runs). Answering 2xx would acknowledge an event whose
        // handling may still fail: the first attempt would then release it, but Event Grid, told it was
        // delivered, would never send it again and the event would be lost. 503 makes Event Grid come back;
        // by then the event is done (skipped, 200) or released (handled again).
        log.info('Event is being handled by another delivery attempt; asking Event Grid to retry later');
        throw new HttpProblem(503, 'Service Unavailable', {
          detail: `Event ${event.id} is still being handled by an earlier delivery attempt; retry later.`,
          headers: { 'retry-after': String(IN_PROGRESS_RETRY_AFTER_SECONDS) },
        });
      }
      log.debug('Handling event');
      try {
        await handler(event, { request, log });
      } catch (error) {
        await releaseQuietly(key, log);
        // A handler's own 4xx problem (e.g. invalid event data) means the event can never succeed: answered as
        // it is (Event Grid does not redeliver 400), not as a 500 that Event Grid would retry until its TTL.
        if (error instanceof HttpProblem && error.status >= 400 && error.status < 500) throw error;
        // The app's error handler logs the error (with this one as its cause); this line adds the event.
        log.warn('Event handler failed; Event Grid will redeliver the event');
        throw new Error(`The handler failed for event ${event.id}`, { cause: error });
      }
      try {
        await dedupe.complete(key);
      } catch (error) {
        await releaseQuietly(key, log);
        throw error;
      }
      handled++;
    }
    request.log.info(
      { schema: delivery.schema, events: delivery.events.length, handled, skipped },
      'Event Grid delivery handled',
    );
  }

  async function releaseQuietly(key: string, log: FastifyBaseLogger): Promise<void> {
    try {
      await dedupe.release(key);
    } catch (error) {
      log.error(
        { err: error },
        'Could not release the event claim; it stays blocked until its lease expires',
      );
    }
  }
};

/**
 * The validation code when the request is Event Grid's subscription validation handshake
 * (`aeg-event-type: SubscriptionValidation` with one `Microsoft.EventGrid.SubscriptionValidationEvent`),
 * otherwise `undefined`. A half-formed handshake is a 400.
 */
function subscriptionValidationCode(request: FastifyRequest, delivery: Delivery): string | undefined {
  const announced =
    firstHeader(request.headers['aeg-event-type'])?.toLowerCase() === 'subscriptionvalidation';
  const validationEvents = delivery.events.filter(
    (event) => event.type === SUBSCRIPTION_VALIDATION_EVENT_TYPE,
  );
  if (!announced && validationEvents.length === 0) return undefined;
  const [event] = validationEvents;
  if (delivery.schema !== 'eventgrid' || delivery.events.length !== 1 || !event) {
    throw badRequest(
      `A subscription validation request must carry exactly one ${SUBSCRIPTION_VALIDATION_EVENT_TYPE}.`,
    );
  }
  const code = (event.data as { validationCode?: unknown } | null)?.validationCode;
  if (typeof code !== 'string' || code === '') {
    const message = 'must be a non-empty string';
    throw badRequest(`The validation event's data.validationCode ${message}.`, [
      { path: '[0].data.validationCode', message },
    ]);
  }
  return code;
}

/**
 * A `JSON.parse` reviver refusing `__proto__` and `constructor.prototype` keys, as fastify's own JSON parser
 * does by default, so the CloudEvents parsers are no weaker than the `application/json` one.
 */
function rejectPrototypePoisoning(key: string, value: unknown): unknown {
  const poisoned =
    key === '__proto__' ||
    (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value);
  if (poisoned) throw badRequest(`The request body contains a forbidden "${key}" property.`);
  return value;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
