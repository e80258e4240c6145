import { describe, expect, it } from 'vitest';
import {
  type EmulatorClamp,
  EmulatorConfigError,
  localEmulatorConfigSchema,
  renderServiceBusEmulatorConfig,
  serviceBusEmulatorConfigSchema,
} from './emulator-config.js';
import {
  correlationRule,
  defineQueue,
  defineSubscription,
  defineTopic,
  type ServiceBusTopology,
  serviceBusTopology,
  sqlRule,
} from './topology.js';

/** A small topology with one of everything the renderer handles. */
const knownTopology: ServiceBusTopology = {
  queues: [defineQueue('jobs', { maxDeliveryCount: 25, lockDuration: 'PT30S' })],
  topics: [
    defineTopic(
      'orders',
      [
        defineSubscription('all'),
        defineSubscription('paid', {
          requiresSession: true,
          rules: [
            {
              name: 'paid-only',
              filter: { kind: 'sql', expression: "type = 'order.paid'" },
              action: { kind: 'sql', expression: "SET routed = 'paid'" },
            },
          ],
        }),
        defineSubscription('eu', {
          defaultMessageTimeToLive: 'PT10M',
          rules: [
            correlationRule('eu-region', { region: 'eu', priority: 2, urgent: true }),
            { name: 'by-id', filter: { kind: 'correlation', correlationId: 'c-1', subject: 'order' } },
          ],
        }),
      ],
      { defaultMessageTimeToLive: 'PT30M', duplicateDetectionHistoryTimeWindow: 'PT1M' },
    ),
  ],
  routes: {},
};

function namespaceOf(config: ReturnType<typeof renderServiceBusEmulatorConfig>) {
  const namespace = config.UserConfig.Namespaces[0];
  if (namespace === undefined) throw new Error('no namespace');
  return namespace;
}

describe('renderServiceBusEmulatorConfig, for a known topology', () => {
  const clamps: EmulatorClamp[] = [];
  const config = renderServiceBusEmulatorConfig(knownTopology, { onClamp: (clamp) => clamps.push(clamp) });
  const namespace = namespaceOf(config);
  const orders = namespace.Topics[0];

  it('given no options, then it writes one sbemulatorns namespace with file logging', () => {
    expect(config.UserConfig.Namespaces).toHaveLength(1);
    expect(namespace.Name).toBe('sbemulatorns');
    expect(config.UserConfig.Logging).toEqual({ Type: 'File' });
  });

  it('given the queue, then its properties are the emulator property names with ISO durations, clamped into range', () => {
    expect(namespace.Queues).toEqual([
      {
        Name: 'jobs',
        Properties: {
          DeadLetteringOnMessageExpiration: true,
          DefaultMessageTimeToLive: 'PT1H',
          DuplicateDetectionHistoryTimeWindow: 'PT5M',
          ForwardDeadLetteredMessagesTo: '',
          ForwardTo: '',
          LockDuration: 'PT1M',
          MaxDeliveryCount: 10,
          RequiresDuplicateDetection: true,
          RequiresSession: false,
        },
      },
    ]);
  });

  it('given the topic, then its properties keep values already within the limits', () => {
    expect(orders?.Name).toBe('orders');
    expect(orders?.Properties).toEqual({
      DefaultMessageTimeToLive: 'PT30M',
      DuplicateDetectionHistoryTimeWindow: 'PT1M',
      RequiresDuplicateDetection: true,
    });
  });

  it('given a subscription without rules, then it has no Rules so it receives everything', () => {
    const all = orders?.Subscriptions[0];

    expect(all?.Name).toBe('all');
    expect(all).not.toHaveProperty('Rules');
    expect(all?.Properties).toEqual({
      DeadLetteringOnMessageExpiration: true,
      DefaultMessageTimeToLive: 'PT1H',
      LockDuration: 'PT1M',
      MaxDeliveryCount: 10,
      ForwardDeadLetteredMessagesTo: '',
      ForwardTo: '',
      RequiresSession: false,
    });
  });

  it('given a SQL rule with an action, then it is FilterType Sql with SqlFilter.SqlExpression and Action.SqlExpression', () => {
    const paid = orders?.Subscriptions[1];

    expect(paid?.Properties.RequiresSession).toBe(true);
    expect(paid?.Rules).toEqual([
      {
        Name: 'paid-only',
        Properties: {
          FilterType: 'Sql',
          SqlFilter: { SqlExpression: "type = 'order.paid'" },
          Action: { SqlExpression: "SET routed = 'paid'" },
        },
      },
    ]);
  });

  it('given correlation rules, then they are FilterType Correlation with Properties, CorrelationId and Label', () => {
    const eu = orders?.Subscriptions[2];

    expect(eu?.Properties.DefaultMessageTimeToLive).toBe('PT10M');
    expect(eu?.Rules).toEqual([
      {
        Name: 'eu-region',
        Properties: {
          FilterType: 'Correlation',
          CorrelationFilter: { Properties: { region: 'eu', priority: 2, urgent: true } },
        },
      },
      {
        Name: 'by-id',
        Properties: {
          FilterType: 'Correlation',
          CorrelationFilter: { CorrelationId: 'c-1', Label: 'order' },
        },
      },
    ]);
  });

  it('given settings outside the emulator limits, then each clamp is reported', () => {
    expect(clamps).toEqual(
      expect.arrayContaining([
        { path: 'queues[jobs]', property: 'DefaultMessageTimeToLive', from: 'P14D', to: 'PT1H' },
        { path: 'queues[jobs]', property: 'LockDuration', from: 'PT30S', to: 'PT1M' },
        { path: 'queues[jobs]', property: 'MaxDeliveryCount', from: 25, to: 10 },
        { path: 'queues[jobs]', property: 'DuplicateDetectionHistoryTimeWindow', from: 'PT10M', to: 'PT5M' },
        {
          path: 'topics[orders].subscriptions[paid]',
          property: 'DefaultMessageTimeToLive',
          from: 'P14D',
          to: 'PT1H',
        },
      ]),
    );
    expect(clamps.some((clamp) => clamp.path === 'topics[orders]')).toBe(false);
  });

  it('given the output, then it passes the Config.json schema unchanged and survives JSON', () => {
    const json = JSON.parse(JSON.stringify(config));

    expect(serviceBusEmulatorConfigSchema.parse(json)).toEqual(config);
  });
});

