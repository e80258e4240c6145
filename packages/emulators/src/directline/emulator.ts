import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { selfSignedCertificate } from '../local-tls.js';
import { ConversationTokens, ProblemError, type TokenClaims, userIdOf } from './conversation-tokens.js';
import { type BotRegistration, type IdentityClaims, LocalIdentity } from './identity.js';
import { attachStream, watermarkIndex } from './stream.js';

/** The secret the emulator accepts when none is configured (the webchat-adapter's local default). */
export const DEFAULT_DIRECTLINE_SECRET = 'local-directline-emulator';

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
  /** The Direct Line secret (the only one accepted). Default {@link DEFAULT_DIRECTLINE_SECRET}. */
  secret?: string;
  /**
   * The bot's app registration. When set, the emulator authenticates both ways as Azure Bot Service does: it
   * signs a token to the bot on every activity (from a local OpenID configuration and JWKS under
   * {@link DirectLineEmulator.authority}) and refuses (401) connector calls without a valid token of that app
   * (client credentials at `<authority>/oauth2/v2.0/token`). Without it, the bot is called anonymously.
   */
  bot?: BotRegistration;
  /** How often an empty keep-alive message goes down each WebSocket stream, in ms. Default 15000. */
  keepAliveMs?: number;
  /** The bot's id (the `recipient` of user activities). Default `omni-bot`. */
  botId?: string;
  /** Token lifetime in seconds. Default 3600 (as Direct Line). */
  tokenTtlSeconds?: number;
  /** Receives handler failures (silent when omitted). */
  logger?: Logger;
  /**
   * Serve https (and wss streams) with a certificate generated at start, as Direct Line does; clients trust
   * `caCertificatePem` (`trustCertificate`, or `NODE_EXTRA_CA_CERTS` for child processes). Default false (http).
   */
  https?: boolean;
  /** Extra host names or IPs the certificate is valid for (with `https`). */
  certificateHosts?: readonly string[];
}

/** A running Direct Line 3.0 + Bot Connector emulator. */
export interface DirectLineEmulator {
  /** `http://127.0.0.1:<port>`: the Bot Connector `serviceUrl` and the base of the Direct Line API. */
  readonly endpoint: string;
  /** `http://127.0.0.1:<port>/v3/directline`: the `domain` for `botframework-directlinejs` / WebChat. */
  readonly domain: string;
  readonly port: number;
  /** The Direct Line secret clients present. */
  readonly secret: string;
  /** With `bot`: the bot's authority (`<endpoint>/<tenant>`, OpenID configuration, JWKS, token endpoint). */
  readonly authority: string | undefined;
  /** With `bot`: signs a channel-to-bot token, with claims changed (tests of the bot's authentication). */
  channelToken(overrides?: Partial<IdentityClaims>): string;
  /** Points the emulator at the bot's messaging endpoint. */
  connectBot(botEndpoint: string): void;
  /** The conversations, newest last (inspection). */
  conversations(): DirectLineConversation[];
  /** One conversation's activities (inspection); empty when unknown. */
  activities(conversationId: string): DirectLineActivity[];
  /** With `https`: the self-signed certificate (PEM) clients must trust. */
  readonly caCertificatePem: string | undefined;
  /** Resolves once no delivery to the bot is in flight. */
  idle(): Promise<void>;
  /** Stops listening and closes every stream. Safe to call twice. */
  stop(): Promise<void>;
}

interface ConversationState {
  id: string;
  userId: string | undefined;
  activities: DirectLineActivity[];
  started: boolean;
  sockets: Set<WebSocket>;
}

function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/**
 * Starts a Direct Line 3.0 emulator over http (REST + WebSocket stream) that also serves the Bot Connector
 * reply API the bot answers through, so the unmodified `botframework-directlinejs`, BotFramework-WebChat and
 * the Agents SDK's `CloudAdapter` talk to each other locally. As the real service: the secret is checked, user
 * ids in tokens start with `dl_`, typing goes only down WebSocket streams, streams get keep-alives and replay
 * from their watermark.
 *
 * @example
 * ```ts
 * const dl = await startDirectLineEmulator({ botEndpoint: 'http://127.0.0.1:7073/api/messages' });
 * const directLine = new DirectLine({ secret: dl.secret, domain: dl.domain });
 * ```
 */
