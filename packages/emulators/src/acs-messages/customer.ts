import { randomUUID } from 'node:crypto';
import type {
  DeliveryAttempt,
  DeliveryResult,
  EventGridDeliverer,
  EventGridEvent,
  ReleaseOrder,
  WebhookTarget,
} from '../acs-common/event-grid.js';
import {
  SMS_DELIVERY_REPORT_RECEIVED,
  type SmsDeliveryReportReceivedData,
  type SmsFailureOptions,
  smsDeliveryReport,
  wantsDeliveryReport,
} from './sms-delivery.js';
import type { DeliveryStatus, MessageStore, RecordedAdvancedMessage, RecordedSms } from './store.js';
import { refusalOf, type WhatsAppTemplate } from './whatsapp-rules.js';

export const ADVANCED_MESSAGE_RECEIVED = 'Microsoft.Communication.AdvancedMessageReceived';
export const ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED =
  'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated';

/** `context` of a reply: the business message the customer answers. */
export interface MessageContext {
  from?: string;
  id?: string;
}

/** `media` of AdvancedMessageReceived. */
export interface MediaContent {
  mimeType: string;
  id: string;
  fileName?: string;
  caption?: string;
  animated?: boolean;
}

/** `interactive` of AdvancedMessageReceived. */
export type InteractiveContent =
  | { type: 'buttonReply'; buttonReply: { id?: string; title?: string } }
  | { type: 'listReply'; listReply: { id?: string; title?: string; description?: string } };

/** The documented `data` of a `Microsoft.Communication.AdvancedMessageReceived` event. */
export interface AdvancedMessageReceivedData {
  channelType: 'whatsapp';
  messageId: string;
  messageType: string;
  from: string;
  /** Documented since the WhatsApp username rollout; only present when the sender has one set. */
  fromBSUID?: string;
  to: string;
  receivedTimestamp: string;
  content?: string;
  media?: MediaContent;
  context?: MessageContext;
  button?: { text?: string; payload?: string };
  interactive?: InteractiveContent;
  reaction?: { messageId: string; emoji?: string };
}

/** The documented `data` of a `Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated` event. */
export interface AdvancedMessageDeliveryStatusUpdatedData {
  channelType: 'whatsapp';
  messageId: string;
  status: DeliveryStatus;
  from: string;
  to: string;
  /** The recipient's business-scoped user id, when WhatsApp knows one (documented with the username rollout). */
  toBSUID?: string;
  receivedTimestamp: string;
  error?: { channelCode?: string; channelMessage?: string };
}

/** What the simulated customer can send. A string is a text message. */
export type CustomerMessage =
  | string
  | { text: string; context?: MessageContext }
  | { button: { text?: string; payload?: string }; context?: MessageContext }
  | {
      media: Omit<MediaContent, 'id'> & { id?: string };
      /** Default: from the MIME type (image, video, audio, else document). */
      messageType?: 'image' | 'document' | 'video' | 'audio' | 'sticker';
      context?: MessageContext;
    }
  | { interactive: InteractiveContent; context?: MessageContext }
  | { reaction: { messageId: string; emoji?: string } };

/** Options of {@link SimulatedCustomer.send}. */
export interface CustomerSendOptions {
  /** The sender's business-scoped user id (WhatsApp usernames), sent as `fromBSUID`. */
  fromBSUID?: string;
}

/** How a simulated delivery failure looks. */
export interface FailureOptions {
  /** Emit `Sent` before `Failed` (the message left, then bounced). Default false: only `Failed`. */
  afterSent?: boolean;
  /** WhatsApp error code. Default `131026` (message undeliverable). */
  channelCode?: string;
  channelMessage?: string;
}

/** Options of {@link SimulatedCustomer.connect}. */
export interface ConnectOptions {
  /** Appended to the URL as a query parameter (Event Grid's "client secret as a query parameter"). */
  secret?: string;
  /** The query parameter for `secret`. Default `code`. */
  secretParam?: string;
  /** Sent as `Authorization: Bearer <token>` on every request (stands in for an Entra-protected webhook). */
  bearer?: string;
}

