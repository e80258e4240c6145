import { SmsClient, type SmsClientOptions } from '@azure/communication-sms';
import type { TokenCredential } from '@azure/core-auth';
import { AcsSendError, type Repeatable, repeatabilityRequestId } from './acs.js';

/** Port: sends one SMS and returns the provider's message id. */
export interface SmsSender {
  /** With `repeatable`, a repeat of the send within ACS's window is answered with the first result, not sent. */
  send(to: string, message: string, tag: string, repeatable?: Repeatable): Promise<string>;
}

/** A pipeline policy of the SDK's client (`@azure/core-rest-pipeline`'s `PipelinePolicy`). */
type PipelinePolicy = NonNullable<SmsClientOptions['additionalPolicies']>[number]['policy'];

/** The request header that carries a send's repeatability to {@link smsRepeatability} (never sent). */
const REPEATABILITY_MARKER = 'x-omni-sms-repeatability';

/**
 * The SMS API takes repeatability per recipient in the body (`repeatabilityRequestId`, `repeatabilityFirstSent`),
 * and `@azure/communication-sms` fills both with a new random GUID and "now" on every call, so a retried send is a
 * new SMS to ACS. This pipeline policy (the SDK's documented `additionalPolicies` hook) puts the send's own values
 * there instead, when the call carries them in the marker header, which it removes.
 */
const smsRepeatability: PipelinePolicy = {
  name: 'omniSmsRepeatability',
  async sendRequest(request, next) {
    const marker = request.headers.get(REPEATABILITY_MARKER);
    if (marker !== undefined) {
      request.headers.delete(REPEATABILITY_MARKER);
      const { id, firstSent } = JSON.parse(marker) as { id: string; firstSent: string };
      if (typeof request.body === 'string') {
        const body = JSON.parse(request.body) as { smsRecipients?: Record<string, unknown>[] };
        for (const recipient of body.smsRecipients ?? []) {
          recipient.repeatabilityRequestId = id;
          recipient.repeatabilityFirstSent = firstSent;
        }
        request.body = JSON.stringify(body);
      }
    }
    return next(request);
  },
};

/** How to reach ACS for SMS: the same resource (and credentials) as Advanced Messaging. */
export type SmsConnection = { connectionString: string } | { endpoint: string; credential: TokenCredential };

/** The {@link SmsSender} on `@azure/communication-sms`, from the resource's own number `from`. */
export class AcsSmsSender implements SmsSender {
  readonly #client: SmsClient;
  readonly #from: string;

  constructor(connection: SmsConnection, from: string) {
    // `http://` endpoints are the local emulator.
    const additionalPolicies = [{ policy: smsRepeatability, position: 'perCall' as const }];
    if ('connectionString' in connection) {
      const insecure = /endpoint=http:\/\//i.test(connection.connectionString);
      this.#client = new SmsClient(connection.connectionString, {
        allowInsecureConnection: insecure,
        additionalPolicies,
      });
    } else {
      this.#client = new SmsClient(connection.endpoint, connection.credential, {
        allowInsecureConnection: connection.endpoint.startsWith('http://'),
        additionalPolicies,
      });
    }
    this.#from = from;
  }

  async send(to: string, message: string, tag: string, repeatable?: Repeatable): Promise<string> {
    const send = async (repeat: Repeatable | undefined) => {
      const marker =
        repeat === undefined
          ? undefined
          : JSON.stringify({
              // One recipient per send: the key's GUID is the recipient's.
              id: repeatabilityRequestId(repeat.key),
              firstSent: new Date(repeat.firstSentAt).toUTCString(),
            });
      const [result] = await this.#client.send(
        { from: this.#from, to: [to], message },
        {
          enableDeliveryReport: true,
          tag,
          ...(marker === undefined
            ? {}
            : { requestOptions: { customHeaders: { [REPEATABILITY_MARKER]: marker } } }),
        },
      );
      return result;
    };
    // A 4xx / 5xx of the request is thrown by the SDK (a RestError with statusCode); a per-recipient refusal
    // comes back as a result that is not successful.
    let result = await send(repeatable);
    if (
      repeatable !== undefined &&
      result !== undefined &&
      !result.successful &&
      (result as { repeatabilityResult?: string }).repeatabilityResult === 'rejected' &&
      result.httpStatusCode === 412
    ) {
      // The first attempt is older than the window ACS tracks repeats for: sent as a new request.
      result = await send(undefined);
    }
    if (result === undefined) throw new AcsSendError('500', 'NoResult');
    if (!result.successful || result.messageId === undefined) {
      throw new AcsSendError(String(result.httpStatusCode), result.errorMessage ?? 'NotSent');
    }
    return result.messageId;
  }
}
