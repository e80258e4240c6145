import { isServiceBusError } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuesConfig, startTestBus, type TestBus } from './test-support/fixture.js';

// Service Bus Standard refuses a message over 256 KB (issue #22); the emulator did not.

let bus: TestBus;
const activeIn = (queue: string) =>
  bus.emulator.broker.summaries().find((row) => row.path === queue)?.active ?? 0;

beforeAll(async () => {
  bus = await startTestBus({ config: queuesConfig({ sized: {} }) });
});

afterAll(async () => {
  await bus?.close();
});

describe('message size (Standard tier: 256 KB)', () => {
  it('refuses a 1 MB message and keeps nothing of it', async () => {
    const sender = bus.client.createSender('sized');
    try {
      const error = await sender.sendMessages({ body: 'x'.repeat(1024 * 1024) }).then(
        () => undefined,
        (failure: unknown) => failure,
      );

      expect(isServiceBusError(error) ? error.code : error).toBe('MessageSizeExceeded');
      expect(activeIn('sized')).toBe(0);
    } finally {
      await sender.close();
    }
  });

  it('accepts a message just under the limit', async () => {
    const sender = bus.client.createSender('sized');
    try {
      await sender.sendMessages({ body: 'x'.repeat(200 * 1024) });

      expect(activeIn('sized')).toBe(1);
    } finally {
      await sender.close();
    }
  });
});

describe('fault switch: server busy', () => {
  it('refuses the next send with ServiceBusy, which the SDK retries', async () => {
    const sender = bus.client.createSender('sized');
    try {
      bus.emulator.faults.serverBusy(1);
      await sender.sendMessages({ body: 'after one busy answer' });

      bus.emulator.faults.serverBusy(10);
      const error = await sender.sendMessages({ body: 'never' }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      bus.emulator.faults.clear();

      // Past its retries the SDK throws every attempt's error (an AggregateError); each one is ServiceBusy.
      const attempts = error instanceof AggregateError ? error.errors : [error];
      expect(
        attempts.map((attempt: unknown) => (isServiceBusError(attempt) ? attempt.code : attempt)),
      ).toEqual(attempts.map(() => 'ServiceBusy'));
      expect(attempts.length).toBeGreaterThan(0);
    } finally {
      await sender.close();
    }
  });
});
