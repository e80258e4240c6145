import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { createLogger } from './logger.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { HttpProblem, toProblem } from './problem.js';
import { ReadinessRegistry } from './readiness.js';
import { registerRequestTracing } from './tracing.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Dependency checks behind `/readyz`. */
    readiness: ReadinessRegistry;
    /** The Prometheus registry behind `/metrics`. */
    metrics: ServiceMetrics;
    /** The service name given to {@link createServiceApp}. */
    serviceName: string;
  }
  interface FastifyRequest {
    /** The correlation id of the work this request belongs to (`x-correlation-id`, else the request id). */
    correlationId: string;
  }
}

/** Options for {@link createServiceApp}. */
export interface ServiceAppOptions {
  /** The service name: appears in logs, metrics and traces. */
  service: string;
  /** A pino logger (see `createLogger`); a silent one when omitted, which suits tests. */
  logger?: Logger;
  /** Largest accepted request body in bytes (413 beyond it). Default 1 MiB. */
  bodyLimit?: number;
  /** Show internal error messages in 500 responses. Local development only; never stacks. */
  exposeErrors?: boolean;
  /** Collect process metrics (CPU, memory, event loop). Default true. */
  defaultMetrics?: boolean;
}

/** Ids arriving in headers are echoed into logs and responses, so only plain tokens are accepted. */
const SAFE_ID = /^[\w.:@-]{1,128}$/;

function headerId(request: { headers: Record<string, string | string[] | undefined> }, name: string) {
  const value = request.headers[name];
  return typeof value === 'string' && SAFE_ID.test(value) ? value : undefined;
}

/**
 * A fastify 5 instance with everything a service shares: request and correlation ids, problem+json
 * errors, `/healthz`, `/readyz`, `/metrics`, request tracing and body limits. Services add their
 * routes and readiness checks, then hand it to `runService` (or `inject` in tests).
 */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const logger = options.logger ?? createLogger({ service: options.service, level: 'silent' });
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => headerId(req, 'x-request-id') ?? randomUUID(),
    // While closing, fastify answers new requests with 503 so load balancers move on.
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  app.decorate('serviceName', options.service);
  app.decorate('readiness', new ReadinessRegistry());
  app.decorate(
    'metrics',
    createServiceMetrics(options.service, { defaultMetrics: options.defaultMetrics ?? true }),
  );
  app.decorateRequest('correlationId', '');

  app.addHook('onRequest', async (request, reply) => {
    request.correlationId = headerId(request, 'x-correlation-id') ?? request.id;
    if (request.correlationId !== request.id) {
      request.log = request.log.child({ correlationId: request.correlationId });
    }
    reply.header('x-request-id', request.id);
    reply.header('x-correlation-id', request.correlationId);
  });
  registerRequestTracing(app, options.service);
  app.addHook('onResponse', async (request, reply) => {
    app.metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error, request, reply) =>
    sendProblem(error, request, reply, options.exposeErrors ?? false),
  );
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      new HttpProblem(404, 'Not Found', {
        detail: `No route for ${request.method} ${request.url.split('?')[0]}`,
      }),
      request,
      reply,
      false,
    ),
  );

  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok', service: options.service }));
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const report = await app.readiness.run();
    if (report.ready) return { status: 'ready', service: options.service, checks: report.checks };
    const failing = Object.entries(report.checks)
      .filter(([, r]) => !r.ok)
      .map(([name, r]) => `${name} (${r.error ?? 'failed'})`);
    return reply
      .status(503)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: `not ready: ${failing.join(', ')}`,
        service: options.service,
        checks: report.checks,
      });
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type(app.metrics.registry.contentType);
    return app.metrics.registry.metrics();
  });

  return app;
}

function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply, exposeErrors: boolean) {
  const { problem, headers } = toProblem(error, exposeErrors);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ status: problem.status, title: problem.title }, 'request rejected');
  problem.instance = request.url.split('?')[0];
  problem.requestId = request.id;
  return reply.status(problem.status).headers(headers).type('application/problem+json').send(problem);
}
