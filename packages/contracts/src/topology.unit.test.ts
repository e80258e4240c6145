import { describe, expect, it } from 'vitest';
import { createEvent, EVENT_TYPES, type EventType } from './catalog.js';
import { compileSqlFilter } from './sql-filter.js';
import {
  SAMPLE_CUSTOMER_ID,
  SAMPLE_DATA,
  SAMPLE_OPTIONS,
  SAMPLE_PHONE,
} from './test-support/event-samples.js';
import {
  applicationPropertiesOf,
  correlationRule,
  defineQueue,
  defineSubscription,
  defineTopic,
  EVENT_ROUTES,
  entityRequiresSession,
  REDRIVE_PROPERTY,
  REDRIVE_RULE_NAME,
  type RuleDefinition,
  type ServiceBusTopology,
  serviceBusTopology,
  sessionIdOf,
  sqlRule,
  topicOf,
  validateTopology,
} from './topology.js';

function sampleEvent<T extends EventType>(type: T) {
  return createEvent(type, SAMPLE_DATA[type], SAMPLE_OPTIONS);
}

function subscriptionOf(topic: string, subscription: string) {
  const found = serviceBusTopology.topics
    .find((candidate) => candidate.name === topic)
    ?.subscriptions.find((candidate) => candidate.name === subscription);
  if (found === undefined) throw new Error(`no subscription ${topic}/${subscription}`);
  return found;
}

/** The platform topology with one topic's subscription rules replaced. */
function withRules(topic: string, subscription: string, rules: RuleDefinition[]): ServiceBusTopology {
  return {
    ...serviceBusTopology,
    topics: serviceBusTopology.topics.map((candidate) =>
      candidate.name !== topic
        ? candidate
        : {
            ...candidate,
            subscriptions: candidate.subscriptions.map((sub) =>
              sub.name === subscription ? { ...sub, rules } : sub,
            ),
          },
    ),
  };
}

/** Whether a rule selects a message with these application properties (as the broker evaluates it). */
function ruleMatches(rule: RuleDefinition, properties: Readonly<Record<string, string>>): boolean {
  if (rule.filter.kind === 'correlation') {
    return Object.entries(rule.filter.properties ?? {}).every(([name, value]) => properties[name] === value);
  }
  return compileSqlFilter(rule.filter.expression).matches({
    system: () => undefined,
    user: (name) => properties[name],
  });
}

function messagesOf(topology: ServiceBusTopology): string[] {
  return validateTopology(topology).map((problem) => `${problem.path}: ${problem.message}`);
}

