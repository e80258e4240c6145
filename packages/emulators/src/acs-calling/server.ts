import { createServiceApp, fieldIssuesFromZod } from '@omni/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LocalEntraIssuer } from '../acs-common/entra-tokens.js';
import { AcsError, acsErrorHandler } from '../acs-common/errors.js';
import type { AcsFaults } from '../acs-common/faults.js';
import { requireAcsHmac } from '../acs-common/signed-routes.js';
import type { CallbackTokenIssuer } from './callback-tokens.js';
import { CallActionError, type CallRegistry, type EmulatedCall } from './calls.js';

const sendError = acsErrorHandler('acs calling emulator', (error) =>
  error instanceof CallActionError ? new AcsError(error.status, error.code, error.message) : undefined,
);

const identifier = z.object({
  kind: z.string().optional(),
  rawId: z.string().optional(),
  phoneNumber: z.object({ value: z.string(), isAnonymous: z.boolean().optional() }).optional(),
  communicationUser: z.object({ id: z.string() }).optional(),
});

const playSource = z.object({
  kind: z.enum(['text', 'ssml', 'file']),
  text: z.object({ text: z.string().min(1), voiceName: z.string().optional() }).optional(),
  ssml: z.object({ ssmlText: z.string().min(1) }).optional(),
  file: z.object({ uri: z.string().min(1) }).optional(),
});

const answerSchema = z.object({
  incomingCallContext: z.string().min(1),
  callbackUri: z.url(),
  operationContext: z.string().optional(),
  callIntelligenceOptions: z.object({ cognitiveServicesEndpoint: z.string().optional() }).optional(),
});

const playSchema = z.object({
  playSources: z.array(playSource).min(1),
  playTo: z.array(identifier).optional(),
  playOptions: z.object({ loop: z.boolean().optional() }).optional(),
  operationContext: z.string().optional(),
});

const recognizeSchema = z.object({
  recognizeInputType: z.enum(['dtmf', 'speech', 'speechOrDtmf', 'choices']),
  playPrompt: playSource.optional(),
  playPrompts: z.array(playSource).optional(),
  interruptCallMediaOperation: z.boolean().optional(),
  operationContext: z.string().optional(),
  // Ranges from the Recognize how-to: initial silence up to 300 s, inter-tone timeout 1-60 s, at least one tone.
  recognizeOptions: z.object({
    interruptPrompt: z.boolean().optional(),
    initialSilenceTimeoutInSeconds: z.number().gt(0).max(300).optional(),
    targetParticipant: identifier,
    dtmfOptions: z
      .object({
        maxTonesToCollect: z.number().int().min(1).optional(),
        interToneTimeoutInSeconds: z.number().min(1).max(60).optional(),
      })
      .loose()
      .optional(),
    speechOptions: z.object({}).loose().optional(),
  }),
});

const transferSchema = z.object({
  targetParticipant: identifier,
  operationContext: z.string().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new AcsError(400, 'BadRequest', 'The request body is invalid.', fieldIssuesFromZod(parsed.error));
  }
  return parsed.data;
}

function contentOf(source: z.infer<typeof playSource>): { kind: string; content: string } {
  const content =
    source.kind === 'text'
      ? source.text?.text
      : source.kind === 'ssml'
        ? source.ssml?.ssmlText
        : source.file?.uri;
  if (content === undefined) {
    throw new AcsError(400, 'BadRequest', `The ${source.kind} play source has no ${source.kind} member.`);
  }
  return { kind: source.kind, content };
}

