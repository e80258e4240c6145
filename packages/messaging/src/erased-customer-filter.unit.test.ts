import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { MessageContext } from './consumer.js';
import { ErasedCustomerFilter } from './erased-customer-filter.js';

const CUSTOMER = 'cust_01JZ0000000000000000000001';

describe('ErasedCustomerFilter', () => {
  it('given an erased customer, when events arrive, then theirs are dropped and counted, others handled', async () => {
    const registry = new Registry();
    const filter = new ErasedCustomerFilter({ isErased: async (id) => id === CUSTOMER, registry });
    const handled: string[] = [];
    const handler = filter.wrap(async (event) => void handled.push(event.id));
    const context = { log: pino({ level: 'silent' }) } as unknown as MessageContext;
    const event = (id: string, customerId: string) =>
      ({ id, type: 'handoff.requested', data: { customerId } }) as never;

    await handler(event('e1', CUSTOMER), context);
    await handler(event('e2', 'cust_01JZ0000000000000000000002'), context);

    expect(handled).toEqual(['e2']);
    expect(await registry.getSingleMetricAsString('omni_erased_customer_events_dropped_total')).toContain(
      'omni_erased_customer_events_dropped_total{type="handoff.requested"} 1',
    );
  });
});
