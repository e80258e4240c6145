import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { LocalEntraIssuer, type LocalTokenCredential } from '../acs-common/entra-tokens.js';
import { DEFAULT_RETRY_POLICY, EventGridDeliverer, type RetryPolicy } from '../acs-common/event-grid.js';
import { AcsFaults } from '../acs-common/faults.js';
import { serveApp } from '../acs-common/serve.js';
import { selfSignedCertificate } from '../local-tls.js';
import { CallbackTokenIssuer } from './callback-tokens.js';
import { CallRegistry } from './calls.js';
import { createAcsCallingApp } from './server.js';

/** Api-versions of Call Automation accepted by default (2026-03-12 is the 1.6.0 SDK's default). */
export const ACS_CALLING_API_VERSIONS: readonly string[] = ['2025-05-15', '2025-06-15', '2026-03-12'];

/** How to start an {@link AcsCallingEmulator}. Every field is optional. */
export interface AcsCallingEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` (the default) picks a free one. */
  port?: number;
  /** The resource's access key (base64). Default: 32 random bytes. */
  accessKey?: string;
  /** The number callers dial. Default `+18005550100`. */
  acsPhoneNumber?: string;
  apiVersions?: readonly string[];
  /** Simulated speaking time per character of a text prompt, in ms. Default 1. */
  playbackMsPerCharacter?: number;
  /** Simulated length of an audio file, in ms. Default 50. */
  filePlaybackMs?: number;
  /** Event Grid retry policy for IncomingCall deliveries (shortened). */
  retry?: Partial<RetryPolicy>;
  /** The Event Grid `topic` of IncomingCall events. */
  topic?: string;
  logger?: Logger;
  /** How long a call rings unanswered before it is dropped, in ms. Default 30 000. */
  ringTimeoutMs?: number;
  /** The resource's immutable id: the audience of the callback tokens. Default: a random GUID. */
  resourceId?: string;
  /**
   * Serve https with a certificate generated at start (trust `caCertificatePem`), which also lets clients use
   * Entra-style bearer tokens from `credential()` (the SDKs send bearer tokens over https only). Default false.
   */
  https?: boolean;
  /** Extra host names or IPs the certificate is valid for (with `https`). */
  certificateHosts?: readonly string[];
}

/** A running ACS Call Automation emulator. */
export interface AcsCallingEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  /** `endpoint=http://127.0.0.1:<port>/;accesskey=<key>` for `new CallAutomationClient(cs, { allowInsecureConnection: true })`. */
  readonly connectionString: string;
  readonly acsPhoneNumber: string;
  /** The calls, and the simulated callers on them (dial, say, press, silence, hang up) and what they heard. */
  readonly calls: CallRegistry;
  /** Fault switches: `faults.next({ status: 429 | 500 | 503, retryAfterSeconds?, count? })`. */
  readonly faults: AcsFaults;
  /** The resource's immutable id: the audience (`aud`) of the JWT on every callback. */
  readonly resourceId: string;
  /** The OpenID configuration of the callback tokens (what `ACS_CALLBACK_OPENID_CONFIGURATION` points at). */
  readonly openIdConfigurationUrl: string;
  /** A fresh callback token, as ACS puts on its callbacks (for tests that post callbacks themselves). */
  callbackToken(): string;
  /** With `https`: the self-signed certificate (PEM) clients must trust (`trustCertificate`). */
  readonly caCertificatePem: string | undefined;
  /** A `TokenCredential` with Entra-style tokens this emulator accepts (managed-identity code paths; https only). */
  credential(): LocalTokenCredential;
  /** Forgets calls and failure settings (the webhook stays connected). */
  reset(): void;
  /** Stops listening. Safe to call twice. */
  stop(): Promise<void>;
}

function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Starts the Call Automation emulator over **http**. The unmodified `@azure/communication-call-automation`
 * client talks to it (HMAC verified on every request):
 *
 * @example
 * ```ts
 * const acs = await startAcsCallingEmulator({ port: 0 });
 * await acs.calls.connect('http://127.0.0.1:7071/api/incoming-call', { secret: 's3cret' });
 * const call = await acs.calls.dial('+14255550123');
 * ```
 */
export async function startAcsCallingEmulator(
  options: AcsCallingEmulatorOptions = {},
): Promise<AcsCallingEmulator> {
  const host = options.host ?? '127.0.0.1';
  const accessKey = options.accessKey ?? randomBytes(32).toString('base64');
  const acsPhoneNumber = options.acsPhoneNumber ?? '+18005550100';
  const topic =
    options.topic ??
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/omnichannel-local/providers/microsoft.communication/communicationservices/acs-emulator';
  const deliverer = new EventGridDeliverer(
    { ...DEFAULT_RETRY_POLICY, ...options.retry },
    'acs-calling-subscription',
  );
  const resourceId = options.resourceId ?? randomUUID();
  const tokens = new CallbackTokenIssuer(resourceId);
  const faults = new AcsFaults();
  const entra = new LocalEntraIssuer();
  const calls = new CallRegistry({
    deliverer,
    topic,
    acsPhoneNumber,
    playbackMsPerCharacter: options.playbackMsPerCharacter ?? 1,
    filePlaybackMs: options.filePlaybackMs ?? 50,
    callbackTimeoutMs: 10_000,
    ringTimeoutMs: options.ringTimeoutMs ?? 30_000,
    tokens,
  });
  const app = createAcsCallingApp(calls, {
    accessKey,
    apiVersions: options.apiVersions ?? ACS_CALLING_API_VERSIONS,
    tokens,
    faults,
    entra,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const certificate = options.https ? await selfSignedCertificate(options.certificateHosts ?? []) : undefined;
  let served: Awaited<ReturnType<typeof serveApp>>;
  try {
    served = await serveApp(app, host, options.port ?? 0, certificate);
  } catch (error) {
    calls.close();
    throw error;
  }
  const endpoint = `${certificate ? 'https' : 'http'}://${connectableHost(host)}:${served.port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port: served.port,
    accessKey,
    connectionString: `endpoint=${endpoint}/;accesskey=${accessKey}`,
    acsPhoneNumber,
    calls,
    faults,
    resourceId,
    openIdConfigurationUrl: `${endpoint}/calling/.well-known/acsopenidconfiguration`,
    callbackToken: () => tokens.token(),
    caCertificatePem: certificate?.cert,
    credential: () => entra.credential(),
    reset: () => {
      calls.reset();
      faults.clear();
    },
    stop() {
      stopped ??= (async () => {
        calls.close();
        await served.close();
      })();
      return stopped;
    },
  };
}