describe('renderServiceBusEmulatorConfig, for the platform topology', () => {
  const config = renderServiceBusEmulatorConfig(serviceBusTopology, { logging: 'Console' });
  const namespace = namespaceOf(config);
  const topic = (name: string) => namespace.Topics.find((candidate) => candidate.Name === name);
  const subscription = (topicName: string, name: string) =>
    topic(topicName)?.Subscriptions.find((candidate) => candidate.Name === name);

  it('given the platform topology, then it renders the escalations queue and the five topics', () => {
    expect(namespace.Queues.map((queue) => queue.Name)).toEqual(['escalations']);
    expect(namespace.Topics.map((candidate) => candidate.Name)).toEqual([
      'conversation-events',
      'queue-events',
      'queue-status',
      'handoff-events',
      'inbound-messages',
    ]);
    expect(config.UserConfig.Logging.Type).toBe('Console');
  });

  it('given the handoff subscriptions, then they are session-enabled SQL filters on type and channel', () => {
    expect(subscription('handoff-events', 'whatsapp-adapter')?.Rules?.[0]?.Properties).toEqual({
      FilterType: 'Sql',
      SqlFilter: {
        SqlExpression:
          "(type = 'handoff.dispatched' AND deliveryChannel IN ('whatsapp','sms')) AND redriveTo IS NULL",
      },
    });
    expect(subscription('handoff-events', 'channel-router')?.Properties.RequiresSession).toBe(true);
  });

  it('given the inbound subscriptions, then they filter on the channel and take redrives by name', () => {
    expect(subscription('inbound-messages', 'webchat-adapter')?.Rules?.[0]?.Properties).toEqual({
      FilterType: 'Sql',
      SqlFilter: { SqlExpression: "(channel = 'webchat') AND redriveTo IS NULL" },
    });
    expect(subscription('inbound-messages', 'webchat-adapter')?.Rules?.[1]?.Properties).toEqual({
      FilterType: 'Correlation',
      CorrelationFilter: { Properties: { redriveTo: 'webchat-adapter' } },
    });
  });

  it('given queue snapshots, then they live 5 minutes and are not dead-lettered on expiry', () => {
    expect(topic('queue-status')?.Properties.DefaultMessageTimeToLive).toBe('PT5M');
    expect(subscription('queue-status', 'webchat-adapter')?.Properties).toMatchObject({
      DefaultMessageTimeToLive: 'PT5M',
      DeadLetteringOnMessageExpiration: false,
    });
  });

  it('given the output, then the schema accepts it', () => {
    expect(serviceBusEmulatorConfigSchema.safeParse(JSON.parse(JSON.stringify(config))).success).toBe(true);
  });
});

