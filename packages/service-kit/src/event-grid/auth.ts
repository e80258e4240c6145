import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { HttpProblem, unauthorized } from '../problem.js';

/**
 * A secret in a query parameter of the subscription's endpoint URL. Event Grid sends the endpoint's query
 * parameters with every request, handshakes included.
 * See https://learn.microsoft.com/azure/event-grid/security-authentication#using-client-secret-as-a-query-parameter
 */
export interface SharedSecretAuth {
  /** The accepted secret; give several while rotating (old and new) so no delivery fails meanwhile. */
  secret: string | readonly string[];
  /** The query parameter that carries it. Default `code`. */
  queryParam?: string;
}

/**
 * A Microsoft Entra (or any OIDC) bearer token in the `Authorization` header, as Event Grid sends to an
 * Entra-protected webhook. Checked with jose `jwtVerify`: signature, `exp` (required), `nbf`, issuer, audience.
 * See https://learn.microsoft.com/azure/event-grid/secure-webhook-delivery
 */
export interface EntraAuth {
  /** Accepted `aud` values: the webhook app's client id and / or its application ID URI. */
  audience: string | readonly string[];
  /** Accepted `iss` values, e.g. `https://login.microsoftonline.com/{tenant}/v2.0`. */
  issuer: string | readonly string[];
  /** Resolves the signing key, e.g. `createRemoteJWKSet(new URL(jwksUrl))` or `createLocalJWKSet(jwks)` in tests. */
  keys: JWTVerifyGetKey;
  /**
   * When set, the token's `azp` (v2.0) or `appid` (v1.0) claim must be one of these client ids, e.g. Event Grid's
   * own application id, so that other apps of the tenant cannot call the webhook.
   */
  authorizedParties?: readonly string[];
  /**
   * When set, the token's `roles` claim must hold at least one of these app roles: any app of the tenant can get
   * a token for the audience, only the callers assigned a role may call (Event Grid: the
   * `AzureEventGridSecureWebhookSubscriber` role of Microsoft's secure webhook set-up).
   */
  requiredRoles?: readonly string[];
  /** Allowed clock skew for `exp` / `nbf`, in seconds. Default 60. */
  clockToleranceSeconds?: number;
}

/** How deliveries authenticate; a request passes when any configured method accepts it. */
export interface EventGridAuth {
  sharedSecret?: SharedSecretAuth;
  entra?: EntraAuth;
}

