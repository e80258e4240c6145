import type { AuthConfiguration, AuthProvider, Connections } from '@microsoft/agents-hosting';

/** The app registration and the authority the local token endpoint is under. */
export interface LocalClientCredentialsOptions {
  /** `http://<emulator>/<tenant>`: the token endpoint is `<authority>/oauth2/v2.0/token`. */
  readonly authority: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Refresh this long before a token expires. */
const EARLY_MS = 60_000;

/**
 * The bot's connector tokens from an `http:` authority (the local Direct Line emulator playing Entra ID), by
 * the OAuth 2.0 client-credentials grant. MSAL, which the Agents SDK uses in Azure, refuses authorities that
 * are not https; this is the same request without it. One provider for every connection (there is one).
 */
export class LocalClientCredentials implements Connections, AuthProvider {
  readonly connectionSettings: AuthConfiguration;
  readonly #options: LocalClientCredentialsOptions;
  readonly #tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(options: LocalClientCredentialsOptions) {
    this.#options = options;
    this.connectionSettings = {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authority: options.authority,
    };
  }

  getConnection = (): AuthProvider => this;
  getDefaultConnection = (): AuthProvider => this;
  getTokenProvider = (): AuthProvider => this;
  getTokenProviderFromActivity = (): AuthProvider => this;
  getDefaultConnectionConfiguration = (): AuthConfiguration => this.connectionSettings;

  async getAccessToken(authConfigOrScope: AuthConfiguration | string, maybeScope?: string): Promise<string> {
    const resource = typeof authConfigOrScope === 'string' ? authConfigOrScope : (maybeScope ?? '');
    const scope = resource.endsWith('/.default') ? resource : `${resource}/.default`;
    const cached = this.#tokens.get(scope);
    if (cached !== undefined && cached.expiresAt - EARLY_MS > Date.now()) return cached.token;
    const response = await fetch(`${this.#options.authority.replace(/\/+$/, '')}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.#options.clientId,
        client_secret: this.#options.clientSecret,
        scope,
      }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      await response.arrayBuffer();
      throw new Error(`the token endpoint refused the bot's credentials (${response.status})`);
    }
    const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new Error('the token endpoint answered without a token');
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.#tokens.set(scope, { token: body.access_token, expiresAt: Date.now() + lifetime * 1000 });
    return body.access_token;
  }

  getAgenticApplicationToken = (): Promise<string> => unsupported();
  getAgenticInstanceToken = (): Promise<string> => unsupported();
  getAgenticUserToken = (): Promise<string> => unsupported();
  acquireTokenOnBehalfOf = (): Promise<string> => unsupported();
}

function unsupported(): Promise<string> {
  return Promise.reject(new Error('not supported by the local client-credentials provider'));
}