describe('the platform topology', () => {
  it('given the topology as defined, then validation finds no problems', () => {
    expect(validateTopology(serviceBusTopology)).toEqual([]);
  });

  it('given the topology, then it has the five topics and the escalations queue', () => {
    expect(serviceBusTopology.topics.map((topic) => topic.name)).toEqual([
      'conversation-events',
      'queue-events',
      'queue-status',
      'handoff-events',
      'inbound-messages',
    ]);
    expect(serviceBusTopology.queues.map((queue) => queue.name)).toEqual(['escalations']);
  });

  it('given the defaults, then entities lock for a minute, retry 10 times, dead-letter on expiry and dedupe for 10 minutes', () => {
    const [escalations] = serviceBusTopology.queues;

    expect(escalations).toMatchObject({
      lockDuration: 'PT1M',
      maxDeliveryCount: 10,
      deadLetteringOnMessageExpiration: true,
      requiresSession: false,
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindow: 'PT10M',
    });
    for (const topic of serviceBusTopology.topics) {
      expect(topic).toMatchObject({
        requiresDuplicateDetection: true,
        duplicateDetectionHistoryTimeWindow: 'PT10M',
      });
    }
  });

  it('given the subscriptions, then sessions are on where per-customer order matters and off elsewhere', () => {
    expect(subscriptionOf('conversation-events', 'channel-router').requiresSession).toBe(true);
    expect(subscriptionOf('queue-events', 'channel-router').requiresSession).toBe(false);
    expect(subscriptionOf('queue-status', 'voice-adapter').requiresSession).toBe(false);
    for (const name of ['channel-router', 'whatsapp-adapter', 'webchat-adapter']) {
      expect(subscriptionOf('handoff-events', name).requiresSession).toBe(true);
    }
    expect(subscriptionOf('inbound-messages', 'whatsapp-adapter').requiresSession).toBe(true);
    expect(entityRequiresSession('escalations')).toBe(false);
  });

  it('given the subscription filters, then they are the documented filters, each excluding redriven messages', () => {
    expect(subscriptionOf('queue-events', 'voice-adapter').rules[0]?.filter).toEqual({
      kind: 'sql',
      expression: "(type = 'call.assigned') AND redriveTo IS NULL",
    });
    expect(subscriptionOf('handoff-events', 'whatsapp-adapter').rules[0]?.filter).toEqual({
      kind: 'sql',
      expression:
        "(type = 'handoff.dispatched' AND deliveryChannel IN ('whatsapp','sms')) AND redriveTo IS NULL",
    });
    expect(subscriptionOf('handoff-events', 'webchat-adapter').rules[0]?.filter).toEqual({
      kind: 'sql',
      expression: "(type = 'handoff.dispatched' AND toChannel = 'webchat') AND redriveTo IS NULL",
    });
    expect(subscriptionOf('inbound-messages', 'webchat-adapter').rules[0]?.filter).toEqual({
      kind: 'sql',
      expression: "(channel = 'webchat') AND redriveTo IS NULL",
    });
    expect(subscriptionOf('queue-events', 'channel-router').rules[0]?.filter).toEqual({
      kind: 'sql',
      expression: 'redriveTo IS NULL',
    });
  });

  it('given any subscription, then its redrive rule selects the messages redriven to it by name', () => {
    for (const topic of serviceBusTopology.topics) {
      for (const subscription of topic.subscriptions) {
        expect(subscription.rules.at(-1)).toEqual({
          name: REDRIVE_RULE_NAME,
          filter: { kind: 'correlation', properties: { [REDRIVE_PROPERTY]: subscription.name } },
        });
      }
    }
  });

  it('given a dead letter redriven to one subscription, then no other subscription of its topic selects it', () => {
    for (const topic of serviceBusTopology.topics) {
      for (const target of topic.subscriptions) {
        for (const type of Object.keys(serviceBusTopology.routes).filter(
          (candidate) => serviceBusTopology.routes[candidate] === topic.name,
        )) {
          const properties = {
            ...applicationPropertiesOf(sampleEvent(type as EventType)),
            [REDRIVE_PROPERTY]: target.name,
          };
          const selecting = topic.subscriptions
            .filter((subscription) => subscription.rules.some((rule) => ruleMatches(rule, properties)))
            .map((subscription) => subscription.name);
          expect(selecting, `${type} redriven to ${topic.name}/${target.name}`).toEqual([target.name]);
        }
      }
    }
  });
});

describe('topicOf', () => {
  it.each([
    ['conversation.turn.recorded', 'conversation-events'],
    ['agent.availability.changed', 'queue-events'],
    ['queue.status.changed', 'queue-status'],
    ['handoff.failed', 'handoff-events'],
    ['escalation.requested', 'escalations'],
    ['message.received', 'inbound-messages'],
  ] as const)('given %s, then it is published to %s', (type, entity) => {
    expect(topicOf(type)).toBe(entity);
  });

  it('given every event type, then it is routed somewhere', () => {
    expect(Object.keys(EVENT_ROUTES).sort()).toEqual([...EVENT_TYPES].sort());
  });
});

describe('sessionIdOf', () => {
  it('given customer events on session-enabled topics, then the session id is the customerId', () => {
    expect(sessionIdOf(sampleEvent('handoff.requested'))).toBe(SAMPLE_CUSTOMER_ID);
    expect(sessionIdOf(sampleEvent('conversation.turn.recorded'))).toBe(SAMPLE_CUSTOMER_ID);
  });

  it('given message.received, then the session id is the sender key', () => {
    expect(sessionIdOf(sampleEvent('message.received'))).toBe(`phone:${SAMPLE_PHONE}`);
  });

  it('given events on entities without sessions, then there is no session id', () => {
    expect(sessionIdOf(sampleEvent('call.queued'))).toBeUndefined();
    expect(sessionIdOf(sampleEvent('queue.status.changed'))).toBeUndefined();
    expect(sessionIdOf(sampleEvent('escalation.requested'))).toBeUndefined();
    expect(sessionIdOf(sampleEvent('agent.availability.changed'))).toBeUndefined();
  });
});

