import { eventDefinitions, isEventType, type OmniEvent } from './catalog.js';
import type { EventDefinition } from './envelope.js';
import { EventParseError } from './event-parse-error.js';

/** The result of {@link parseEvent}: the event, or why it was rejected. */
export type ParseEventResult = { ok: true; event: OmniEvent } | { ok: false; error: EventParseError };

const MAX_TYPE_ECHO = 100;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(error: EventParseError): ParseEventResult {
  return { ok: false, error };
}

function decode(raw: unknown): { ok: true; value: unknown } | { ok: false; error: EventParseError } {
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else if (raw instanceof Uint8Array) {
    try {
      text = utf8.decode(raw);
    } catch {
      return {
        ok: false,
        error: new EventParseError('invalid_json', [
          { path: '(root)', message: 'invalid JSON: body is not UTF-8' },
        ]),
      };
    }
  } else {
    return { ok: true, value: raw };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // The parser's own message quotes the body, which may hold personal data: keep only its length.
    return {
      ok: false,
      error: new EventParseError('invalid_json', [
        { path: '(root)', message: `invalid JSON: could not parse the ${text.length}-character body` },
      ]),
    };
  }
}

/**
 * Reads and validates an event from a Service Bus body or a webhook: an object, a JSON string, or a
 * Buffer / Uint8Array of UTF-8 JSON. Never throws. On failure the error's message names the event type
 * and each failing field (`handoff.requested: data.toChannel: Invalid option: ...`) and is fit to be the
 * dead-letter reason; it never echoes field values.
 */
export function parseEvent(raw: unknown): ParseEventResult {
  const decoded = decode(raw);
  if (!decoded.ok) return fail(decoded.error);
  const value = decoded.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    return fail(
      new EventParseError('not_an_object', [
        { path: '(root)', message: `event must be a JSON object, got ${got}` },
      ]),
    );
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return fail(
      new EventParseError('unknown_type', [
        { path: 'type', message: type === undefined ? 'required' : `must be a string, got ${typeof type}` },
      ]),
    );
  }
  if (!isEventType(type)) {
    const shown = type.length > MAX_TYPE_ECHO ? `${type.slice(0, MAX_TYPE_ECHO)}...` : type;
    return fail(
      new EventParseError('unknown_type', [
        { path: 'type', message: `unknown event type ${JSON.stringify(shown)}` },
      ]),
    );
  }
  const definition: EventDefinition = eventDefinitions[type];
  const result = definition.schema.safeParse(value);
  if (!result.success) return fail(EventParseError.fromZodError(type, result.error));
  return { ok: true, event: result.data as OmniEvent };
}
