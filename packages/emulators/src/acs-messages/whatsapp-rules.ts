import type { NotificationContent } from './schemas.js';

/** WhatsApp's customer-service window: free-form messages only this long after the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** WhatsApp's maximum text message body, in characters. */
export const MAX_TEXT_LENGTH = 4096;

/** An approved WhatsApp message template, as registered in WhatsApp Manager. */
export interface WhatsAppTemplate {
  readonly name: string;
  /** Language code, e.g. `en_US`. A template exists per language. */
  readonly language: string;
  /** How many `{{n}}` parameters its body has. */
  readonly bodyParameters: number;
  /** How many parameters its header has. Default 0. */
  readonly headerParameters?: number;
  /** How many quick-reply buttons take a payload. Default 0. */
  readonly quickReplyButtons?: number;
}

/**
 * The templates the platform's local setup uses (the whatsapp-adapter's defaults): `continue_conversation`
 * (customer name, topic) and `continue_in_webchat` (customer name, topic, link), both `en_US`.
 */
export const DEFAULT_WHATSAPP_TEMPLATES: readonly WhatsAppTemplate[] = [
  { name: 'continue_conversation', language: 'en_US', bodyParameters: 2 },
  { name: 'continue_in_webchat', language: 'en_US', bodyParameters: 3 },
];

/** Why WhatsApp refuses a message: its error code and title, as the Failed delivery status carries them. */
export interface WhatsAppRefusal {
  readonly channelCode: string;
  readonly channelMessage: string;
}

/**
 * What WhatsApp (behind ACS) refuses of an accepted send: ACS answers 202, then the message fails with a
 * `Failed` delivery status carrying WhatsApp's error code. `lastInboundAt` is when the recipient last wrote
 * (ms), if ever.
 */
export function refusalOf(
  body: NotificationContent,
  context: { lastInboundAt: number | undefined; now: number; templates: readonly WhatsAppTemplate[] },
): WhatsAppRefusal | undefined {
  if (body.kind === 'template') return templateRefusal(body.template, context.templates);
  if (context.lastInboundAt === undefined || context.now - context.lastInboundAt >= SERVICE_WINDOW_MS) {
    return {
      channelCode: '131047',
      channelMessage:
        'Re-engagement message: more than 24 hours have passed since the recipient last replied to this number.',
    };
  }
  if (body.kind === 'text' && [...body.content].length > MAX_TEXT_LENGTH) {
    return {
      channelCode: '100',
      channelMessage: `Invalid parameter: text body longer than ${MAX_TEXT_LENGTH} characters.`,
    };
  }
  return undefined;
}

type TemplateRequest = Extract<NotificationContent, { kind: 'template' }>['template'];

function templateRefusal(
  template: TemplateRequest,
  templates: readonly WhatsAppTemplate[],
): WhatsAppRefusal | undefined {
  const approved = templates.find(
    (candidate) => candidate.name === template.name && candidate.language === template.language,
  );
  if (approved === undefined) {
    return {
      channelCode: '132001',
      channelMessage: `Template name does not exist in the translation: ${template.name} (${template.language}).`,
    };
  }
  const bindings = template.bindings;
  const counts = {
    body: bindings?.body?.length ?? 0,
    header: bindings?.header?.length ?? 0,
    buttons: bindings?.buttons?.filter((button) => button.subType === 'quickReply').length ?? 0,
  };
  if (
    counts.body !== approved.bodyParameters ||
    counts.header !== (approved.headerParameters ?? 0) ||
    counts.buttons !== (approved.quickReplyButtons ?? 0)
  ) {
    return {
      channelCode: '132000',
      channelMessage: 'Number of parameters does not match the expected number of params.',
    };
  }
  const values = new Map((template.values ?? []).map((value) => [value.name, value]));
  for (const binding of [...(bindings?.header ?? []), ...(bindings?.body ?? [])]) {
    const value = values.get(binding.refValue);
    if (value?.kind !== 'text') continue;
    if (value.text.trim() === '') {
      return {
        channelCode: '131008',
        channelMessage: 'Required parameter is missing: an empty template parameter.',
      };
    }
    if (/[\n\t]| {5,}/.test(value.text)) {
      return {
        channelCode: '132018',
        channelMessage:
          'Template parameters cannot hold new lines, tabs or more than four consecutive spaces.',
      };
    }
  }
  return undefined;
}
