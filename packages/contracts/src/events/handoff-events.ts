import { z } from 'zod';
import { defineEvent } from '../envelope.js';
import {
  Channel,
  type ContactAddress,
  collectedData,
  contactAddress,
  customerId,
  identifier,
  isoDateTime,
  MAX_TEXT_LENGTH,
} from '../values.js';

const text = z.string().max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`);
const reason = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
const shortText = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

function hasAnyAddress(address: ContactAddress): boolean {
  return (
    address.phone !== undefined || address.whatsappBsuid !== undefined || address.webchatUserId !== undefined
  );
}

/** Where the customer should be reached on the target channel; at least one field. */
const handoffAddress = contactAddress.refine(hasAnyAddress, {
  message: 'must have at least one of phone, whatsappBsuid, webchatUserId',
});

/** What every handoff outcome names: which handoff, whose, and the channel it was moving to. */
const handoffOutcome = { handoffId: identifier, customerId, toChannel: Channel } as const;

/**
 * `handoff.requested` (topic `handoff-events`): a channel asks to move the customer to another channel.
 * Carries everything the next channel needs so the customer repeats nothing.
 */
export const handoffRequested = defineEvent(
  'handoff.requested',
  z
    .object({
      handoffId: identifier,
      customerId,
      fromChannel: Channel,
      toChannel: Channel,
      reason,
      summary: text,
      collectedData,
      address: handoffAddress.optional(),
      customerName: shortText.optional(),
      topic: shortText.optional(),
      requestedAt: isoDateTime,
    })
    .superRefine((data, ctx) => {
      if (data.toChannel === data.fromChannel) {
        ctx.addIssue({
          code: 'custom',
          path: ['toChannel'],
          input: data.toChannel,
          message: 'must differ from fromChannel',
        });
      }
    }),
  { description: 'A channel asked to move the customer to another channel.', subjectField: 'customerId' },
);

/**
 * The channel a handoff notice travels on: a web chat link goes out by WhatsApp or SMS; any other target
 * is notified on itself.
 */
export function allowedDeliveryChannels(toChannel: Channel): readonly Channel[] {
  return toChannel === 'webchat' ? ['whatsapp', 'sms'] : [toChannel];
}

/**
 * `handoff.dispatched` (topic `handoff-events`): the router validated and recorded a handoff and tells the
 * adapter of `deliveryChannel` to notify the customer (template message, or a web chat `link`).
 */
export const handoffDispatched = defineEvent(
  'handoff.dispatched',
  z
    .object({
      handoffId: identifier,
      customerId,
      fromChannel: Channel,
      toChannel: Channel,
      /** How the notice travels: `whatsapp` or `sms` for a web chat link, otherwise `toChannel`. */
      deliveryChannel: Channel,
      address: handoffAddress,
      /** The web chat link carrying the one-time handoff token; required when `toChannel` is `webchat`. */
      link: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
      tokenExpiresAt: isoDateTime,
      customerName: shortText.optional(),
      topic: shortText.optional(),
      dispatchedAt: isoDateTime,
    })
    .superRefine((data, ctx) => {
      if (data.toChannel === data.fromChannel) {
        ctx.addIssue({
          code: 'custom',
          path: ['toChannel'],
          input: data.toChannel,
          message: 'must differ from fromChannel',
        });
      }
      const allowed = allowedDeliveryChannels(data.toChannel);
      if (!allowed.includes(data.deliveryChannel)) {
        ctx.addIssue({
          code: 'custom',
          path: ['deliveryChannel'],
          input: data.deliveryChannel,
          message: `must be ${allowed.map((channel) => `"${channel}"`).join(' or ')} when toChannel is "${data.toChannel}"`,
        });
      }
      if (data.toChannel === 'webchat' && data.link === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['link'],
          input: data.link,
          message: 'is required when toChannel is "webchat"',
        });
      }
      if (
        data.deliveryChannel === 'whatsapp' &&
        data.address.phone === undefined &&
        data.address.whatsappBsuid === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['address'],
          input: data.address,
          message: 'must have phone or whatsappBsuid when deliveryChannel is "whatsapp"',
        });
      }
      if (
        (data.deliveryChannel === 'sms' || data.deliveryChannel === 'voice') &&
        data.address.phone === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['address', 'phone'],
          input: data.address.phone,
          message: `is required when deliveryChannel is "${data.deliveryChannel}"`,
        });
      }
    }),
  {
    description: 'The router recorded a handoff and asks an adapter to notify the customer.',
    subjectField: 'customerId',
  },
);

/** `handoff.delivered` (topic `handoff-events`): the provider confirmed the handoff notice reached the customer. */
export const handoffDelivered = defineEvent(
  'handoff.delivered',
  z.object({
    ...handoffOutcome,
    providerMessageId: identifier,
    deliveredAt: isoDateTime,
  }),
  { description: 'The handoff notice was delivered to the customer.', subjectField: 'customerId' },
);

/** `handoff.completed` (topic `handoff-events`): the customer arrived on the target channel. */
export const handoffCompleted = defineEvent(
  'handoff.completed',
  z.object({
    ...handoffOutcome,
    completedAt: isoDateTime,
    /** From `handoff.requested` to the customer's first message on the target channel. */
    switchLatencyMs: z.number().nonnegative(),
  }),
  { description: 'The customer arrived on the target channel.', subjectField: 'customerId' },
);

/** `handoff.expired` (topic `handoff-events`): the handoff token expired before the customer arrived. */
export const handoffExpired = defineEvent(
  'handoff.expired',
  z.object({
    ...handoffOutcome,
    expiredAt: isoDateTime,
  }),
  { description: 'The handoff expired before the customer arrived.', subjectField: 'customerId' },
);

/** `handoff.failed` (topic `handoff-events`): the handoff could not be carried out (e.g. the template send failed). */
export const handoffFailed = defineEvent(
  'handoff.failed',
  z.object({
    ...handoffOutcome,
    reason,
    /** Whether trying again may succeed (provider throttling) or not (invalid number). */
    retryable: z.boolean(),
    failedAt: isoDateTime,
  }),
  { description: 'The handoff failed.', subjectField: 'customerId' },
);

/** The router's saga timers; today only `expiry` (the handoff's token expires). */
export const HandoffTimer = z.enum(['expiry']);

/** A saga timer of the router. */
export type HandoffTimer = z.infer<typeof HandoffTimer>;

/**
 * `handoff.timer.elapsed` (topic `handoff-events`): internal to the channel-router. Published as a
 * **scheduled** Service Bus message when a handoff is dispatched and delivered at `dueAt`, so a router
 * restart still expires pending handoffs. Stale timers (the handoff completed meanwhile) are ignored.
 */
export const handoffTimerElapsed = defineEvent(
  'handoff.timer.elapsed',
  z.object({
    ...handoffOutcome,
    timer: HandoffTimer,
    dueAt: isoDateTime,
  }),
  { description: 'A channel-router saga timer fell due (internal).', subjectField: 'customerId' },
);

/** The events published on the `handoff-events` topic. */
export const handoffEvents = [
  handoffRequested,
  handoffDispatched,
  handoffDelivered,
  handoffCompleted,
  handoffExpired,
  handoffFailed,
  handoffTimerElapsed,
] as const;
