import type {
  Request as AgentsRequest,
  CloudAdapter,
  TurnContext,
  WebResponse,
} from '@microsoft/agents-hosting';
import {
  IdentityConflictError,
  TokenExpiredError,
  TokenInvalidError,
  TokenUsedError,
} from '@omni/customer-context';
import { badRequest, createServiceApp, HttpProblem } from '@omni/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TurnOutcome, WebchatBot } from './bot.js';
import type { Config } from './config.js';
import type { DirectLineTokens } from './directline.js';
import { contentSecurityPolicy, negotiateAsset, PAGE_ASSETS, PAGE_HTML } from './page.js';
import type { AdapterStore } from './ports.js';
import { WebUsers } from './web-user.js';

/** What the webchat-adapter needs; `wiring.ts` wires the real ones, tests pass their own. */
export interface WebchatAdapterDeps {
  config: Config;
  logger?: Logger;
  /** The Agents SDK's adapter, with the Azure Bot's authentication from the config (`createBotAdapter`). */
  botAdapter: CloudAdapter;
  bot: WebchatBot;
  directLine: DirectLineTokens;
  store: Pick<AdapterStore, 'redeemHandoffToken'>;
  /** Readiness checks (e.g. the consumers' `readinessCheck`), by name. */
  readiness?: Record<string, () => Promise<void>>;
}

/** What the page gets from `GET /api/directline/token`. */
export interface TokenResponse {
  token: string;
  conversationId: string;
  userId: string;
  /** The Direct Line `domain` for WebChat. */
  domain: string;
  expiresIn: number;
  /** Present when a handoff link was redeemed. */
  handoff?: { customerName?: string };
}

/** A refused handoff link, as a problem the page shows as it is. */
export function handoffProblem(error: unknown): HttpProblem | undefined {
  const type = 'https://omnichannel-handoff.dev/problems/handoff-link';
  if (error instanceof TokenUsedError) {
    return new HttpProblem(409, 'Handoff link already used', {
      type,
      detail:
        'This link has already been used. For your security each link works once: please ask us for a new link, or start a new chat.',
    });
  }
  if (error instanceof TokenExpiredError) {
    return new HttpProblem(410, 'Handoff link expired', {
      type,
      detail: 'This link has expired. Please ask us for a new link, or start a new chat.',
    });
  }
  if (error instanceof TokenInvalidError) {
    return new HttpProblem(400, 'Invalid handoff link', {
      type,
      detail: 'This link is not valid. Please check you copied all of it, or start a new chat.',
    });
  }
  if (error instanceof IdentityConflictError) {
    return new HttpProblem(409, 'Handoff link cannot be used here', {
      type,
      detail: 'This chat already belongs to another customer. Please start a new chat from a private window.',
    });
  }
  return undefined;
}

const HANDOFF_TOKEN = /^[A-Za-z0-9_.~-]{16,2048}$/;

const channelAccount = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  role: z.string().optional(),
});
/**
 * The types of the activity fields the Agents SDK and the bot read (a wrong type made them throw: a 500). Checked
 * before authentication, like the activity's `type` always was: it reveals nothing but the shape.
 */
const ACTIVITY_SHAPE = z.looseObject({
  type: z.string(),
  id: z.string().optional(),
  channelId: z.string().optional(),
  serviceUrl: z.string().optional(),
  locale: z.string().optional(),
  text: z.string().optional(),
  from: channelAccount.optional(),
  recipient: channelAccount.optional(),
  // Sent back as the `x-ms-conversation-id` header of the reply: printable ASCII only (Direct Line's ids are).
  conversation: z
    .looseObject({
      id: z
        .string()
        .regex(/^[\x20-\x7e]{0,1024}$/)
        .optional(),
    })
    .optional(),
  membersAdded: z.array(channelAccount).optional(),
});

