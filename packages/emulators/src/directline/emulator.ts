import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';

/** A Bot Framework activity as it travels through Direct Line (only the fields the emulator reads are typed). */
export interface DirectLineActivity {
  type: string;
  id?: string;
  timestamp?: string;
  channelId?: string;
  serviceUrl?: string;
  from?: { id: string; name?: string; role?: string };
  recipient?: { id: string; name?: string; role?: string };
  conversation?: { id: string };
  replyToId?: string;
  text?: string;
  membersAdded?: { id: string; name?: string }[];
  [key: string]: unknown;
}

/** A conversation as the inspection API shows it. */
export interface DirectLineConversation {
  readonly id: string;
  /** The user bound to the conversation's token (or seen first), if any. */
  userId: string | undefined;
  readonly activities: DirectLineActivity[];
  started: boolean;
  /** How many WebSocket streams are open. */
  readonly streams: number;
}

/** How to start a {@link DirectLineEmulator}. */
export interface DirectLineEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port; `0` (the default) picks a free one. */
  port?: number;
  /** The bot's messaging endpoint (`http://host:port/api/messages`); can be set later with `connectBot`. */
  botEndpoint?: string;
  /**
   * The Direct Line secret. When omitted, any non-empty bearer that is not one of the emulator's own tokens is
   * accepted as the secret (local sandbox convenience).
   */
  secret?: string;
  /** The bot's id (the `recipient` of user activities). Default `omni-bot`. */
  botId?: string;
  /** Token lifetime in seconds. Default 3600 (as Direct Line). */
  tokenTtlSeconds?: number;
  /** Receives handler failures (silent when omitted). */
  logger?: Logger;
}