describe('applicationPropertiesOf', () => {
  it.each([
    ['handoff.dispatched', { type: 'handoff.dispatched', toChannel: 'webchat', deliveryChannel: 'whatsapp' }],
    ['handoff.requested', { type: 'handoff.requested', toChannel: 'whatsapp' }],
    ['message.received', { type: 'message.received', channel: 'whatsapp' }],
    ['call.assigned', { type: 'call.assigned', queue: 'billing' }],
    ['queue.status.changed', { type: 'queue.status.changed', queue: 'billing' }],
    ['conversation.turn.recorded', { type: 'conversation.turn.recorded', channel: 'voice' }],
    ['handoff.completed', { type: 'handoff.completed', toChannel: 'whatsapp' }],
    ['agent.availability.changed', { type: 'agent.availability.changed' }],
  ] as const)('given %s, then the properties are exactly %j', (type, expected) => {
    expect(applicationPropertiesOf(sampleEvent(type))).toEqual(expected);
  });

  it('given a WhatsApp message, then its properties match the whatsapp-adapter filter and not the web chat one', () => {
    const properties = applicationPropertiesOf(sampleEvent('message.received'));
    const matches = (subscription: string) =>
      subscriptionOf('inbound-messages', subscription).rules.some((rule) => ruleMatches(rule, properties));

    expect(matches('whatsapp-adapter')).toBe(true);
    expect(matches('webchat-adapter')).toBe(false);
  });
});