/** Options for {@link entraAuthForTenant}. */
export interface EntraTenantOptions {
  /** The directory (tenant) id, a GUID; token issuers always name the tenant by its GUID. */
  tenantId: string;
  /** The webhook app's client id and / or application ID URI, as set on the event subscription. */
  audience: string | readonly string[];
  /** See {@link EntraAuth.authorizedParties}. */
  authorizedParties?: readonly string[];
  /** See {@link EntraAuth.requiredRoles}. */
  requiredRoles?: readonly string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * {@link EntraAuth} for a Microsoft Entra tenant in the Azure public cloud: accepts v2.0 tokens
 * (`https://login.microsoftonline.com/{tenant}/v2.0`) and v1.0 tokens (`https://sts.windows.net/{tenant}/`),
 * with keys from `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`. The key set is fetched on the
 * first token to verify, not here, and then cached by jose.
 */
export function entraAuthForTenant(options: EntraTenantOptions): EntraAuth {
  const { tenantId } = options;
  if (!GUID.test(tenantId)) {
    throw new TypeError(
      'entraAuthForTenant: tenantId must be the tenant GUID (token issuers never use a domain name)',
    );
  }
  const auth: EntraAuth = {
    audience: options.audience,
    issuer: [`https://login.microsoftonline.com/${tenantId}/v2.0`, `https://sts.windows.net/${tenantId}/`],
    keys: createRemoteJWKSet(new URL(`https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`)),
  };
  if (options.authorizedParties) auth.authorizedParties = options.authorizedParties;
  if (options.requiredRoles) auth.requiredRoles = options.requiredRoles;
  return auth;
}

/** Checks a request's credentials; resolves when they are valid, otherwise throws an {@link HttpProblem}. */
export type CredentialCheck = (request: FastifyRequest) => Promise<void>;

/** The only thing a rejected request learns: which check failed stays in the debug log. */
const REJECTED = 'Missing or invalid credentials.';

/** Seconds Event Grid is asked to wait before retrying when the signing keys cannot be fetched. */
const KEYS_RETRY_AFTER_SECONDS = 30;

/** jose error codes that mean "this token is not acceptable", as opposed to "the key set is unreachable". */
const TOKEN_ERROR_CODES = new Set([
  errors.JWTClaimValidationFailed.code,
  errors.JWTExpired.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKInvalid.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

/**
 * Builds the credential check for `auth`. Throws when `auth` configures no method, or an empty secret,
 * audience or issuer, because a webhook without authentication would accept forged events.
 *
 * Failures answer 401, which Event Grid does not retry. If the token cannot be checked because the signing
 * keys are unreachable, the check answers 503 instead so that Event Grid retries rather than drops the events.
 */
export function createCredentialCheck(auth: EventGridAuth): CredentialCheck {
  const { sharedSecret, entra } = auth;
  if (!sharedSecret && !entra) {
    throw new Error(
      'eventGridWebhook: auth must configure sharedSecret, entra or both; refusing to accept unauthenticated events',
    );
  }
  const secretMatches = sharedSecret ? matchSecret(sharedSecret) : undefined;
  const tokenAccepted = entra ? acceptToken(entra) : undefined;

  return async (request) => {
    if (secretMatches?.(request)) return;
    if (tokenAccepted && (await tokenAccepted(request))) return;
    throw unauthorized(REJECTED);
  };
}

function matchSecret(config: SharedSecretAuth): (request: FastifyRequest) => boolean {
  const secrets = typeof config.secret === 'string' ? [config.secret] : [...config.secret];
  if (secrets.length === 0 || secrets.some((secret) => secret.length === 0)) {
    throw new Error('eventGridWebhook: auth.sharedSecret.secret must be a non-empty string');
  }
  const queryParam = config.queryParam ?? 'code';
  // Comparing SHA-256 digests gives equal-length buffers, so timingSafeEqual neither throws nor leaks the length.
  const expected = secrets.map(digest);
  return (request) => {
    const provided = (request.query as Record<string, unknown> | undefined)?.[queryParam];
    if (typeof provided !== 'string') return false;
    const actual = digest(provided);
    let matched = false;
    for (const candidate of expected) matched = timingSafeEqual(actual, candidate) || matched;
    return matched;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function acceptToken(config: EntraAuth): (request: FastifyRequest) => Promise<boolean> {
  const audience = toList(config.audience);
  const issuer = toList(config.issuer);
  if (audience.length === 0 || issuer.length === 0) {
    throw new Error('eventGridWebhook: auth.entra needs at least one audience and one issuer');
  }
  const parties = config.authorizedParties ? new Set(config.authorizedParties) : undefined;
  const roles = config.requiredRoles && config.requiredRoles.length > 0 ? config.requiredRoles : undefined;
  const clockTolerance = config.clockToleranceSeconds ?? 60;

  return async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) return false;
    try {
      const { payload } = await jwtVerify(token, config.keys, {
        audience,
        issuer,
        algorithms: ['RS256'],
        clockTolerance,
        requiredClaims: ['exp'],
      });
      if (parties) {
        const party = payload.azp ?? payload.appid;
        if (typeof party !== 'string' || !parties.has(party)) {
          request.log.debug({ reason: 'unauthorized-party' }, 'Event Grid bearer token rejected');
          return false;
        }
      }
      if (roles) {
        const held = Array.isArray(payload.roles) ? payload.roles : [];
        if (!roles.some((role) => held.includes(role))) {
          request.log.debug({ reason: 'missing-role' }, 'bearer token rejected: no required app role');
          return false;
        }
      }
      return true;
    } catch (error) {
      if (error instanceof errors.JOSEError && TOKEN_ERROR_CODES.has(error.code)) {
        request.log.debug({ reason: error.code }, 'Event Grid bearer token rejected');
        return false;
      }
      request.log.warn(
        { err: error },
        'Event Grid bearer token could not be verified: signing keys unavailable',
      );
      throw new HttpProblem(503, 'Service Unavailable', {
        detail: 'Credentials cannot be verified right now; retry later.',
        headers: { 'retry-after': String(KEYS_RETRY_AFTER_SECONDS) },
      });
    }
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '');
  return match?.[1];
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

/** Options for {@link discoverOidcAuth}. */
export interface OidcDiscoveryOptions {
  /** The OpenID configuration document, e.g. `https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration`. */
  openIdConfigurationUrl: string;
  /** Accepted `aud` values. */
  audience: string | readonly string[];
}

/**
 * Bearer-token auth for an OpenID Connect issuer by discovery: fetches the configuration document and returns an
 * {@link EntraAuth} with its `issuer` and a key set from its `jwks_uri` (fetched on the first verification, cached by
 * jose). Used for the signed callbacks of ACS Call Automation. Rejects when the document cannot be read.
 */
export async function discoverOidcAuth(options: OidcDiscoveryOptions): Promise<EntraAuth> {
  const response = await fetch(options.openIdConfigurationUrl, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`the OpenID configuration answered ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof document.issuer !== 'string' || typeof document.jwks_uri !== 'string') {
    throw new Error('the OpenID configuration has no issuer or jwks_uri');
  }
  return {
    audience: options.audience,
    issuer: document.issuer,
    keys: createRemoteJWKSet(new URL(document.jwks_uri)),
  };
}
