import { type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Fields whose values are customer content (message text, transcripts, summaries). Logs carry ids,
 * never content, so these are replaced wholesale.
 */
const CONTENT_PATHS = [
  'text',
  '*.text',
  'body',
  '*.body',
  'summary',
  '*.summary',
  'transcript',
  '*.transcript',
  'collectedData',
  '*.collectedData',
  'content',
  '*.content',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
];

const REDACTED = '[redacted]';

/**
 * Phone numbers in free text: an optional '+', then 8 to 15 digits that may be broken up by
 * spaces, dots, dashes or brackets, standing on its own (not part of a longer word, so UUIDs,
 * ISO timestamps and other ids that logs must keep are left alone). Greedy otherwise: masking a
 * number that was not a phone is harmless, leaking one is not.
 */
const PHONE_LIKE = /(?<![\w-])\+?\(?\d(?:[\s.\-()]?\d){7,14}(?![\w-])/g;

/** Masks every phone-number-like run in `text`, keeping only the last 4 digits. */
export function maskPhoneNumbersIn(text: string): string {
  return text.replace(PHONE_LIKE, (match) => {
    const digits = match.replace(/\D/g, '');
    const prefix = match.startsWith('+') ? '+' : '';
    return `${prefix}${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
  });
}

/**
 * Keys whose values are customer content at any depth (a message's `text` inside an event inside a log
 * object, a model-written escalation `reason`): replaced wholesale, since pino's redact paths only reach fixed
 * depths.
 */
const CONTENT_KEYS = new Set([
  'text',
  'body',
  'summary',
  'transcript',
  'collectedData',
  'content',
  'reason',
  'replies',
]);

/**
 * Redacts a log object down to a few levels: content keys are replaced, phone numbers in every other string
 * are masked to their last 4 digits. Errors are serialized first (message, stack and the properties an SDK
 * error carries, such as a request body), so they get the same treatment.
 */
export function redactLogValue(value: unknown, depth = 6): unknown {
  if (typeof value === 'string') return maskPhoneNumbersIn(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return redactLogValue(pino.stdSerializers.err(value), depth);
  if (depth <= 0) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactLogValue(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = CONTENT_KEYS.has(k) && v !== null && v !== undefined ? REDACTED : redactLogValue(v, depth - 1);
  }
  return out;
}

/** Query parameters that carry credentials and must never reach a log line. */
const SECRET_QUERY_PARAMS = new Set(['code', 'key', 'secret', 'token', 'sig', 'signature', 'handoff', 'se']);

/** Replaces the values of credential-bearing query parameters in a URL path with `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return maskPhoneNumbersIn(url);
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of [...params.keys()]) {
    if (SECRET_QUERY_PARAMS.has(name.toLowerCase())) params.set(name, REDACTED);
  }
  return maskPhoneNumbersIn(`${url.slice(0, q)}?${params.toString()}`);
}

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Human-readable output through pino-pretty (local sandbox). */
  pretty?: boolean;
  /** Where to write; stdout by default. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/**
 * The pino logger every service uses: JSON lines with the service name, customer content redacted,
 * phone numbers masked to the last 4 digits, credentials stripped from request URLs.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    name: options.service,
    level: options.level ?? 'info',
    base: { service: options.service },
    redact: { paths: CONTENT_PATHS, censor: REDACTED },
    formatters: {
      log: (object) => redactLogValue(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskPhoneNumbersIn(a) : a));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: {
      req: (req: { id?: string; method?: string; url?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url ? redactUrl(req.url) : undefined,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: (error: Error) => redactLogValue(error),
    },
  };
  if (options.pretty && !options.destination) {
    return pino({
      ...config,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,service' } },
    });
  }
  return options.destination ? pino(config, options.destination) : pino(config);
}
