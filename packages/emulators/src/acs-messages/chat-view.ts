import type { EventGridEvent } from '../acs-common/event-grid.js';
import type { AdvancedMessageReceivedData } from './customer.js';
import { ADVANCED_MESSAGE_RECEIVED } from './customer.js';
import type { NotificationContent } from './schemas.js';
import type { DeliveryStatus, RecordedAdvancedMessage } from './store.js';

/** An approved WhatsApp template as the business registered it with Meta: what the customer sees. */
export interface ApprovedTemplate {
  readonly name: string;
  readonly language: string;
  /** The body with positional parameters `{{1}}`, `{{2}}`, ... */
  readonly body: string;
  /** Quick-reply buttons, in order. */
  readonly quickReplies: readonly string[];
}

/**
 * The templates the local channel "has approved": the ones the platform's defaults name. A template the catalog
 * does not know is still accepted and shown by its name and values (Meta would reject it; the emulator does not
 * pretend to know every business's templates).
 */
export const APPROVED_TEMPLATES: readonly ApprovedTemplate[] = [
  {
    name: 'continue_conversation',
    language: 'en_US',
    body: 'Hi {{1}}, this is Contoso support. You asked to continue here about {{2}}. Just reply to this message: we have everything you told us, so there is no need to repeat it.',
    quickReplies: ['Continue here', 'Call me back instead'],
  },
  {
    name: 'continue_in_webchat',
    language: 'en_US',
    body: 'Hi {{1}}, you can continue your conversation about {{2}} in our web chat: {{3}} (the link works once and expires in 15 minutes).',
    quickReplies: [],
  },
];

/** One bubble of the simulated WhatsApp chat, in the customer's point of view. */
export interface ChatEntry {
  /** `in`: the customer wrote to the business; `out`: the business wrote to the customer. */
  readonly direction: 'in' | 'out';
  /** The WhatsApp message id. */
  readonly id: string;
  readonly at: string;
  /** `text`, `template`, `button`, `interactive`, `image`, ... */
  readonly kind: string;
  /** What the customer sees. */
  readonly text: string;
  /** The template name, for template messages. */
  readonly template?: string;
  /** Quick-reply buttons the customer can tap (templates). */
  readonly buttons?: readonly string[];
  /** The latest delivery status of an outbound message. */
  readonly status?: DeliveryStatus;
}

function digits(address: string): string {
  return address.replace(/\D/g, '');
}

/** Whether `recipient` (as the business addressed it) and `address` (number or BSUID) are the same user. */
function sameUser(recipient: string, address: string): boolean {
  if (recipient === address) return true;
  const a = digits(recipient);
  return a.length > 0 && !/[A-Za-z]/.test(recipient) && !/[A-Za-z]/.test(address) && a === digits(address);
}

/** What a template looks like to the customer: the approved body with its values, and its buttons. */
export function renderTemplate(
  template: Extract<NotificationContent, { kind: 'template' }>['template'],
  catalog: readonly ApprovedTemplate[] = APPROVED_TEMPLATES,
): { text: string; buttons: string[] } {
  const values = new Map((template.values ?? []).map((value) => [value.name, value]));
  const bodyValues = (template.bindings?.body ?? []).map((binding) => {
    const value = values.get(binding.refValue);
    return value?.kind === 'text' ? value.text : '';
  });
  const approved = catalog.find((t) => t.name === template.name && t.language === template.language);
  if (approved === undefined) {
    const shown = bodyValues.filter((v) => v.length > 0).join(' · ');
    return { text: `[template ${template.name}] ${shown}`.trim(), buttons: [] };
  }
  const text = approved.body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => bodyValues[Number(n) - 1] ?? '');
  return { text, buttons: [...approved.quickReplies] };
}

function outboundText(body: NotificationContent): { text: string; buttons?: string[]; template?: string } {
  switch (body.kind) {
    case 'text':
      return { text: body.content };
    case 'template': {
      const rendered = renderTemplate(body.template);
      return { ...rendered, template: body.template.name };
    }
    case 'image':
    case 'video':
      return { text: `[${body.kind}] ${body.caption ?? ''}`.trim() };
    case 'document':
      return { text: `[document] ${body.fileName ?? body.caption ?? ''}`.trim() };
    default:
      return { text: `[${body.kind}]` };
  }
}

function inboundText(data: AdvancedMessageReceivedData): string {
  if (data.content !== undefined) return data.content;
  if (data.button !== undefined) return data.button.text ?? data.button.payload ?? '[button]';
  if (data.interactive !== undefined) {
    const reply =
      data.interactive.type === 'buttonReply' ? data.interactive.buttonReply : data.interactive.listReply;
    return reply.title ?? '[reply]';
  }
  if (data.media !== undefined)
    return `[${data.messageType}] ${data.media.caption ?? data.media.fileName ?? ''}`.trim();
  if (data.reaction !== undefined) return data.reaction.emoji ?? '[reaction]';
  return `[${data.messageType}]`;
}

/**
 * The chat between the business and one WhatsApp user (`address`: an E.164 number or a BSUID), oldest first:
 * the user's messages from the emitted events and the business's from the accepted sends.
 */
export function chatWith(
  address: string,
  events: readonly EventGridEvent[],
  outbound: readonly RecordedAdvancedMessage[],
): ChatEntry[] {
  const entries: ChatEntry[] = [];
  for (const event of events) {
    if (event.eventType !== ADVANCED_MESSAGE_RECEIVED) continue;
    const data = event.data as AdvancedMessageReceivedData;
    const mine = (data.from !== '' && sameUser(data.from, address)) || data.fromBSUID === address;
    if (!mine) continue;
    entries.push({
      direction: 'in',
      id: data.messageId,
      at: data.receivedTimestamp,
      kind: data.messageType,
      text: inboundText(data),
    });
  }
  for (const message of outbound) {
    if (!sameUser(message.to, address)) continue;
    const { text, buttons, template } = outboundText(message.body);
    const status = message.statuses.at(-1);
    entries.push({
      direction: 'out',
      id: message.messageId,
      at: message.receivedAt,
      kind: message.kind,
      text,
      ...(template === undefined ? {} : { template }),
      ...(buttons === undefined || buttons.length === 0 ? {} : { buttons }),
      ...(status === undefined ? {} : { status }),
    });
  }
  // Stable: a reply recorded in the same millisecond as its message stays after it.
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}
