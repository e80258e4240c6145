import { createEvent, type OmniEvent } from '@omni/contracts';
import type { CustomerContextStore } from '@omni/customer-context';
import {
  badRequest,
  createServiceApp,
  type DedupeStore,
  type EventGridAuth,
  type EventHandler,
  eventGridAuthFrom,
  eventGridWebhook,
  MemorySeenSet,
  type SeenSet,
} from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Config } from './config.js';
import {
  ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
  ADVANCED_MESSAGE_RECEIVED,
  deliveryMessageId,
  deliveryOutcome,
  deliveryRecipient,
  inboundEventFromEventGrid,
  SMS_DELIVERY_REPORT_RECEIVED,
  smsDeliveryOutcome,
  smsReportMessageId,
} from './domain/index.js';
import type { HandoffMessageRecord, HandoffMessageStore } from './handoff-messages.js';

/** How many number/BSUID pairs the webhook remembers as linked before it starts over (a bound, not a cache). */
const MAX_LINKED_PAIRS = 10_000;

/** The `source` of every event this service publishes. */
export const SOURCE = '/apps/whatsapp-adapter';

/** Port: publishes platform events (the messaging `EventPublisher`). */
export interface Publisher {
  publish(event: OmniEvent): Promise<void>;
  publishAll(events: readonly OmniEvent[]): Promise<void>;
}

/** What the whatsapp-adapter needs; `server.ts` wires the real ones, tests pass their own. */
export interface WhatsAppAdapterDeps {
  config: Config;
  logger?: Logger;
  publisher: Publisher;
  /** messageId -> handoff of sent handoff notices. */
  handoffMessages: HandoffMessageStore;
  /** Links a recipient's BSUID to their number from delivery statuses; without it nothing is linked. */
  identities?: Pick<CustomerContextStore, 'resolveCustomer'>;
  /** Readiness checks (e.g. the consumers' `readinessCheck`), by name. */
  readiness?: Record<string, () => Promise<unknown>>;
  /** Dedupe of Event Grid deliveries; default in memory (service-kit), shared (Redis) when wired with REDIS_URL. */
  dedupe?: DedupeStore;
  /** Number/BSUID pairs already linked; default in memory, shared (Redis) when wired with REDIS_URL. */
  linked?: SeenSet;
  /** Overrides the auth derived from the config (tests with Entra keys). */
  auth?: EventGridAuth;
}

/** The webhook's auth from the configuration: shared secret and / or Entra. */
export function eventGridAuthOf(config: Config): EventGridAuth {
  return eventGridAuthFrom(config);
}