/** The result of an inbound message: the event and how its delivery went. */
export interface InboundResult {
  readonly event: EventGridEvent<AdvancedMessageReceivedData>;
  readonly delivery: DeliveryResult;
}

interface Dependencies {
  readonly channelRegistrationId: string;
  readonly topic: string;
  readonly deliverer: EventGridDeliverer;
  readonly store: MessageStore;
  readonly autoDeliveryStatus: boolean;
  /** The approved templates WhatsApp checks template sends against. */
  readonly templates: readonly WhatsAppTemplate[];
  /** The time source of the 24-hour window. */
  readonly now: () => number;
}

function digitsOf(phone: string): string {
  return phone.replace(/\D/g, '');
}

function messageTypeOf(mimeType: string): 'image' | 'video' | 'audio' | 'document' {
  if (mimeType.startsWith('image/')) return 'image';
  if (mimeType.startsWith('video/')) return 'video';
  if (mimeType.startsWith('audio/')) return 'audio';
  return 'document';
}

/**
 * The customer's phone: sends WhatsApp messages to the business (AdvancedMessageReceived events to the
 * webhook) and acknowledges the business's messages (DeliveryStatusUpdated: Sent, Delivered, Read, Failed).
 */
export class SimulatedCustomer {
  readonly #deps: Dependencies;
  #target: WebhookTarget | undefined;
  readonly #events = new Map<string, EventGridEvent>();
  #chain: Promise<unknown> = Promise.resolve();
  readonly #failNext: FailureOptions[] = [];
  readonly #smsFailures: SmsFailureOptions[] = [];
  #failAfter: { remaining: number; options: FailureOptions } | undefined;
  /** number (digits only) -> business-scoped user id. */
  readonly #bsuids = new Map<string, string>();
  /** sender (number digits or BSUID) -> when they last wrote, for the 24-hour customer-service window. */
  readonly #lastInbound = new Map<string, number>();

  constructor(deps: Dependencies) {
    this.#deps = deps;
  }

  /**
   * Gives the WhatsApp user with this number a business-scoped user id: status updates of messages sent to the
   * number (or to the BSUID) carry `toBSUID`, as WhatsApp's do once a user has one.
   */
  setBsuid(phone: string, bsuid: string): void {
    this.#bsuids.set(digitsOf(phone), bsuid);
  }

  #bsuidOf(recipient: string): string | undefined {
    const known = this.#bsuids.get(digitsOf(recipient));
    if (known !== undefined) return known;
    return [...this.#bsuids.values()].includes(recipient) ? recipient : undefined;
  }

  /** Whether a webhook is connected. */
  get connected(): boolean {
    return this.#target !== undefined;
  }

  /**
   * Subscribes `webhookUrl`: runs the Event Grid validation handshake (throws when the endpoint does not echo
   * the validation code), then sends every later event there.
   */
  async connect(webhookUrl: string, options: ConnectOptions = {}): Promise<void> {
    const url = new URL(webhookUrl);
    if (options.secret !== undefined) url.searchParams.set(options.secretParam ?? 'code', options.secret);
    const target: WebhookTarget = {
      url: url.toString(),
      ...(options.bearer === undefined ? {} : { bearer: options.bearer }),
    };
    await this.#deps.deliverer.validate(target, this.#deps.topic);
    this.#target = target;
  }

  /** Stops sending events (they are still built and recorded). */
  disconnect(): void {
    this.#target = undefined;
  }

