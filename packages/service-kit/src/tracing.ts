import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The server span of this request (a no-op span while tracing is off). */
    span: Span;
  }
}

/**
 * One server span per request, continuing the caller's W3C trace context (`traceparent`).
 * Spans go through the global OpenTelemetry API: with no SDK started (tracing off) they are no-ops
 * and cost next to nothing. Done with hooks rather than module patching, so it works under ESM
 * without loader flags.
 */
export function registerRequestTracing(app: FastifyInstance, service: string): void {
  const tracer = trace.getTracer(`@omni/${service}`);
  app.decorateRequest('span', undefined as unknown as Span);
  app.addHook('onRequest', async (request) => {
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    request.span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'omni.request_id': request.id,
          'omni.correlation_id': request.correlationId,
        },
      },
      parent,
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = request.span;
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
