import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';

/** What the whatsapp-adapter needs; `server.ts` wires the real ones, tests pass their own. */
export interface WhatsAppAdapterDeps {
  config: Config;
  logger?: Logger;
}

/** Receives WhatsApp messages from ACS Advanced Messaging (Event Grid), runs agent turns and replies; sends handoff templates. */
export function buildApp(deps: WhatsAppAdapterDeps): FastifyInstance {
  return createServiceApp({
    service: 'whatsapp-adapter',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
