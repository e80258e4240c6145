import { readFile } from 'node:fs/promises';
import { badRequest, createServiceApp, fieldIssuesFromZod, HttpProblem } from '@omni/service-kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from './config.js';
import type { SimulatedLoad } from './simulated-load.js';

/** The status of one service as the sandbox sees it. */
export interface ServiceStatus {
  name: string;
  url: string;
  ready: boolean;
  detail: string;
}

/** What the browser UI needs to know about this sandbox. */
export interface SandboxUiConfig {
  services: { name: string; url: string }[];
  links: { name: string; url: string }[];
  customerPhone: string;
  /** The web chat page (the webchat-adapter), when it runs in this sandbox. */
  webchatUrl?: string;
  /** Which simulators have their emulator running (the UI hides the others). */
  simulators: { phone: boolean; whatsapp: boolean; ops: boolean; load: boolean };
  /** The human queue the phone's callers (and the simulated load) wait in. */
  queue: string;
}

/** What the sandbox host needs. */
export interface SandboxDeps {
  config: Config;
  logger?: Logger;
  /** fetch, replaceable in tests. */
  fetch?: typeof fetch;
  /** Simulated callers for the ops console's load control; without it the control is hidden. */
  load?: Pick<SimulatedLoad, 'add' | 'clear' | 'size'>;
}

/** What the caller can do on a call. */
const PHONE_ACTIONS = new Set(['say', 'press', 'silence', 'hang-up']);

const loadBody = z.object({ count: z.int().min(1).max(200) });

/** Content types of the UI's static files (`apps/sandbox/public`), by extension; nothing else is served. */
const UI_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** A plain file name in `public/` (no directories, so no way out of it). */
const UI_FILE = /^[a-z0-9][a-z0-9-]*\.(html|css|js)$/;

function routerUrlOf(config: Config): string | undefined {
  return config.SANDBOX_SERVICES.find((service) => service.name === 'channel-router')?.url;
}

function webchatUrlOf(config: Config): { webchatUrl?: string } {
  const webchat = config.SANDBOX_SERVICES.find((service) => service.name === 'webchat-adapter');
  return webchat === undefined ? {} : { webchatUrl: `${webchat.url.replace(/\/$/, '')}/` };
}

function queryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index);
}

/** `public/` sits next to `src/` and `dist/`, so the same URL works from sources (tests) and the build. */
const PUBLIC_DIR = new URL('../public/', import.meta.url);

/**
 * The sandbox host: the page people open after `pnpm start` (service readiness, the simulated customer's phone
 * on WhatsApp, and the emulators' links). Its `/api/*` routes relay the browser to the emulators' simulator APIs,
 * so the page needs one origin only.
 */
