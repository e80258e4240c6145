import { randomUUID } from 'node:crypto';
import { createEvent, type OmniEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../config.js';
import { testMessageContext } from '../test-support/message-context.js';
import { HandoffSagaHandler, type SagaPublisher } from './handoff-saga-handler.js';
import { OutboxSweeper } from './outbox-sweeper.js';
import { CosmosSagaRepository } from './saga-repository.js';

// The saga's outbox when every publish attempt failed: saved in Cosmos (the emulator), then left alone by the
// handler. Only the sweeper sends it.

let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let context: ReturnType<typeof createCustomerContextStore>;
let repository: CosmosSagaRepository;
const logger = pino({ level: 'silent' });
const messageContext = testMessageContext(logger);

/** A publisher that refuses everything while `down`, and records what it sent. */
function publisher() {
  const sent: { event: OmniEvent; at?: Date }[] = [];
  const port = {
    down: true,
    sent,
    async publish(event: OmniEvent) {
      if (port.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      sent.push({ event });
    },
    async schedule(event: OmniEvent, at: Date) {
      if (port.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      sent.push({ event, at });
      return 1n;
    },
  } satisfies SagaPublisher & Record<string, unknown>;
  return port;
}

function handler(port: SagaPublisher) {
  return new HandoffSagaHandler({
    repository,
    store: context.store,
    publisher: port,
    settings: {
      enabledChannels: ['voice', 'whatsapp', 'webchat'],
      expiryMs: 15 * 60_000,
      webchatPublicUrl: 'https://chat.example.test',
      fallback: 'sms-link',
      callbackPriority: 5,
    },
  });
}

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
  repository = new CosmosSagaRepository(context.containers.handoffs);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await cosmos?.stop();
});

describe('OutboxSweeper', () => {
  it('given a saga whose every publish failed, when the sweeper runs, then its dispatch and expiry timer are sent and the outbox is emptied', async () => {
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: '+14255553001' });
    const handoffId = `ho_${randomUUID()}`;
    const requested = createEvent(
      'handoff.requested',
      {
        handoffId,
        customerId: customer.customerId,
        fromChannel: 'voice',
        toChannel: 'whatsapp',
        reason: 'queue is long',
        summary: 'Power outage.',
        collectedData: {},
        requestedAt: new Date().toISOString(),
      },
      { source: '/apps/voice-adapter', correlationId: handoffId },
    );
    const broken = publisher();
    await expect(handler(broken).handle(requested, messageContext)).rejects.toThrow(/ECONNREFUSED/);
    // The message's retries are over; the outbox is saved and nothing else will send it.
    expect((await repository.load(customer.customerId, handoffId))?.outbox.length).toBeGreaterThan(0);
    expect(await repository.withPendingOutbox()).toContainEqual({
      customerId: customer.customerId,
      handoffId,
    });

    const working = publisher();
    working.down = false;
    const restarted = handler(working);
    const sweeper = new OutboxSweeper({
      repository,
      flush: (c, h) => restarted.flushOutbox(c, h),
      intervalMs: 60_000,
      logger,
    });
    const result = await sweeper.sweep();
    expect(result).toMatchObject({ failed: 0 });
    expect(result.sagas).toBeGreaterThanOrEqual(1);
    const types = working.sent.map((s) => `${s.event.type}${s.at ? ' (scheduled)' : ''}`);
    expect(types).toContain('handoff.dispatched');
    expect(types).toContain('handoff.timer.elapsed (scheduled)');
    expect((await repository.load(customer.customerId, handoffId))?.outbox).toEqual([]);
    expect(await repository.withPendingOutbox()).not.toContainEqual({
      customerId: customer.customerId,
      handoffId,
    });

    // A second sweep finds nothing of this saga to send.
    const before = working.sent.length;
    await sweeper.sweep();
    expect(working.sent.length).toBe(before);
  });

  it('given a broker still down, when the sweeper runs, then the outbox stays for the next sweep', async () => {
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: '+14255553002' });
    const handoffId = `ho_${randomUUID()}`;
    const broken = publisher();
    const saga = handler(broken);
    await expect(
      saga.handle(
        createEvent(
          'handoff.requested',
          {
            handoffId,
            customerId: customer.customerId,
            fromChannel: 'voice',
            toChannel: 'whatsapp',
            reason: 'queue is long',
            summary: 'Power outage.',
            collectedData: {},
            requestedAt: new Date().toISOString(),
          },
          { source: '/apps/voice-adapter', correlationId: handoffId },
        ),
        messageContext,
      ),
    ).rejects.toThrow();
    const sweeper = new OutboxSweeper({
      repository,
      flush: (c, h) => saga.flushOutbox(c, h),
      intervalMs: 60_000,
      logger,
    });
    expect((await sweeper.sweep()).failed).toBeGreaterThanOrEqual(1);
    expect(await repository.withPendingOutbox()).toContainEqual({
      customerId: customer.customerId,
      handoffId,
    });
  });
});
