import { SmsClient } from '@azure/communication-sms';
import type { TokenCredential } from '@azure/core-auth';
import { AcsSendError } from './acs.js';

/** Port: sends one SMS and returns the provider's message id. */
export interface SmsSender {
  send(to: string, message: string, tag: string): Promise<string>;
}

/** How to reach ACS for SMS: the same resource (and credentials) as Advanced Messaging. */
export type SmsConnection = { connectionString: string } | { endpoint: string; credential: TokenCredential };

/** The {@link SmsSender} on `@azure/communication-sms`, from the resource's own number `from`. */
export class AcsSmsSender implements SmsSender {
  readonly #client: SmsClient;
  readonly #from: string;

  constructor(connection: SmsConnection, from: string) {
    // `http://` endpoints are the local emulator.
    if ('connectionString' in connection) {
      const insecure = /endpoint=http:\/\//i.test(connection.connectionString);
      this.#client = new SmsClient(connection.connectionString, { allowInsecureConnection: insecure });
    } else {
      this.#client = new SmsClient(connection.endpoint, connection.credential, {
        allowInsecureConnection: connection.endpoint.startsWith('http://'),
      });
    }
    this.#from = from;
  }

  async send(to: string, message: string, tag: string): Promise<string> {
    // A 4xx / 5xx of the request is thrown by the SDK (a RestError with statusCode); a per-recipient refusal
    // comes back as a result that is not successful.
    const [result] = await this.#client.send(
      { from: this.#from, to: [to], message },
      { enableDeliveryReport: true, tag },
    );
    if (result === undefined) throw new AcsSendError('500', 'NoResult');
    if (!result.successful || result.messageId === undefined) {
      throw new AcsSendError(String(result.httpStatusCode), result.errorMessage ?? 'NotSent');
    }
    return result.messageId;
  }
}
