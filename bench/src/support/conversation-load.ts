import { deliverEvents, inParallel } from './event-grid-client.js';
import { benchPhone, inboundTextEvent, type WhatsAppEventGridEvent } from './whatsapp-events.js';

/** The customers of a load and what each one said, in order. */
export interface ConversationLoad {
  /** phone -> the texts sent, in order. */
  readonly sent: Map<string, string[]>;
  /** Deliveries that never got a 2xx (after Event Grid-like retries). */
  readonly undelivered: number;
  /** Every text of this load starts with `r<run>-`, so loads sharing customers are told apart. */
  readonly run: number;
}

/** Options of {@link runConversationLoad}. */
export interface ConversationLoadOptions {
  webhook: string;
  channelRegistrationId: string;
  customers: number;
  messagesPerCustomer: number;
  /** Separates the numbers (and texts) of loads sharing one store. */
  run: number;
  /** Use the numbers of another run (the same customers writing again); default `run`. */
  phoneRun?: number;
  /** Also delivers every event a second time (Event Grid's at-least-once). */
  duplicate?: boolean;
  /** Delivery attempts per event (Event Grid-like retries, ~0.5 s apart); default `deliverEvents`' 30. */
  deliveryAttempts?: number;
  /** Called before each delivery (to inject faults mid-stream). */
  beforeDelivery?: (index: number) => void | Promise<void>;
}

/**
 * `customers` customers, all at once, each sending `messagesPerCustomer` texts (`echo r<run>-c<customer>-m<n>`) one after
 * another (the next when the previous webhook call was answered, as a phone does), with Event Grid's retries.
 */
export async function runConversationLoad(options: ConversationLoadOptions): Promise<ConversationLoad> {
  const sent = new Map<string, string[]>();
  let undelivered = 0;
  let index = 0;
  const phones = Array.from({ length: options.customers }, (_, n) =>
    benchPhone(n, options.phoneRun ?? options.run),
  );
  await inParallel(phones, phones.length, async (phone, customer) => {
    const texts: string[] = [];
    sent.set(phone, texts);
    for (let n = 0; n < options.messagesPerCustomer; n++) {
      const text = `r${options.run}-c${customer}-m${n}`;
      const event: WhatsAppEventGridEvent = inboundTextEvent(phone, `echo ${text}`, {
        channelRegistrationId: options.channelRegistrationId,
      });
      texts.push(text);
      await options.beforeDelivery?.(index++);
      const first = await deliverEvents(
        options.webhook,
        [event],
        options.deliveryAttempts ? { maxAttempts: options.deliveryAttempts } : {},
      );
      if (first.status < 200 || first.status >= 300) undelivered += 1;
      if (options.duplicate) await deliverEvents(options.webhook, [event]);
    }
  });
  return { sent, undelivered, run: options.run };
}

/** For each customer whose replies to this load differ from `echo: <text>` per text sent, in order: what differs. */
export function answerMismatches(
  load: ConversationLoad,
  replies: (phone: string) => string[],
): { phone: string; expected: string[]; actual: string[] }[] {
  const mismatches: { phone: string; expected: string[]; actual: string[] }[] = [];
  for (const [phone, texts] of load.sent) {
    const expected = texts.map((text) => `echo: ${text}`);
    const actual = ofLoad(load, replies(phone));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push({ phone, expected, actual });
  }
  return mismatches;
}

/** Whether every customer has at least as many replies as texts sent. */
export function allAnswered(load: ConversationLoad, replies: (phone: string) => string[]): boolean {
  for (const [phone, texts] of load.sent)
    if (ofLoad(load, replies(phone)).length < texts.length) return false;
  return true;
}

/** The replies that answer texts of this load. */
function ofLoad(load: ConversationLoad, replies: readonly string[]): string[] {
  return replies.filter((reply) => reply.startsWith(`echo: r${load.run}-`));
}
