import { EVENT_TYPES, type EventType, eventDefinitions, isEventType, type OmniEvent } from './catalog.js';
import { type IsoDuration, parseIsoDuration } from './durations.js';
import { parseSqlFilter, SqlFilterError, type SqlNode } from './sql-filter.js';
import { Channel } from './values.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** A SQL filter, evaluated by the broker against application and system (`sys.`) properties. */
export interface SqlFilterDefinition {
  readonly kind: 'sql';
  /** E.g. `type = 'handoff.dispatched' AND deliveryChannel IN ('whatsapp','sms')`; at most 1024 characters. */
  readonly expression: string;
}

/** A correlation filter: exact matches on the correlation id, subject and/or application properties. */
export interface CorrelationFilterDefinition {
  readonly kind: 'correlation';
  /** Matches the message's `correlationId`. */
  readonly correlationId?: string;
  /** Matches the message's `subject` (the emulator config calls it `Label`). */
  readonly subject?: string;
  /** Matches application properties, all of them. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** A subscription rule filter. */
export type RuleFilter = SqlFilterDefinition | CorrelationFilterDefinition;

/** A subscription rule: a filter and an optional SQL action that annotates matching messages. */
export interface RuleDefinition {
  /** Unique within its subscription. */
  readonly name: string;
  /** Which messages the rule selects. */
  readonly filter: RuleFilter;
  /** E.g. `SET routedBy = 'rule-1'`; at most 1024 characters. */
  readonly action?: { readonly kind: 'sql'; readonly expression: string };
}

/** Settings shared by queues and subscriptions, the entities messages are received from. */
export interface ReceiverSettings {
  /** How long a peek-lock lasts, e.g. `PT1M` (Service Bus allows PT5S to PT5M). */
  readonly lockDuration: IsoDuration;
  /** Deliveries before a message is dead-lettered. */
  readonly maxDeliveryCount: number;
  /** Time to live of messages that do not set their own. */
  readonly defaultMessageTimeToLive: IsoDuration;
  /** Whether only session receivers can receive (ordered per session id). */
  readonly requiresSession: boolean;
  /** Whether expired messages go to the dead-letter queue instead of vanishing. */
  readonly deadLetteringOnMessageExpiration: boolean;
}

/** A Service Bus queue (point to point). */
export interface QueueDefinition extends ReceiverSettings {
  /** Unique among queues and topics (case-insensitive). */
  readonly name: string;
  /** Whether the broker drops messages whose id it saw within the window. */
  readonly requiresDuplicateDetection: boolean;
  /** E.g. `PT10M` (Service Bus allows PT20S to P7D). */
  readonly duplicateDetectionHistoryTimeWindow: IsoDuration;
}

/** A subscription of a topic; named after the consuming service. An empty `rules` list receives everything. */
export interface SubscriptionDefinition extends ReceiverSettings {
  /** The consuming service, unique within the topic. */
  readonly name: string;
  /** The rules; a message is copied to the subscription when any rule matches. Empty = all messages. */
  readonly rules: readonly RuleDefinition[];
}

/** A Service Bus topic (publish / subscribe). */
export interface TopicDefinition {
  /** Unique among queues and topics (case-insensitive). */
  readonly name: string;
  /** Time to live of messages that do not set their own; caps the subscriptions' own. */
  readonly defaultMessageTimeToLive: IsoDuration;
  /** Whether the broker drops messages whose id it saw within the window. */
  readonly requiresDuplicateDetection: boolean;
  /** E.g. `PT10M` (Service Bus allows PT20S to P7D). */
  readonly duplicateDetectionHistoryTimeWindow: IsoDuration;
  /** Who receives the topic's messages. */
  readonly subscriptions: readonly SubscriptionDefinition[];
}

/**
 * The whole Service Bus topology: entities, plus the entity each event type is published to. The local
 * emulator, the docker-compose emulator config and the Terraform are generated from (or tested against)
 * {@link serviceBusTopology}.
 */
export interface ServiceBusTopology {
  /** The queues. */
  readonly queues: readonly QueueDefinition[];
  /** The topics with their subscriptions. */
  readonly topics: readonly TopicDefinition[];
  /** Event type to the name of the queue or topic it is published to. */
  readonly routes: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Names and defaults
// ---------------------------------------------------------------------------------------------

/** The topic names. */
export const SERVICE_BUS_TOPICS = {
  conversationEvents: 'conversation-events',
  queueEvents: 'queue-events',
  queueStatus: 'queue-status',
  handoffEvents: 'handoff-events',
  inboundMessages: 'inbound-messages',
} as const;

/** The queue names. */
export const SERVICE_BUS_QUEUES = { escalations: 'escalations' } as const;

/** A topic name. */
export type ServiceBusTopicName = (typeof SERVICE_BUS_TOPICS)[keyof typeof SERVICE_BUS_TOPICS];

/** A queue name. */
export type ServiceBusQueueName = (typeof SERVICE_BUS_QUEUES)[keyof typeof SERVICE_BUS_QUEUES];

/** The name of a queue or topic events are published to. */
export type ServiceBusEntityName = ServiceBusTopicName | ServiceBusQueueName;

/** The consuming services; subscriptions are named after them. */
export const SUBSCRIBERS = {
  channelRouter: 'channel-router',
  voiceAdapter: 'voice-adapter',
  whatsappAdapter: 'whatsapp-adapter',
  webchatAdapter: 'webchat-adapter',
} as const;

/** A consuming service, and the name of its subscriptions. */
export type SubscriberName = (typeof SUBSCRIBERS)[keyof typeof SUBSCRIBERS];

/**
 * Defaults of every entity: a 1-minute lock, 10 deliveries before dead-lettering, dead-letter on expiry,
 * duplicate detection over 10 minutes (long enough to cover publisher retries with backoff), and a 14-day
 * time to live (long enough to survive a consumer outage over a weekend; expired messages are
 * dead-lettered, never silently dropped).
 */
export const TOPOLOGY_DEFAULTS = {
  lockDuration: 'PT1M',
  maxDeliveryCount: 10,
  defaultMessageTimeToLive: 'P14D',
  deadLetteringOnMessageExpiration: true,
  requiresSession: false,
  requiresDuplicateDetection: true,
  duplicateDetectionHistoryTimeWindow: 'PT10M',
} as const;

/** The receiver settings queues and subscriptions share, from {@link TOPOLOGY_DEFAULTS}. */
function receiverDefaults(): ReceiverSettings {
  return {
    lockDuration: TOPOLOGY_DEFAULTS.lockDuration,
    maxDeliveryCount: TOPOLOGY_DEFAULTS.maxDeliveryCount,
    defaultMessageTimeToLive: TOPOLOGY_DEFAULTS.defaultMessageTimeToLive,
    requiresSession: TOPOLOGY_DEFAULTS.requiresSession,
    deadLetteringOnMessageExpiration: TOPOLOGY_DEFAULTS.deadLetteringOnMessageExpiration,
  };
}

/** Builds a queue definition from {@link TOPOLOGY_DEFAULTS} and overrides. */
export function defineQueue(
  name: string,
  overrides: Partial<Omit<QueueDefinition, 'name'>> = {},
): QueueDefinition {
  return {
    name,
    ...receiverDefaults(),
    requiresDuplicateDetection: TOPOLOGY_DEFAULTS.requiresDuplicateDetection,
    duplicateDetectionHistoryTimeWindow: TOPOLOGY_DEFAULTS.duplicateDetectionHistoryTimeWindow,
    ...overrides,
  };
}

/** Builds a subscription definition from {@link TOPOLOGY_DEFAULTS} and overrides (no rules = everything). */
export function defineSubscription(
  name: string,
  overrides: Partial<Omit<SubscriptionDefinition, 'name'>> = {},
): SubscriptionDefinition {
  return {
    name,
    ...receiverDefaults(),
    rules: [],
    ...overrides,
  };
}

/** Builds a topic definition from {@link TOPOLOGY_DEFAULTS} and overrides. */
export function defineTopic(
  name: string,
  subscriptions: readonly SubscriptionDefinition[],
  overrides: Partial<Omit<TopicDefinition, 'name' | 'subscriptions'>> = {},
): TopicDefinition {
  return {
    name,
    defaultMessageTimeToLive: TOPOLOGY_DEFAULTS.defaultMessageTimeToLive,
    requiresDuplicateDetection: TOPOLOGY_DEFAULTS.requiresDuplicateDetection,
    duplicateDetectionHistoryTimeWindow: TOPOLOGY_DEFAULTS.duplicateDetectionHistoryTimeWindow,
    subscriptions,
    ...overrides,
  };
}

/** A rule with a SQL filter. */
export function sqlRule(name: string, expression: string): RuleDefinition {
  return { name, filter: { kind: 'sql', expression } };
}

/** A rule with a correlation filter on application properties. */
export function correlationRule(
  name: string,
  properties: Readonly<Record<string, string | number | boolean>>,
): RuleDefinition {
  return { name, filter: { kind: 'correlation', properties } };
}

// ---------------------------------------------------------------------------------------------
// The topology
// ---------------------------------------------------------------------------------------------

/** Where each event type is published. `escalation.requested` goes to the `escalations` queue. */
export const EVENT_ROUTES: { readonly [T in EventType]: ServiceBusEntityName } = {
  'conversation.turn.recorded': SERVICE_BUS_TOPICS.conversationEvents,
  'conversation.session.started': SERVICE_BUS_TOPICS.conversationEvents,
  'conversation.session.ended': SERVICE_BUS_TOPICS.conversationEvents,
  'call.queued': SERVICE_BUS_TOPICS.queueEvents,
  'call.assigned': SERVICE_BUS_TOPICS.queueEvents,
  'call.abandoned': SERVICE_BUS_TOPICS.queueEvents,
  'agent.availability.changed': SERVICE_BUS_TOPICS.queueEvents,
  'queue.status.changed': SERVICE_BUS_TOPICS.queueStatus,
  'handoff.requested': SERVICE_BUS_TOPICS.handoffEvents,
  'handoff.dispatched': SERVICE_BUS_TOPICS.handoffEvents,
  'handoff.delivered': SERVICE_BUS_TOPICS.handoffEvents,
  'handoff.completed': SERVICE_BUS_TOPICS.handoffEvents,
  'handoff.expired': SERVICE_BUS_TOPICS.handoffEvents,
  'handoff.failed': SERVICE_BUS_TOPICS.handoffEvents,
  'handoff.timer.elapsed': SERVICE_BUS_TOPICS.handoffEvents,
  'escalation.requested': SERVICE_BUS_QUEUES.escalations,
  'message.received': SERVICE_BUS_TOPICS.inboundMessages,
};

const sessions = { requiresSession: true } as const;

/**
 * Queue snapshots supersede each other every few seconds: a stale one is worthless, so they live 5
 * minutes and expire without dead-lettering (which would only flood the DLQ and its alert).
 */
const snapshots = { defaultMessageTimeToLive: 'PT5M', deadLetteringOnMessageExpiration: false } as const;

// ---------------------------------------------------------------------------------------------
// Redrive
// ---------------------------------------------------------------------------------------------

/**
 * The application property a redriven dead letter carries: the name of the one subscription it goes back to.
 * A topic's subscription cannot be sent to directly, so a redrive is sent to the topic with this property, and
 * every subscription's rules select it only when it names that subscription (ADR 0085).
 */
export const REDRIVE_PROPERTY = 'redriveTo';

/** The name of the rule every subscription gets to receive the dead letters redriven to it. */
export const REDRIVE_RULE_NAME = 'redrive';

function quoted(value: string | number | boolean): string {
  return typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value);
}

/** A correlation filter as the equivalent SQL (exact matches joined with AND). */
function sqlOfCorrelation(filter: CorrelationFilterDefinition): string {
  const terms = [
    ...(filter.correlationId === undefined ? [] : [`sys.CorrelationId = ${quoted(filter.correlationId)}`]),
    ...(filter.subject === undefined ? [] : [`sys.Label = ${quoted(filter.subject)}`]),
    ...Object.entries(filter.properties ?? {}).map(([name, value]) => `${name} = ${quoted(value)}`),
  ];
  return terms.join(' AND ');
}

/**
 * A subscription that takes part in redrive: its own rules only select messages that are not redriven
 * (`redriveTo IS NULL`; a rule-less subscription gets an explicit `all` rule), and a `redrive` correlation rule
 * selects the messages redriven to it by name. So a dead letter sent back to the topic reaches its own
 * subscription only, whatever the other subscriptions' filters are.
 */
export function acceptingRedrives(subscription: SubscriptionDefinition): SubscriptionDefinition {
  if (subscription.rules.some((rule) => rule.name === REDRIVE_RULE_NAME)) return subscription;
  const notRedriven = `${REDRIVE_PROPERTY} IS NULL`;
  const own: RuleDefinition[] =
    subscription.rules.length === 0
      ? [sqlRule('all', notRedriven)]
      : subscription.rules.map((rule) => ({
          ...rule,
          filter: {
            kind: 'sql',
            expression: `(${rule.filter.kind === 'sql' ? rule.filter.expression : sqlOfCorrelation(rule.filter)}) AND ${notRedriven}`,
          },
        }));
  return {
    ...subscription,
    rules: [...own, correlationRule(REDRIVE_RULE_NAME, { [REDRIVE_PROPERTY]: subscription.name })],
  };
}

/** The topology with every subscription {@link acceptingRedrives}. */
export function withRedriveRules(topology: ServiceBusTopology): ServiceBusTopology {
  return {
    ...topology,
    topics: topology.topics.map((topic) => ({
      ...topic,
      subscriptions: topic.subscriptions.map(acceptingRedrives),
    })),
  };
}

/**
 * The platform's Service Bus topology, defined once. Check changes with {@link validateTopology}. Every
 * subscription accepts redrives ({@link acceptingRedrives}).
 */
export const serviceBusTopology: ServiceBusTopology = withRedriveRules({
  queues: [defineQueue(SERVICE_BUS_QUEUES.escalations)],
  topics: [
    defineTopic(SERVICE_BUS_TOPICS.conversationEvents, [
      defineSubscription(SUBSCRIBERS.channelRouter, sessions),
    ]),
    defineTopic(SERVICE_BUS_TOPICS.queueEvents, [
      defineSubscription(SUBSCRIBERS.channelRouter),
      defineSubscription(SUBSCRIBERS.voiceAdapter, {
        rules: [sqlRule('call-assigned', "type = 'call.assigned'")],
      }),
    ]),
    defineTopic(
      SERVICE_BUS_TOPICS.queueStatus,
      [
        defineSubscription(SUBSCRIBERS.voiceAdapter, snapshots),
        defineSubscription(SUBSCRIBERS.whatsappAdapter, snapshots),
        defineSubscription(SUBSCRIBERS.webchatAdapter, snapshots),
      ],
      { defaultMessageTimeToLive: snapshots.defaultMessageTimeToLive },
    ),
    defineTopic(SERVICE_BUS_TOPICS.handoffEvents, [
      defineSubscription(SUBSCRIBERS.channelRouter, {
        ...sessions,
        rules: [
          sqlRule(
            'handoff-progress',
            "type IN ('handoff.requested','handoff.delivered','handoff.failed','handoff.completed','handoff.timer.elapsed')",
          ),
        ],
      }),
      defineSubscription(SUBSCRIBERS.whatsappAdapter, {
        ...sessions,
        rules: [
          // ACS messaging: WhatsApp notices and the SMS-link fallback.
          sqlRule(
            'dispatched-by-whatsapp',
            "type = 'handoff.dispatched' AND deliveryChannel IN ('whatsapp','sms')",
          ),
        ],
      }),
      defineSubscription(SUBSCRIBERS.webchatAdapter, {
        ...sessions,
        rules: [sqlRule('dispatched-to-webchat', "type = 'handoff.dispatched' AND toChannel = 'webchat'")],
      }),
    ]),
    defineTopic(SERVICE_BUS_TOPICS.inboundMessages, [
      defineSubscription(SUBSCRIBERS.whatsappAdapter, {
        ...sessions,
        rules: [correlationRule('whatsapp-messages', { channel: 'whatsapp' })],
      }),
      defineSubscription(SUBSCRIBERS.webchatAdapter, {
        ...sessions,
        rules: [correlationRule('webchat-messages', { channel: 'webchat' })],
      }),
    ]),
  ],
  routes: EVENT_ROUTES,
});

// ---------------------------------------------------------------------------------------------
// Publishing helpers
// ---------------------------------------------------------------------------------------------

/** The queue or topic an event type is published to. */
export function topicOf(eventType: EventType): ServiceBusEntityName {
  return EVENT_ROUTES[eventType];
}

/** True when messages sent to the named queue or topic need a session id (the queue, or any subscription, requires sessions). */
export function entityRequiresSession(
  entityName: string,
  topology: ServiceBusTopology = serviceBusTopology,
): boolean {
  const queue = topology.queues.find((candidate) => candidate.name === entityName);
  if (queue !== undefined) return queue.requiresSession;
  const topic = topology.topics.find((candidate) => candidate.name === entityName);
  return topic?.subscriptions.some((subscription) => subscription.requiresSession) ?? false;
}

/** The data fields that can key a session: the customer, or the sender of a not-yet-resolved message. */
const SESSION_KEY_FIELDS = ['customerId', 'senderKey'] as const;

function sessionKeyFieldOf(eventType: EventType): string | undefined {
  const field = eventDefinitions[eventType].subjectField;
  return SESSION_KEY_FIELDS.find((candidate) => candidate === field);
}

/**
 * The Service Bus session id to send an event with: the customerId for customer events on session-enabled
 * entities, the sender identity key for `message.received`, and `undefined` otherwise.
 */
export function sessionIdOf(
  event: OmniEvent,
  topology: ServiceBusTopology = serviceBusTopology,
): string | undefined {
  const entity = topology.routes[event.type];
  if (entity === undefined || !entityRequiresSession(entity, topology)) return undefined;
  const field = sessionKeyFieldOf(event.type);
  if (field === undefined) return undefined;
  const value = (event.data as Readonly<Record<string, unknown>>)[field];
  return typeof value === 'string' ? value : undefined;
}

/** The application properties the publisher sets on every message so subscription filters can match. */
export const APPLICATION_PROPERTY_NAMES = [
  'type',
  'channel',
  'toChannel',
  'deliveryChannel',
  'queue',
] as const;

/** An application property set by the publisher. */
export type ApplicationPropertyName = (typeof APPLICATION_PROPERTY_NAMES)[number];

/**
 * The application properties of a message: always `type`, plus `channel`, `toChannel`, `deliveryChannel` and
 * `queue` where the data has them. Plain strings, so it can be passed as Service Bus `applicationProperties`.
 */
export type EventApplicationProperties = Readonly<Record<string, string>> & { readonly type: EventType };

/**
 * The application properties to put on an event's Service Bus message: `type` always, plus `channel`,
 * `toChannel`, `deliveryChannel` and `queue` where the data has them. Subscription filters match on these.
 */
export function applicationPropertiesOf(event: OmniEvent): EventApplicationProperties {
  const data = event.data as Readonly<Record<string, unknown>>;
  const properties: Record<string, string> = { type: event.type };
  for (const name of APPLICATION_PROPERTY_NAMES) {
    if (name === 'type') continue;
    const value = data[name];
    if (typeof value === 'string') properties[name] = value;
  }
  return properties as EventApplicationProperties;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** One problem in a topology: where (`topics[handoff-events].subscriptions[channel-router]`) and what. */
export interface TopologyProblem {
  /** Where the problem is. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

/** Service Bus queue / topic names: letters, digits, `.`, `-`, `_`, `/`; start and end alphanumeric; up to 260. */
const ENTITY_NAME = /^[A-Za-z0-9](?:[\w.\-/]{0,258}[A-Za-z0-9])?$/;
/** Service Bus subscription / rule names: letters, digits, `.`, `-`, `_`; start and end alphanumeric; up to 50. */
const CHILD_NAME = /^[A-Za-z0-9](?:[\w.-]{0,48}[A-Za-z0-9])?$/;

/** Longest SQL filter or action Service Bus accepts. */
export const MAX_SQL_EXPRESSION_LENGTH = 1024;

const LOCK_MIN_MS = parseIsoDuration('PT5S') ?? 0;
const LOCK_MAX_MS = parseIsoDuration('PT5M') ?? 0;
const DUPLICATE_WINDOW_MIN_MS = parseIsoDuration('PT20S') ?? 0;
const DUPLICATE_WINDOW_MAX_MS = parseIsoDuration('P7D') ?? 0;

/** System properties a SQL filter may name with the `sys.` prefix. */
const SYSTEM_PROPERTIES = new Set(
  [
    'ContentType',
    'CorrelationId',
    'DeadLetterSource',
    'DeliveryCount',
    'EnqueuedSequenceNumber',
    'EnqueuedTimeUtc',
    'ExpiresAtUtc',
    'Label',
    'LockedUntilUtc',
    'LockToken',
    'MessageId',
    'PartitionKey',
    'ReplyTo',
    'ReplyToSessionId',
    'ScheduledEnqueueTimeUtc',
    'SequenceNumber',
    'SessionId',
    'Size',
    'State',
    'Subject',
    'TimeToLive',
    'To',
  ].map((name) => name.toLowerCase()),
);

const CHANNEL_PROPERTIES = new Set<string>(['channel', 'toChannel', 'deliveryChannel']);

interface FilterContext {
  readonly path: string;
  readonly entityName: string;
  readonly routedTypes: ReadonlySet<string>;
  readonly problems: TopologyProblem[];
}

function checkLiteral(context: FilterContext, property: string, literal: string | number | boolean): void {
  const { path, problems } = context;
  if (property === 'type') {
    if (!isEventType(literal)) {
      problems.push({ path, message: `matches type ${JSON.stringify(literal)}, which is not an event type` });
    } else if (!context.routedTypes.has(literal)) {
      problems.push({
        path,
        message: `matches type "${literal}", which is not published to "${context.entityName}"`,
      });
    }
  } else if (CHANNEL_PROPERTIES.has(property) && !Channel.safeParse(literal).success) {
    problems.push({
      path,
      message: `matches ${property} ${JSON.stringify(literal)}, which is not a channel`,
    });
  }
}

function checkProperty(context: FilterContext, name: string): void {
  if (name !== REDRIVE_PROPERTY && !(APPLICATION_PROPERTY_NAMES as readonly string[]).includes(name)) {
    context.problems.push({
      path: context.path,
      message: `uses property "${name}", which the publisher never sets (it sets ${APPLICATION_PROPERTY_NAMES.join(', ')})`,
    });
  }
}

function checkSqlFilter(context: FilterContext, expression: string): void {
  const { path, problems } = context;
  if (expression.trim() === '') {
    problems.push({ path, message: 'SQL filter is empty' });
    return;
  }
  if (expression.length > MAX_SQL_EXPRESSION_LENGTH) {
    problems.push({ path, message: `SQL filter is longer than ${MAX_SQL_EXPRESSION_LENGTH} characters` });
  }
  let tree: SqlNode;
  try {
    tree = parseSqlFilter(expression);
  } catch (error) {
    if (!(error instanceof SqlFilterError)) throw error;
    problems.push({
      path,
      message: error.reason.startsWith('unterminated')
        ? 'SQL filter has an unterminated string literal or [identifier]'
        : `SQL filter does not parse: ${error.reason}`,
    });
    return;
  }
  checkSqlNode(context, tree);
}

/** Checks every property a filter reads, and every string literal compared with an application property. */
function checkSqlNode(context: FilterContext, node: SqlNode): void {
  switch (node.type) {
    case 'literal':
      return;
    case 'property':
      if (node.scope === 'user') checkProperty(context, node.name);
      else if (!SYSTEM_PROPERTIES.has(node.name.toLowerCase())) {
        context.problems.push({
          path: context.path,
          message: `uses "sys.${node.name}", which is not a Service Bus system property`,
        });
      }
      return;
    case 'compare':
      if (['=', '<>', '!='].includes(node.operator)) {
        checkComparedLiteral(context, node.left, node.right);
        checkComparedLiteral(context, node.right, node.left);
      }
      checkSqlNode(context, node.left);
      checkSqlNode(context, node.right);
      return;
    case 'in':
      for (const item of node.list) checkComparedLiteral(context, node.operand, item);
      checkSqlNode(context, node.operand);
      return;
    case 'and':
    case 'or':
    case 'arithmetic':
      checkSqlNode(context, node.left);
      checkSqlNode(context, node.right);
      return;
    case 'not':
    case 'negate':
    case 'isNull':
    case 'like':
      checkSqlNode(context, node.operand);
      return;
    case 'exists':
      checkSqlNode(context, node.property);
      return;
  }
}

function checkComparedLiteral(context: FilterContext, property: SqlNode, literal: SqlNode): void {
  if (property.type === 'property' && property.scope === 'user' && literal.type === 'literal') {
    if (typeof literal.value === 'string') checkLiteral(context, property.name, literal.value);
  }
}

function checkCorrelationFilter(context: FilterContext, filter: CorrelationFilterDefinition): void {
  const properties = Object.entries(filter.properties ?? {});
  if (filter.correlationId === undefined && filter.subject === undefined && properties.length === 0) {
    context.problems.push({
      path: context.path,
      message: 'correlation filter matches nothing: give at least one field',
    });
  }
  for (const [name, value] of properties) {
    checkProperty(context, name);
    checkLiteral(context, name, value);
  }
}

function checkDuration(
  problems: TopologyProblem[],
  path: string,
  field: string,
  value: string,
  range?: { readonly min: number; readonly max: number; readonly text: string },
): void {
  const ms = parseIsoDuration(value);
  if (ms === undefined) {
    problems.push({ path, message: `${field} "${value}" is not an ISO 8601 duration like PT1M or P14D` });
  } else if (ms <= 0) {
    problems.push({ path, message: `${field} must be longer than zero` });
  } else if (range !== undefined && (ms < range.min || ms > range.max)) {
    problems.push({ path, message: `${field} "${value}" is outside ${range.text}` });
  }
}

function checkReceiver(problems: TopologyProblem[], path: string, receiver: ReceiverSettings): void {
  checkDuration(problems, path, 'lockDuration', receiver.lockDuration, {
    min: LOCK_MIN_MS,
    max: LOCK_MAX_MS,
    text: 'PT5S..PT5M',
  });
  checkDuration(problems, path, 'defaultMessageTimeToLive', receiver.defaultMessageTimeToLive);
  if (!Number.isInteger(receiver.maxDeliveryCount) || receiver.maxDeliveryCount < 1) {
    problems.push({ path, message: 'maxDeliveryCount must be an integer of 1 or more' });
  }
}

function checkDuplicateDetection(
  problems: TopologyProblem[],
  path: string,
  entity: Pick<QueueDefinition, 'requiresDuplicateDetection' | 'duplicateDetectionHistoryTimeWindow'>,
): void {
  checkDuration(
    problems,
    path,
    'duplicateDetectionHistoryTimeWindow',
    entity.duplicateDetectionHistoryTimeWindow,
    {
      min: DUPLICATE_WINDOW_MIN_MS,
      max: DUPLICATE_WINDOW_MAX_MS,
      text: 'PT20S..P7D',
    },
  );
}

function checkRules(
  problems: TopologyProblem[],
  path: string,
  entityName: string,
  routedTypes: ReadonlySet<string>,
  rules: readonly RuleDefinition[],
): void {
  const seen = new Set<string>();
  for (const rule of rules) {
    const rulePath = `${path}.rules[${rule.name}]`;
    if (!CHILD_NAME.test(rule.name))
      problems.push({ path: rulePath, message: 'rule name is not a valid Service Bus name' });
    if (seen.has(rule.name.toLowerCase()))
      problems.push({ path: rulePath, message: 'rule name is used twice' });
    seen.add(rule.name.toLowerCase());
    const context: FilterContext = { path: rulePath, entityName, routedTypes, problems };
    if (rule.filter.kind === 'sql') checkSqlFilter(context, rule.filter.expression);
    else checkCorrelationFilter(context, rule.filter);
    if (rule.action !== undefined && rule.action.expression.length > MAX_SQL_EXPRESSION_LENGTH) {
      problems.push({
        path: rulePath,
        message: `SQL action is longer than ${MAX_SQL_EXPRESSION_LENGTH} characters`,
      });
    }
  }
}

/**
 * Checks a topology and returns its problems (empty when it is sound):
 * - names are valid Service Bus names, queue and topic names unique (case-insensitive), subscription names
 *   unique per topic, rule names unique per subscription;
 * - durations are ISO 8601 and within Service Bus limits; delivery counts are positive integers;
 * - every topic has a subscription;
 * - every event type is routed to an existing queue or topic, and no route names an unknown event type;
 * - events routed to a session-enabled entity have a session key (`customerId` or `senderKey`);
 * - filters only use application properties `applicationPropertiesOf` sets (or `sys.` system properties),
 *   only match event types published to their topic, and only match real channels.
 */
export function validateTopology(topology: ServiceBusTopology): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const entityNames = new Set<string>();

  const claimEntityName = (path: string, name: string): void => {
    if (!ENTITY_NAME.test(name))
      problems.push({ path, message: `"${name}" is not a valid Service Bus entity name` });
    if (entityNames.has(name.toLowerCase())) {
      problems.push({ path, message: `"${name}" is used by more than one queue or topic` });
    }
    entityNames.add(name.toLowerCase());
  };

  for (const queue of topology.queues) {
    const path = `queues[${queue.name}]`;
    claimEntityName(path, queue.name);
    checkReceiver(problems, path, queue);
    checkDuplicateDetection(problems, path, queue);
  }

  for (const topic of topology.topics) {
    const path = `topics[${topic.name}]`;
    claimEntityName(path, topic.name);
    checkDuration(problems, path, 'defaultMessageTimeToLive', topic.defaultMessageTimeToLive);
    checkDuplicateDetection(problems, path, topic);
    if (topic.subscriptions.length === 0) {
      problems.push({ path, message: 'has no subscriptions, so its messages reach nobody' });
    }
    const routedTypes = new Set(
      Object.keys(topology.routes).filter((type) => topology.routes[type] === topic.name),
    );
    const subscriptionNames = new Set<string>();
    for (const subscription of topic.subscriptions) {
      const subscriptionPath = `${path}.subscriptions[${subscription.name}]`;
      if (!CHILD_NAME.test(subscription.name)) {
        problems.push({
          path: subscriptionPath,
          message: 'subscription name is not a valid Service Bus name',
        });
      }
      if (subscriptionNames.has(subscription.name.toLowerCase())) {
        problems.push({ path: subscriptionPath, message: 'subscription name is used twice in this topic' });
      }
      subscriptionNames.add(subscription.name.toLowerCase());
      checkReceiver(problems, subscriptionPath, subscription);
      checkRules(problems, subscriptionPath, topic.name, routedTypes, subscription.rules);
    }
  }

  for (const type of EVENT_TYPES) {
    if (topology.routes[type] === undefined) {
      problems.push({ path: `routes[${type}]`, message: 'event type is not routed to any queue or topic' });
    }
  }
  for (const [type, entityName] of Object.entries(topology.routes)) {
    const path = `routes[${type}]`;
    if (!isEventType(type)) {
      problems.push({ path, message: 'is not an event type' });
      continue;
    }
    if (!entityNames.has(entityName.toLowerCase())) {
      problems.push({ path, message: `routes to "${entityName}", which is neither a queue nor a topic` });
      continue;
    }
    if (entityRequiresSession(entityName, topology) && sessionKeyFieldOf(type) === undefined) {
      problems.push({
        path,
        message: `routes to "${entityName}", which requires sessions, but the event has no customerId or senderKey`,
      });
    }
  }

  return problems;
}
