import type {
  Request as AgentsRequest,
  CloudAdapter,
  TurnContext,
  WebResponse,
} from '@microsoft/agents-hosting';
import {
  IdentityConflictError,
  type RedeemedHandoff,
  TokenExpiredError,
  TokenInvalidError,
  TokenUsedError,
} from '@omni/customer-context';
import {
  badRequest,
  createServiceApp,
  HttpProblem,
  RequestRateLimiter,
  type TokenBuckets,
} from '@omni/service-kit';
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
  store: Pick<AdapterStore, 'redeemHandoffToken' | 'startSession'>;
  /** Readiness checks (e.g. the consumers' `readinessCheck`), by name. */
  readiness?: Record<string, () => Promise<void>>;
  /** Epoch ms, for the rate limits; default `Date.now`. */
  clock?: () => number;
  /** Where the rate-limit buckets live; default in memory. Shared (Redis) with several replicas. */
  rateLimits?: TokenBuckets;
}

/** What the page gets from `POST /api/directline/token`. */
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

/** Redeems a link for a web user; only an anonymous web-chat-only customer of that user may be folded in. */
function redeemFor(
  store: Pick<AdapterStore, 'redeemHandoffToken'>,
  handoff: string,
  userId: string,
): Promise<RedeemedHandoff> {
  return store.redeemHandoffToken(
    handoff,
    { kind: 'webchat', value: userId },
    { channel: 'webchat', onConflict: 'merge-anonymous' },
  );
}

function refusedLink(request: FastifyRequest, error: unknown): unknown {
  const problem = handoffProblem(error);
  if (problem === undefined) return error;
  request.log.warn({ problem: problem.title }, 'handoff link refused');
  return problem;
}

/**
 * Why a browser request comes from another site, or undefined when it does not. Browsers send
 * `Sec-Fetch-Site` (and `Origin` on every POST); a request from the page itself is `same-origin`. A request
 * with neither header is not from a browser, so it carries no victim's cookie: it is allowed.
 */
export function crossSiteRefusal(
  request: Pick<FastifyRequest, 'headers'>,
  allowedOrigins: ReadonlySet<string>,
): string | undefined {
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const host = request.headers.host;
  const sameHost = (value: string): boolean => {
    try {
      return host !== undefined && new URL(value).host === host;
    } catch {
      return false;
    }
  };
  if (typeof origin === 'string' && origin !== '' && !allowedOrigins.has(origin) && !sameHost(origin)) {
    return `origin ${origin} is not allowed`;
  }
  if (site === 'cross-site' || site === 'same-site') {
    if (typeof origin !== 'string' || !allowedOrigins.has(origin)) return `sec-fetch-site ${site}`;
  }
  return undefined;
}

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
  const clock = deps.clock ?? Date.now;
  const limiter = new RequestRateLimiter(deps.rateLimits);
  const perUserMessages = {
    burst: config.WEBCHAT_MESSAGE_BURST_PER_USER,
    perMinute: config.WEBCHAT_MESSAGES_PER_MINUTE_PER_USER,
  };
  const allowedOrigins = new Set(
    [config.WEBCHAT_PUBLIC_URL, ...config.WEBCHAT_ALLOWED_ORIGINS].flatMap((url) =>
      url === undefined ? [] : [new URL(url).origin],
    ),
  );

  app.post('/api/messages', async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || typeof (body as { type?: unknown }).type !== 'string') {
      throw badRequest('the body must be a Bot Framework activity (an object with a type)');
    }
    const shape = ACTIVITY_SHAPE.safeParse(body);
    if (!shape.success) {
      throw badRequest('the activity has fields of the wrong type (strings expected)');
    }
    // Each message costs a model turn: one web user cannot flood the agents (429 tells the channel to slow down).
    const from = shape.data.from?.id;
    if (shape.data.type === 'message' && from !== undefined && from !== '') {
      await limiter.enforce([{ key: `webuser-message:${from}`, config: perUserMessages }], clock());
    }
    return processActivity(deps, request, reply);
  });

  // A GET never changes state: the token endpoint (which may redeem a handoff link) is a POST only.
  app.get('/api/directline/token', async () => {
    throw new HttpProblem(405, 'Method Not Allowed', {
      detail: 'ask for a Direct Line token with POST (the web chat page does)',
      headers: { allow: 'POST' },
    });
  });

  app.post<{ Body: { handoff?: unknown } | undefined }>('/api/directline/token', async (request, reply) => {
    const refusal = crossSiteRefusal(request, allowedOrigins);
    if (refusal !== undefined) {
      request.log.warn({ reason: refusal }, 'cross-site token request refused');
      throw new HttpProblem(403, 'Forbidden', {
        detail: 'the web chat token can only be requested by the web chat page itself',
      });
    }
    const cookieUser = webUsers.fromCookieHeader(request.headers.cookie);
    await limiter.enforce(
      [
        {
          key: `token-ip:${request.ip}`,
          config: {
            burst: config.WEBCHAT_TOKEN_BURST_PER_IP,
            perMinute: config.WEBCHAT_TOKEN_PER_MINUTE_PER_IP,
          },
        },
        ...(cookieUser === undefined
          ? []
          : [
              {
                key: `token-user:${cookieUser}`,
                config: {
                  burst: config.WEBCHAT_TOKEN_BURST_PER_USER,
                  perMinute: config.WEBCHAT_TOKEN_PER_MINUTE_PER_USER,
                },
              },
            ]),
      ],
      clock(),
    );
    const handoff = request.body?.handoff;
    if (handoff !== undefined && (typeof handoff !== 'string' || !HANDOFF_TOKEN.test(handoff))) {
      throw handoffProblem(new TokenInvalidError('malformed')) ?? badRequest('invalid handoff');
    }
    let userId = cookieUser ?? webUsers.mint();
    let redeemed: RedeemedHandoff | undefined;
    if (handoff !== undefined) {
      try {
        redeemed = await redeemFor(deps.store, handoff, userId);
      } catch (error) {
        if (!(error instanceof IdentityConflictError)) throw refusedLink(request, error);
        // This browser's web user belongs to another known customer: never merge the two. The browser
        // continues as a fresh web user bound to the link's customer only.
        userId = webUsers.mint();
        request.log.info('handoff link opened in a browser of another customer; a fresh web user is used');
        try {
          redeemed = await redeemFor(deps.store, handoff, userId);
        } catch (retryError) {
          throw refusedLink(request, retryError);
        }
      }
      request.log.info({ customerId: redeemed.customerId }, 'handoff link redeemed');
    }
    const token = await deps.directLine.generate(userId);
    if (redeemed !== undefined) {
      // The web chat session inherits the level of the session that asked for the handoff, for this customer.
      await deps.store.startSession(redeemed.customerId, 'webchat', token.conversationId, {
        assurance: redeemed.handoff.assurance,
        method: 'handoff-link',
      });
    }
    const customerName = redeemed?.displayName ?? undefined;
    const response: TokenResponse = {
      token: token.token,
      conversationId: token.conversationId,
      userId,
      domain: deps.directLine.domain,
      expiresIn: token.expiresIn,
      ...(redeemed !== undefined ? { handoff: customerName ? { customerName } : {} } : {}),
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
