import { z } from 'zod';
import { defineEvent } from '../envelope.js';
import {
  contactAddress,
  identifier,
  identityKeySchema,
  identityKeysOf,
  isoDateTime,
  MAX_TEXT_LENGTH,
} from '../values.js';

/** The channels whose webhooks enqueue inbound messages. */
export const InboundChannel = z.enum(['whatsapp', 'webchat']);

/** A channel whose webhook enqueues inbound messages. */
export type InboundChannel = z.infer<typeof InboundChannel>;

/** What an inbound message carries. */
export const MessageKind = z.enum(['text', 'button', 'interactive', 'media', 'reaction', 'unsupported']);

/** What an inbound message carries. */
export type MessageKind = z.infer<typeof MessageKind>;

/**
 * `message.received` (topic `inbound-messages`): a messaging webhook validated, deduped and enqueued a
 * customer message; the agent turn runs in the consumer. The customer is not resolved yet, so the
 * subject and session id are `senderKey`, the sender identity key.
 */
export const messageReceived = defineEvent(
  'message.received',
  z
    .object({
      channel: InboundChannel,
      providerMessageId: identifier,
      sender: contactAddress,
      /** The sender identity key (`phone:+1...`, `whatsapp-bsuid:...`, `webchat:...`); also the session id. */
      senderKey: identityKeySchema,
      kind: MessageKind,
      text: z.string().max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`).optional(),
      /** Button payload, interactive reply or web chat `value`, as sent. */
      payload: z.json().optional(),
      media: z
        .object({
          mimeType: z.string().min(1, 'must not be empty'),
          id: identifier.optional(),
          caption: z.string().max(MAX_TEXT_LENGTH).optional(),
        })
        .optional(),
      receivedAt: isoDateTime,
      /**
       * Web chat: where the reply goes, the Bot Framework conversation reference of the inbound activity
       * (the consumer answers through the Bot Connector at `serviceUrl`).
       */
      replyTo: z
        .object({
          serviceUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
          conversationId: z.string().min(1, 'must not be empty').max(512),
          activityId: z.string().min(1).max(512).optional(),
          botId: z.string().min(1).max(256).optional(),
          botName: z.string().max(256).optional(),
          locale: z.string().max(64).optional(),
        })
        .optional(),
    })
    .superRefine((data, ctx) => {
      const keys = identityKeysOf(data.sender);
      if (keys.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['sender'],
          input: data.sender,
          message: 'must have at least one of phone, whatsappBsuid, webchatUserId',
        });
        return;
      }
      if (
        data.channel === 'whatsapp' &&
        data.sender.phone === undefined &&
        data.sender.whatsappBsuid === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['sender'],
          input: data.sender,
          message: 'must have phone or whatsappBsuid on whatsapp',
        });
      }
      if (data.channel === 'webchat' && data.sender.webchatUserId === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['sender', 'webchatUserId'],
          input: data.sender.webchatUserId,
          message: 'is required on webchat',
        });
      }
      if (!keys.includes(data.senderKey)) {
        ctx.addIssue({
          code: 'custom',
          path: ['senderKey'],
          input: data.senderKey,
          message: 'must be the identity key of one of the sender fields',
        });
      }
      if (data.kind === 'text' && (data.text === undefined || data.text.length === 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          input: data.text,
          message: 'is required when kind is "text"',
        });
      }
      if (data.kind === 'media' && data.media === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['media'],
          input: data.media,
          message: 'is required when kind is "media"',
        });
      }
    }),
  { description: 'A messaging webhook enqueued a customer message.', subjectField: 'senderKey' },
);

/** The events published on the `inbound-messages` topic. */
export const inboundMessageEvents = [messageReceived] as const;