describe('renderServiceBusEmulatorConfig, for a topology the emulator cannot hold', () => {
  it('given a topic without subscriptions, then it throws', () => {
    const topology: ServiceBusTopology = { queues: [], topics: [defineTopic('lonely', [])], routes: {} };

    expect(() => renderServiceBusEmulatorConfig(topology)).toThrow(EmulatorConfigError);
    expect(() => renderServiceBusEmulatorConfig(topology)).toThrow(
      'topics[lonely]: the emulator needs at least one subscription per topic',
    );
  });

  it('given 21 SQL filters in one topic, then it throws naming the limit of 20', () => {
    const subscriptions = Array.from({ length: 21 }, (_, i) =>
      defineSubscription(`s${i}`, { rules: [sqlRule('r', `n = ${i}`)] }),
    );

    expect(() =>
      renderServiceBusEmulatorConfig({
        queues: [],
        topics: [defineTopic('busy', subscriptions)],
        routes: {},
      }),
    ).toThrow('topics[busy]: has 21 SQL filters, over 20');
  });

  it('given 51 entities, then it throws naming the limit of 50', () => {
    const queues = Array.from({ length: 51 }, (_, i) => defineQueue(`q${i}`));

    expect(() => renderServiceBusEmulatorConfig({ queues, topics: [], routes: {} })).toThrow(
      "51 queues and topics, over the emulator's 50",
    );
  });

  it('given a SQL filter over 1024 characters, then it throws', () => {
    const topology: ServiceBusTopology = {
      queues: [],
      topics: [
        defineTopic('t', [
          defineSubscription('s', { rules: [sqlRule('long', `a = '${'x'.repeat(1030)}'`)] }),
        ]),
      ],
      routes: {},
    };

    expect(() => renderServiceBusEmulatorConfig(topology)).toThrow(
      'expression is longer than 1024 characters',
    );
  });
});

