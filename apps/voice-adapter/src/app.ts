import { createServiceApp } from '@omni/service-kit';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';

/** What the voice-adapter needs; `server.ts` wires the real ones, tests pass their own. */
export interface VoiceAdapterDeps {
  config: Config;
  logger?: Logger;
}

/** Answers ACS calls, runs speech turns with the voice agent, holds callers in queue and offers to continue on WhatsApp or web chat. */
export function buildApp(deps: VoiceAdapterDeps): FastifyInstance {
  return createServiceApp({
    service: 'voice-adapter',
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    exposeErrors: deps.config.EXPOSE_ERRORS,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}
