import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** A service's Prometheus registry and the HTTP metrics service-kit records into it. */
export interface ServiceMetrics {
  /** Add the service's own counters and histograms here; `/metrics` exposes them. */
  registry: Registry;
  httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
}

/**
 * A registry per app instance (not prom-client's global one), so several apps in one test process
 * never collide, with the process metrics and an HTTP latency histogram per route pattern.
 */
export function createServiceMetrics(
  service: string,
  options: { defaultMetrics?: boolean } = {},
): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Fine buckets at the low end: the platform's overhead targets are in tens of milliseconds.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return { registry, httpRequestDuration };
}
