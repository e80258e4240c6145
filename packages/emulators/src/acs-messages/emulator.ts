import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { LocalEntraIssuer, type LocalTokenCredential } from '../acs-common/entra-tokens.js';
import { DEFAULT_RETRY_POLICY, EventGridDeliverer, type RetryPolicy } from '../acs-common/event-grid.js';
import { AcsFaults } from '../acs-common/faults.js';
import { serveApp } from '../acs-common/serve.js';
import { selfSignedCertificate } from '../local-tls.js';
import { SimulatedCustomer } from './customer.js';
import { type AcsServerState, createAcsMessagesApp } from './server.js';
import { MessageStore } from './store.js';
import { DEFAULT_WHATSAPP_TEMPLATES, type WhatsAppTemplate } from './whatsapp-rules.js';

/** Api-versions of `/messages/notifications:send` accepted by default (2024-08-30 is the 2.0.0 SDK's default). */
export const ACS_MESSAGES_API_VERSIONS: readonly string[] = ['2024-02-01', '2024-08-30'];
/** Api-versions of `POST /sms` accepted by default. */
export const ACS_SMS_API_VERSIONS: readonly string[] = ['2021-03-07'];

/** How to start an {@link AcsMessagesEmulator}. Every field is optional. */
export interface AcsMessagesEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` (the default) picks a free one. */
  port?: number;
  /** The resource's access key (base64, as ACS keys are). Default: 32 random bytes. */
  accessKey?: string;
  /** The WhatsApp channel registration id (a GUID). Default: a random one. */
  channelRegistrationId?: string;
  messagesApiVersions?: readonly string[];
  smsApiVersions?: readonly string[];
  /** Emit Sent and Delivered after each outbound WhatsApp message. Default true. */
  autoDeliveryStatus?: boolean;
  /** Event Grid retry policy for webhook deliveries (shortened). */
  retry?: Partial<RetryPolicy>;
  /** The Event Grid `topic` of emitted events. */
  topic?: string;
  /** Receives request handler failures (silent when omitted). */
  logger?: Logger;
  /** The approved WhatsApp templates; sends of others fail (132001). Default {@link DEFAULT_WHATSAPP_TEMPLATES}. */
  templates?: readonly WhatsAppTemplate[];
  /** Time source of the 24-hour customer-service window (tests move it instead of waiting). Default `Date`. */
  clock?: { now(): number };
  /**
   * Serve https with a certificate generated at start (trust `caCertificatePem`), which also lets clients use
   * Entra-style bearer tokens from `credential()` (the SDKs send bearer tokens over https only). Default false.
   */
  https?: boolean;
  /** Extra host names or IPs the certificate is valid for (with `https`). */
  certificateHosts?: readonly string[];
}

/** A running ACS Advanced Messaging (and SMS) emulator. */
export interface AcsMessagesEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  /** `endpoint=http://127.0.0.1:<port>/;accesskey=<key>` for `MessagesServiceClient(connectionString, { allowInsecureConnection: true })`. */
  readonly connectionString: string;
  readonly channelRegistrationId: string;
  /** Every accepted outbound message (WhatsApp and SMS). */
  readonly messages: MessageStore;
  /** The customer's phone: inbound messages and delivery statuses to the connected webhook. */
  readonly customer: SimulatedCustomer;
  /** Fault switches: `faults.next({ status: 429 | 500 | 503, retryAfterSeconds?, count? })`. */
  readonly faults: AcsFaults;
  /** With `https`: the self-signed certificate (PEM) clients must trust (`trustCertificate`). */
  readonly caCertificatePem: string | undefined;
  /** A `TokenCredential` with Entra-style tokens this emulator accepts (managed-identity code paths; https only). */
  credential(): LocalTokenCredential;
  /** Forgets messages, events, delivery attempts and failure settings (the webhook stays connected). */
  reset(): void;
  /** Stops listening. Safe to call twice. */
  stop(): Promise<void>;
}

function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Starts the emulator over **http**. The unmodified `@azure-rest/communication-messages` client talks to it:
 *
 * @example
 * ```ts
 * const acs = await startAcsMessagesEmulator();
 * const client = MessagesServiceClient(acs.connectionString, { allowInsecureConnection: true });
 * await acs.customer.connect('http://127.0.0.1:3000/api/events', { secret: 's3cret' });
 * await acs.customer.send('+14255550123', 'Hello');
 * ```
 */
export async function startAcsMessagesEmulator(
  options: AcsMessagesEmulatorOptions = {},
): Promise<AcsMessagesEmulator> {
  const host = options.host ?? '127.0.0.1';
  const accessKey = options.accessKey ?? randomBytes(32).toString('base64');
  const channelRegistrationId = options.channelRegistrationId ?? randomUUID();
  const topic =
    options.topic ??
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/omnichannel-local/providers/microsoft.communication/communicationservices/acs-emulator';
  const store = new MessageStore();
  const deliverer = new EventGridDeliverer(
    { ...DEFAULT_RETRY_POLICY, ...options.retry },
    'acs-emulator-subscription',
  );
  const customer = new SimulatedCustomer({
    channelRegistrationId,
    topic,
    deliverer,
    store,
    autoDeliveryStatus: options.autoDeliveryStatus ?? true,
    templates: options.templates ?? DEFAULT_WHATSAPP_TEMPLATES,
    now: () => (options.clock ?? Date).now(),
  });
  const state: AcsServerState = {
    accessKey,
    channelRegistrationId,
    messagesApiVersions: options.messagesApiVersions ?? ACS_MESSAGES_API_VERSIONS,
    smsApiVersions: options.smsApiVersions ?? ACS_SMS_API_VERSIONS,
    store,
    customer,
    repeatable: new Map(),
    now: () => (options.clock ?? Date).now(),
    faults: new AcsFaults(),
    entra: new LocalEntraIssuer(),
    reset() {
      state.repeatable.clear();
      state.faults.clear();
      store.clear();
      customer.reset();
    },
  };
  const certificate = options.https ? await selfSignedCertificate(options.certificateHosts ?? []) : undefined;
  const app = createAcsMessagesApp(state, options.logger);
  const served = await serveApp(app, host, options.port ?? 0, certificate);
  const endpoint = `${certificate ? 'https' : 'http'}://${connectableHost(host)}:${served.port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port: served.port,
    accessKey,
    connectionString: `endpoint=${endpoint}/;accesskey=${accessKey}`,
    channelRegistrationId,
    messages: store,
    customer,
    faults: state.faults,
    caCertificatePem: certificate?.cert,
    credential: () => state.entra.credential(),
    reset: () => state.reset(),
    stop() {
      stopped ??= (async () => {
        customer.disconnect();
        await served.close();
      })();
      return stopped;
    },
  };
}
