import { createPublicKey, createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** The audience of Entra tokens for Azure Communication Services (the scope `https://communication.azure.com//.default`). */
export const ACS_TOKEN_AUDIENCE = 'https://communication.azure.com';
/** The issuer of the local Entra-style tokens (a made-up tenant: these tokens are valid nowhere but here). */
export const LOCAL_TOKEN_ISSUER =
  'https://login.microsoftonline.com/00000000-0000-0000-0000-00000000e4a1/v2.0';

/** The structural `TokenCredential` of `@azure/core-auth` the ACS SDKs accept. */
export interface LocalTokenCredential {
  getToken(
    scopes: string | string[],
  ): Promise<{ token: string; expiresOnTimestamp: number; tokenType: 'Bearer' }>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * A local stand-in for Entra ID: it hands out RS256 tokens for ACS (`credential()`, for the SDKs' managed-identity
 * code path) and verifies them (`verify`). Tokens of another issuer instance, expired ones, or ones for another
 * audience are refused, as an ACS resource refuses them.
 */
export class LocalEntraIssuer {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor(private readonly lifetimeSeconds = 3600) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicKey = createPublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  }

  /** A credential whose tokens this issuer signs (the audience comes from the requested scope). */
  credential(): LocalTokenCredential {
    return {
      getToken: async (scopes) => {
        const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? '';
        const audience = scope.replace(/\/?\.default$/, '').replace(/\/$/, '');
        const now = Date.now();
        return {
          token: this.sign(audience, now),
          expiresOnTimestamp: now + this.lifetimeSeconds * 1000,
          tokenType: 'Bearer',
        };
      },
    };
  }

  /** A signed token for `audience`. */
  sign(audience: string, now = Date.now()): string {
    const issuedAt = Math.floor(now / 1000);
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        aud: audience,
        iss: LOCAL_TOKEN_ISSUER,
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + this.lifetimeSeconds,
        oid: '00000000-0000-0000-0000-0000000a11ce',
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.#privateKey);
    return `${header}.${payload}.${base64url(signature)}`;
  }

  /** Why a token is refused (signature, issuer, audience, time), or undefined when it is valid for ACS. */
  verify(token: string, now = Date.now()): string | undefined {
    const [header, payload, signature] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return 'not a JWT';
    let claims: { alg?: string; aud?: unknown; iss?: unknown; exp?: unknown; nbf?: unknown };
    try {
      if ((JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string }).alg !== 'RS256') {
        return 'unsupported algorithm';
      }
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    } catch {
      return 'not a JWT';
    }
    const valid = createVerify('RSA-SHA256')
      .update(`${header}.${payload}`)
      .verify(this.#publicKey, Buffer.from(signature, 'base64url'));
    if (!valid) return "invalid signature (not issued by this resource's tenant)";
    if (claims.iss !== LOCAL_TOKEN_ISSUER) return 'wrong issuer';
    if (claims.aud !== ACS_TOKEN_AUDIENCE) return 'wrong audience';
    const seconds = Math.floor(now / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= seconds) return 'expired';
    if (typeof claims.nbf === 'number' && claims.nbf > seconds + 300) return 'not yet valid';
    return undefined;
  }
}
