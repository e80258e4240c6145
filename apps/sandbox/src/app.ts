import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { statusPage } from './status-page.js';

/** The status of one service as the sandbox sees it. */
export interface ServiceStatus {
  name: string;
  url: string;
  ready: boolean;
  detail: string;
}

/** What the sandbox host needs. */
export interface SandboxDeps {
  config: Config;
  logger?: Logger;
  /** fetch, replaceable in tests. */
  fetch?: typeof fetch;
}

/**
 * The sandbox host: the page people open after `pnpm start`, showing every service's readiness.
 * The emulators and the phone / WhatsApp / web chat simulators and ops console join it in later issues.
 */
export function buildApp(deps: SandboxDeps): FastifyInstance {
  const app = createServiceApp({
    service: 'sandbox',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const doFetch = deps.fetch ?? fetch;

  app.get('/', async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(statusPage(deps.config.SANDBOX_LINKS)),
  );

  app.get(
    '/api/services',
    async (): Promise<ServiceStatus[]> =>
      Promise.all(
        deps.config.SANDBOX_SERVICES.map(async ({ name, url }) => {
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
  return app;
}
