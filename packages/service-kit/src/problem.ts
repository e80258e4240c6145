import type { ZodError } from 'zod';

/** One invalid field of a request, as reported in a problem+json `errors` array. */
export interface FieldIssue {
  /** Dotted path to the field, e.g. `data.to.phone` or `[0].eventType`; empty for the whole body. */
  path: string;
  message: string;
}

/** Options for an {@link HttpProblem}. */
export interface HttpProblemOptions {
  detail?: string;
  /** A URI naming the kind of problem; `about:blank` when omitted (RFC 9457). */
  type?: string;
  errors?: FieldIssue[];
  /** Extra response headers, e.g. `www-authenticate` on a 401. */
  headers?: Record<string, string>;
}

/**
 * An error that the service-kit error handler renders as `application/problem+json` (RFC 9457)
 * with its own status. Anything else thrown from a route is a 500 without details.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly type: string;
  readonly errors: FieldIssue[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, title: string, options: HttpProblemOptions = {}) {
    super(options.detail ? `${title}: ${options.detail}` : title);
    this.name = 'HttpProblem';
    this.status = status;
    this.title = title;
    this.detail = options.detail;
    this.type = options.type ?? 'about:blank';
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

/** 400 for a body or query that does not match what the route expects. */
export function badRequest(detail: string, errors?: FieldIssue[]): HttpProblem {
  return new HttpProblem(400, 'Bad Request', { detail, ...(errors ? { errors } : {}) });
}

/** 401 for a request without valid credentials. */
export function unauthorized(detail: string, scheme = 'Bearer'): HttpProblem {
  return new HttpProblem(401, 'Unauthorized', { detail, headers: { 'www-authenticate': scheme } });
}

/** Converts a zod error into field issues with readable paths. */
export function fieldIssuesFromZod(error: ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** `['data', 0, 'to']` -> `data[0].to`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The body of an `application/problem+json` response (RFC 9457). */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldIssue[];
  /** The request id, so a user can quote it and an operator can find the logs. */
  requestId?: string;
}

/** Titles for the statuses service-kit produces; anything else falls back to the status number. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The standard title of an HTTP status. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? `HTTP ${status}`;
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
  issues?: unknown;
}

/**
 * Maps anything thrown while serving a request to a problem document and the headers to send.
 * Only {@link HttpProblem}s, zod errors and fastify's own 4xx errors reveal details; every other
 * error is a 500 whose message stays in the logs (shown only when `exposeInternalErrors` is set).
 */
export function toProblem(
  error: unknown,
  exposeInternalErrors = false,
): { problem: ProblemDocument; headers: Record<string, string> } {
  if (error instanceof HttpProblem) {
    const problem: ProblemDocument = { type: error.type, title: error.title, status: error.status };
    if (error.detail !== undefined) problem.detail = error.detail;
    if (error.errors !== undefined) problem.errors = error.errors;
    return { problem, headers: error.headers };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  if (e.name === 'ZodError' && Array.isArray(e.issues)) {
    const errors = fieldIssuesFromZod(error as ZodError);
    return {
      problem: { type: 'about:blank', title: 'Bad Request', status: 400, detail: summarise(errors), errors },
      headers: {},
    };
  }
  if (Array.isArray(e.validation)) {
    const errors = e.validation.map((v) => ({
      path: (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.'),
      message: v.message ?? 'is invalid',
    }));
    return {
      problem: { type: 'about:blank', title: 'Bad Request', status: 400, detail: summarise(errors), errors },
      headers: {},
    };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // fastify's own client errors (body too large, bad JSON, unsupported media type...) carry safe messages.
    return {
      problem: { type: 'about:blank', title: statusTitle(status), status, detail: clientMessage(e) },
      headers: {},
    };
  }
  const problem: ProblemDocument = { type: 'about:blank', title: statusTitle(status), status };
  if (exposeInternalErrors && e.message) problem.detail = e.message;
  return { problem, headers: {} };
}

function clientMessage(e: ErrorLike): string {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than this endpoint accepts.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'This endpoint does not accept that content type.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is empty but the content type is application/json.';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The request body is not valid JSON.';
    default:
      if (e.name === 'SyntaxError') return 'The request body is not valid JSON.';
      return e.message ?? 'The request was rejected.';
  }
}

function summarise(errors: FieldIssue[]): string {
  const first = errors[0];
  if (!first) return 'The request is invalid.';
  const where = first.path === '' ? 'body' : first.path;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${where}: ${first.message}${more}`;
}