function apiVersionOf(request: FastifyRequest, accepted: readonly string[]): void {
  const version = (request.query as Record<string, string | undefined>)['api-version'];
  if (version === undefined || version === '') {
    throw new AcsError(400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
  }
  if (!accepted.includes(version)) {
    throw new AcsError(400, 'UnsupportedApiVersion', `The api-version '${version}' is not supported.`);
  }
}

/** `CallConnectionProperties` as the REST API returns them. */
function properties(call: EmulatedCall) {
  const state =
    call.state === 'ringing' ? 'unknown' : call.state === 'transferring' ? 'transferring' : call.state;
  return {
    callConnectionId: call.callConnectionId,
    serverCallId: call.serverCallId,
    correlationId: call.correlationId,
    callConnectionState: state,
    callbackUri: call.callbackUri,
    source: { kind: 'phoneNumber', rawId: `4:${call.to}`, phoneNumber: { value: call.to } },
    targets: [{ kind: 'phoneNumber', rawId: `4:${call.from}`, phoneNumber: { value: call.from } }],
  };
}

function callId(request: FastifyRequest): string {
  const raw = (request.params as { action?: string; id?: string }).action ?? '';
  return raw;
}

/** The Call Automation data-plane routes, each behind the HMAC check. */
function registerCallingRoutes(
  scope: FastifyInstance,
  registry: CallRegistry,
  accessKey: string,
  apiVersions: readonly string[],
  faults: AcsFaults,
  entra: LocalEntraIssuer,
): void {
  scope.setErrorHandler(sendError);
  requireAcsHmac(
    scope,
    accessKey,
    () => new AcsError(400, 'BadRequest', 'The request body is not valid JSON.'),
    entra,
  );
  scope.addHook('preHandler', async (request) => apiVersionOf(request, apiVersions));
  scope.addHook('preHandler', async () => faults.take());

  scope.post('/calling/callConnections:answer', async (request, reply) => {
    const body = parse(answerSchema, request.body);
    const endpoint = body.callIntelligenceOptions?.cognitiveServicesEndpoint;
    const call = registry.answer({
      incomingCallContext: body.incomingCallContext,
      callbackUri: body.callbackUri,
      ...(body.operationContext === undefined ? {} : { operationContext: body.operationContext }),
      ...(endpoint === undefined ? {} : { cognitiveServicesEndpoint: endpoint }),
    });
    return reply.status(200).send(properties(call));
  });

  // One parametric route per method: the action follows the id after a colon (`<id>:play`).
  scope.post('/calling/callConnections/:action', async (request, reply) => {
    const [id = '', action] = callId(request).split(':');
    switch (action) {
      case 'play': {
        const body = parse(playSchema, request.body);
        registry.play(id, body.playSources.map(contentOf), body.operationContext);
        return reply.status(202).send();
      }
      case 'recognize': {
        const body = parse(recognizeSchema, request.body);
        const prompts = [...(body.playPrompt ? [body.playPrompt] : []), ...(body.playPrompts ?? [])];
        const tones = body.recognizeOptions.dtmfOptions?.maxTonesToCollect;
        registry.recognize(id, {
          inputType: body.recognizeInputType,
          prompts: prompts.map(contentOf),
          interruptPrompt: body.recognizeOptions.interruptPrompt ?? false,
          ...(body.operationContext === undefined ? {} : { operationContext: body.operationContext }),
          ...(tones === undefined ? {} : { maxTonesToCollect: tones }),
          targetParticipant: body.recognizeOptions.targetParticipant,
        });
        return reply.status(202).send();
      }
      case 'transferToParticipant': {
        const body = parse(transferSchema, request.body);
        registry.transfer(id, body.targetParticipant, body.operationContext);
        return reply
          .status(202)
          .send(body.operationContext === undefined ? {} : { operationContext: body.operationContext });
      }
      case 'terminate':
        registry.hangUp(id);
        return reply.status(204).send();
      default:
        throw new AcsError(404, 'NotFound', `Unknown or unsupported call action: ${action ?? '(none)'}.`);
    }
  });

  scope.delete('/calling/callConnections/:action', async (request, reply) => {
    registry.hangUp(callId(request));
    return reply.status(204).send();
  });

  scope.get('/calling/callConnections/:action', async (request) => {
    const call = registry.get(callId(request));
    if (call === undefined || call.state === 'disconnected') {
      throw new AcsError(404, '8522', 'Call not found or the call has ended.');
    }
    return properties(call);
  });
}

const dialSchema = z.object({
  from: z.string().regex(/^(\+[1-9]\d{6,14}|anonymous)$/, 'an E.164 number or "anonymous"'),
  callerDisplayName: z.string().optional(),
});
const sayBody = z.object({ text: z.string().min(1) });
const pressBody = z.object({ keys: z.string().regex(/^[0-9*#A-D]+$/i, 'DTMF keys 0-9, *, #, A-D') });
const silenceBody = z.object({ reason: z.enum(['silence', 'noMatch']).default('silence') });
const connectBody = z.object({ url: z.url(), secret: z.string().optional() });

/** The simulated caller and inspection over HTTP (no authentication; local use only). */
function registerCallerRoutes(scope: FastifyInstance, registry: CallRegistry): void {
  scope.setErrorHandler(sendError);
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  scope.post('/connect', async (request, reply) => {
    const body = parse(connectBody, request.body);
    await registry.connect(body.url, body.secret === undefined ? {} : { secret: body.secret });
    return reply.status(204).send();
  });
  scope.get('/calls', async () => ({ value: registry.list() }));
  scope.post('/calls', async (request, reply) => {
    const body = parse(dialSchema, request.body);
    const call = await registry.dial(
      body.from,
      body.callerDisplayName === undefined ? {} : { callerDisplayName: body.callerDisplayName },
    );
    return reply.status(201).send(call);
  });
  scope.get('/calls/:id', async (request) => {
    const call = registry.get(id(request));
    if (call === undefined) throw new AcsError(404, 'NotFound', 'No such call.');
    return call;
  });
  scope.post('/calls/:id/say', async (request, reply) => {
    registry.say(id(request), parse(sayBody, request.body).text);
    return reply.status(202).send();
  });
  scope.post('/calls/:id/press', async (request, reply) => {
    registry.press(id(request), parse(pressBody, request.body).keys);
    return reply.status(202).send();
  });
  scope.post('/calls/:id/silence', async (request, reply) => {
    registry.silence(id(request), parse(silenceBody, request.body ?? {}).reason);
    return reply.status(202).send();
  });
  scope.post('/calls/:id/hang-up', async (request, reply) => {
    registry.callerHangsUp(id(request));
    return reply.status(202).send();
  });
  scope.post('/reset', async (_request, reply) => {
    registry.reset();
    return reply.status(204).send();
  });
}

/**
 * Where ACS publishes the keys of its callback tokens (no authentication, as in Azure): the OpenID configuration
 * at the path Azure uses, and its key set.
 */
function registerCallbackKeyRoutes(scope: FastifyInstance, tokens: CallbackTokenIssuer): void {
  scope.get('/calling/.well-known/acsopenidconfiguration', async (request) =>
    tokens.openIdConfiguration(`${request.protocol}://${request.host}/calling/keys`),
  );
  scope.get('/calling/keys', async () => tokens.keys());
}

/** The emulator's fastify app (not yet listening). */
export function createAcsCallingApp(
  registry: CallRegistry,
  options: {
    accessKey: string;
    apiVersions: readonly string[];
    tokens: CallbackTokenIssuer;
    faults: AcsFaults;
    entra: LocalEntraIssuer;
    logger?: Logger;
  },
): FastifyInstance {
  const app = createServiceApp({
    service: 'acs-calling-emulator',
    defaultMetrics: false,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  app.register(async (scope) =>
    registerCallingRoutes(
      scope,
      registry,
      options.accessKey,
      options.apiVersions,
      options.faults,
      options.entra,
    ),
  );
  app.register(async (scope) => registerCallerRoutes(scope, registry), { prefix: '/_emulator' });
  app.register(async (scope) => registerCallbackKeyRoutes(scope, options.tokens));
  return app;
}
