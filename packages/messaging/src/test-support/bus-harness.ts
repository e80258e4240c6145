import { ServiceBusClient } from '@azure/service-bus';
import type { ServiceBusTopology } from '@omni/contracts';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { EventConsumer } from '../consumer.js';
import { EventPublisher } from '../publisher.js';

type Emulator = Awaited<ReturnType<typeof startServiceBusEmulator>>;

/** A suite's Service Bus emulator, SDK client and publisher; consumers pushed to `consumers` stop after each test. */
export interface BusHarness {
  readonly emulator: Emulator;
  readonly client: ServiceBusClient;
  readonly publisher: EventPublisher;
  readonly consumers: EventConsumer[];
}

/**
 * Registers the suite's hooks: the emulator starts before the suite (with `topology` when given); after each test
 * the consumers stop and the emulator is reset; after the suite everything closes. Read the fields inside tests.
 */
export function useServiceBus(topology?: ServiceBusTopology): BusHarness {
  const state = { consumers: [] as EventConsumer[] } as {
    emulator: Emulator;
    client: ServiceBusClient;
    publisher: EventPublisher;
    consumers: EventConsumer[];
  };
  beforeAll(async () => {
    state.emulator = await startServiceBusEmulator(topology === undefined ? {} : { topology });
    state.client = new ServiceBusClient(state.emulator.connectionString);
    state.publisher = new EventPublisher({ client: state.client, ...(topology ? { topology } : {}) });
  });
  afterEach(async () => {
    await Promise.all(state.consumers.splice(0).map((c) => c.stop()));
    await fetch(`${state.emulator.httpUrl}/reset`, { method: 'POST' });
  });
  afterAll(async () => {
    await state.publisher?.close();
    await state.client?.close();
    await state.emulator?.stop();
  });
  return state;
}
