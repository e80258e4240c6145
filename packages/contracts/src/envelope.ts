import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EventParseError } from './event-parse-error.js';
import { isoDateTime } from './values.js';

/** The `dataVersion` every event is published with today. */
export const DEFAULT_DATA_VERSION = '1.0';

const DATA_VERSION_PATTERN = /^(\d+)\.(\d+)$/;

/**
 * Schemas of the envelope fields every event shares (CloudEvents-shaped). Lengths follow Service Bus:
 * `id` becomes the message id and `correlationId` the correlation id, both at most 128 characters.
 */
export const envelopeFields = {
  /** Unique per event; also the Service Bus `messageId`, so duplicate detection and dedupe use it. */
  id: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  /** Who published the event, e.g. `/apps/whatsapp-adapter`. */
  source: z
    .string()
    .min(1, 'must not be empty')
    .max(256, 'must be at most 256 characters')
    .regex(/^\S+$/, 'must not contain whitespace'),
  /** When the event happened, ISO 8601 with an offset. */
  time: isoDateTime,
  /**
   * What the event is about: the customerId for customer events; the agent id, queue name or sender
   * identity key for the few events that are not about a known customer.
   */
  subject: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  /** Shared by every event of one journey (one call, one handoff...). */
  correlationId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'),
  /** The id of the event that caused this one, or null for a journey's first event. */
  causationId: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').nullable(),
  /** Version of the `data` schema, `<major>.<minor>`. */
  dataVersion: z.string().regex(DATA_VERSION_PATTERN, 'must look like "1.0"'),
} as const;

/**
 * Options of {@link defineEvent}.
 *
 * @typeParam TData - the event's data type
 */
export interface EventOptions<TData> {
  /** One line on what the event means; shown in the catalogue. */
  readonly description: string;
  /**
   * The data field the envelope `subject` must equal (`customerId` for customer events). `createEvent`
   * defaults `subject` from it and the schema rejects an event whose subject differs. Leave it out for
   * events whose subject is not in their data; `createEvent` then requires an explicit subject.
   */
  readonly subjectField?: StringFieldOf<TData>;
  /** `<major>.<minor>` of the data schema; defaults to {@link DEFAULT_DATA_VERSION}. */
  readonly dataVersion?: string;
}

/** The names of the string fields of `T`. */
export type StringFieldOf<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends string ? K : never;
}[keyof T] &
  string;

function envelopeSchemaOf<TType extends string, TData extends z.ZodType>(type: TType, data: TData) {
  return z.object({
    id: envelopeFields.id,
    type: z.literal(type),
    source: envelopeFields.source,
    time: envelopeFields.time,
    subject: envelopeFields.subject,
    correlationId: envelopeFields.correlationId,
    causationId: envelopeFields.causationId,
    dataVersion: envelopeFields.dataVersion,
    data,
  });
}

/** The Zod schema of a whole event (envelope + data) of type `TType`. */
export type EventSchema<TType extends string, TData extends z.ZodType> = ReturnType<
  typeof envelopeSchemaOf<TType, TData>
>;

/**
 * An event type: its name, data schema, whole-event schema and envelope rules. Made by {@link defineEvent}.
 *
 * @typeParam TType - the event type, e.g. `'handoff.requested'`
 * @typeParam TData - the Zod schema of its `data`
 */
export interface EventDefinition<TType extends string = string, TData extends z.ZodType = z.ZodType> {
  /** The event type, e.g. `'handoff.requested'`. */
  readonly type: TType;
  /** Schema of the event's `data`. */
  readonly data: TData;
  /** Schema of the whole event: envelope, `type` literal, `data`, and the subject rule. */
  readonly schema: EventSchema<TType, TData>;
  /** The data field the subject must equal, if any. */
  readonly subjectField: string | undefined;
  /** The `dataVersion` this code publishes. */
  readonly dataVersion: string;
  /** One line on what the event means. */
  readonly description: string;
}

/**
 * The shape of every event: a CloudEvents-like envelope around `data`.
 *
 * @typeParam TType - the event type
 * @typeParam TData - the data type
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** Unique id; also the Service Bus message id. */
  readonly id: string;
  /** The event type. */
  readonly type: TType;
  /** Who published it, e.g. `/apps/voice-adapter`. */
  readonly source: string;
  /** When it happened (ISO 8601 with offset). */
  readonly time: string;
  /** What it is about (customerId, agent id, queue name or sender identity key). */
  readonly subject: string;
  /** Shared by all events of one journey. */
  readonly correlationId: string;
  /** The id of the event that caused this one, or null. */
  readonly causationId: string | null;
  /** Version of the data schema. */
  readonly dataVersion: string;
  /** The payload. */
  readonly data: TData;
}

