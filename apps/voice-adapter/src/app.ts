import {
  type CredentialCheck,
  createCredentialCheck,
  createServiceApp,
  type DedupeStore,
  discoverOidcAuth,
  type EventGridAuth,
  eventGridAuthFrom,
  eventGridWebhook,
  HttpProblem,
} from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { VoiceCallFlow } from './call-flow.js';
import type { Config } from './config.js';

/** The Event Grid type of an incoming call. */
export const INCOMING_CALL = 'Microsoft.Communication.IncomingCall';

/** What the voice-adapter needs; `wiring.ts` wires the real ones, tests pass their own. */
export interface VoiceAdapterDeps {
  config: Config;
  logger?: Logger;
  flow: Pick<VoiceCallFlow, 'incomingCall' | 'callback'>;
  /** Readiness checks (e.g. the consumers' `readinessCheck`), by name. */
  readiness?: Record<string, () => Promise<void>>;
  /** Dedupe of Event Grid deliveries; default in memory (service-kit). */
  dedupe?: DedupeStore;
  /** Overrides the auth derived from the config (tests with Entra keys). */
  auth?: EventGridAuth;
  /** Checks ACS's signed JWT on callbacks (besides the per-call secret); default from `ACS_CALLBACK_AUDIENCE`. */
  callbackAuth?: CredentialCheck;
}

/** Where ACS Call Automation publishes the OpenID configuration of its callback tokens. */
export const ACS_CALLBACK_OPENID_CONFIGURATION =
  'https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration';

/**
 * The ACS callback JWT check for an audience (the ACS resource's immutable id): discovery on the first callback,
 * retried on the next one if it failed (answered 503 so that ACS retries).
 */
export function acsCallbackAuth(
  audience: string,
  openIdConfigurationUrl = ACS_CALLBACK_OPENID_CONFIGURATION,
): CredentialCheck {
  let check: Promise<CredentialCheck> | undefined;
  return async (request) => {
    check ??= discoverOidcAuth({ openIdConfigurationUrl, audience }).then(
      (entra) => createCredentialCheck({ entra }),
      (error: unknown) => {
        check = undefined;
        request.log.warn({ err: error }, 'ACS callback token keys unavailable');
        throw new HttpProblem(503, 'Service Unavailable', {
          detail: 'Callback credentials cannot be verified right now.',
        });
      },
    );
    await (await check)(request);
  };
}

/** The IncomingCall webhook's auth from the configuration: shared secret and / or Entra. */
export function eventGridAuthOf(config: Config): EventGridAuth {
  return eventGridAuthFrom(config);
}

/**
 * Answers ACS calls, runs speech turns with the voice agent, holds callers in queue and offers to continue
 * on WhatsApp or web chat. `POST /api/incoming-call` (Event Grid) and `POST /api/callbacks/:callId` (ACS
 * mid-call CloudEvents, authenticated by the per-call `secret` query parameter).
 */
export function buildApp(deps: VoiceAdapterDeps): FastifyInstance {
  const app = createServiceApp({
    service: 'voice-adapter',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  for (const [name, check] of Object.entries(deps.readiness ?? {})) app.readiness.register(name, check);
  // ACS keeps its callback connections alive (fastify answers keep-alive for 72 s): a response finished while the
  // app closes says `connection: close`, so closing does not wait for those sockets to time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.register(eventGridWebhook, {
    path: '/api/incoming-call',
    auth: deps.auth ?? eventGridAuthOf(deps.config),
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    ...(deps.dedupe ? { dedupe: deps.dedupe } : {}),
    handler: async (event, { log }) => {
      if (event.type !== INCOMING_CALL) {
        log.debug({ eventId: event.id, eventType: event.type }, 'event type ignored');
        return;
      }
      await deps.flow.incomingCall(event.data, log);
    },
  });
  const callbackAuth =
    deps.callbackAuth ??
    (deps.config.ACS_CALLBACK_AUDIENCE !== undefined
      ? acsCallbackAuth(deps.config.ACS_CALLBACK_AUDIENCE, deps.config.ACS_CALLBACK_OPENID_CONFIGURATION)
      : undefined);
  app.post<{ Params: { callId: string }; Querystring: { secret?: string } }>(
    '/api/callbacks/:callId',
    async (request, reply) => {
      if (callbackAuth !== undefined) await callbackAuth(request);
      await deps.flow.callback(request.params.callId, request.query.secret, request.body);
      return reply.status(200).send();
    },
  );
  return app;
}