describe('validateTopology', () => {
  it('given a topic and a queue with the same name (any case), then the clash is reported', () => {
    const topology = {
      ...serviceBusTopology,
      queues: [...serviceBusTopology.queues, defineQueue('Handoff-Events')],
    };

    expect(messagesOf(topology)).toEqual([
      'topics[handoff-events]: "handoff-events" is used by more than one queue or topic',
    ]);
  });

  it('given an event type with no route, then it is reported', () => {
    const { 'handoff.expired': _dropped, ...routes } = EVENT_ROUTES;

    expect(messagesOf({ ...serviceBusTopology, routes })).toEqual([
      'routes[handoff.expired]: event type is not routed to any queue or topic',
    ]);
  });

  it('given a route to a missing entity and a route for an unknown event, then both are reported', () => {
    const routes = {
      ...EVENT_ROUTES,
      'handoff.expired': 'handoff-archive',
      'handoff.teleported': 'handoff-events',
    };

    expect(messagesOf({ ...serviceBusTopology, routes })).toEqual([
      'routes[handoff.expired]: routes to "handoff-archive", which is neither a queue nor a topic',
      'routes[handoff.teleported]: is not an event type',
    ]);
  });

  it('given an event without a session key routed to a session-enabled topic, then it is reported', () => {
    const routes = { ...EVENT_ROUTES, 'agent.availability.changed': 'handoff-events' };

    expect(messagesOf({ ...serviceBusTopology, routes })).toEqual([
      'routes[agent.availability.changed]: routes to "handoff-events", which requires sessions, but the event has no customerId or senderKey',
    ]);
  });

  it('given a SQL filter on a property the publisher never sets, then it is reported', () => {
    const topology = withRules('handoff-events', 'whatsapp-adapter', [
      sqlRule('dispatched', "type = 'handoff.dispatched' AND delivery_channel = 'whatsapp'"),
    ]);

    expect(messagesOf(topology)).toEqual([
      'topics[handoff-events].subscriptions[whatsapp-adapter].rules[dispatched]: uses property "delivery_channel", which the publisher never sets (it sets type, channel, toChannel, deliveryChannel, queue)',
    ]);
  });

  it('given a SQL filter with a misspelt event type, then it is reported', () => {
    const topology = withRules('handoff-events', 'channel-router', [
      sqlRule('progress', "type IN ('handoff.requested','handoff.deliverd')"),
    ]);

    expect(messagesOf(topology)).toEqual([
      'topics[handoff-events].subscriptions[channel-router].rules[progress]: matches type "handoff.deliverd", which is not an event type',
    ]);
  });

  it('given a SQL filter for an event published to another topic, then it is reported', () => {
    const topology = withRules('queue-events', 'voice-adapter', [
      sqlRule('assigned', "type = 'handoff.dispatched'"),
    ]);

    expect(messagesOf(topology)).toEqual([
      'topics[queue-events].subscriptions[voice-adapter].rules[assigned]: matches type "handoff.dispatched", which is not published to "queue-events"',
    ]);
  });

  it('given filters on a channel that does not exist, then they are reported', () => {
    const topology = withRules('inbound-messages', 'whatsapp-adapter', [
      correlationRule('wa', { channel: 'whatsap' }),
      sqlRule('wa-sql', "toChannel <> 'fax'"),
    ]);

    expect(messagesOf(topology)).toEqual([
      'topics[inbound-messages].subscriptions[whatsapp-adapter].rules[wa]: matches channel "whatsap", which is not a channel',
      'topics[inbound-messages].subscriptions[whatsapp-adapter].rules[wa-sql]: matches toChannel "fax", which is not a channel',
    ]);
  });

  it('given system properties and user. prefixes, then they are accepted; an unknown sys. property is not', () => {
    const topology = withRules('handoff-events', 'webchat-adapter', [
      sqlRule('ok', "sys.Label = 'x' AND user.toChannel = 'webchat' AND NOT type IN ('handoff.failed')"),
      sqlRule('bad', "sys.Colour = 'red'"),
    ]);

    expect(messagesOf(topology)).toEqual([
      'topics[handoff-events].subscriptions[webchat-adapter].rules[bad]: uses "sys.Colour", which is not a Service Bus system property',
    ]);
  });

  it('given an empty correlation filter, an unterminated SQL string and a SQL filter over 1024 characters, then each is reported', () => {
    const long = `type = 'handoff.failed' OR ${Array.from({ length: 60 }, () => "toChannel = 'webchat'").join(' OR ')}`;
    const topology = withRules('handoff-events', 'webchat-adapter', [
      { name: 'empty', filter: { kind: 'correlation' } },
      sqlRule('open', "type = 'handoff.failed"),
      sqlRule('long', long),
    ]);

    expect(messagesOf(topology)).toEqual([
      'topics[handoff-events].subscriptions[webchat-adapter].rules[empty]: correlation filter matches nothing: give at least one field',
      'topics[handoff-events].subscriptions[webchat-adapter].rules[open]: SQL filter has an unterminated string literal or [identifier]',
      'topics[handoff-events].subscriptions[webchat-adapter].rules[long]: SQL filter is longer than 1024 characters',
    ]);
  });

  it('given bad durations, delivery count, names and a topic without subscriptions, then each is reported', () => {
    const topology: ServiceBusTopology = {
      queues: [
        defineQueue('escalations', {
          lockDuration: 'PT10M',
          maxDeliveryCount: 0,
          defaultMessageTimeToLive: '14 days',
        }),
      ],
      topics: [
        defineTopic('conversation-events', [
          defineSubscription('-router'),
          defineSubscription('a'),
          defineSubscription('A'),
        ]),
        defineTopic('queue-events', [], { duplicateDetectionHistoryTimeWindow: 'PT5S' }),
      ],
      routes: {},
    };

    const messages = messagesOf(topology);

    expect(messages).toEqual(
      expect.arrayContaining([
        'queues[escalations]: lockDuration "PT10M" is outside PT5S..PT5M',
        'queues[escalations]: defaultMessageTimeToLive "14 days" is not an ISO 8601 duration like PT1M or P14D',
        'queues[escalations]: maxDeliveryCount must be an integer of 1 or more',
        'topics[conversation-events].subscriptions[-router]: subscription name is not a valid Service Bus name',
        'topics[conversation-events].subscriptions[A]: subscription name is used twice in this topic',
        'topics[queue-events]: duplicateDetectionHistoryTimeWindow "PT5S" is outside PT20S..P7D',
        'topics[queue-events]: has no subscriptions, so its messages reach nobody',
        'routes[conversation.turn.recorded]: event type is not routed to any queue or topic',
      ]),
    );
  });
});
