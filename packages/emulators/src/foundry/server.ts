import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { type AgentRegistry, pageOf } from './agents.js';
import { type ConversationStore, conversationView } from './conversations.js';
import { FoundryApiError } from './errors.js';
import { normalizeInputItems } from './items.js';
import type { ModelStep, ScriptedModel } from './model.js';
import type { ResponsesService } from './responses.js';
import { writeResponseEvents } from './sse.js';

/** What the HTTP layer serves. */
export interface FoundryServerState {
  readonly project: string;
  readonly agents: AgentRegistry;
  readonly conversations: ConversationStore;
  readonly responses: ResponsesService;
  readonly model: ScriptedModel;
  /** The api-versions accepted (`?api-version=`): required on agent routes, checked wherever given. */
  readonly apiVersions: readonly string[];
  /** The bearer tokens accepted (the local credential's); others get 401 as an unknown token would in Azure. */
  readonly tokens: readonly string[];
  /** Forgets agents, conversations, responses and the model's script and requests. */
  reset(): void;
}

type Params = Record<string, string>;
type Query = Record<string, string | undefined>;

function params(request: FastifyRequest): Params {
  return request.params as Params;
}

function query(request: FastifyRequest): Query {
  return request.query as Query;
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const foundry =
    error instanceof FoundryApiError
      ? error
      : (() => {
          const status = (error as { statusCode?: number }).statusCode;
          if (typeof status === 'number' && status >= 400 && status < 500) {
            return new FoundryApiError(status, 'invalid_payload', (error as Error).message);
          }
          request.log.error({ err: error }, 'foundry emulator request failed');
          return new FoundryApiError(500, 'server_error', 'The emulator failed to handle the request.');
        })();
  return reply
    .status(foundry.status)
    .headers(foundry.headers)
    .type('application/problem+json')
    .send(foundry.toBody(request.url.split('?')[0] ?? ''));
}

/**
 * The Foundry project routes the SDKs call, under `/api/projects/<project>`: agents (`?api-version` required) and
 * `openai/v1` conversations and responses. Every call needs `Authorization: Bearer <token>` with a token of
 * `state.tokens` (the local credential's).
 */
