import {
  type CreateEventOptions,
  createEvent,
  type EventDataOf,
  type EventOfType,
  EventParseError,
  InvalidPhoneError,
  identityKey,
  MAX_TEXT_LENGTH,
  type MessageKind,
  messageReceived,
  normalizePhone,
} from '@omni/contracts';

/** The Event Grid event type of an inbound Advanced Messaging message. */
export const ADVANCED_MESSAGE_RECEIVED = 'Microsoft.Communication.AdvancedMessageReceived';

/** A region code accepted by `normalizePhone` (ISO 3166-1 alpha-2, e.g. `'GB'`). */
export type PhoneRegion = NonNullable<Parameters<typeof normalizePhone>[1]>;

/** The parts of a received Event Grid event (service-kit `ReceivedEvent`) this mapping reads. */
export interface InboundEventLike {
  /** The event type; must be {@link ADVANCED_MESSAGE_RECEIVED}. */
  readonly type: string;
  /** The event payload as delivered (wire shape, see service-kit `AdvancedMessageReceivedEventData`). */
  readonly data: unknown;
  /** The event time, used when the payload carries no `receivedTimestamp`. */
  readonly time?: Date | undefined;
  /** The Event Grid event id, the provider message id when the payload carries no `messageId`. */
  readonly id?: string | undefined;
}

/** Prefix of a provider message id taken from the Event Grid event id (the payload had no `messageId`). */
export const EVENT_ID_MESSAGE_PREFIX = 'eventgrid:';

/** Options of {@link inboundFromEventGrid}. */
export interface InboundOptions {
  /** Region used for a sender number that is not valid in international form (e.g. `'GB'`). */
  readonly defaultRegion?: PhoneRegion | undefined;
}

/** Why an inbound event could not be turned into a `message.received`. Messages never contain PII. */
export type InboundRejectionReason =
  | 'wrong-event-type'
  | 'unsupported-channel'
  | 'malformed'
  | 'invalid-sender'
  | 'missing-message-id'
  | 'missing-timestamp'
  | 'text-too-long';

/** A rejected inbound event (answer 400 / drop and log; never enqueue). */
export interface InboundRejection {
  readonly ok: false;
  readonly reason: InboundRejectionReason;
  /** What is wrong, safe to log (no message text, no full phone number). */
  readonly message: string;
}

/** The data of a `message.received` event. */
export type MessageReceivedData = EventDataOf<'message.received'>;

/** The result of {@link inboundFromEventGrid}. */
export type InboundResult = { readonly ok: true; readonly data: MessageReceivedData } | InboundRejection;

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: JsonRecord | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' ? value : undefined;
}

function reject(reason: InboundRejectionReason, message: string): InboundRejection {
  return { ok: false, reason, message };
}

/** The media message types of Advanced Messaging. */
const MEDIA_TYPES = new Set(['image', 'document', 'video', 'audio']);

/** How many senders' numbers {@link senderPhoneFrom} remembers before it starts over (a bound on memory). */
const MAX_REMEMBERED_SENDERS = 10_000;
/** `from` + region -> the E.164 number, or `null` when it is not a valid number. Numbers are not logged. */
const rememberedSenders = new Map<string, string | null>();

/**
 * Reads the sender's WhatsApp number into E.164. WhatsApp sends the full international number, usually
 * without `+` (`447911123456`), so the number is first read as international; only when that is not a valid
 * number is it read as a national number of `defaultRegion`. A customer writes many messages from one number:
 * the answer for a `from` is remembered (libphonenumber's full-metadata parse is the costliest step of ingest).
 */
export function senderPhoneFrom(from: string, defaultRegion?: PhoneRegion): string | undefined {
  const key = `${defaultRegion ?? ''}|${from}`;
  const remembered = rememberedSenders.get(key);
  if (remembered !== undefined) return remembered ?? undefined;
  const phone = readSenderPhone(from, defaultRegion);
  if (rememberedSenders.size >= MAX_REMEMBERED_SENDERS) rememberedSenders.clear();
  rememberedSenders.set(key, phone ?? null);
  return phone;
}

