import { createHash, timingSafeEqual } from 'node:crypto';
import { createCredentialCheck, type EntraAuth, unauthorized } from '@omni/service-kit';
import type { FastifyRequest } from 'fastify';

/** How ops API callers authenticate; a request passes when any configured method accepts it. */
export interface OpsAuth {
  /** Accepted API keys (several while rotating). */
  readonly apiKeys?: readonly string[];
  /** Entra bearer tokens (jose `jwtVerify` through service-kit). */
  readonly entra?: EntraAuth;
}

/** Checks a request; throws a 401 problem when it is not authenticated. */
export type OpsCredentialCheck = (request: FastifyRequest) => Promise<void>;

const REJECTED =
  'Missing or invalid credentials: send x-api-key, Authorization: ApiKey <key> or an Entra bearer token.';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The API key of a request: `x-api-key`, or `Authorization: ApiKey <key>`. */
function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  const match = typeof authorization === 'string' ? /^ApiKey\s+(\S+)$/i.exec(authorization) : null;
  return match?.[1];
}

/**
 * Builds the ops API credential check. With no method configured every request is refused (the API fails
 * closed rather than open).
 */
export function createOpsCredentialCheck(auth: OpsAuth): OpsCredentialCheck {
  const keys = (auth.apiKeys ?? []).filter((key) => key.length > 0).map(digest);
  const bearer = auth.entra ? createCredentialCheck({ entra: auth.entra }) : undefined;
  return async (request) => {
    const given = apiKeyOf(request);
    if (given !== undefined && keys.length > 0) {
      const actual = digest(given);
      let matched = false;
      for (const key of keys) matched = timingSafeEqual(actual, key) || matched;
      if (matched) return;
    }
    if (bearer !== undefined && /^Bearer\s/i.test(request.headers.authorization ?? '')) {
      await bearer(request);
      return;
    }
    throw unauthorized(REJECTED, 'ApiKey');
  };
}

/**
 * The extra check of destructive ops routes (erasure): an Entra bearer token must also hold `role` (e.g.
 * `Omni.Privacy`). API keys pass (they are not split by role: keep them to the few who may erase, or use Entra).
 */
export function createRoleCheck(auth: OpsAuth, role: string): OpsCredentialCheck {
  const bearer = auth.entra
    ? createCredentialCheck({ entra: { ...auth.entra, requiredRoles: [role] } })
    : undefined;
  return async (request) => {
    if (bearer !== undefined && /^Bearer\s/i.test(request.headers.authorization ?? '')) await bearer(request);
  };
}
