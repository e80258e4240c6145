/** The access token {@link staticTokenCredential} hands out (the `AccessToken` shape of `@azure/core-auth`). */
export interface StaticAccessToken {
  readonly token: string;
  readonly expiresOnTimestamp: number;
  readonly refreshAfterTimestamp?: number;
  readonly tokenType: 'Bearer';
}

/** A `TokenCredential` (structurally) that always returns the same token, and records the scopes asked for. */
export interface StaticTokenCredential {
  getToken(scopes: string | string[], options?: unknown): Promise<StaticAccessToken>;
  /** Every scope a client asked a token for, in order (e.g. `https://ai.azure.com/.default`). */
  readonly requestedScopes: readonly string[];
}

/** One year: far enough that no client refreshes during a run. */
const LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * A credential for the local Foundry emulator, which accepts any non-empty bearer token (there is no Entra ID
 * here). Pass it to `new AIProjectClient(emulator.endpoint, credential)`. In Azure use `DefaultAzureCredential`.
 *
 * @param token - The bearer token to send. Default `local-emulator`.
 */
export function staticTokenCredential(token = 'local-emulator'): StaticTokenCredential {
  const requestedScopes: string[] = [];
  return {
    requestedScopes,
    async getToken(scopes) {
      requestedScopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
      return { token, expiresOnTimestamp: Date.now() + LIFETIME_MS, tokenType: 'Bearer' };
    },
  };
}
