import { z } from 'zod';

const nonEmpty = z.string().min(1);
const recipients = z.array(nonEmpty).min(1);

const base = {
  channelRegistrationId: nonEmpty,
  to: recipients,
};

const templateValue = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), name: nonEmpty, text: z.string() }),
  z.strictObject({
    kind: z.literal('image'),
    name: nonEmpty,
    url: z.url(),
    caption: z.string().optional(),
    fileName: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('document'),
    name: nonEmpty,
    url: z.url(),
    caption: z.string().optional(),
    fileName: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('video'),
    name: nonEmpty,
    url: z.url(),
    caption: z.string().optional(),
    fileName: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('location'),
    name: nonEmpty,
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    locationName: z.string().optional(),
    address: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('quickAction'),
    name: nonEmpty,
    text: z.string().optional(),
    payload: z.string().optional(),
  }),
]);

const bindingComponent = z.strictObject({ refValue: nonEmpty });

const whatsAppBindings = z.strictObject({
  kind: z.literal('whatsApp'),
  header: z.array(bindingComponent).optional(),
  body: z.array(bindingComponent).optional(),
  footer: z.array(bindingComponent).optional(),
  buttons: z.array(z.strictObject({ subType: z.enum(['quickReply', 'url']), refValue: nonEmpty })).optional(),
});

const template = z
  .strictObject({
    name: nonEmpty,
    language: nonEmpty,
    values: z.array(templateValue).optional(),
    bindings: whatsAppBindings.optional(),
  })
  .superRefine((value, ctx) => {
    const names = new Set((value.values ?? []).map((v) => v.name));
    const bindings = value.bindings;
    if (!bindings) return;
    for (const section of ['header', 'body', 'footer', 'buttons'] as const) {
      (bindings[section] ?? []).forEach((binding, index) => {
        if (!names.has(binding.refValue)) {
          ctx.addIssue({
            code: 'custom',
            path: ['bindings', section, index, 'refValue'],
            message: `refValue '${binding.refValue}' names no template value`,
          });
        }
      });
    }
  });

/**
 * The `NotificationContent` kinds of api-version 2024-08-30 (`@azure-rest/communication-messages` 2.0.0):
 * text, image, document, video, audio, template, and the deprecated image_v0. Unknown top-level properties are
 * kept and ignored, as ACS ignores them (Microsoft's own SendDocument example sends `content`, which the
 * document kind does not have, and gets 202).
 */
export const notificationContentSchema = z.discriminatedUnion('kind', [
  z.looseObject({ ...base, kind: z.literal('text'), content: nonEmpty }),
  z.looseObject({ ...base, kind: z.literal('image'), mediaUri: z.url(), caption: z.string().optional() }),
  z.looseObject({ ...base, kind: z.literal('image_v0'), mediaUri: z.url(), content: z.string().optional() }),
  z.looseObject({
    ...base,
    kind: z.literal('document'),
    mediaUri: z.url(),
    caption: z.string().optional(),
    fileName: z.string().optional(),
  }),
  z.looseObject({ ...base, kind: z.literal('video'), mediaUri: z.url(), caption: z.string().optional() }),
  z.looseObject({ ...base, kind: z.literal('audio'), mediaUri: z.url() }),
  z.looseObject({ ...base, kind: z.literal('template'), template }),
]);

/** A validated send-notification request body. */
export type NotificationContent = z.infer<typeof notificationContentSchema>;

/** The `POST /sms` body (`SendMessageRequest`) that `@azure/communication-sms` sends. */
export const smsSendSchema = z.object({
  from: nonEmpty,
  smsRecipients: z
    .array(
      z.object({
        to: nonEmpty,
        repeatabilityRequestId: z.string().optional(),
        repeatabilityFirstSent: z.string().optional(),
      }),
    )
    .min(1),
  message: z.string(),
  smsSendOptions: z
    .strictObject({
      enableDeliveryReport: z.boolean().optional(),
      tag: z.string().optional(),
    })
    .optional(),
});

/** A validated SMS send request body. */
export type SmsSendRequest = z.infer<typeof smsSendSchema>;
