import { Counter, type Registry } from 'prom-client';
import type { EventHandler } from './consumer.js';

const counters = new WeakMap<Registry, Counter<'type'>>();

function droppedCounter(registry: Registry): Counter<'type'> {
  const existing = counters.get(registry);
  if (existing !== undefined) return existing;
  const counter = new Counter({
    name: 'omni_erased_customer_events_dropped_total',
    help: 'Events about an erased (or being erased) customer, dropped instead of handled, by event type.',
    labelNames: ['type'],
    registers: [registry],
  });
  counters.set(registry, counter);
  return counter;
}

/**
 * Drops events about erased customers (`data.customerId`) before a handler sees them, counted by type in
 * `omni_erased_customer_events_dropped_total{type}`: an event published before the erasure, or redelivered after it,
 * must not bring the customer back (or message them). `isErased` is the customer context's `ErasureRegistry`.
 */
export class ErasedCustomerFilter {
  readonly #isErased: (customerId: string) => Promise<boolean>;
  readonly #dropped: Counter<'type'>;

  constructor(options: { isErased: (customerId: string) => Promise<boolean>; registry: Registry }) {
    this.#isErased = options.isErased;
    this.#dropped = droppedCounter(options.registry);
  }

  /** The handler, behind the filter. Events without a customer subject pass. */
  wrap(handler: EventHandler): EventHandler {
    return async (event, context) => {
      const data = event.data as { customerId?: unknown };
      const customerId = typeof data.customerId === 'string' ? data.customerId : undefined;
      if (customerId !== undefined && (await this.#isErased(customerId))) {
        this.#dropped.inc({ type: event.type });
        context.log.info({ eventId: event.id, type: event.type }, 'event about an erased customer dropped');
        return;
      }
      await handler(event, context);
    };
  }
}