function readSenderPhone(from: string, defaultRegion?: PhoneRegion): string | undefined {
  const trimmed = from.trim();
  if (trimmed.length === 0) return undefined;
  const international = trimmed.startsWith('+') ? trimmed : `+${trimmed}`;
  try {
    return normalizePhone(international);
  } catch (error) {
    if (!(error instanceof InvalidPhoneError)) throw error;
  }
  if (defaultRegion === undefined || trimmed.startsWith('+')) return undefined;
  try {
    return normalizePhone(trimmed, defaultRegion);
  } catch (error) {
    if (!(error instanceof InvalidPhoneError)) throw error;
    return undefined;
  }
}

function receivedAtOf(data: JsonRecord, time: Date | undefined): string | undefined {
  const stamp = stringField(data, 'receivedTimestamp');
  if (stamp !== undefined) {
    const parsed = new Date(stamp);
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  if (time !== undefined && !Number.isNaN(time.getTime())) return time.toISOString();
  return undefined;
}

interface Content {
  kind: MessageKind;
  text?: string;
  payload?: JsonRecord;
  media?: { mimeType: string; id?: string; caption?: string };
}

/** Drops `undefined` values so the payload is valid JSON for `z.json()`. */
function compact(record: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}

function interactiveContent(data: JsonRecord): Content {
  const interactive = isRecord(data.interactive) ? data.interactive : undefined;
  if (interactive === undefined) return { kind: 'unsupported' };
  const declared = (stringField(interactive, 'type') ?? '').replace(/_/g, '').toLowerCase();
  const button = isRecord(interactive.buttonReply) ? interactive.buttonReply : undefined;
  const list = isRecord(interactive.listReply) ? interactive.listReply : undefined;
  // `type` says which reply it is (`buttonReply` / `listReply`); fall back to whichever object is present.
  const useList =
    declared === 'listreply' || (declared !== 'buttonreply' && list !== undefined && button === undefined);
  const reply = useList ? list : button;
  if (reply === undefined) return { kind: 'unsupported' };
  const title = stringField(reply, 'title');
  const payload = compact({
    type: useList ? 'listReply' : 'buttonReply',
    id: stringField(reply, 'id'),
    title,
    description: useList ? stringField(reply, 'description') : undefined,
  });
  return title !== undefined && title.length > 0
    ? { kind: 'interactive', text: title, payload }
    : { kind: 'interactive', payload };
}

function contentOf(data: JsonRecord, messageType: string): Content {
  switch (messageType) {
    case 'text': {
      const text = stringField(data, 'content');
      return text !== undefined && text.trim().length > 0 ? { kind: 'text', text } : { kind: 'unsupported' };
    }
    case 'button': {
      const button = isRecord(data.button) ? data.button : undefined;
      if (button === undefined) return { kind: 'unsupported' };
      const text = stringField(button, 'text');
      const payload = compact({ text, payload: stringField(button, 'payload') });
      return text !== undefined && text.length > 0
        ? { kind: 'button', text, payload }
        : { kind: 'button', payload };
    }
    case 'interactive':
      return interactiveContent(data);
    case 'reaction': {
      const reaction = isRecord(data.reaction) ? data.reaction : undefined;
      if (reaction === undefined) return { kind: 'unsupported' };
      return {
        kind: 'reaction',
        payload: compact({
          messageId: stringField(reaction, 'messageId'),
          emoji: stringField(reaction, 'emoji'),
        }),
      };
    }
    default: {
      if (!MEDIA_TYPES.has(messageType)) return { kind: 'unsupported' };
      const media = isRecord(data.media) ? data.media : undefined;
      const mimeType = stringField(media, 'mimeType');
      if (mimeType === undefined || mimeType.length === 0) return { kind: 'unsupported' };
      const id = stringField(media, 'id');
      const caption = stringField(media, 'caption');
      return {
        kind: 'media',
        media: {
          mimeType,
          ...(id !== undefined && id.length > 0 ? { id } : {}),
          ...(caption !== undefined && caption.length > 0 ? { caption } : {}),
        },
      };
    }
  }
}

/** A WhatsApp business-scoped user id: an ISO country code, a dot, up to 128 letters and digits. */
export const BSUID_PATTERN = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;

type Sender =
  | { readonly ok: true; readonly phone?: string; readonly whatsappBsuid?: string }
  | InboundRejection;

/**
 * The sender: `from` (the number, which WhatsApp leaves empty or null for a user who hides it behind a
 * username) and `fromBSUID` (the business-scoped user id). At least one must be usable; an unusable number
 * next to a valid BSUID is ignored rather than rejected.
 */
function senderOf(data: JsonRecord, defaultRegion: PhoneRegion | undefined): Sender {
  const from = data.from;
  if (from !== undefined && from !== null && typeof from !== 'string') {
    return reject('malformed', 'data.from must be a string');
  }
  const rawBsuid = data.fromBSUID;
  if (rawBsuid !== undefined && rawBsuid !== null && typeof rawBsuid !== 'string') {
    return reject('malformed', 'data.fromBSUID must be a string');
  }
  const bsuid =
    typeof rawBsuid === 'string' && BSUID_PATTERN.test(rawBsuid.trim()) ? rawBsuid.trim() : undefined;
  const hasNumber = typeof from === 'string' && from.trim().length > 0;
  const phone = hasNumber ? senderPhoneFrom(from, defaultRegion) : undefined;
  if (phone === undefined && bsuid === undefined) {
    if (hasNumber) return reject('invalid-sender', 'data.from is not a valid phone number');
    return typeof rawBsuid === 'string' && rawBsuid.trim().length > 0
      ? reject('invalid-sender', 'data.fromBSUID is not a valid business-scoped user id')
      : reject('invalid-sender', 'data.from is empty and there is no data.fromBSUID');
  }
  return {
    ok: true,
    ...(phone !== undefined ? { phone } : {}),
    ...(bsuid !== undefined ? { whatsappBsuid: bsuid } : {}),
  };
}

/**
 * Maps a delivered `Microsoft.Communication.AdvancedMessageReceived` event (wire shape: `from`, `to`,
 * `messageId`, `messageType`, `receivedTimestamp`, `channelType`, and `content` / `button` / `interactive` /
 * `media` / `reaction`) to the data of a `message.received` event, validated against the contract.
 *
 * - `text` -> kind `text`; `button` (template quick reply) -> kind `button` with `{ text, payload }`;
 *   `interactive` (button or list reply) -> kind `interactive` with `{ type, id, title, description? }` and
 *   the title as text; `image` / `document` / `video` / `audio` -> kind `media`; `reaction` -> kind
 *   `reaction` with `{ messageId, emoji }`; anything else (or a known type missing its content) -> `unsupported`.
 * - The sender number is normalised to E.164 (WhatsApp omits the `+`); `fromBSUID`, when present, becomes
 *   `sender.whatsappBsuid`. `senderKey` is `whatsapp-bsuid:<id>` when there is a BSUID, else `phone:+E164`; a
 *   sender with neither a valid number nor a valid BSUID is rejected.
 * - `receivedAt` is `receivedTimestamp`, else the event time.
 * - `providerMessageId` is `messageId`, else `eventgrid:<event id>` (the published examples have no
 *   `messageId`); a missing `messageType` with text `content` is a text message.
 *
 * Pure: no I/O, never throws for bad input (returns a rejection).
 */
export function inboundFromEventGrid(event: InboundEventLike, options: InboundOptions = {}): InboundResult {
  const candidate = candidateOf(event, options);
  if (!candidate.ok) return candidate;
  const parsed = messageReceived.data.safeParse(candidate.data);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || 'data').join(', ');
    return reject('malformed', `does not fit message.received (${fields})`);
  }
  return { ok: true, data: parsed.data };
}

