import { createHash } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type {
  MessagesServiceClient,
  TemplateNotificationContent,
  TextNotificationContent,
} from '@azure-rest/communication-messages';
import * as sdk from '@azure-rest/communication-messages';

/** A `/messages/notifications:send` body this adapter sends. */
export type NotificationBody = TextNotificationContent | TemplateNotificationContent;

/**
 * A send ACS may receive more than once (a replica that crashed after ACS accepted it, before it recorded so):
 * sent as an OASIS repeatable request, so ACS answers a repeat within its window with the first answer instead of
 * sending again.
 */
export interface Repeatable {
  /** The idempotency key of the send; the `Repeatability-Request-ID` is a GUID derived from it. */
  readonly key: string;
  /** When the send was first attempted (epoch ms): `Repeatability-First-Sent`. */
  readonly firstSentAt: number;
}

/** Port: sends one WhatsApp message and returns the provider's message id. */
export interface WhatsAppSender {
  send(body: NotificationBody, repeatable?: Repeatable): Promise<string>;
}

/** A GUID (version 4 layout) derived from `key`: every retry of one send carries the same request id. */
export function repeatabilityRequestId(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** How to reach ACS: a connection string (access key, local emulator) or an endpoint with an Entra credential. */
export type AcsConnection = { connectionString: string } | { endpoint: string; credential: TokenCredential };

interface CreateClient {
  (connectionString: string, options?: { allowInsecureConnection?: boolean }): MessagesServiceClient;
  (
    endpoint: string,
    credential: TokenCredential,
    options?: { allowInsecureConnection?: boolean },
  ): MessagesServiceClient;
}

/**
 * The SDK's client factory. `@azure-rest/communication-messages` 2.0.0 is CommonJS with `exports.default`;
 * under Node ESM the namespace's `default` is `module.exports`, so the factory may sit one level deeper.
 * This is the only place that knows.
 */
function clientFactory(): CreateClient {
  const candidate = sdk.default as unknown as CreateClient | { default: CreateClient };
  return typeof candidate === 'function' ? candidate : candidate.default;
}

/** The Entra scope of Azure Communication Services. */
const ACS_SCOPE = 'https://communication.azure.com//.default';

/** A Messages client; `http://` endpoints (the local emulator) are allowed. */
export function createMessagesClient(connection: AcsConnection): MessagesServiceClient {
  const create = clientFactory();
  if ('connectionString' in connection) {
    const insecure = /endpoint=http:\/\//i.test(connection.connectionString);
    return create(connection.connectionString, { allowInsecureConnection: insecure });
  }
  // @azure-rest/communication-messages 2.0.0 adds two bearer policies for a TokenCredential (getClient's and
  // createCommunicationAuthPolicy's), and every send then fails with "Duplicate policy names not allowed in
  // pipeline". Build it with a placeholder key instead and swap the access-key policy for one bearer policy.
  const client = create(connection.endpoint, { key: 'unused' } as unknown as TokenCredential, {
    allowInsecureConnection: connection.endpoint.startsWith('http://'),
  });
  client.pipeline.removePolicy({ name: 'CommunicationAccessKeyCredentialPolicy' });
  client.pipeline.addPolicy(bearerPolicy(connection.credential));
  return client;
}

/** The ACS scope's bearer token on every request (the credential caches and refreshes its tokens). */
function bearerPolicy(credential: TokenCredential) {
  return {
    name: 'acsBearerTokenPolicy',
    async sendRequest(
      request: { headers: { set(name: string, value: string): void } },
      next: (request: never) => Promise<unknown>,
    ) {
      const token = await credential.getToken(ACS_SCOPE);
      if (token === null) throw new Error('The credential returned no token for ACS.');
      request.headers.set('Authorization', `Bearer ${token.token}`);
      return next(request as never);
    },
  } as unknown as Parameters<MessagesServiceClient['pipeline']['addPolicy']>[0];
}

/** ACS refused a send; carries the HTTP status and ACS error code only (no message content). */
export class AcsSendError extends Error {
  constructor(
    readonly status: string,
    readonly code: string | undefined,
  ) {
    super(`ACS refused the message: HTTP ${status}${code ? ` (${code})` : ''}`);
    this.name = 'AcsSendError';
  }
}

/** The {@link WhatsAppSender} on the ACS Advanced Messaging REST client. */
export class AcsWhatsAppSender implements WhatsAppSender {
  readonly #client: MessagesServiceClient;

  constructor(client: MessagesServiceClient) {
    this.#client = client;
  }

  async send(body: NotificationBody, repeatable?: Repeatable): Promise<string> {
    const send = (headers?: Record<string, string>) =>
      this.#client.path('/messages/notifications:send').post({ body, ...(headers ? { headers } : {}) });
    let response = await send(
      repeatable === undefined
        ? undefined
        : {
            'Repeatability-Request-ID': repeatabilityRequestId(repeatable.key),
            'Repeatability-First-Sent': new Date(repeatable.firstSentAt).toUTCString(),
          },
    );
    if (response.status === '412' && response.headers['repeatability-result'] === 'rejected') {
      // The first attempt is older than the window ACS tracks repeats for (5 minutes): ACS cannot tell a repeat
      // from a new request any more, so it is sent as a new one.
      response = await send();
    }
    if (response.status !== '202') {
      const error = (response.body as { error?: { code?: string } } | undefined)?.error;
      throw new AcsSendError(response.status, error?.code);
    }
    const messageId = (response.body as { receipts?: { messageId?: string }[] }).receipts?.[0]?.messageId;
    if (messageId === undefined) throw new AcsSendError(response.status, 'NoReceipt');
    return messageId;
  }
}
