import { Counter, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the messaging layer, registered in a service's registry. */
export interface MessagingMetrics {
  published: Counter<'entity' | 'type'>;
  processed: Counter<'entity' | 'type' | 'outcome'>;
  deadLettered: Counter<'entity' | 'reason'>;
  handlerDuration: Histogram<'entity' | 'type'>;
}

const cache = new WeakMap<Registry, MessagingMetrics>();

/** The messaging metrics of `registry`, created once per registry (publishers and consumers share them). */
export function messagingMetrics(registry: Registry): MessagingMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const metrics: MessagingMetrics = {
    published: new Counter({
      name: 'messaging_published_total',
      help: 'Events published to Service Bus, by entity and event type.',
      labelNames: ['entity', 'type'] as const,
      registers: [registry],
    }),
    processed: new Counter({
      name: 'messaging_processed_total',
      help: 'Messages settled by consumers, by outcome: completed, duplicate, retried, dead-lettered.',
      labelNames: ['entity', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'messaging_dead_lettered_total',
      help: 'Messages dead-lettered by consumers, by reason.',
      labelNames: ['entity', 'reason'] as const,
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'messaging_handler_duration_seconds',
      help: 'Time spent in message handlers.',
      labelNames: ['entity', 'type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}
