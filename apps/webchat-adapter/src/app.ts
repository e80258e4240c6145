import {
  IdentityConflictError,
  TokenExpiredError,
  TokenInvalidError,
  TokenUsedError,
} from '@omni/customer-context';
import { badRequest, createServiceApp, HttpProblem } from '@omni/service-kit';
import type { CloudAdapter, TurnContext } from 'botbuilder';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TurnOutcome, WebchatBot } from './bot.js';
import type { Config } from './config.js';
import type { DirectLineTokens } from './directline.js';
import { contentSecurityPolicy, PAGE_ASSETS, PAGE_HTML, readAsset } from './page.js';
import type { AdapterStore } from './ports.js';
import { WebUsers } from './web-user.js';

/** What the webchat-adapter needs; `wiring.ts` wires the real ones, tests pass their own. */
export interface WebchatAdapterDeps {
  config: Config;
  logger?: Logger;
  /** botbuilder's adapter, with Bot Framework authentication from the config. */
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
 * The types of the activity fields botbuilder and the bot read (a wrong type made them throw: a 500). Checked
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
    app.get(path, async (_request, reply) => {
      const content = await readAsset(asset.file);
      if (content === undefined) {
        throw new HttpProblem(503, 'Service Unavailable', {
          detail: 'the web chat page is not built: run `pnpm --filter @omni/webchat-adapter build`',
        });
      }
      return reply
        .type(asset.type)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'public, max-age=300')
        .send(content);
    });
  }
  return app;
}

/**
 * Runs botbuilder's `CloudAdapter.process` on the fastify request: Bot Framework JWT authentication (401
 * without a valid token in Azure), then the bot's turn. A message that is not valid is answered 400.
 */
async function processActivity(
  deps: WebchatAdapterDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  let status = 200;
  let sent: unknown;
  let outcome: TurnOutcome | undefined;
  const response = {
    socket: request.raw.socket,
    status(code: number) {
      status = code;
      return response;
    },
    header(name: string, value: unknown) {
      reply.header(name, value);
      return response;
    },
    send(body?: unknown) {
      if (body !== undefined) sent = body;
      return response;
    },
    end() {
      return response;
    },
  };
  await deps.botAdapter.process(
    {
      body: request.body as Record<string, unknown>,
      headers: request.headers as Record<string, string | string[] | undefined>,
      method: request.method,
    },
    response,
    async (context: TurnContext) => {
      outcome = await deps.bot.onTurn(context, request.log as Logger);
    },
  );
  if (status === 401 || status === 403) {
    throw new HttpProblem(401, 'Unauthorized', {
      detail: 'a valid Bot Framework token is required',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  if (status >= 500) throw new HttpProblem(status, 'Internal Server Error', { detail: 'the turn failed' });
  if (outcome?.kind === 'rejected') throw badRequest(`invalid message activity: ${outcome.message}`);
  if (sent === undefined) return reply.code(status).send();
  return reply.code(status).send(sent);
}