export function buildApp(deps: SandboxDeps): FastifyInstance {
  const app = createServiceApp({
    service: 'sandbox',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const doFetch = deps.fetch ?? fetch;
  const { config } = deps;

  const sendFile = async (name: string, reply: FastifyReply) => {
    const extension = UI_FILE.exec(name)?.[1];
    if (extension === undefined) return reply.callNotFound();
    let body: Buffer;
    try {
      body = await readFile(new URL(name, PUBLIC_DIR));
    } catch {
      return reply.callNotFound();
    }
    return reply
      .type(UI_TYPES[extension] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .send(body);
  };
  app.get('/', async (_request, reply) => sendFile('index.html', reply));
  app.get<{ Params: { file: string } }>('/ui/:file', async (request, reply) =>
    sendFile(request.params.file, reply),
  );

  app.get(
    '/api/config',
    async (): Promise<SandboxUiConfig> => ({
      services: config.SANDBOX_SERVICES,
      links: config.SANDBOX_LINKS,
      customerPhone: config.SANDBOX_CUSTOMER_PHONE,
      ...webchatUrlOf(config),
      simulators: {
        phone: config.ACS_CALLING_EMULATOR_URL !== undefined,
        whatsapp: config.ACS_MESSAGES_EMULATOR_URL !== undefined,
        ops: routerUrlOf(config) !== undefined && config.OPS_API_KEY !== undefined,
        load: deps.load !== undefined,
      },
      queue: config.SANDBOX_QUEUE,
    }),
  );

  app.get(
    '/api/services',
    async (): Promise<ServiceStatus[]> =>
      Promise.all(
        config.SANDBOX_SERVICES.map(async ({ name, url }) => {
          try {
            const res = await doFetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_500) });
            const body = (await res.json()) as { detail?: string };
            return {
              name,
              url,
              ready: res.ok,
              detail: res.ok ? 'ready' : (body.detail ?? `HTTP ${res.status}`),
            };
          } catch (error) {
            return {
              name,
              url,
              ready: false,
              detail: error instanceof Error ? error.message : 'unreachable',
            };
          }
        }),
      ),
  );

  /** Relays a request to an emulator and answers with its status and JSON body (or a 502 problem). */
  const relay = async (
    reply: FastifyReply,
    base: string | undefined,
    what: string,
    path: string,
    init: RequestInit = {},
  ) => {
    if (base === undefined) {
      throw new HttpProblem(503, 'Service Unavailable', {
        detail: `The ${what} is not running in this sandbox.`,
      });
    }
    let res: Response;
    try {
      res = await doFetch(new URL(path, base), { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new HttpProblem(502, 'Bad Gateway', {
        detail: `The ${what} did not answer: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    const text = await res.text();
    reply.status(res.status);
    if (text.length === 0) return reply.send();
    return reply.type(res.headers.get('content-type') ?? 'application/json').send(text);
  };
  const postJson = (body: unknown): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });

  const whatsapp = 'WhatsApp emulator';
  app.get<{ Params: { address: string } }>('/api/whatsapp/chats/:address', async (request, reply) =>
    relay(
      reply,
      config.ACS_MESSAGES_EMULATOR_URL,
      whatsapp,
      `/_emulator/chats/${encodeURIComponent(request.params.address)}`,
    ),
  );
  // The SMS the customer's phone received (the SMS-link fallback): what ACS accepted for this number.
  app.get<{ Params: { address: string } }>('/api/sms/:address', async (request) => {
    const base = config.ACS_MESSAGES_EMULATOR_URL;
    if (base === undefined) {
      throw new HttpProblem(503, 'Service Unavailable', {
        detail: `The ${whatsapp} is not running in this sandbox.`,
      });
    }
    let res: Response;
    try {
      res = await doFetch(new URL('/_emulator/messages', base), { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new HttpProblem(502, 'Bad Gateway', {
        detail: `The ${whatsapp} did not answer: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    const { value } = (await res.json()) as {
      value: {
        channel: string;
        messageId: string;
        to: string;
        from?: string;
        message?: string;
        receivedAt: string;
      }[];
    };
    return {
      value: value
        .filter((m) => m.channel === 'sms' && m.to === request.params.address)
        .map((m) => ({ messageId: m.messageId, from: m.from, text: m.message, at: m.receivedAt })),
    };
  });
  app.post('/api/whatsapp/messages', async (request, reply) =>
    relay(
      reply,
      config.ACS_MESSAGES_EMULATOR_URL,
      whatsapp,
      '/_emulator/customer/messages',
      postJson(request.body),
    ),
  );
  app.post<{ Params: { messageId: string } }>('/api/whatsapp/read/:messageId', async (request, reply) =>
    relay(
      reply,
      config.ACS_MESSAGES_EMULATOR_URL,
      whatsapp,
      `/_emulator/customer/read/${encodeURIComponent(request.params.messageId)}`,
      { method: 'POST' },
    ),
  );
  // The phone: the ACS Call Automation emulator's simulated caller.
  const phone = 'Call Automation emulator';
  app.post('/api/phone/calls', async (request, reply) =>
    relay(reply, config.ACS_CALLING_EMULATOR_URL, phone, '/_emulator/calls', postJson(request.body)),
  );
  app.get<{ Params: { id: string } }>('/api/phone/calls/:id', async (request, reply) =>
    relay(
      reply,
      config.ACS_CALLING_EMULATOR_URL,
      phone,
      `/_emulator/calls/${encodeURIComponent(request.params.id)}`,
    ),
  );
  app.post<{ Params: { id: string; action: string } }>(
    '/api/phone/calls/:id/:action',
    async (request, reply) => {
      if (!PHONE_ACTIONS.has(request.params.action)) throw new HttpProblem(404, 'Not Found');
      return relay(
        reply,
        config.ACS_CALLING_EMULATOR_URL,
        phone,
        `/_emulator/calls/${encodeURIComponent(request.params.id)}/${request.params.action}`,
        postJson(request.body),
      );
    },
  );

  // The ops console: the channel-router's ops API, with the run's API key added here (never sent to the page).
  const ops = 'channel-router';
  const opsHeaders = (): Record<string, string> =>
    config.OPS_API_KEY === undefined ? {} : { 'x-api-key': config.OPS_API_KEY };
  app.get<{ Params: { '*': string } }>('/api/ops/*', async (request, reply) =>
    relay(reply, routerUrlOf(config), ops, `/api/${request.params['*']}${queryOf(request.url)}`, {
      headers: opsHeaders(),
    }),
  );
  app.put<{ Params: { agentId: string } }>('/api/ops/agents/:agentId', async (request, reply) =>
    relay(reply, routerUrlOf(config), ops, `/api/agents/${encodeURIComponent(request.params.agentId)}`, {
      method: 'PUT',
      headers: { ...opsHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify(request.body ?? {}),
    }),
  );
  // Erasure from the console's customer card (the page asks the operator to type the id back first).
  app.delete<{ Params: { customerId: string } }>('/api/ops/customers/:customerId', async (request, reply) =>
    relay(
      reply,
      routerUrlOf(config),
      ops,
      `/api/customers/${encodeURIComponent(request.params.customerId)}`,
      {
        method: 'DELETE',
        headers: opsHeaders(),
      },
    ),
  );
  app.post('/api/ops/dead-letters/redrive', async (request, reply) =>
    relay(reply, routerUrlOf(config), ops, '/api/dead-letters/redrive', {
      ...postJson(request.body),
      headers: { ...opsHeaders(), 'content-type': 'application/json' },
    }),
  );
  app.post('/api/load', async (request) => {
    if (deps.load === undefined) {
      throw new HttpProblem(503, 'Service Unavailable', { detail: 'No Service Bus in this sandbox.' });
    }
    const parsed = loadBody.safeParse(request.body);
    if (!parsed.success) throw badRequest('Invalid load.', fieldIssuesFromZod(parsed.error));
    return { waiting: await deps.load.add(parsed.data.count, config.SANDBOX_QUEUE) };
  });
  app.delete('/api/load', async () => {
    const cleared = (await deps.load?.clear()) ?? 0;
    return { cleared, waiting: deps.load?.size ?? 0 };
  });
  app.get('/api/bus/entities', async (_request, reply) =>
    relay(reply, config.SERVICEBUS_EMULATOR_URL, 'Service Bus emulator', '/entities'),
  );
  return app;
}
