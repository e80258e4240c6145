import { generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** The bot's app registration the emulator plays Entra ID for (the Azure Bot's MicrosoftAppId / password). */
export interface BotRegistration {
  readonly appId: string;
  readonly appPassword: string;
  /** The app's tenant. Default `00000000-0000-0000-0000-00000000d11e`. */
  readonly tenantId?: string;
}

/** The claims of a token the emulator signs (the Bot Framework / Entra ones the SDKs read). */
export interface IdentityClaims {
  iss: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  [claim: string]: unknown;
}

/** The audience of the tokens a bot presents to the Bot Connector (Direct Line's serviceUrl). */
export const CONNECTOR_AUDIENCE = 'https://api.botframework.com';

const DEFAULT_TENANT = '00000000-0000-0000-0000-00000000d11e';

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * A local stand-in for Entra ID and the Bot Framework channel's signing, so the bot's authentication runs for
 * real without the internet: an OpenID configuration and a JWKS under `<endpoint>/<tenant>` (the bot's
 * authority), RS256 tokens from the channel to the bot (audience the app id), a client-credentials token
 * endpoint where the bot gets its connector token, and the check of that token on the connector.
 */
export class LocalIdentity {
  readonly tenantId: string;
  readonly kid = randomUUID();
  readonly #bot: BotRegistration;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  #endpoint = '';

  constructor(bot: BotRegistration) {
    this.#bot = bot;
    this.tenantId = bot.tenantId ?? DEFAULT_TENANT;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
  }

  /** Called once the emulator listens. */
  bind(endpoint: string): void {
    this.#endpoint = endpoint;
  }

  /** The bot's authority (`<endpoint>/<tenant>`): its JWKS is `<authority>/discovery/v2.0/keys`. */
  get authority(): string {
    return `${this.#endpoint}/${this.tenantId}`;
  }

  /** The issuer of every token the emulator signs (the v2 Entra form). */
  get issuer(): string {
    return `${this.authority}/v2.0`;
  }

  /** Signs claims with the emulator's key (or another one, for forgery tests). */
  sign(claims: Record<string, unknown>, key: KeyObject = this.#privateKey, kid = this.kid): string {
    const head = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
    return `${head}.${b64url(sign('sha256', Buffer.from(head), key))}`;
  }

  /** A token from the channel to the bot: audience the app id, the serviceUrl claim, valid for an hour. */
  channelToken(serviceUrl: string, overrides: Partial<IdentityClaims> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return this.sign({
      iss: this.issuer,
      aud: this.#bot.appId,
      iat: now,
      nbf: now - 5,
      exp: now + 3600,
      serviceurl: serviceUrl,
      tid: this.tenantId,
      ...overrides,
    });
  }

  /** Why the bot's bearer on a connector call is refused, or undefined when it is valid. */
  refuseConnectorCall(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match?.[1]) return 'missing bearer token';
    const parts = match[1].split('.');
    if (parts.length !== 3) return 'malformed token';
    const [head, body, signature] = parts as [string, string, string];
    let header: { alg?: unknown; kid?: unknown };
    let claims: Partial<IdentityClaims> & { appid?: unknown; azp?: unknown };
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return 'malformed token';
    }
    if (header.alg !== 'RS256' || header.kid !== this.kid) return 'unknown signing key';
    if (
      !verify('sha256', Buffer.from(`${head}.${body}`), this.#publicKey, Buffer.from(signature, 'base64url'))
    ) {
      return 'bad signature';
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== this.issuer) return 'wrong issuer';
    if (claims.aud !== CONNECTOR_AUDIENCE) return 'wrong audience';
    if ((claims.azp ?? claims.appid) !== this.#bot.appId) return 'token of another app';
    if (typeof claims.exp !== 'number' || claims.exp <= now) return 'expired';
    return undefined;
  }

  /** The OpenID configuration, the JWKS and the client-credentials token endpoint. */
  register(app: FastifyInstance): void {
    const base = `/${this.tenantId}`;
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        done(
          null,
          Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString())),
        );
      },
    );
    app.get(`${base}/v2.0/.well-known/openid-configuration`, async () => ({
      issuer: this.issuer,
      jwks_uri: `${this.authority}/discovery/v2.0/keys`,
      token_endpoint: `${this.authority}/oauth2/v2.0/token`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
    }));
    app.get(`${base}/discovery/v2.0/keys`, async () => ({
      keys: [{ ...this.#publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' }],
    }));
    app.post(`${base}/oauth2/v2.0/token`, async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      const known =
        form.grant_type === 'client_credentials' &&
        form.client_id === this.#bot.appId &&
        form.client_secret === this.#bot.appPassword;
      if (!known) {
        return reply
          .code(401)
          .send({ error: 'invalid_client', error_description: 'unknown client or secret' });
      }
      if (form.scope !== `${CONNECTOR_AUDIENCE}/.default`) {
        return reply
          .code(400)
          .send({ error: 'invalid_scope', error_description: `scope ${form.scope ?? ''}` });
      }
      const now = Math.floor(Date.now() / 1000);
      const token = this.sign({
        iss: this.issuer,
        aud: CONNECTOR_AUDIENCE,
        azp: this.#bot.appId,
        appid: this.#bot.appId,
        tid: this.tenantId,
        iat: now,
        nbf: now - 5,
        exp: now + 3600,
      });
      return reply.send({ token_type: 'Bearer', expires_in: 3600, access_token: token });
    });
  }
}