  #event<T>(eventType: string, subject: string, data: T): EventGridEvent<T> {
    const event: EventGridEvent<T> = {
      id: randomUUID(),
      topic: this.#deps.topic,
      subject,
      data,
      eventType,
      dataVersion: '1.0',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    };
    this.#events.set(event.id, event);
    return event;
  }

  async #deliver(event: EventGridEvent): Promise<DeliveryResult> {
    const target = this.#target;
    if (target === undefined) return { eventId: event.id, delivered: false, attempts: 0 };
    return this.#deps.deliverer.deliver(target, event);
  }

  /** Queues work behind earlier events, so the webhook sees events in the order they happened. */
  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(work, work);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** The customer (`from`, an E.164 number such as `+14255550123`) sends a message to the business. */
  send(from: string, message: CustomerMessage, options: CustomerSendOptions = {}): Promise<InboundResult> {
    const data: AdvancedMessageReceivedData = {
      channelType: 'whatsapp',
      messageId: randomUUID(),
      messageType: 'text',
      from,
      ...(options.fromBSUID === undefined ? {} : { fromBSUID: options.fromBSUID }),
      to: this.#deps.channelRegistrationId,
      receivedTimestamp: new Date().toISOString(),
    };
    if (typeof message === 'string') {
      data.content = message;
    } else if ('text' in message) {
      data.content = message.text;
      if (message.context) data.context = message.context;
    } else if ('button' in message) {
      data.messageType = 'button';
      data.button = message.button;
      if (message.context) data.context = message.context;
    } else if ('media' in message) {
      data.messageType = message.messageType ?? messageTypeOf(message.media.mimeType);
      data.media = { ...message.media, id: message.media.id ?? randomUUID() };
      if (message.context) data.context = message.context;
    } else if ('interactive' in message) {
      data.messageType = 'interactive';
      data.interactive = message.interactive;
      if (message.context) data.context = message.context;
    } else {
      data.messageType = 'reaction';
      data.reaction = message.reaction;
    }
    const now = this.#deps.now();
    if (from !== '') this.#lastInbound.set(digitsOf(from), now);
    if (options.fromBSUID !== undefined) this.#lastInbound.set(options.fromBSUID, now);
    const subject = `advancedMessage/sender/${options.fromBSUID ?? from}/recipient/${this.#deps.channelRegistrationId}`;
    const event = this.#event(ADVANCED_MESSAGE_RECEIVED, subject, data);
    return this.#enqueue(async () => ({ event, delivery: await this.#deliver(event) }));
  }

  #status(
    message: RecordedAdvancedMessage,
    status: DeliveryStatus,
    error?: AdvancedMessageDeliveryStatusUpdatedData['error'],
  ): Promise<DeliveryResult> {
    message.statuses.push(status);
    const data: AdvancedMessageDeliveryStatusUpdatedData = {
      channelType: 'whatsapp',
      messageId: message.messageId,
      status,
      from: this.#deps.channelRegistrationId,
      to: message.to,
      ...(this.#bsuidOf(message.to) === undefined ? {} : { toBSUID: this.#bsuidOf(message.to) }),
      receivedTimestamp: new Date().toISOString(),
      ...(error ? { error } : {}),
    };
    const event = this.#event(
      ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
      `advancedMessage/${message.messageId}/status/${status}`,
      data,
    );
    return this.#enqueue(() => this.#deliver(event));
  }

  /** The next outbound message fails (each call queues one more failure). */
  failNext(options: FailureOptions = {}): void {
    this.#failNext.push(options);
  }

  /** After `count` more outbound messages succeed, every later one fails until {@link clearFailures}. */
  failAfter(count: number, options: FailureOptions = {}): void {
    this.#failAfter = { remaining: count, options };
  }

  /** Forgets queued and standing failures. */
  clearFailures(): void {
    this.#failNext.length = 0;
    this.#failAfter = undefined;
  }

  #nextFailure(): FailureOptions | undefined {
    const queued = this.#failNext.shift();
    if (queued) return queued;
    if (this.#failAfter === undefined) return undefined;
    if (this.#failAfter.remaining > 0) {
      this.#failAfter.remaining--;
      return undefined;
    }
    return this.#failAfter.options;
  }

  /** When the recipient of an outbound message last wrote (by number or BSUID), if ever. */
  #lastInboundOf(recipient: string): number | undefined {
    const times = [
      this.#lastInbound.get(digitsOf(recipient)),
      this.#lastInbound.get(recipient),
      this.#lastInbound.get(this.#bsuidOf(recipient) ?? ''),
    ].filter((time): time is number => time !== undefined);
    return times.length === 0 ? undefined : Math.max(...times);
  }

  /**
   * Called for each outbound message the emulator accepted: emits Sent, Delivered (or Failed). What WhatsApp
   * refuses (outside the 24-hour window, unknown template, wrong parameters, text over 4096 characters) fails
   * with WhatsApp's error code, whatever the failure settings.
   */
  outbound(message: RecordedAdvancedMessage): void {
    const refusal = refusalOf(message.body, {
      lastInboundAt: this.#lastInboundOf(message.to),
      now: this.#deps.now(),
      templates: this.#deps.templates,
    });
    if (refusal !== undefined) {
      void this.#status(message, 'Failed', refusal);
      return;
    }
    if (!this.#deps.autoDeliveryStatus) return;
    const failure = this.#nextFailure();
    if (failure === undefined) {
      void this.#status(message, 'Sent');
      void this.#status(message, 'Delivered');
      return;
    }
    if (failure.afterSent) void this.#status(message, 'Sent');
    void this.#status(message, 'Failed', {
      channelCode: failure.channelCode ?? '131026',
      channelMessage: failure.channelMessage ?? 'Message Undeliverable.',
    });
  }

  /**
   * Called for each SMS the emulator accepted: when the sender asked for a delivery report, emits an
   * `SMSDeliveryReportReceived` (Delivered, or Failed after {@link failNextSms}).
   */
  smsOutbound(sms: RecordedSms): void {
    if (!this.#deps.autoDeliveryStatus || !wantsDeliveryReport(sms)) return;
    const data = smsDeliveryReport(sms, this.#smsFailures.shift());
    const event = this.#event<SmsDeliveryReportReceivedData>(
      SMS_DELIVERY_REPORT_RECEIVED,
      `/phonenumber/${data.from}`,
      data,
    );
    void this.#enqueue(() => this.#deliver(event));
  }

  /**
   * Holds every event from now on instead of delivering it, until {@link releaseEvents}: Event Grid does not
   * keep order, and a test makes it not keep order here.
   */
  holdEvents(): void {
    this.#deps.deliverer.hold();
  }

  /** Delivers the held events in `order` (`'reverse'`, or a function that orders them). */
  releaseEvents(order: ReleaseOrder = 'in-order'): Promise<DeliveryResult[]> {
    return this.#deps.deliverer.release(order);
  }

  /** The next SMS fails to deliver (each call queues one more failure). */
  failNextSms(options: SmsFailureOptions = {}): void {
    this.#smsFailures.push(options);
  }

  /** The customer reads an outbound message: emits `Read`. Throws for an unknown WhatsApp message id. */
  read(messageId: string): Promise<DeliveryResult> {
    const message = this.#deps.store.get(messageId);
    if (message?.channel !== 'whatsapp') throw new Error(`No outbound WhatsApp message ${messageId}`);
    return this.#status(message, 'Read');
  }

  /** Emits a status of choice for an outbound message (e.g. a late `Failed`). */
  status(messageId: string, status: DeliveryStatus, error?: FailureOptions): Promise<DeliveryResult> {
    const message = this.#deps.store.get(messageId);
    if (message?.channel !== 'whatsapp') throw new Error(`No outbound WhatsApp message ${messageId}`);
    return this.#status(
      message,
      status,
      status === 'Failed'
        ? {
            channelCode: error?.channelCode ?? '131026',
            channelMessage: error?.channelMessage ?? 'Message Undeliverable.',
          }
        : undefined,
    );
  }

  /** Delivers an already emitted event again, same id and body (a duplicate delivery). */
  redeliver(eventId: string): Promise<DeliveryResult> {
    const event = this.#events.get(eventId);
    if (event === undefined) throw new Error(`No event ${eventId}`);
    return this.#enqueue(() => this.#deliver(event));
  }

  /** Every event built so far (delivered or not), oldest first. */
  events(): EventGridEvent[] {
    return [...this.#events.values()];
  }

  /** Every HTTP attempt to the webhook, handshakes and retries included, oldest first. */
  deliveries(): DeliveryAttempt[] {
    return [...this.#deps.deliverer.attempts];
  }

  /** Resolves once every queued event has been delivered (or given up on). */
  async idle(): Promise<void> {
    let current: Promise<unknown>;
    do {
      current = this.#chain;
      await current;
    } while (current !== this.#chain);
  }

  /** Forgets events, attempts and failures; stays connected. */
  reset(): void {
    this.#events.clear();
    this.#lastInbound.clear();
    this.#deps.deliverer.attempts.length = 0;
    this.clearFailures();
    this.#smsFailures.length = 0;
  }
}
