import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the queue monitor (per replica; sum them across replicas). */
export interface RouterMetrics {
  /** How long items waited before an agent took them; service level = share under the target bucket. */
  readonly waitSeconds: Histogram<'queue' | 'kind'>;
  readonly abandoned: Counter<'queue'>;
  readonly depth: Gauge<'queue'>;
  readonly longestWaitSeconds: Gauge<'queue'>;
  readonly estimatedWaitSeconds: Gauge<'queue'>;
}

const cache = new WeakMap<Registry, RouterMetrics>();

/** The router metrics of `registry`, created once per registry. */
export function routerMetrics(registry: Registry): RouterMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: RouterMetrics = {
    waitSeconds: new Histogram({
      name: 'router_queue_wait_seconds',
      help: 'Time items waited in a human-agent queue before an agent took them.',
      labelNames: ['queue', 'kind'] as const,
      buckets: [5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600],
      registers,
    }),
    abandoned: new Counter({
      name: 'router_queue_abandoned_total',
      help: 'Calls hung up while waiting in a human-agent queue.',
      labelNames: ['queue'] as const,
      registers,
    }),
    depth: new Gauge({
      name: 'router_queue_depth',
      help: 'Items waiting.',
      labelNames: ['queue'] as const,
      registers,
    }),
    longestWaitSeconds: new Gauge({
      name: 'router_queue_longest_wait_seconds',
      help: 'Wait of the longest-waiting item.',
      labelNames: ['queue'] as const,
      registers,
    }),
    estimatedWaitSeconds: new Gauge({
      name: 'router_queue_estimated_wait_seconds',
      help: 'Estimated wait for a customer joining now.',
      labelNames: ['queue'] as const,
      registers,
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
