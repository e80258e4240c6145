import type {
  MessageTemplate,
  MessageTemplateQuickAction,
  MessageTemplateText,
  MessageTemplateValue,
  TemplateNotificationContent,
  TextNotificationContent,
  WhatsAppMessageTemplateBindings,
} from '@azure-rest/communication-messages';
import type { EventDataOf } from '@omni/contracts';

/** WhatsApp's customer-service window: free-form messages are allowed this long after the customer's last message. */
export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The data of a `handoff.dispatched` event. */
export type HandoffDispatchedData = EventDataOf<'handoff.dispatched'>;

/** A `handoff.dispatched` field a template parameter can be filled from. */
export type TemplateParameterSource = 'customerName' | 'topic' | 'link';

/** The approved business-initiated template, from configuration. */
export interface HandoffTemplateConfig {
  /** Template name as approved in WhatsApp Manager, e.g. `continue_conversation`. */
  readonly name: string;
  /** Template language, e.g. `en_US`. */
  readonly language: string;
  /** The body parameters `{{1}}`, `{{2}}`... in order, each filled from a `handoff.dispatched` field. */
  readonly bodyParameters: readonly TemplateParameterSource[];
  /** Static payloads of the template's quick-reply buttons, in order (they come back as `button` messages). */
  readonly quickReplyPayloads?: readonly string[];
  /** Text used when a parameter's field is missing; defaults to {@link DEFAULT_PARAMETER_FALLBACKS}. */
  readonly fallbacks?: Partial<Record<Exclude<TemplateParameterSource, 'link'>, string>>;
}

/** Fallback parameter texts (WhatsApp rejects empty parameters). */
export const DEFAULT_PARAMETER_FALLBACKS: Readonly<Record<Exclude<TemplateParameterSource, 'link'>, string>> =
  {
    customerName: 'there',
    topic: 'your request',
  };

/** Where the customer stands in the customer-service window. */
export interface ServiceWindow {
  /** When the customer last wrote to us on WhatsApp (ISO date-time or Date), if ever. */
  readonly lastInboundAt: string | Date | undefined;
  /** The current time. */
  readonly now: Date;
}

/** What to send for a handoff notice on WhatsApp. */
export type HandoffNotice =
  | { readonly kind: 'template'; readonly to: string; readonly template: MessageTemplate }
  | { readonly kind: 'text'; readonly to: string; readonly content: string }
  | { readonly kind: 'none'; readonly reason: 'not-whatsapp' | 'no-whatsapp-number' | 'template-lacks-link' };

/** Whether a free-form message may be sent: the customer wrote less than 24 hours before `now`. */
export function isWithinServiceWindow(window: ServiceWindow): boolean {
  if (window.lastInboundAt === undefined) return false;
  const last = new Date(window.lastInboundAt).getTime();
  if (Number.isNaN(last)) return false;
  const age = window.now.getTime() - last;
  return age >= 0 && age < CUSTOMER_SERVICE_WINDOW_MS;
}

/**
 * A template parameter text: WhatsApp rejects empty parameters and parameters with new lines, tabs or more
 * than four consecutive spaces, so whitespace runs become one space and a blank value uses the fallback.
 */
function parameterText(value: string | undefined, fallback: string): string {
  const cleaned = (value ?? '').replace(/\s+/g, ' ').trim();
  return cleaned.length > 0 ? cleaned : fallback;
}