/** Counts inbound messages that could not be used, by reason (`whatsapp_inbound_rejected_total`). */
export function inboundRejectedCounter(registry: Registry): Counter<'reason'> {
  const existing = registry.getSingleMetric('whatsapp_inbound_rejected_total');
  if (existing) return existing as Counter<'reason'>;
  return new Counter({
    name: 'whatsapp_inbound_rejected_total',
    help: 'Inbound WhatsApp messages answered 400 because no retry could make them usable, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
}

/**
 * The Event Grid handler: an inbound message is validated and enqueued on `inbound-messages` (session = the
 * sender) and answered at once; a delivery status of a handoff notice becomes `handoff.delivered` / `handoff.failed`.
 * An inbound message that can never be used (no usable sender, another channel, malformed) is counted and
 * answered 400, which Event Grid does not retry (it dead-letters the event when the subscription has a
 * dead-letter destination); never a silent 200.
 */
export function eventGridHandler(
  deps: Pick<WhatsAppAdapterDeps, 'config' | 'publisher' | 'handoffMessages' | 'identities' | 'linked'> & {
    rejected?: Pick<Counter<'reason'>, 'inc'>;
  },
): EventHandler {
  const { config, publisher, handoffMessages, identities, rejected } = deps;
  // Every status of every message to a user names the same number and BSUID: link each pair once (per
  // deployment with a shared set; linking again is harmless, only a wasted Cosmos call).
  const linked = deps.linked ?? new MemorySeenSet(MAX_LINKED_PAIRS);
  return async (event, { log }) => {
    if (event.type === ADVANCED_MESSAGE_RECEIVED) {
      // Mapped and validated once: the event is built straight from the payload (no data-then-event re-parse).
      const result = inboundEventFromEventGrid(
        event,
        (data) => ({
          source: SOURCE,
          correlationId: event.id,
          // The WhatsApp message id: the broker's duplicate detection drops a re-publish after a restart.
          id: `whatsapp:${data.providerMessageId}`,
        }),
        { defaultRegion: config.DEFAULT_PHONE_REGION },
      );
      if (!result.ok) {
        log.warn(
          { eventId: event.id, reason: result.reason, detail: result.message },
          'inbound message rejected',
        );
        rejected?.inc({ reason: result.reason });
        throw badRequest(`The AdvancedMessageReceived event ${event.id} cannot be used: ${result.message}.`);
      }
      await publisher.publish(result.event);
      return;
    }
    if (event.type === ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED) {
      // A status may race the answer of the send it belongs to: let handoff sends in flight finish first.
      await handoffMessages.settled();
      const recipient = deliveryRecipient(event.data, config.DEFAULT_PHONE_REGION);
      const pair = recipient === undefined ? undefined : `${recipient.phone}|${recipient.whatsappBsuid}`;
      if (
        recipient !== undefined &&
        pair !== undefined &&
        identities !== undefined &&
        !(await linked.has(pair))
      ) {
        // WhatsApp names the BSUID of a number we wrote to: link it, so the user is still recognised when
        // they later write with their number hidden behind a username.
        await identities.resolveCustomer(
          { kind: 'phone', value: recipient.phone },
          { alsoKnownAs: [{ kind: 'whatsapp-bsuid', value: recipient.whatsappBsuid }] },
        );
        await linked.add(pair);
      }
      const messageId = deliveryMessageId(event.data);
      const ref: HandoffMessageRecord | undefined =
        messageId === undefined ? undefined : await handoffMessages.lookup(messageId);
      const outcome = deliveryOutcome(event, () => ref);
      if (outcome === undefined) return;
      const options = {
        source: SOURCE,
        correlationId: ref?.correlationId ?? outcome.data.handoffId,
        // One event per handoff and outcome: a delivered and a read receipt are the same news.
        id: `whatsapp:${outcome.type}:${outcome.data.handoffId}`,
      };
      const published =
        outcome.type === 'handoff.delivered'
          ? createEvent('handoff.delivered', outcome.data, options)
          : createEvent('handoff.failed', outcome.data, options);
      await publisher.publish(published);
      log.info(
        { eventId: event.id, handoffId: outcome.data.handoffId, type: outcome.type },
        'handoff delivery status',
      );
      return;
    }
    if (event.type === SMS_DELIVERY_REPORT_RECEIVED) {
      // A report may race the answer of the send it belongs to: let sends in flight finish first.
      await handoffMessages.settled();
      const messageId = smsReportMessageId(event.data);
      const ref = messageId === undefined ? undefined : await handoffMessages.lookup(messageId);
      const outcome = smsDeliveryOutcome(event, () => ref);
      if (outcome === undefined) return;
      const options = {
        source: SOURCE,
        correlationId: ref?.correlationId ?? outcome.data.handoffId,
        id: `sms:${outcome.type}:${outcome.data.handoffId}`,
      };
      await publisher.publish(
        outcome.type === 'handoff.delivered'
          ? createEvent('handoff.delivered', outcome.data, options)
          : createEvent('handoff.failed', outcome.data, options),
      );
      log.info(
        { eventId: event.id, handoffId: outcome.data.handoffId, type: outcome.type },
        'handoff SMS delivery report',
      );
      return;
    }
    log.debug({ eventId: event.id, eventType: event.type }, 'event type ignored');
  };
}

/** Receives WhatsApp messages from ACS Advanced Messaging (Event Grid), runs agent turns and replies; sends handoff templates. */
export function buildApp(deps: WhatsAppAdapterDeps): FastifyInstance {
  const app = createServiceApp({
    service: 'whatsapp-adapter',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  for (const [name, check] of Object.entries(deps.readiness ?? {})) app.readiness.register(name, check);
  app.register(eventGridWebhook, {
    path: '/api/events',
    auth: deps.auth ?? eventGridAuthOf(deps.config),
    handler: eventGridHandler({ ...deps, rejected: inboundRejectedCounter(app.metrics.registry) }),
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    ...(deps.dedupe ? { dedupe: deps.dedupe } : {}),
  });
  return app;
}
