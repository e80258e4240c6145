import type { FieldIssue } from '@omni/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HmacAuthError } from './hmac.js';

/** An error answered as ACS does (`{ error: { code, message } }`), plus problem+json members and field paths. */
export class AcsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldIssue[],
    /** Extra response headers (e.g. `retry-after`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The fastify error handler of an ACS emulator: `AcsError`s as they are, a failed HMAC check as ACS's 401
 * `Denied`, fastify's own 4xx (bad JSON, body too large) as `BadRequest`, anything else a logged 500. `translate`
 * maps an emulator's own error types first.
 */
export function acsErrorHandler(
  label: string,
  translate: (error: unknown) => AcsError | undefined = () => undefined,
) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const acs = (() => {
      if (error instanceof AcsError) return error;
      const translated = translate(error);
      if (translated !== undefined) return translated;
      if (error instanceof HmacAuthError) {
        return new AcsError(401, 'Denied', `Denied by the resource provider. ${error.message}`);
      }
      const status = (error as { statusCode?: number }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return new AcsError(status, 'BadRequest', (error as Error).message);
      }
      request.log.error({ err: error }, `${label} request failed`);
      return new AcsError(500, 'InternalError', 'The emulator failed to handle the request.');
    })();
    return reply
      .status(acs.status)
      .headers(acs.headers)
      .header('x-ms-error-code', acs.code)
      .type('application/json')
      .send({
        type: 'about:blank',
        title:
          acs.status === 401
            ? 'Unauthorized'
            : acs.status === 400
              ? 'Bad Request'
              : acs.status === 429
                ? 'Too Many Requests'
                : 'Error',
        status: acs.status,
        detail: acs.message,
        ...(acs.errors ? { errors: acs.errors } : {}),
        error: { code: acs.code, message: acs.message },
      });
  };
}