function templateFor(dispatched: HandoffDispatchedData, config: HandoffTemplateConfig): MessageTemplate {
  const fallbacks = { ...DEFAULT_PARAMETER_FALLBACKS, ...config.fallbacks };
  const values: MessageTemplateValue[] = [];
  const body: WhatsAppMessageTemplateBindings['body'] = [];
  const seen = new Set<string>();
  for (const source of config.bodyParameters) {
    // Value names must be unique; a field used twice binds the same value twice.
    if (!seen.has(source)) {
      seen.add(source);
      const text =
        source === 'link'
          ? parameterText(dispatched.link, 'the link we sent you')
          : parameterText(dispatched[source], fallbacks[source]);
      const value: MessageTemplateText = { kind: 'text', name: source, text };
      values.push(value);
    }
    body.push({ refValue: source });
  }
  const buttons: WhatsAppMessageTemplateBindings['buttons'] = [];
  (config.quickReplyPayloads ?? []).forEach((payload, index) => {
    const name = `quickReply${index + 1}`;
    const value: MessageTemplateQuickAction = { kind: 'quickAction', name, payload };
    values.push(value);
    buttons.push({ subType: 'quickReply', refValue: name });
  });
  const bindings: WhatsAppMessageTemplateBindings = {
    kind: 'whatsApp',
    ...(body.length > 0 ? { body } : {}),
    ...(buttons.length > 0 ? { buttons } : {}),
  };
  return {
    name: config.name,
    language: config.language,
    ...(values.length > 0 ? { values, bindings } : {}),
  };
}

function greeting(dispatched: HandoffDispatchedData): string {
  const name = dispatched.customerName?.replace(/\s+/g, ' ').trim();
  return name !== undefined && name.length > 0 ? `Hi ${name}` : 'Hi';
}

function textFor(dispatched: HandoffDispatchedData): string {
  const topic = dispatched.topic?.replace(/\s+/g, ' ').trim();
  const about = topic !== undefined && topic.length > 0 ? ` about ${topic}` : '';
  if (dispatched.toChannel === 'webchat') {
    return `${greeting(dispatched)}, you can continue our conversation${about} in web chat: ${dispatched.link ?? ''}`.trimEnd();
  }
  return `${greeting(dispatched)}, let's continue our conversation${about} here. Just reply to this message; you won't need to repeat anything.`;
}

/**
 * What to send on WhatsApp for a `handoff.dispatched` whose `deliveryChannel` is `whatsapp`:
 * inside the 24-hour customer-service window a plain text (with the web chat link when `toChannel` is
 * `webchat`); outside it the approved template, its body parameters filled from the event's `customerName`
 * / `topic` / `link` (fallbacks for missing ones) as SDK `values` (kind `text`) bound by WhatsApp `bindings`.
 * Returns `none` when the notice is not for WhatsApp, there is no number or BSUID to send to, or a web chat handoff
 * would go out as a template that carries no link.
 */
export function handoffNotice(
  dispatched: HandoffDispatchedData,
  window: ServiceWindow,
  templateConfig: HandoffTemplateConfig,
): HandoffNotice {
  if (dispatched.deliveryChannel !== 'whatsapp') return { kind: 'none', reason: 'not-whatsapp' };
  // A number when we have one; else the business-scoped user id, which ACS accepts as a recipient since June 2026.
  const to = dispatched.address.phone ?? dispatched.address.whatsappBsuid;
  if (to === undefined) return { kind: 'none', reason: 'no-whatsapp-number' };
  if (isWithinServiceWindow(window)) return { kind: 'text', to, content: textFor(dispatched) };
  if (dispatched.toChannel === 'webchat' && !templateConfig.bodyParameters.includes('link')) {
    return { kind: 'none', reason: 'template-lacks-link' };
  }
  return { kind: 'template', to, template: templateFor(dispatched, templateConfig) };
}

/** The `/messages/notifications:send` body for a notice, for `channelRegistrationId`. */
export function noticeRequestBody(
  notice: Extract<HandoffNotice, { kind: 'template' | 'text' }>,
  channelRegistrationId: string,
): TemplateNotificationContent | TextNotificationContent {
  return notice.kind === 'template'
    ? { kind: 'template', channelRegistrationId, to: [notice.to], template: notice.template }
    : { kind: 'text', channelRegistrationId, to: [notice.to], content: notice.content };
}

/** The text reply bodies for a reply split into parts (see `splitForWhatsApp`), in order. */
export function textRequestBodies(
  parts: readonly string[],
  to: string,
  channelRegistrationId: string,
): TextNotificationContent[] {
  return parts.map((content) => ({ kind: 'text', channelRegistrationId, to: [to], content }));
}