/** The result of {@link inboundEventFromEventGrid}. */
export type InboundEventResult =
  | { readonly ok: true; readonly event: EventOfType<'message.received'> }
  | InboundRejection;

/**
 * The webhook's path: {@link inboundFromEventGrid}, but the `message.received` event itself, validated once
 * (by `createEvent`) instead of the data first and the whole event again. Same rejections.
 */
export function inboundEventFromEventGrid(
  event: InboundEventLike,
  envelope: (data: MessageReceivedData) => CreateEventOptions,
  options: InboundOptions = {},
): InboundEventResult {
  const candidate = candidateOf(event, options);
  if (!candidate.ok) return candidate;
  try {
    return { ok: true, event: createEvent('message.received', candidate.data, envelope(candidate.data)) };
  } catch (error) {
    if (!(error instanceof EventParseError)) throw error;
    const fields = error.issues.map((issue) => issue.path.replace(/^data\.?/, '') || 'data').join(', ');
    return reject('malformed', `does not fit message.received (${fields})`);
  }
}

/** The data of a `message.received`, assembled from the event but not yet checked against the contract. */
function candidateOf(
  event: InboundEventLike,
  options: InboundOptions,
): { readonly ok: true; readonly data: MessageReceivedData } | InboundRejection {
  if (event.type !== ADVANCED_MESSAGE_RECEIVED) {
    return reject('wrong-event-type', `expected ${ADVANCED_MESSAGE_RECEIVED}`);
  }
  const data = event.data;
  if (!isRecord(data)) return reject('malformed', 'event data must be an object');
  const channelType = stringField(data, 'channelType');
  if (channelType !== undefined && channelType.toLowerCase() !== 'whatsapp') {
    return reject('unsupported-channel', 'channelType must be "whatsapp"');
  }
  const sender = senderOf(data, options.defaultRegion);
  if (!sender.ok) return sender;
  const { phone, whatsappBsuid } = sender;
  // Microsoft's published examples carry no `messageId`. The Event Grid event id is as stable across Event
  // Grid's redeliveries, so it keys the dedupe just as well.
  const messageId = stringField(data, 'messageId');
  const providerMessageId =
    messageId !== undefined && messageId.length > 0
      ? messageId
      : event.id !== undefined && event.id.length > 0
        ? `${EVENT_ID_MESSAGE_PREFIX}${event.id}`
        : undefined;
  if (providerMessageId === undefined) {
    return reject('missing-message-id', 'neither data.messageId nor an event id');
  }
  const receivedAt = receivedAtOf(data, event.time);
  if (receivedAt === undefined) return reject('missing-timestamp', 'no receivedTimestamp and no event time');
  // Published examples of a text message carry no `messageType` either: text content means text.
  const messageType = (
    stringField(data, 'messageType') ?? (typeof data.content === 'string' ? 'text' : '')
  ).toLowerCase();
  const content = contentOf(data, messageType);
  if (content.text !== undefined && content.text.length > MAX_TEXT_LENGTH) {
    return reject('text-too-long', `message text is longer than ${MAX_TEXT_LENGTH} characters`);
  }
  const candidate = {
    channel: 'whatsapp' as const,
    providerMessageId,
    sender: {
      ...(phone !== undefined ? { phone } : {}),
      ...(whatsappBsuid !== undefined ? { whatsappBsuid } : {}),
    },
    // The BSUID when there is one: it stays the same when the user hides or shows their number.
    senderKey:
      whatsappBsuid !== undefined
        ? identityKey({ kind: 'whatsapp-bsuid', value: whatsappBsuid })
        : identityKey({ kind: 'phone', value: phone as string }),
    kind: content.kind,
    ...(content.text !== undefined ? { text: content.text } : {}),
    ...(content.payload !== undefined ? { payload: content.payload } : {}),
    ...(content.media !== undefined ? { media: content.media } : {}),
    receivedAt,
  };
  return { ok: true, data: candidate as MessageReceivedData };
}
