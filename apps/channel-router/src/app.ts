import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';

/** What the channel-router needs; `server.ts` wires the real ones, tests pass their own. */
export interface ChannelRouterDeps {
  config: Config;
  logger?: Logger;
}

/** Watches human-agent queues (estimated wait time), runs every handoff saga and assigns waiting customers to human agents. */
export function buildApp(deps: ChannelRouterDeps): FastifyInstance {
  return createServiceApp({
    service: 'channel-router',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
