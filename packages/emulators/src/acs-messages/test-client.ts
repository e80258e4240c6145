import type { MessagesServiceClient } from '@azure-rest/communication-messages';
import * as sdk from '@azure-rest/communication-messages';

type CreateClient = (
  connectionString: string,
  options?: { allowInsecureConnection?: boolean },
) => MessagesServiceClient;

/**
 * The SDK's default export, however the module system hands it over (the package is CommonJS with
 * `exports.default`; Node's ESM loader exposes `module.exports` as the default).
 */
export function messagesClient(connectionString: string): MessagesServiceClient {
  const candidate = sdk.default as unknown as CreateClient | { default: CreateClient };
  const create = typeof candidate === 'function' ? candidate : candidate.default;
  return create(connectionString, { allowInsecureConnection: true });
}