/** The Bot Framework messaging endpoint, the Direct Line token endpoint and the web chat page. */
export function buildApp(deps: WebchatAdapterDeps): FastifyInstance {
  const { config } = deps;
  const app = createServiceApp({
    service: 'webchat-adapter',
    bodyLimit: config.BODY_LIMIT_BYTES,
    exposeErrors: config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  for (const [name, check] of Object.entries(deps.readiness ?? {})) app.readiness.register(name, check);
  const webUsers = new WebUsers(
    config.HANDOFF_TOKEN_KEY,
    (config.WEBCHAT_PUBLIC_URL ?? '').startsWith('https:'),
  );
  const csp = contentSecurityPolicy(deps.directLine.domain, deps.config.WEBCHAT_FRAME_ANCESTORS);

  app.post('/api/messages', async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || typeof (body as { type?: unknown }).type !== 'string') {
      throw badRequest('the body must be a Bot Framework activity (an object with a type)');
    }
    if (!ACTIVITY_SHAPE.safeParse(body).success) {
      throw badRequest('the activity has fields of the wrong type (strings expected)');
    }
    return processActivity(deps, request, reply);
  });

  app.get<{ Querystring: { handoff?: string } }>('/api/directline/token', async (request, reply) => {
    const handoff = request.query.handoff;
    if (handoff !== undefined && !HANDOFF_TOKEN.test(handoff)) {
      throw handoffProblem(new TokenInvalidError('malformed')) ?? badRequest('invalid handoff');
    }
    const userId = webUsers.fromCookieHeader(request.headers.cookie) ?? webUsers.mint();
    const token = await deps.directLine.generate(userId);
    let customerName: string | undefined;
    if (handoff !== undefined) {
      try {
        const customer = await deps.store.redeemHandoffToken(
          handoff,
          { kind: 'webchat', value: userId },
          // The browser's earlier anonymous web chat customer (if any) is folded into the handed-off one.
          { channel: 'webchat', onConflict: 'merge' },
        );
        customerName = customer.displayName ?? undefined;
        request.log.info({ customerId: customer.customerId }, 'handoff link redeemed');
      } catch (error) {
        const problem = handoffProblem(error);
        if (problem === undefined) throw error;
        request.log.warn({ problem: problem.title }, 'handoff link refused');
        throw problem;
      }
    }
    const response: TokenResponse = {
      token: token.token,
      conversationId: token.conversationId,
      userId,
      domain: deps.directLine.domain,
      expiresIn: token.expiresIn,
      ...(handoff !== undefined ? { handoff: customerName ? { customerName } : {} } : {}),
    };
    return reply
      .header('set-cookie', webUsers.cookieFor(userId))
      .header('cache-control', 'no-store')
      .send(response);
  });

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(PAGE_HTML),
  );
  for (const [path, asset] of Object.entries(PAGE_ASSETS)) {
    app.get(path, async (request, reply) => {
      const served = await negotiateAsset(
        asset.file,
        request.headers['accept-encoding'],
        asset.precompressed === true,
      );
      if (served === undefined) {
        throw new HttpProblem(503, 'Service Unavailable', {
          detail: 'the web chat page is not built: run `pnpm --filter @omni/webchat-adapter build`',
        });
      }
      if (served.encoding !== undefined) reply.header('content-encoding', served.encoding);
      if (asset.precompressed) reply.header('vary', 'accept-encoding');
      return reply
        .type(asset.type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=300')
        .send(served.content);
    });
  }
  return app;
}

/** A response sink for the Agents SDK that keeps the status and body it is given. */
function capture(onHeader: (name: string, value: string) => void = () => {}) {
  const sink = {
    code: 200,
    body: undefined as unknown,
    headersSent: false,
    writableEnded: false,
    status(code: number) {
      sink.code = code;
      return sink;
    },
    setHeader(name: string, value: string) {
      onHeader(name, value);
      return sink;
    },
    send(body?: unknown) {
      if (body !== undefined) sink.body = body;
      return sink;
    },
    end() {
      sink.writableEnded = true;
      return sink;
    },
  };
  return sink satisfies WebResponse;
}

/**
 * The Agents SDK on the fastify request: `authorizeRequest` (the Azure Bot's JWT: signature from the
 * authority's JWKS, issuer, audience = app id, expiry; 401 otherwise), then `CloudAdapter.process` with the
 * bot's turn. A message that is not valid is answered 400.
 */
async function processActivity(
  deps: WebchatAdapterDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const adapterRequest: AgentsRequest = {
    body: request.body as Record<string, unknown>,
    headers: request.headers as Record<string, string | string[] | undefined>,
    method: request.method,
  };
  let authorized = false;
  const refusal = capture();
  await deps.botAdapter.authorizeRequest(adapterRequest, refusal, () => {
    authorized = true;
  });
  if (!authorized) {
    request.log.warn({ status: refusal.code }, 'bot request refused: no valid token');
    throw new HttpProblem(401, 'Unauthorized', {
      detail: 'a valid Bot Framework token is required',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  let outcome: TurnOutcome | undefined;
  const response = capture((name, value) => reply.header(name, value));
  await deps.botAdapter.process(adapterRequest, response, async (context: TurnContext) => {
    outcome = await deps.bot.onTurn(context, request.log as Logger);
  });
  if (response.code >= 500)
    throw new HttpProblem(response.code, 'Internal Server Error', { detail: 'the turn failed' });
  if (response.code === 400) throw badRequest('invalid activity (a conversation id is required)');
  if (outcome?.kind === 'rejected') throw badRequest(`invalid message activity: ${outcome.message}`);
  if (response.body === undefined) return reply.code(response.code).send();
  return reply.code(response.code).send(response.body);
}