describe('serviceBusEmulatorConfigSchema', () => {
  /** Shaped like the example in the emulator's documentation, with our own names and values. */
  const documented = {
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: [
            {
              Name: 'orders.queue',
              Properties: {
                DeadLetteringOnMessageExpiration: false,
                DefaultMessageTimeToLive: 'PT1H',
                DuplicateDetectionHistoryTimeWindow: 'PT20S',
                ForwardDeadLetteredMessagesTo: '',
                ForwardTo: '',
                LockDuration: 'PT1M',
                MaxDeliveryCount: 3,
                RequiresDuplicateDetection: false,
                RequiresSession: false,
              },
            },
          ],
          Topics: [
            {
              Name: 'orders.topic',
              Properties: {
                DefaultMessageTimeToLive: 'PT1H',
                DuplicateDetectionHistoryTimeWindow: 'PT20S',
                RequiresDuplicateDetection: false,
              },
              Subscriptions: [
                {
                  Name: 'by-system-properties',
                  Properties: {
                    DeadLetteringOnMessageExpiration: false,
                    DefaultMessageTimeToLive: 'PT1H',
                    LockDuration: 'PT1M',
                    MaxDeliveryCount: 3,
                    ForwardDeadLetteredMessagesTo: '',
                    ForwardTo: '',
                    RequiresSession: false,
                  },
                  Rules: [
                    {
                      Name: 'system-filter',
                      Properties: {
                        FilterType: 'Correlation',
                        CorrelationFilter: {
                          ContentType: 'application/json',
                          CorrelationId: 'corr-a',
                          Label: 'label-a',
                          MessageId: 'msg-a',
                          ReplyTo: 'replies',
                          ReplyToSessionId: 'reply-session',
                          SessionId: 'session-a',
                          To: 'someone',
                        },
                      },
                    },
                  ],
                },
                {
                  Name: 'by-user-property',
                  Properties: { MaxDeliveryCount: 3 },
                  Rules: [
                    {
                      Name: 'user-filter',
                      Properties: {
                        FilterType: 'Correlation',
                        CorrelationFilter: { Properties: { colour: 'blue' } },
                      },
                    },
                  ],
                },
                { Name: 'everything', Properties: { MaxDeliveryCount: 3 } },
              ],
            },
          ],
        },
      ],
      Logging: { Type: 'File' },
    },
  };

  it('given a config shaped like the documented example, then it is accepted', () => {
    expect(serviceBusEmulatorConfigSchema.safeParse(documented).error).toBeUndefined();
  });

  it('given a namespace with queues only and bare entities, then it is accepted and the official defaults are filled in', () => {
    const parsed = serviceBusEmulatorConfigSchema.parse({
      UserConfig: {
        Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'jobs' }] }],
        Logging: { Type: 'Console' },
      },
    });

    const namespace = parsed.UserConfig.Namespaces[0];
    expect(namespace?.Topics).toEqual([]);
    expect(namespace?.Queues[0]?.Properties).toEqual({
      DeadLetteringOnMessageExpiration: false,
      DefaultMessageTimeToLive: 'PT1H',
      DuplicateDetectionHistoryTimeWindow: 'PT20S',
      ForwardDeadLetteredMessagesTo: '',
      ForwardTo: '',
      LockDuration: 'PT1M',
      MaxDeliveryCount: 3,
      RequiresDuplicateDetection: false,
      RequiresSession: false,
    });
  });

  function issuesOf(mutate: (config: typeof documented) => void): string[] {
    const config = structuredClone(documented);
    mutate(config);
    const result = serviceBusEmulatorConfigSchema.safeParse(config);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('given a time to live over an hour, then it is rejected with the allowed range', () => {
    expect(
      issuesOf((config) => {
        const queue = config.UserConfig.Namespaces[0]?.Queues[0];
        if (queue) queue.Properties.DefaultMessageTimeToLive = 'P1D';
      }),
    ).toEqual([
      'UserConfig.Namespaces.0.Queues.0.Properties.DefaultMessageTimeToLive: must be an ISO 8601 duration from PT5M to PT1H (days, hours, minutes, whole seconds)',
    ]);
  });

  it('given 11 deliveries, then MaxDeliveryCount is rejected', () => {
    expect(
      issuesOf((config) => {
        const queue = config.UserConfig.Namespaces[0]?.Queues[0];
        if (queue) queue.Properties.MaxDeliveryCount = 11;
      }),
    ).toEqual([
      expect.stringMatching(/^UserConfig\.Namespaces\.0\.Queues\.0\.Properties\.MaxDeliveryCount: /),
    ]);
  });

  it('given a Sql rule without SqlFilter and an empty correlation filter, then both are rejected', () => {
    const issues = issuesOf((config) => {
      const subscriptions = config.UserConfig.Namespaces[0]?.Topics[0]?.Subscriptions;
      const [first, second] = subscriptions ?? [];
      if (first?.Rules?.[0]) first.Rules[0].Properties = { FilterType: 'Sql' } as never;
      if (second?.Rules?.[0]) second.Rules[0].Properties.CorrelationFilter = {} as never;
    });

    expect(issues).toEqual([
      expect.stringMatching(
        /^UserConfig\.Namespaces\.0\.Topics\.0\.Subscriptions\.0\.Rules\.0\.Properties\.SqlFilter: /,
      ),
      'UserConfig.Namespaces.0.Topics.0.Subscriptions.1.Rules.0.Properties.CorrelationFilter: must match on at least one field',
    ]);
  });

  it('given two namespaces, then it is rejected: the emulator holds exactly one', () => {
    expect(
      issuesOf((config) => {
        config.UserConfig.Namespaces.push(structuredClone(config.UserConfig.Namespaces[0] as never));
      }),
    ).toEqual(['UserConfig.Namespaces: must hold exactly one namespace']);
  });

  it('given a queue and a topic sharing a name and an unknown logging type, then both are rejected', () => {
    const issues = issuesOf((config) => {
      const namespace = config.UserConfig.Namespaces[0];
      const queue = namespace?.Queues[0];
      if (queue) queue.Name = 'Orders.Topic';
      (config.UserConfig.Logging as { Type: string }).Type = 'Syslog';
    });

    expect(issues).toEqual([
      'UserConfig.Namespaces.0.Topics: name "orders.topic" is used twice',
      'UserConfig.Logging.Type: Invalid option: expected one of "File"|"Console"|"File,Console"|"Console,File"',
    ]);
  });
});

describe('localEmulatorConfigSchema', () => {
  const withDurations = (lock: string, ttl: string) => ({
    UserConfig: {
      Namespaces: [
        {
          Name: 'sbemulatorns',
          Queues: [{ Name: 'q', Properties: { LockDuration: lock, DefaultMessageTimeToLive: ttl } }],
          Topics: [],
        },
      ],
      Logging: { Type: 'Console' },
    },
  });

  it('given a short test lock and our 14-day TTL, then our emulator accepts them and the official schema refuses them', () => {
    const config = withDurations('PT2S', 'P14D');
    expect(localEmulatorConfigSchema.safeParse(config).success).toBe(true);
    const official = serviceBusEmulatorConfigSchema.safeParse(config);
    expect(official.success).toBe(false);
    expect(official.error?.issues.map((i) => i.path.at(-1))).toEqual(
      expect.arrayContaining(['LockDuration', 'DefaultMessageTimeToLive']),
    );
  });

  it('given a malformed duration, then both refuse it', () => {
    const config = withDurations('two seconds', 'PT1H');
    expect(localEmulatorConfigSchema.safeParse(config).success).toBe(false);
    expect(serviceBusEmulatorConfigSchema.safeParse(config).success).toBe(false);
  });
});
