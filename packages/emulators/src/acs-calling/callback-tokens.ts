import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';

/** The issuer of ACS Call Automation's callback tokens (`iss`), as its OpenID configuration names it. */
export const ACS_CALLBACK_ISSUER = 'https://acscallautomation.communication.azure.com';

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * A local stand-in for the key ACS signs callback tokens with: an RSA key made at start, its JWKS and an OpenID
 * configuration served by the emulator, and short-lived RS256 tokens whose audience is the resource's immutable
 * id, as ACS puts on every callback (`Authorization: Bearer <jwt>`).
 */
export class CallbackTokenIssuer {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #kid = randomUUID();

  constructor(
    /** The ACS resource's immutable id: the tokens' audience. */
    readonly audience: string,
    private readonly lifetimeSeconds = 300,
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
  }

  /** The OpenID configuration document, its `jwks_uri` pointing at `keysUrl`. */
  openIdConfiguration(keysUrl: string): { issuer: string; jwks_uri: string } {
    return { issuer: ACS_CALLBACK_ISSUER, jwks_uri: keysUrl };
  }

  /** The public key set (`{ keys: [jwk] }`). */
  keys(): { keys: Record<string, unknown>[] } {
    return {
      keys: [{ ...this.#publicKey.export({ format: 'jwk' }), kid: this.#kid, use: 'sig', alg: 'RS256' }],
    };
  }

  /** A signed token for one callback. */
  token(now = Date.now()): string {
    const issuedAt = Math.floor(now / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.#kid }));
    const payload = base64url(
      JSON.stringify({
        iss: ACS_CALLBACK_ISSUER,
        aud: this.audience,
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + this.lifetimeSeconds,
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.#privateKey);
    return `${header}.${payload}.${base64url(signature)}`;
  }
}
