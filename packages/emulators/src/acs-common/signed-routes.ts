import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LocalEntraIssuer } from './entra-tokens.js';
import { HmacAuthError, verifyHmacRequest } from './hmac.js';

/** A request whose body the ACS routes kept exactly as received (the HMAC covers it). */
export type RawBodyRequest = FastifyRequest & { rawBody?: string };

/**
 * Puts a fastify scope behind ACS authentication (access-key HMAC, or a local Entra bearer token when `entra` is
 * given): JSON bodies are kept raw (the content hash is
 * over the exact bytes) and every request's HMAC signature is verified before its handler runs. A failed
 * check throws `HmacAuthError`; a body that is not JSON throws what `invalidJson()` returns.
 */
export function requireAcsHmac(
  scope: FastifyInstance,
  accessKey: string,
  invalidJson: () => Error,
  /** When given, `Authorization: Bearer <token>` is accepted too, if this local Entra issuer signed it for ACS. */
  entra?: LocalEntraIssuer,
): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as RawBodyRequest).rawBody = body as string;
    if (body === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(invalidJson(), undefined);
    }
  });
  scope.addHook('preHandler', async (request) => {
    const authorization = request.headers.authorization;
    if (entra !== undefined && typeof authorization === 'string' && /^Bearer\s/i.test(authorization)) {
      const failure = entra.verify(authorization.replace(/^Bearer\s+/i, ''));
      if (failure !== undefined) throw new HmacAuthError(`Bearer token refused: ${failure}.`);
      return;
    }
    verifyHmacRequest(
      {
        method: request.method,
        url: request.raw.url ?? request.url,
        headers: request.headers,
        rawBody: (request as RawBodyRequest).rawBody ?? '',
      },
      accessKey,
    );
  });
}
