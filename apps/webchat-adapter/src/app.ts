import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';

/** What the webchat-adapter needs; `server.ts` wires the real ones, tests pass their own. */
export interface WebchatAdapterDeps {
  config: Config;
  logger?: Logger;
}

/** The Bot Framework messaging endpoint, the Direct Line token endpoint and the web chat page. */
export function buildApp(deps: WebchatAdapterDeps): FastifyInstance {
  return createServiceApp({
    service: 'webchat-adapter',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