/** A running Direct Line 3.0 + Bot Connector emulator. */
export interface DirectLineEmulator {
  /** `http://127.0.0.1:<port>`: the Bot Connector `serviceUrl` and the base of the Direct Line API. */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/v3/directline`: the `domain` for `botframework-directlinejs` / WebChat. */
  readonly domain: string;
  readonly port: number;
  /** The Direct Line secret clients present (the configured one, or `undefined` when any is accepted). */
  readonly secret: string | undefined;
  /** Points the emulator at the bot's messaging endpoint. */
  connectBot(botEndpoint: string): void;
  /** The conversations, newest last (inspection). */
  conversations(): DirectLineConversation[];
  /** One conversation's activities (inspection); empty when unknown. */
  activities(conversationId: string): DirectLineActivity[];
  /** Resolves once no delivery to the bot is in flight. */
  idle(): Promise<void>;
  /** Stops listening and closes every stream. Safe to call twice. */
  stop(): Promise<void>;
}

interface TokenClaims {
  /** Conversation the token is bound to. */
  conv: string;
  /** The user bound to the token (`dl_...`), if any. */
  user?: string;
  exp: number;
  iat: number;
  jti: string;
}

interface ConversationState {
  id: string;
  userId: string | undefined;
  activities: DirectLineActivity[];
  started: boolean;
  sockets: Set<WebSocket>;
}

class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Starts a Direct Line 3.0 emulator over http (REST + WebSocket stream) that also serves the Bot Connector
 * reply API the bot answers through, so the unmodified `botframework-directlinejs`, BotFramework-WebChat and
 * botbuilder's `CloudAdapter` talk to each other locally.
 *
 * @example
 * ```ts
 * const dl = await startDirectLineEmulator({ botEndpoint: 'http://127.0.0.1:7073/api/messages' });
 * const directLine = new DirectLine({ secret: 'any', domain: dl.domain });
 * ```
 */
export async function startDirectLineEmulator(
  options: DirectLineEmulatorOptions = {},
): Promise<DirectLineEmulator> {
  const host = options.host ?? '127.0.0.1';
  const botId = options.botId ?? 'omni-bot';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const signingKey = randomBytes(32);
  const conversations = new Map<string, ConversationState>();
  const inFlight = new Set<Promise<unknown>>();
  let botEndpoint = options.botEndpoint;
  let endpoint = '';

  const sign = (claims: Omit<TokenClaims, 'iat' | 'exp' | 'jti'>): string => {
    const now = Math.floor(Date.now() / 1000);
    const full: TokenClaims = { ...claims, iat: now, exp: now + ttl, jti: randomUUID() };
    const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(full))}`;
    return `${head}.${b64url(createHmac('sha256', signingKey).update(head).digest())}`;
  };
  const verify = (token: string): TokenClaims | undefined => {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = createHmac('sha256', signingKey).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2] ?? '', 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as TokenClaims;
    if (claims.exp * 1000 <= Date.now()) throw new ProblemError(403, 'TokenExpired', 'Token expired');
    return claims;
  };
  const bearer = (request: FastifyRequest): string => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new ProblemError(401, 'BadArgument', 'Missing or malformed Authorization header');
    return match[1];
  };
  /** The caller's credential: the secret (no claims) or a token (its claims). */
  const authenticate = (
    request: FastifyRequest,
  ): { secret: true } | { secret: false; claims: TokenClaims } => {
    const value = bearer(request);
    const claims = verify(value);
    if (claims !== undefined) return { secret: false, claims };
    if (options.secret === undefined) return { secret: true };
    const a = Buffer.from(value);
    const b = Buffer.from(options.secret);
    if (a.length === b.length && timingSafeEqual(a, b)) return { secret: true };
    throw new ProblemError(403, 'BadArgument', 'Invalid secret or token');
  };
  const conversationFor = (
    request: FastifyRequest,
    conversationId: string,
  ): { conversation: ConversationState; claims: TokenClaims | undefined } => {
    const auth = authenticate(request);
    if (!auth.secret && auth.claims.conv !== conversationId) {
      throw new ProblemError(403, 'BadArgument', 'Token not valid for this conversation');
    }
    const conversation = conversations.get(conversationId);
    if (conversation === undefined || !conversation.started) {
      throw new ProblemError(404, 'BadArgument', 'Conversation not found');
    }
    return { conversation, claims: auth.secret ? undefined : auth.claims };
  };
  const newConversationId = () => `${randomBytes(12).toString('base64url')}-us`;
  const streamUrl = (conversationId: string, watermark: string | undefined, token: string) =>
    `${endpoint.replace(/^http/, 'ws')}/v3/directline/conversations/${encodeURIComponent(conversationId)}/stream?watermark=${watermark ?? '-'}&t=${encodeURIComponent(token)}`;

  /** Appends an activity (id, timestamp, conversation), pushes it to the streams and returns it. */
  const append = (conversation: ConversationState, activity: DirectLineActivity): DirectLineActivity => {
    const index = conversation.activities.length;
    const stored: DirectLineActivity = {
      ...activity,
      id: `${conversation.id}|${String(index).padStart(7, '0')}`,
      timestamp: new Date().toISOString(),
      channelId: 'directline',
      conversation: { id: conversation.id },
    };
    conversation.activities.push(stored);
    const message = JSON.stringify({ activities: [stored], watermark: String(index + 1) });
    for (const socket of conversation.sockets) socket.send(message);
    return stored;
  };

  /** Posts an activity to the bot; resolves to the bot's HTTP status (0 when unreachable). */
  const deliverToBot = (activity: DirectLineActivity): Promise<number> => {
    if (botEndpoint === undefined) return Promise.resolve(0);
    const target = botEndpoint;
    const delivery = fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...activity,
        serviceUrl: `${endpoint}/`,
        recipient: { id: botId, name: botId, role: 'bot' },
      }),
      signal: AbortSignal.timeout(15_000),
    }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      (error: unknown) => {
        options.logger?.warn({ err: error }, 'bot unreachable');
        return 0;
      },
    );
    inFlight.add(delivery);
    void delivery.finally(() => inFlight.delete(delivery));
    return delivery;
  };

  /** Starts a conversation once: conversationUpdate (bot and, when known, the user) goes to the bot. */
  const start = async (conversation: ConversationState): Promise<void> => {
    if (conversation.started) return;
    conversation.started = true;
    if (conversation.userId !== undefined) await announceUser(conversation);
  };
  const announceUser = async (conversation: ConversationState): Promise<void> => {
    const userId = conversation.userId ?? '';
    const update: DirectLineActivity = {
      type: 'conversationUpdate',
      id: `${conversation.id}|join-${userId}`,
      timestamp: new Date().toISOString(),
      channelId: 'directline',
      conversation: { id: conversation.id },
      from: { id: userId, role: 'user' },
      membersAdded: [{ id: botId, name: botId }, { id: userId }],
    };
    await deliverToBot(update);
  };

  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  // WebChat runs on another origin (the bot's page): Direct Line answers CORS.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', request.headers.origin ?? '*');
    reply.header(
      'access-control-allow-headers',
      'authorization, content-type, x-ms-bot-agent, x-requested-with',
    );
    reply.header('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS');
    if (request.method === 'OPTIONS') return reply.code(204).send();
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply: FastifyReply) => {
    if (error instanceof ProblemError) {
      return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
    }
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) options.logger?.error({ err: error }, 'directline emulator handler failed');
    return reply
      .code(status)
      .send({ error: { code: status === 500 ? 'ServiceError' : 'BadArgument', message: error.message } });
  });
  // Some clients post without a body and with a JSON content type.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ProblemError(400, 'BadArgument', 'Body is not valid JSON'), undefined);
    }
  });

  // ---- Direct Line 3.0: tokens ----
  app.post('/v3/directline/tokens/generate', async (request, reply) => {
    const auth = authenticate(request);
    if (!auth.secret) throw new ProblemError(403, 'BadArgument', 'tokens/generate needs the secret');
    const body = (request.body ?? {}) as { user?: { id?: unknown } };
    const userId = typeof body.user?.id === 'string' && body.user.id !== '' ? body.user.id : undefined;
    const id = newConversationId();
    conversations.set(id, { id, userId, activities: [], started: false, sockets: new Set() });
    const token = sign({ conv: id, ...(userId ? { user: userId } : {}) });
    return reply.code(200).send({ conversationId: id, token, expires_in: ttl });
  });
  app.post('/v3/directline/tokens/refresh', async (request, reply) => {
    const auth = authenticate(request);
    if (auth.secret) throw new ProblemError(403, 'BadArgument', 'tokens/refresh needs a token');
    const { conv, user } = auth.claims;
    return reply
      .code(200)
      .send({ conversationId: conv, token: sign({ conv, ...(user ? { user } : {}) }), expires_in: ttl });
  });

  // ---- Direct Line 3.0: conversations ----
  app.post('/v3/directline/conversations', async (request, reply) => {
    const auth = authenticate(request);
    let conversation: ConversationState;
    let created = false;
    if (auth.secret) {
      const body = (request.body ?? {}) as { user?: { id?: unknown } };
      const userId = typeof body.user?.id === 'string' && body.user.id !== '' ? body.user.id : undefined;
      const id = newConversationId();
      conversation = { id, userId, activities: [], started: false, sockets: new Set() };
      conversations.set(id, conversation);
      created = true;
    } else {
      const existing = conversations.get(auth.claims.conv);
      if (existing === undefined) throw new ProblemError(404, 'BadArgument', 'Conversation not found');
      conversation = existing;
      created = !existing.started;
    }
    await start(conversation);
    const token = auth.secret
      ? sign({ conv: conversation.id, ...(conversation.userId ? { user: conversation.userId } : {}) })
      : bearer(request);
    return reply.code(created ? 201 : 200).send({
      conversationId: conversation.id,
      token,
      expires_in: ttl,
      streamUrl: streamUrl(conversation.id, undefined, token),
      referenceGrammarId: 'omni-local',
    });
  });
  app.get<{ Params: { id: string }; Querystring: { watermark?: string } }>(
    '/v3/directline/conversations/:id',
    async (request) => {
      const { conversation, claims } = conversationFor(request, request.params.id);
      // A client holding the secret gets a conversation token for the stream (the secret never goes in a URL).
      const token =
        claims === undefined
          ? sign({ conv: conversation.id, ...(conversation.userId ? { user: conversation.userId } : {}) })
          : bearer(request);
      const watermark = request.query.watermark === '' ? undefined : request.query.watermark;
      return {
        conversationId: conversation.id,
        token,
        expires_in: ttl,
        streamUrl: streamUrl(conversation.id, watermark, token),
      };
    },
  );
  app.get<{ Params: { id: string }; Querystring: { watermark?: string } }>(
    '/v3/directline/conversations/:id/activities',
    async (request) => {
      const { conversation } = conversationFor(request, request.params.id);
      const from = watermarkIndex(request.query.watermark, conversation.activities.length);
      return {
        activities: conversation.activities.slice(from),
        watermark: String(conversation.activities.length),
      };
    },
  );
  app.post<{ Params: { id: string } }>(
    '/v3/directline/conversations/:id/activities',
    async (request, reply) => {
      const { conversation, claims } = conversationFor(request, request.params.id);
      const body = request.body as DirectLineActivity | undefined;
      if (body === undefined || typeof body !== 'object' || typeof body.type !== 'string') {
        throw new ProblemError(400, 'BadArgument', 'An activity with a type is required');
      }
      // A user-bound token decides who the sender is (Direct Line overrides `from.id`).
      const userId = claims?.user ?? body.from?.id ?? conversation.userId;
      if (userId === undefined || userId === '')
        throw new ProblemError(400, 'BadArgument', 'from.id is required');
      if (conversation.userId === undefined) {
        conversation.userId = userId;
        await announceUser(conversation);
      }
      const stored = append(conversation, { ...body, from: { ...body.from, id: userId, role: 'user' } });
      const status = await deliverToBot(stored);
      if (status < 200 || status >= 300) {
        return reply.code(502).send({
          error: { code: 'BotError', message: `Failed to send activity: bot returned an error (${status})` },
        });
      }
      return reply.code(200).send({ id: stored.id });
    },
  );

  // ---- Bot Connector API (the bot's serviceUrl) ----
  const botReply = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const conversation = conversations.get(request.params.id);
    if (conversation === undefined)
      throw new ProblemError(404, 'ConversationNotFound', 'Conversation not found');
    const body = request.body as DirectLineActivity | undefined;
    if (body === undefined || typeof body !== 'object' || typeof body.type !== 'string') {
      throw new ProblemError(400, 'BadArgument', 'An activity with a type is required');
    }
    const stored = append(conversation, {
      ...body,
      from: { ...(body.from ?? { id: botId }), role: 'bot' },
    });
    return { id: stored.id };
  };
  app.post<{ Params: { id: string } }>('/v3/conversations/:id/activities', botReply);
  app.post<{ Params: { id: string; replyToId: string } }>(
    '/v3/conversations/:id/activities/:replyToId',
    botReply,
  );

  // ---- Inspection ----
  app.get('/inspect/conversations', async () => ({ conversations: snapshot() }));
  app.get<{ Params: { id: string } }>('/inspect/conversations/:id/activities', async (request) => ({
    activities: conversations.get(request.params.id)?.activities ?? [],
  }));

  const snapshot = (): DirectLineConversation[] =>
    [...conversations.values()].map((c) => ({
      id: c.id,
      userId: c.userId,
      activities: [...c.activities],
      started: c.started,
      streams: c.sockets.size,
    }));

  // ---- WebSocket stream ----
  const wss = new WebSocketServer({ noServer: true });
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/v3\/directline\/conversations\/([^/]+)\/stream$/.exec(url.pathname);
    const refuse = (status: number) => {
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Forbidden'}\r\n\r\n`);
    };
    if (match?.[1] === undefined) return refuse(404);
    const conversationId = decodeURIComponent(match[1]);
    let claims: TokenClaims | undefined;
    try {
      claims = verify(url.searchParams.get('t') ?? '');
    } catch {
      claims = undefined;
    }
    const conversation = conversations.get(conversationId);
    if (claims === undefined || claims.conv !== conversationId) return refuse(403);
    if (conversation === undefined || !conversation.started) return refuse(404);
    wss.handleUpgrade(request, socket, head, (ws) => {
      conversation.sockets.add(ws);
      ws.on('close', () => conversation.sockets.delete(ws));
      ws.on('error', () => conversation.sockets.delete(ws));
      const from = watermarkIndex(
        url.searchParams.get('watermark') ?? undefined,
        conversation.activities.length,
      );
      const backlog = conversation.activities.slice(from);
      if (backlog.length > 0) {
        ws.send(JSON.stringify({ activities: backlog, watermark: String(conversation.activities.length) }));
      }
    });
  });

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('directline emulator: no port');
  endpoint = `http://${connectableHost(host)}:${address.port}`;
  let stopped = false;

  return {
    endpoint,
    domain: `${endpoint}/v3/directline`,
    port: address.port,
    secret: options.secret,
    connectBot(target: string) {
      botEndpoint = target;
    },
    conversations: snapshot,
    activities: (conversationId: string) => [...(conversations.get(conversationId)?.activities ?? [])],
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const conversation of conversations.values()) {
        for (const socket of conversation.sockets) socket.terminate();
      }
      wss.close();
      await app.close();
    },
  };
}

/** The index of the first activity after `watermark` (`-`, empty or invalid: from the start). */
function watermarkIndex(watermark: string | undefined, length: number): number {
  if (watermark === undefined || watermark === '' || watermark === '-') return 0;
  const value = Number(watermark);
  if (!Number.isInteger(value) || value < 0) return 0;
  return Math.min(value, length);
}
