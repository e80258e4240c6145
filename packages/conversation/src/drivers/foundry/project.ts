import { AIProjectClient } from '@azure/ai-projects';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { DefaultAzureCredential } from '@azure/identity';

/** A Foundry project: a ready client, or an endpoint and a credential to build one. */
export type FoundryProjectInput =
  | AIProjectClient
  | { readonly endpoint: string; readonly credential: TokenCredential };

/** The `AIProjectClient` for a {@link FoundryProjectInput}. */
export function foundryProjectClient(project: FoundryProjectInput): AIProjectClient {
  return 'getOpenAIClient' in project ? project : new AIProjectClient(project.endpoint, project.credential);
}

/** Whether an endpoint is on this machine (the local Foundry emulator). */
export function isLocalFoundryEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}

/**
 * A credential with a fixed token, for the local Foundry emulator (which accepts any bearer token). Never use
 * it against Azure.
 */
export function localFoundryCredential(token = 'local-emulator'): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      return { token, expiresOnTimestamp: Date.now() + 365 * 24 * 3600 * 1000 };
    },
  };
}

/** `DefaultAzureCredential` for Azure endpoints, the fixed local token for 127.0.0.1 / localhost. */
export function foundryCredentialFor(endpoint: string): TokenCredential {
  return isLocalFoundryEndpoint(endpoint) ? localFoundryCredential() : new DefaultAzureCredential();
}
