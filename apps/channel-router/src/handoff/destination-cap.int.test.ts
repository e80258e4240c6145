import { randomUUID } from 'node:crypto';
import { createEvent, type OmniEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../config.js';
import { MemoryQueueState } from '../queue/queue-state.js';
import { testMessageContext } from '../test-support/message-context.js';
import { HandoffSagaHandler, type SagaPublisher } from './handoff-saga-handler.js';
import { CosmosSagaRepository } from './saga-repository.js';

// Issue #16: a caller whose caller ID is spoofed can ask for a WhatsApp handoff to the victim's number again and
// again. The router caps the handoff messages one number gets per day.

let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let context: ReturnType<typeof createCustomerContextStore>;
const logger = pino({ level: 'silent' });
const messageContext = testMessageContext(logger);

beforeAll(async () => {
  cosmos = await startCosmosEmulator({ port: 0 });
  const config = readConfig({
    SERVICEBUS_CONNECTION_STRING:
      'Endpoint=sb://127.0.0.1;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true',
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 's'.repeat(48),
    LOG_LEVEL: 'silent',
  });
  context = createCustomerContextStore(config);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await cosmos?.stop();
});

describe('handoff messages per destination number', () => {
  it('given a caller asking again and again for a WhatsApp handoff to the same number, when the router validates, then only the daily cap is dispatched and a redelivered request does not count twice', async () => {
    const sent: OmniEvent[] = [];
    const publisher: SagaPublisher = {
      publish: async (event) => void sent.push(event),
      schedule: async (event) => {
        sent.push(event);
        return 1n;
      },
    };
    const saga = new HandoffSagaHandler({
      repository: new CosmosSagaRepository(context.containers.handoffs),
      store: context.store,
      publisher,
      settings: {
        enabledChannels: ['voice', 'whatsapp', 'webchat'],
        expiryMs: 15 * 60_000,
        webchatPublicUrl: 'https://chat.example.test',
        fallback: 'none',
        callbackPriority: 5,
        maxPerDestinationPerDay: 3,
      },
      sendCap: new MemoryQueueState(),
    });
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: '+14255554001' });
    const request = (handoffId: string) =>
      createEvent(
        'handoff.requested',
        {
          handoffId,
          customerId: customer.customerId,
          fromChannel: 'voice',
          toChannel: 'whatsapp',
          reason: 'queue is long',
          summary: 'x',
          collectedData: {},
          address: { phone: '+14255554001' },
          requestedAt: new Date().toISOString(),
        },
        { source: '/apps/voice-adapter', correlationId: handoffId },
      );
    const ids = Array.from({ length: 5 }, () => `ho_${randomUUID()}`);
    for (const id of ids) await saga.handle(request(id), messageContext);
    // The first one again (a redelivery): it was admitted, so it is not refused now.
    await saga.handle(request(ids[0] as string), messageContext);
    const dispatched = sent.filter((e) => e.type === 'handoff.dispatched');
    expect(new Set(dispatched.map((e) => (e.data as { handoffId: string }).handoffId))).toEqual(
      new Set(ids.slice(0, 3)),
    );
  });
});
