import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServiceBusEmulator } from './emulator.js';
import { receiveAll, startTestBus, type TestBus } from './test-support/fixture.js';

// SQL rule actions (issue #22: they were ignored). Service Bus: rules without actions are OR-ed into one copy; each
// selecting rule with an action adds its own copy, annotated by the action and carrying a RuleName property.

const sqlRule = (Name: string, filter: string, action?: string) => ({
  Name,
  Properties: {
    FilterType: 'Sql',
    SqlFilter: { SqlExpression: filter },
    ...(action === undefined ? {} : { Action: { SqlExpression: action } }),
  },
});

const config = (rules: Record<string, unknown[]>) => ({
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Queues: [],
        Topics: [
          {
            Name: 'orders',
            Subscriptions: Object.entries(rules).map(([Name, Rules]) => ({
              Name,
              Properties: { LockDuration: 'PT5S', MaxDeliveryCount: 3 },
              Rules,
            })),
          },
        ],
      },
    ],
    Logging: { Type: 'Console' },
  },
});

let bus: TestBus;

beforeAll(async () => {
  bus = await startTestBus({
    config: config({
      annotated: [
        sqlRule(
          'urgent',
          'priority > 5',
          "SET sys.Label = 'urgent'; SET level = priority * 10; REMOVE secret",
        ),
      ],
      mixed: [
        sqlRule('plain-a', '1=1'),
        sqlRule('plain-b', '1=1'),
        sqlRule('tagged', '1=1', "SET copy = 'tagged'"),
      ],
    }),
  });
});

afterAll(async () => {
  await bus?.close();
});

async function drain(subscription: string): Promise<ServiceBusReceivedMessage[]> {
  return receiveAll(bus.client.createReceiver('orders', subscription, { receiveMode: 'receiveAndDelete' }));
}

describe('SQL rule actions', () => {
  it('applies SET (system and application properties, with an expression) and REMOVE to the selected copy', async () => {
    const sender = bus.client.createSender('orders');
    try {
      await sender.sendMessages([
        { body: 'high', subject: 'order', applicationProperties: { priority: 7, secret: 'x' } },
        { body: 'low', subject: 'order', applicationProperties: { priority: 1, secret: 'y' } },
      ]);
    } finally {
      await sender.close();
    }

    const received = await drain('annotated');

    expect(received).toHaveLength(1);
    expect(received[0]?.body).toBe('high');
    expect(received[0]?.subject).toBe('urgent');
    expect(received[0]?.applicationProperties).toEqual({ priority: 7, level: 70, RuleName: 'urgent' });
  });

  it('gives one copy for the rules without actions and one per rule with an action', async () => {
    const sender = bus.client.createSender('orders');
    try {
      await sender.sendMessages({ body: 'one', applicationProperties: { priority: 0 } });
    } finally {
      await sender.close();
    }

    const received = (await drain('mixed')).filter((message) => message.body === 'one');

    expect(received.map((message) => message.applicationProperties ?? {})).toEqual(
      expect.arrayContaining([{ priority: 0 }, { priority: 0, copy: 'tagged', RuleName: 'tagged' }]),
    );
    expect(received).toHaveLength(2);
    expect(new Set(received.map((message) => String(message.sequenceNumber))).size).toBe(2);
  });

  it('refuses at start-up an action that does not parse or writes what an action may not write', async () => {
    await expect(
      startServiceBusEmulator({
        config: config({ s: [sqlRule('bad', '1=1', 'SET sys.SequenceNumber = 1')] }),
      }),
    ).rejects.toThrow(/cannot be set/);
    await expect(
      startServiceBusEmulator({ config: config({ s: [sqlRule('bad', '1=1', 'SET x = newid()')] }) }),
    ).rejects.toThrow(/not supported/);
  });
});