/**
 * Defines an event type: returns its {@link EventDefinition}, whose `schema` validates the whole event.
 * The schema accepts any `dataVersion` with the same major version (a newer minor only adds optional
 * fields, which older consumers strip), and, with `subjectField`, requires `subject === data[subjectField]`.
 *
 * @param type - the event type, `<entity>.<past-tense verb>`, e.g. `'handoff.requested'`
 * @param data - the Zod object schema of the event's data
 * @param options - description, subject rule and data version
 */
export function defineEvent<const TType extends string, TData extends z.ZodType<Record<string, unknown>>>(
  type: TType,
  data: TData,
  options: EventOptions<z.output<TData>>,
): EventDefinition<TType, TData> {
  const dataVersion = options.dataVersion ?? DEFAULT_DATA_VERSION;
  const major = DATA_VERSION_PATTERN.exec(dataVersion)?.[1];
  if (major === undefined) throw new Error(`defineEvent(${type}): dataVersion must look like "1.0"`);
  const subjectField = options.subjectField;

  const schema = envelopeSchemaOf(type, data).superRefine((parsed, ctx) => {
    // The generic data type hides the fields from the checker; they are validated by now.
    const event = parsed as unknown as EventEnvelope<string, Record<string, unknown>>;
    if (DATA_VERSION_PATTERN.exec(event.dataVersion)?.[1] !== major) {
      ctx.addIssue({
        code: 'custom',
        path: ['dataVersion'],
        input: event.dataVersion,
        message: `must have major version ${major} (this consumer reads ${dataVersion})`,
      });
    }
    if (subjectField !== undefined && event.subject !== event.data[subjectField]) {
      ctx.addIssue({
        code: 'custom',
        path: ['subject'],
        input: event.subject,
        message: `must equal data.${subjectField}`,
      });
    }
  });

  return { type, data, schema, subjectField, dataVersion, description: options.description };
}

/** Envelope values for building an event; the rest is defaulted. */
export interface CreateEventOptions {
  /** Who publishes the event, e.g. `/apps/whatsapp-adapter`. */
  readonly source: string;
  /** The journey's correlation id (usually the triggering event's). */
  readonly correlationId: string;
  /** The id of the event that caused this one; defaults to null. */
  readonly causationId?: string | null;
  /** Defaults to the data field named by the event's `subjectField`; required when it has none. */
  readonly subject?: string;
  /** Defaults to `crypto.randomUUID()`. */
  readonly id?: string;
  /** Defaults to now. */
  readonly time?: string | Date;
}

function isoTimeOf(time: string | Date | undefined): string {
  if (time === undefined) return new Date().toISOString();
  if (typeof time === 'string') return time;
  return Number.isNaN(time.getTime()) ? 'Invalid Date' : time.toISOString();
}

/**
 * Builds and validates an event of the given definition. Most code calls `createEvent(type, ...)`, which
 * looks the definition up by type; this is the same for a definition in hand.
 *
 * @throws {@link EventParseError} (code `invalid_event`) when the event would not pass its own schema.
 */
export function buildEvent<TType extends string, TData extends z.ZodType>(
  definition: EventDefinition<TType, TData>,
  data: z.input<TData>,
  options: CreateEventOptions,
): z.output<EventSchema<TType, TData>> {
  const fromData =
    definition.subjectField !== undefined && typeof data === 'object' && data !== null
      ? (data as Record<string, unknown>)[definition.subjectField]
      : undefined;
  const subject = options.subject ?? (typeof fromData === 'string' ? fromData : undefined);
  if (subject === undefined) {
    const message =
      definition.subjectField === undefined
        ? 'required: this event type has no subject field in its data, pass options.subject'
        : `required: data.${definition.subjectField} is missing`;
    throw new EventParseError('invalid_event', [{ path: 'subject', message }], definition.type);
  }
  const result = definition.schema.safeParse({
    id: options.id ?? randomUUID(),
    type: definition.type,
    source: options.source,
    time: isoTimeOf(options.time),
    subject,
    correlationId: options.correlationId,
    causationId: options.causationId ?? null,
    dataVersion: definition.dataVersion,
    data,
  });
  if (!result.success) throw EventParseError.fromZodError(definition.type, result.error);
  return result.data;
}