function registerProjectRoutes(scope: FastifyInstance, state: FoundryServerState): void {
  const { agents, conversations, responses } = state;
  scope.setErrorHandler(sendError);
  scope.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (typeof authorization !== 'string' || !/^Bearer\s+\S+/i.test(authorization)) {
      throw new FoundryApiError(
        401,
        'unauthorized',
        'A bearer token is required (Authorization: Bearer <token>).',
        {
          headers: { 'www-authenticate': 'Bearer' },
        },
      );
    }
    if (!state.tokens.includes(authorization.replace(/^Bearer\s+/i, ''))) {
      throw new FoundryApiError(401, 'invalid_token', 'The bearer token is not valid for this resource.', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
    const project = params(request).project;
    if (project !== state.project)
      throw FoundryApiError.notFound(`Project '${project}' not found.`, 'project');
    const apiVersion = query(request)['api-version'];
    if (request.routeOptions.url?.includes('/agents') && !apiVersion) {
      throw new FoundryApiError(400, 'missing_api_version', 'The api-version query parameter is required.', {
        param: 'api-version',
      });
    }
    if (apiVersion !== undefined && !state.apiVersions.includes(apiVersion)) {
      throw new FoundryApiError(
        400,
        'unsupported_api_version',
        `The api-version '${apiVersion}' is not supported; supported: ${state.apiVersions.join(', ')}.`,
        { param: 'api-version' },
      );
    }
  });

  // Agents (project.agents.*)
  scope.get('/agents', async (request) => pageOf(agents.list(), (a) => a.id, query(request)));
  scope.post('/agents', async (request) => agents.create(request.body));
  scope.get('/agents/:agentName', async (request) => agents.get(params(request).agentName ?? ''));
  scope.post('/agents/:agentName', async (request) =>
    agents.update(params(request).agentName ?? '', request.body),
  );
  scope.delete('/agents/:agentName', async (request) => {
    const name = params(request).agentName ?? '';
    agents.delete(name);
    return { object: 'agent.deleted', name, deleted: true };
  });
  scope.get('/agents/:agentName/versions', async (request) =>
    pageOf(agents.versions(params(request).agentName ?? ''), (v) => v.id, query(request)),
  );
  scope.post('/agents/:agentName/versions', async (request) =>
    agents.createVersion(params(request).agentName ?? '', request.body),
  );
  scope.get('/agents/:agentName/versions/:version', async (request) =>
    agents.getVersion(params(request).agentName ?? '', params(request).version ?? ''),
  );
  scope.delete('/agents/:agentName/versions/:version', async (request) => {
    const { agentName = '', version = '' } = params(request);
    agents.deleteVersion(agentName, version);
    return { object: 'agent.version.deleted', name: agentName, version, deleted: true };
  });

  // Conversations (openai.conversations.*)
  scope.post('/openai/v1/conversations', async (request) =>
    conversationView(conversations.create(request.body)),
  );
  scope.get('/openai/v1/conversations/:id', async (request) =>
    conversationView(conversations.get(params(request).id ?? '')),
  );
  scope.post('/openai/v1/conversations/:id', async (request) =>
    conversationView(conversations.update(params(request).id ?? '', request.body)),
  );
  scope.delete('/openai/v1/conversations/:id', async (request) => {
    const id = params(request).id ?? '';
    conversations.delete(id);
    return { id, object: 'conversation.deleted', deleted: true };
  });
  scope.post('/openai/v1/conversations/:id/items', async (request) => {
    const id = params(request).id ?? '';
    conversations.get(id);
    const body = request.body as { items?: unknown } | undefined;
    const items = normalizeInputItems(body?.items ?? null, 'items');
    conversations.append(id, items);
    return {
      object: 'list',
      data: items,
      first_id: items[0]?.id ?? null,
      last_id: items.at(-1)?.id ?? null,
      has_more: false,
    };
  });
  scope.get('/openai/v1/conversations/:id/items', async (request) =>
    pageOf(conversations.get(params(request).id ?? '').items, (item) => item.id, query(request)),
  );
  scope.get('/openai/v1/conversations/:id/items/:itemId', async (request) => {
    const { id = '', itemId } = params(request);
    const item = conversations.get(id).items.find((i) => i.id === itemId);
    if (!item) throw FoundryApiError.notFound(`Item with id '${itemId}' not found.`, 'item_id');
    return item;
  });
  scope.delete('/openai/v1/conversations/:id/items/:itemId', async (request) => {
    const { id = '', itemId } = params(request);
    const conversation = conversations.get(id);
    const index = conversation.items.findIndex((i) => i.id === itemId);
    if (index < 0) throw FoundryApiError.notFound(`Item with id '${itemId}' not found.`, 'item_id');
    conversation.items.splice(index, 1);
    return conversationView(conversation);
  });

  // Responses (openai.responses.*)
  scope.post('/openai/v1/responses', async (request, reply) => {
    const response = await responses.create(request.body);
    if ((request.body as { stream?: unknown }).stream === true) {
      reply.hijack();
      writeResponseEvents(reply.raw, response);
      return reply;
    }
    return response;
  });
  scope.get('/openai/v1/responses/:id', async (request) => responses.get(params(request).id ?? ''));
  scope.delete('/openai/v1/responses/:id', async (request) => {
    const id = params(request).id ?? '';
    responses.delete(id);
    return { id, object: 'response.deleted', deleted: true };
  });
}

/**
 * The sandbox's view of the emulator (no authentication; local use only): agents, conversations and their items,
 * the model's recorded requests; `POST /_emulator/model/script` queues steps, `POST /_emulator/reset` clears.
 */
function registerInspectionRoutes(scope: FastifyInstance, state: FoundryServerState): void {
  scope.setErrorHandler(sendError);
  scope.get('/agents', async () =>
    state.agents.list().map((agent) => ({ name: agent.name, versions: state.agents.versions(agent.name) })),
  );
  scope.get('/conversations', async () =>
    state.conversations.list().map((c) => ({ ...conversationView(c), itemCount: c.items.length })),
  );
  scope.get('/conversations/:id/items', async (request) => ({
    object: 'list',
    data: state.conversations.get(params(request).id ?? '').items,
  }));
  scope.get('/model/requests', async () => ({ object: 'list', data: state.model.requests }));
  scope.post('/model/script', async (request, reply) => {
    const steps = (request.body as { steps?: unknown } | undefined)?.steps;
    if (!Array.isArray(steps))
      throw FoundryApiError.invalid('steps must be an array of model steps', 'steps');
    state.model.script(...(steps as ModelStep[]));
    return reply.status(202).send({ pending: state.model.pending });
  });
  scope.post('/reset', async (_request, reply) => {
    state.reset();
    return reply.status(204).send();
  });
}

/** Builds the emulator's fastify app (served over https by the emulator). */
export function createFoundryApp(state: FoundryServerState, logger?: Logger): FastifyInstance {
  const app = createServiceApp({
    service: 'foundry-emulator',
    defaultMetrics: false,
    bodyLimit: 8 * 1024 * 1024,
    ...(logger ? { logger } : {}),
  });
  app.register(async (scope) => registerProjectRoutes(scope, state), { prefix: '/api/projects/:project' });
  app.register(async (scope) => registerInspectionRoutes(scope, state), { prefix: '/_emulator' });
  return app;
}