export async function startDirectLineEmulator(
  options: DirectLineEmulatorOptions = {},
): Promise<DirectLineEmulator> {
  const host = options.host ?? '127.0.0.1';
  const botId = options.botId ?? 'omni-bot';
  const ttl = options.tokenTtlSeconds ?? 3600;
  const tokens = new ConversationTokens(ttl);
  const sign = tokens.sign;
  const verify = tokens.verify;
  const secret = options.secret ?? DEFAULT_DIRECTLINE_SECRET;
  const identity = options.bot === undefined ? undefined : new LocalIdentity(options.bot);
  const conversations = new Map<string, ConversationState>();
  const inFlight = new Set<Promise<unknown>>();
  let botEndpoint = options.botEndpoint;
  let endpoint = '';

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
    const a = Buffer.from(value);
    const b = Buffer.from(secret);
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

  /**
   * Appends an activity (id, timestamp, conversation), pushes it to the streams and returns it. Typing is
   * ephemeral, as in Direct Line: only pushed to the open WebSocket streams, never stored, polled or replayed.
   */
  const append = (conversation: ConversationState, activity: DirectLineActivity): DirectLineActivity => {
    if (activity.type === 'typing') {
      const typing: DirectLineActivity = {
        ...activity,
        id: `${conversation.id}|t-${randomUUID()}`,
        timestamp: new Date().toISOString(),
        channelId: 'directline',
        conversation: { id: conversation.id },
      };
      const message = JSON.stringify({ activities: [typing] });
      for (const socket of conversation.sockets) socket.send(message);
      return typing;
    }
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
      headers: {
        'content-type': 'application/json',
        ...(identity ? { authorization: `Bearer ${identity.channelToken(`${endpoint}/`)}` } : {}),
      },
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

  const certificate = options.https ? await selfSignedCertificate(options.certificateHosts ?? []) : undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: 1_048_576,
    ...(certificate === undefined ? {} : { https: { key: certificate.key, cert: certificate.cert } }),
  });
  identity?.register(app);
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
    const userId = userIdOf(body);
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
      const userId = userIdOf(body);
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

  // Not emulated: attachment upload. Answered as such (after the usual authentication), before the multipart body
  // is read, rather than as a missing route.
  app.post<{ Params: { id: string } }>('/v3/directline/conversations/:id/upload', {
    onRequest: async (request) => {
      conversationFor(request, request.params.id);
      throw new ProblemError(
        501,
        'NotImplemented',
        'Attachment upload is not emulated: send attachments as contentUrl links in the activity',
      );
    },
    handler: async () => undefined,
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      error: {
        code: 'NotFound',
        message: `No such operation: ${request.method} ${request.url.split('?')[0]}`,
      },
    }),
  );

  // ---- Bot Connector API (the bot's serviceUrl) ----
  const botReply = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const refusal = identity?.refuseConnectorCall(request.headers.authorization);
    if (refusal !== undefined) throw new ProblemError(401, 'Unauthorized', `bot token refused: ${refusal}`);
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
  const stream = attachStream({
    server: app.server,
    conversation: (id) => conversations.get(id),
    conversationOf: (token) => {
      try {
        return verify(token)?.conv;
      } catch {
        return undefined;
      }
    },
    keepAliveMs: options.keepAliveMs ?? 15_000,
  });

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('directline emulator: no port');
  endpoint = `${certificate ? 'https' : 'http'}://${connectableHost(host)}:${address.port}`;
  identity?.bind(endpoint);
  let stopped = false;

  return {
    endpoint,
    domain: `${endpoint}/v3/directline`,
    port: address.port,
    secret,
    authority: identity?.authority,
    caCertificatePem: certificate?.cert,
    channelToken(overrides = {}) {
      if (identity === undefined) throw new Error('directline emulator: started without a bot registration');
      return identity.channelToken(`${endpoint}/`, overrides);
    },
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
      stream.close();
      await app.close();
    },
  };
}
