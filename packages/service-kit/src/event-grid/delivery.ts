import { EventGridDeserializer } from '@azure/eventgrid';
import { badRequest, HttpProblem } from '../problem.js';
import type { EventSchema, ReceivedEvent } from './received-event.js';

/** A CloudEvents 1.0 structured-mode request carrying one event. */
export const CLOUDEVENTS_MEDIA_TYPE = 'application/cloudevents+json';
/** A CloudEvents 1.0 batched-mode request carrying a JSON array of events. */
export const CLOUDEVENTS_BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';

/** The events of one request, in the order they were sent. */
export interface Delivery {
  schema: EventSchema;
  events: ReceivedEvent[];
}

const deserializer = new EventGridDeserializer();

/**
 * Validates and normalises a parsed request body. The content type decides the shape:
 * - `application/json`: a JSON array of Event Grid schema events (as Event Grid always sends them), or of
 *   CloudEvents when the first element has `specversion` (how ACS Call Automation posts its callbacks);
 * - `application/cloudevents+json`: one CloudEvent object;
 * - `application/cloudevents-batch+json`: a JSON array of CloudEvents.
 *
 * Each event goes through the SDK's `EventGridDeserializer`, which checks required attributes and types.
 * Throws a 400 {@link HttpProblem} naming the first problem, or 415 for any other content type.
 */
export async function parseDelivery(body: unknown, contentType: string | undefined): Promise<Delivery> {
  const mediaType = mediaTypeOf(contentType);
  let schema: EventSchema;
  let items: unknown[];
  switch (mediaType) {
    case CLOUDEVENTS_MEDIA_TYPE:
      if (!isObject(body)) {
        throw badRequest(
          `A ${CLOUDEVENTS_MEDIA_TYPE} body must be one event object; send a batch as ${CLOUDEVENTS_BATCH_MEDIA_TYPE}.`,
        );
      }
      schema = 'cloudevents';
      items = [body];
      break;
    case CLOUDEVENTS_BATCH_MEDIA_TYPE:
      if (!Array.isArray(body)) {
        throw badRequest(`A ${CLOUDEVENTS_BATCH_MEDIA_TYPE} body must be a JSON array of events.`);
      }
      schema = 'cloudevents';
      items = body;
      break;
    case 'application/json':
      if (!Array.isArray(body)) {
        throw badRequest('An application/json delivery must be a JSON array of events.');
      }
      schema = isObject(body[0]) && 'specversion' in body[0] ? 'cloudevents' : 'eventgrid';
      items = body;
      break;
    default:
      throw new HttpProblem(415, 'Unsupported Media Type', {
        detail: `Send events as application/json, ${CLOUDEVENTS_MEDIA_TYPE} or ${CLOUDEVENTS_BATCH_MEDIA_TYPE}.`,
      });
  }
  if (items.length === 0) throw badRequest('The delivery contains no events.');

  const events: ReceivedEvent[] = [];
  for (const [index, item] of items.entries()) {
    events.push(
      schema === 'eventgrid' ? await toEventGridEvent(item, index) : await toCloudEvent(item, index),
    );
  }
  return { schema, events };
}

async function toEventGridEvent(item: unknown, index: number): Promise<ReceivedEvent> {
  const raw = requireObject(item, index);
  checkId(raw, index);
  const parsed = (
    await deserialize(() => deserializer.deserializeEventGridEvents(raw), index, 'Event Grid')
  )[0];
  const time = parsed?.eventTime;
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw invalidTime(index, 'eventTime');
  return {
    schema: 'eventgrid',
    id: raw.id as string,
    type: raw.eventType as string,
    source: raw.topic as string,
    subject: raw.subject as string,
    time,
    // The SDK copies `data` through a dictionary mapper that turns strings and arrays into objects, so the
    // payload is taken from the body as sent.
    data: raw.data,
    dataVersion: raw.dataVersion as string,
    raw,
  };
}

async function toCloudEvent(item: unknown, index: number): Promise<ReceivedEvent> {
  const raw = requireObject(item, index);
  checkId(raw, index);
  const parsed = (
    await deserialize(() => deserializer.deserializeCloudEvents(raw), index, 'CloudEvents 1.0')
  )[0];
  if (raw.time !== undefined && (!(parsed?.time instanceof Date) || Number.isNaN(parsed.time.getTime()))) {
    throw invalidTime(index, 'time');
  }
  return {
    schema: 'cloudevents',
    id: raw.id as string,
    type: raw.type as string,
    source: raw.source as string,
    subject: typeof raw.subject === 'string' ? raw.subject : undefined,
    time: parsed?.time,
    // `data_base64` is decoded by the SDK; JSON `data` is taken as sent (see toEventGridEvent).
    data: raw.data_base64 !== undefined ? parsed?.data : raw.data,
    dataVersion: typeof raw.dataversion === 'string' ? raw.dataversion : undefined,
    raw,
  };
}

async function deserialize<T>(run: () => Promise<T[]>, index: number, schemaName: string): Promise<T[]> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof Error ? error.message : 'is invalid';
    const property = /property '([A-Za-z0-9_]+)/.exec(message)?.[1];
    const path = property ? `[${index}].${property}` : `[${index}]`;
    throw badRequest(`Event [${index}] is not a valid ${schemaName} event: ${message}`, [{ path, message }]);
  }
}

function requireObject(item: unknown, index: number): Record<string, unknown> {
  if (!isObject(item)) {
    throw badRequest(`Event [${index}] is not a JSON object.`, [
      { path: `[${index}]`, message: 'must be an object' },
    ]);
  }
  return item;
}

/**
 * The longest event id accepted. Neither schema bounds it, but the id becomes the correlation id of the events
 * a handler publishes (contracts: at most 256 characters); a longer one failed every delivery with a 500, which
 * Event Grid retries until the event expires.
 */
export const MAX_EVENT_ID_LENGTH = 256;

function checkId(raw: Record<string, unknown>, index: number): void {
  if (typeof raw.id === 'string' && raw.id.length > MAX_EVENT_ID_LENGTH) {
    const message = `must be at most ${MAX_EVENT_ID_LENGTH} characters`;
    throw badRequest(`Event [${index}] has an invalid id: ${message}.`, [{ path: `[${index}].id`, message }]);
  }
}

function invalidTime(index: number, property: string): HttpProblem {
  const message = 'must be an RFC 3339 date-time';
  return badRequest(`Event [${index}] has an invalid ${property}: ${message}.`, [
    { path: `[${index}].${property}`, message },
  ]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Application/CloudEvents+JSON; charset=utf-8` -> `application/cloudevents+json`. */
function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}
