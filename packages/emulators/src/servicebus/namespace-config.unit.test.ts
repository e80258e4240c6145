import { renderServiceBusEmulatorConfig, serviceBusTopology } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { NamespaceConfigError, namespaceFromConfig, namespaceFromTopology } from './namespace-config.js';

describe('namespace configuration', () => {
  it('reads the official Config.json the contracts render, with its defaults', () => {
    const settings = namespaceFromConfig(renderServiceBusEmulatorConfig(serviceBusTopology));
    const handoff = settings.topics.find((topic) => topic.name === 'handoff-events');
    const whatsapp = handoff?.subscriptions.find((subscription) => subscription.name === 'whatsapp-adapter');
    expect(whatsapp?.requiresSession).toBe(true);
    expect(whatsapp?.rules[0]?.filter).toEqual({
      kind: 'sql',
      expression:
        "(type = 'handoff.dispatched' AND deliveryChannel IN ('whatsapp','sms')) AND redriveTo IS NULL",
    });
    expect(whatsapp?.rules[1]).toMatchObject({
      name: 'redrive',
      filter: { kind: 'correlation', properties: { redriveTo: 'whatsapp-adapter' } },
    });
    expect(settings.queues[0]?.lockDurationMs).toBe(60_000);
  });

  it('honours durations outside the official emulator limits (short test locks, long TTLs)', () => {
    const settings = namespaceFromConfig(
      JSON.stringify({
        UserConfig: {
          Namespaces: [
            {
              Name: 'local',
              Queues: [{ Name: 'q', Properties: { LockDuration: 'PT2S', DefaultMessageTimeToLive: 'P14D' } }],
            },
          ],
          Logging: { Type: 'Console' },
        },
      }),
    );
    expect(settings.queues[0]).toMatchObject({
      lockDurationMs: 2000,
      defaultMessageTimeToLiveMs: 14 * 86_400_000,
      maxDeliveryCount: 3,
    });
  });

  it('takes the topology exactly, without the official emulator clamps', () => {
    const settings = namespaceFromTopology(serviceBusTopology);
    const escalations = settings.queues.find((queue) => queue.name === 'escalations');
    expect(escalations).toMatchObject({
      defaultMessageTimeToLiveMs: 14 * 86_400_000,
      duplicateDetectionHistoryTimeWindowMs: 600_000,
      maxDeliveryCount: 10,
    });
  });

  it("accepts a rule named $Default, the name Service Bus gives a subscription's default rule", () => {
    const settings = namespaceFromConfig({
      UserConfig: {
        Namespaces: [
          {
            Name: 'local',
            Queues: [],
            Topics: [
              {
                Name: 't',
                Subscriptions: [
                  {
                    Name: 's',
                    Rules: [
                      {
                        Name: '$Default',
                        Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: '1=1' } },
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
        Logging: { Type: 'Console' },
      },
    });
    expect(settings.topics[0]?.subscriptions[0]?.rules[0]?.name).toBe('$Default');
  });

  it('refuses a config of the wrong shape', () => {
    expect(() => namespaceFromConfig({ UserConfig: { Namespaces: [] } })).toThrow(NamespaceConfigError);
    expect(() => namespaceFromConfig('{not json')).toThrow(NamespaceConfigError);
  });
});
