import { z } from 'zod';
import { formatIsoDuration, type IsoDuration, parseIsoDuration } from './durations.js';
import type {
  QueueDefinition,
  ReceiverSettings,
  RuleDefinition,
  ServiceBusTopology,
  SubscriptionDefinition,
  TopicDefinition,
} from './topology.js';

// ---------------------------------------------------------------------------------------------
// Limits of the official emulator
// ---------------------------------------------------------------------------------------------

/**
 * Limits of the official Azure Service Bus emulator, from its documentation ("Usage quotas" in
 * learn.microsoft.com/azure/service-bus-messaging/overview-emulator) and the JSON schema of its Config.json
 * (github.com/Azure/azure-service-bus-emulator-installer, ServiceBus-Emulator/Schema/Config-schema.json).
 */
export const SERVICE_BUS_EMULATOR_LIMITS = {
  /** The only namespace name the official emulator accepts; it cannot be renamed. */
  namespace: 'sbemulatorns',
  /** Queues + topics in the namespace. */
  maxEntities: 50,
  /** Subscriptions per topic (and at least one). */
  maxSubscriptionsPerTopic: 50,
  /** SQL filters per topic. */
  maxSqlFiltersPerTopic: 20,
  /** Correlation filters per topic. */
  maxCorrelationFiltersPerTopic: 1000,
  /** Characters in a filter condition or rule action. */
  maxExpressionLength: 1024,
  /** Message time to live (default PT1H). */
  defaultMessageTimeToLive: { min: 'PT5M', max: 'PT1H' },
  /** Duplicate detection window (default PT20S). */
  duplicateDetectionHistoryTimeWindow: { min: 'PT5S', max: 'PT5M' },
  /** Peek-lock duration of subscriptions (default PT1M). */
  subscriptionLockDuration: { min: 'PT1M', max: 'PT5M' },
  /**
   * Peek-lock duration of queues (default PT1M). The current schema allows PT5S, an earlier one PT1M:
   * the renderer stays at PT1M or more so its output loads in both.
   */
  queueLockDuration: { min: 'PT5S', max: 'PT5M' },
  /** Deliveries before dead-lettering (default 3). */
  maxDeliveryCount: { min: 1, max: 10 },
} as const;

/** A duration range, both ends inclusive. */
export interface DurationRange {
  readonly min: IsoDuration;
  readonly max: IsoDuration;
}

/** The limits a Config.json schema enforces (see {@link serviceBusConfigSchema}). */
export interface ServiceBusConfigLimits {
  readonly maxEntities: number;
  readonly maxSubscriptionsPerTopic: number;
  readonly maxSqlFiltersPerTopic: number;
  readonly maxCorrelationFiltersPerTopic: number;
  readonly maxExpressionLength: number;
  readonly defaultMessageTimeToLive: DurationRange;
  readonly duplicateDetectionHistoryTimeWindow: DurationRange;
  readonly subscriptionLockDuration: DurationRange;
  readonly queueLockDuration: DurationRange;
  readonly maxDeliveryCount: { readonly min: number; readonly max: number };
}

/**
 * The limits of our own emulator (packages/emulators): Azure's own ranges, widened at the low end so tests can
 * use second-long locks and windows. It honours the topology's durations as written (P14D time to live, PT10M
 * duplicate window), which the official emulator would refuse.
 */
export const LOCAL_EMULATOR_LIMITS: ServiceBusConfigLimits = {
  maxEntities: 10_000,
  maxSubscriptionsPerTopic: 2_000,
  maxSqlFiltersPerTopic: 2_000,
  maxCorrelationFiltersPerTopic: 100_000,
  maxExpressionLength: 1024,
  defaultMessageTimeToLive: { min: 'PT1S', max: 'P10675199D' },
  duplicateDetectionHistoryTimeWindow: { min: 'PT1S', max: 'P7D' },
  subscriptionLockDuration: { min: 'PT1S', max: 'PT5M' },
  queueLockDuration: { min: 'PT1S', max: 'PT5M' },
  maxDeliveryCount: { min: 1, max: 2_000 },
};

// ---------------------------------------------------------------------------------------------
// Config.json schema
// ---------------------------------------------------------------------------------------------

const NAME_PATTERN = /^[A-Za-z0-9](?:[\w.\-/]*[A-Za-z0-9])?$/;
const entityName = z
  .string()
  .regex(
    NAME_PATTERN,
    'must start and end with a letter or digit, with only letters, digits, _ - . / between',
  );
const forwardTarget = z.union([z.literal(''), entityName]);

/** How the emulator logs. */
export const EmulatorLogging = z.enum(['File', 'Console', 'File,Console', 'Console,File']);

/** How the emulator logs. */
export type EmulatorLogging = z.infer<typeof EmulatorLogging>;

function durationWithin(range: { readonly min: IsoDuration; readonly max: IsoDuration }) {
  const min = parseIsoDuration(range.min) ?? 0;
  const max = parseIsoDuration(range.max) ?? 0;
  return z.string().superRefine((value, ctx) => {
    const ms = parseIsoDuration(value);
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `must be an ISO 8601 duration from ${range.min} to ${range.max} (days, hours, minutes, whole seconds)`,
      });
    }
  });
}

function addDuplicateNameIssues(
  ctx: z.core.$RefinementCtx,
  path: string,
  items: readonly { readonly Name: string }[],
): void {
  const seen = new Set<string>();
  for (const item of items) {
    const key = item.Name.toLowerCase();
    if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [path],
        input: item.Name,
        message: `name "${item.Name}" is used twice`,
      });
    }
    seen.add(key);
  }
}

/**
 * Builds the zod schema of a Service Bus emulator Config.json (`{ UserConfig: { Namespaces: [...], Logging } }`)
 * that enforces `limits`. Missing optional settings get the official defaults on parse (lock PT1M, TTL PT1H,
 * duplicate window PT20S, 3 deliveries, no sessions...), so a parsed config is complete. Unknown keys are kept,
 * as the official schema allows them.
 */
export function serviceBusConfigSchema(limits: ServiceBusConfigLimits) {
  const ttl = durationWithin(limits.defaultMessageTimeToLive).default('PT1H');
  const duplicateWindow = durationWithin(limits.duplicateDetectionHistoryTimeWindow).default('PT20S');
  const maxDeliveryCount = z
    .int()
    .min(limits.maxDeliveryCount.min)
    .max(limits.maxDeliveryCount.max)
    .default(3);
  const expression = z.string().min(1, 'must not be empty').max(limits.maxExpressionLength);

  const queueProperties = z.looseObject({
    DeadLetteringOnMessageExpiration: z.boolean().default(false),
    DefaultMessageTimeToLive: ttl,
    DuplicateDetectionHistoryTimeWindow: duplicateWindow,
    ForwardDeadLetteredMessagesTo: forwardTarget.default(''),
    ForwardTo: forwardTarget.default(''),
    LockDuration: durationWithin(limits.queueLockDuration).default('PT1M'),
    MaxDeliveryCount: maxDeliveryCount,
    RequiresDuplicateDetection: z.boolean().default(false),
    RequiresSession: z.boolean().default(false),
  });

  const topicProperties = z.looseObject({
    DefaultMessageTimeToLive: ttl,
    DuplicateDetectionHistoryTimeWindow: duplicateWindow,
    RequiresDuplicateDetection: z.boolean().default(false),
  });

  const subscriptionProperties = z.looseObject({
    DeadLetteringOnMessageExpiration: z.boolean().default(false),
    DefaultMessageTimeToLive: ttl,
    LockDuration: durationWithin(limits.subscriptionLockDuration).default('PT1M'),
    MaxDeliveryCount: maxDeliveryCount,
    ForwardDeadLetteredMessagesTo: forwardTarget.default(''),
    ForwardTo: forwardTarget.default(''),
    RequiresSession: z.boolean().default(false),
  });

  const ruleAction = z.looseObject({ SqlExpression: expression });

  const correlationFilter = z
    .looseObject({
      ContentType: z.string().optional(),
      CorrelationId: z.string().optional(),
      Label: z.string().optional(),
      MessageId: z.string().optional(),
      ReplyTo: z.string().optional(),
      ReplyToSessionId: z.string().optional(),
      SessionId: z.string().optional(),
      To: z.string().optional(),
      Properties: z
        .record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]))
        .refine((properties) => Object.keys(properties).length > 0, {
          message: 'must have at least one property',
        })
        .optional(),
    })
    .refine((filter) => Object.values(filter).some((value) => value !== undefined), {
      message: 'must match on at least one field',
    });

  const ruleProperties = z.discriminatedUnion('FilterType', [
    z.looseObject({
      FilterType: z.literal('Sql'),
      SqlFilter: z.looseObject({ SqlExpression: expression }),
      Action: ruleAction.optional(),
    }),
    z.looseObject({
      FilterType: z.literal('Correlation'),
      CorrelationFilter: correlationFilter,
      Action: ruleAction.optional(),
    }),
  ]);

  // `$Default` is the name Service Bus gives a subscription's default rule; configs may name it.
  const rule = z.looseObject({
    Name: z.union([z.literal('$Default'), entityName]),
    Properties: ruleProperties,
  });

  const subscription = z.looseObject({
    Name: entityName,
    Properties: subscriptionProperties.prefault({}),
    /** Absent or empty: the subscription receives every message. */
    Rules: z.array(rule).optional(),
  });

  const topic = z
    .looseObject({
      Name: entityName,
      Properties: topicProperties.prefault({}),
      Subscriptions: z
        .array(subscription)
        .min(1, 'a topic needs at least one subscription')
        .max(
          limits.maxSubscriptionsPerTopic,
          `at most ${limits.maxSubscriptionsPerTopic} subscriptions per topic`,
        ),
    })
    .superRefine((value, ctx) => {
      const rules = value.Subscriptions.flatMap((candidate) => candidate.Rules ?? []);
      const sql = rules.filter((candidate) => candidate.Properties.FilterType === 'Sql').length;
      const correlation = rules.length - sql;
      if (sql > limits.maxSqlFiltersPerTopic) {
        ctx.addIssue({
          code: 'custom',
          path: ['Subscriptions'],
          input: value.Subscriptions,
          message: `has ${sql} SQL filters; the emulator allows ${limits.maxSqlFiltersPerTopic} per topic`,
        });
      }
      if (correlation > limits.maxCorrelationFiltersPerTopic) {
        ctx.addIssue({
          code: 'custom',
          path: ['Subscriptions'],
          input: value.Subscriptions,
          message: `has ${correlation} correlation filters; the emulator allows ${limits.maxCorrelationFiltersPerTopic} per topic`,
        });
      }
      addDuplicateNameIssues(ctx, 'Subscriptions', value.Subscriptions);
    });

  const queue = z.looseObject({ Name: entityName, Properties: queueProperties.prefault({}) });

  const namespace = z
    .looseObject({
      /** The official emulator only accepts `sbemulatorns`; our own emulator accepts any valid name. */
      Name: entityName,
      Queues: z.array(queue).default([]),
      Topics: z.array(topic).default([]),
    })
    .superRefine((value, ctx) => {
      if (value.Queues.length + value.Topics.length > limits.maxEntities) {
        ctx.addIssue({
          code: 'custom',
          path: ['Topics'],
          input: value.Topics,
          message: `has ${value.Queues.length + value.Topics.length} queues and topics; the emulator allows ${limits.maxEntities}`,
        });
      }
      addDuplicateNameIssues(ctx, 'Topics', [...value.Queues, ...value.Topics]);
    });

  return z.looseObject({
    UserConfig: z.looseObject({
      Namespaces: z.array(namespace).length(1, 'must hold exactly one namespace'),
      Logging: z.looseObject({ Type: EmulatorLogging }),
    }),
  });
}

/** The official emulator's Config.json, with the official emulator's limits. */
export const serviceBusEmulatorConfigSchema = serviceBusConfigSchema(SERVICE_BUS_EMULATOR_LIMITS);

/** The same shape with our own emulator's wider limits (see {@link LOCAL_EMULATOR_LIMITS}). */
export const localEmulatorConfigSchema = serviceBusConfigSchema(LOCAL_EMULATOR_LIMITS);

/** A parsed (complete) Service Bus emulator Config.json. */
export type ServiceBusEmulatorConfig = z.output<typeof serviceBusEmulatorConfigSchema>;

/** The emulator Config.json as written by hand (settings optional). */
export type ServiceBusEmulatorConfigInput = z.input<typeof serviceBusEmulatorConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Renderer
// ---------------------------------------------------------------------------------------------

const limits = SERVICE_BUS_EMULATOR_LIMITS;

/** A setting the renderer changed to fit the emulator's limits. */
export interface EmulatorClamp {
  /** Where, e.g. `topics[handoff-events].subscriptions[channel-router]`. */
  readonly path: string;
  /** The Config.json property, e.g. `DefaultMessageTimeToLive`. */
  readonly property: string;
  /** The topology's value. */
  readonly from: string | number;
  /** The value written. */
  readonly to: string | number;
}

/** Options of {@link renderServiceBusEmulatorConfig}. */
export interface EmulatorConfigOptions {
  /** Namespace name; default `sbemulatorns`, the only one the official emulator accepts. */
  readonly namespace?: string;
  /** How the emulator logs; default `File`. */
  readonly logging?: EmulatorLogging;
  /** Told about every setting changed to fit the emulator's limits. */
  readonly onClamp?: (clamp: EmulatorClamp) => void;
}

/** Thrown by {@link renderServiceBusEmulatorConfig} for a topology the emulator cannot hold at all. */
export class EmulatorConfigError extends Error {
  /** Every problem found. */
  readonly problems: readonly string[];

  /**
   * @param problems - what does not fit
   */
  constructor(problems: readonly string[]) {
    super(`the topology does not fit the Service Bus emulator: ${problems.join('; ')}`);
    this.name = 'EmulatorConfigError';
    this.problems = problems;
  }
}

interface RenderContext {
  readonly problems: string[];
  readonly onClamp: ((clamp: EmulatorClamp) => void) | undefined;
}

function clampDuration(
  context: RenderContext,
  path: string,
  property: string,
  value: IsoDuration,
  range: { readonly min: IsoDuration; readonly max: IsoDuration },
): IsoDuration {
  const ms = parseIsoDuration(value);
  if (ms === undefined) {
    context.problems.push(`${path}: ${property} "${value}" is not an ISO 8601 duration`);
    return value;
  }
  const min = parseIsoDuration(range.min) ?? 0;
  const max = parseIsoDuration(range.max) ?? 0;
  const clamped = Math.min(max, Math.max(min, ms));
  if (clamped === ms) return value;
  const to = formatIsoDuration(clamped);
  context.onClamp?.({ path, property, from: value, to });
  return to;
}

function clampDeliveryCount(context: RenderContext, path: string, value: number): number {
  const { min, max } = limits.maxDeliveryCount;
  const clamped = Math.min(max, Math.max(min, Math.trunc(value)));
  if (clamped !== value) context.onClamp?.({ path, property: 'MaxDeliveryCount', from: value, to: clamped });
  return clamped;
}

function receiverProperties(context: RenderContext, path: string, receiver: ReceiverSettings) {
  return {
    DeadLetteringOnMessageExpiration: receiver.deadLetteringOnMessageExpiration,
    DefaultMessageTimeToLive: clampDuration(
      context,
      path,
      'DefaultMessageTimeToLive',
      receiver.defaultMessageTimeToLive,
      limits.defaultMessageTimeToLive,
    ),
    // Both queues and subscriptions stay within the subscription range (PT1M..PT5M), which every
    // published version of the emulator schema accepts.
    LockDuration: clampDuration(
      context,
      path,
      'LockDuration',
      receiver.lockDuration,
      limits.subscriptionLockDuration,
    ),
    MaxDeliveryCount: clampDeliveryCount(context, path, receiver.maxDeliveryCount),
    ForwardDeadLetteredMessagesTo: '',
    ForwardTo: '',
    RequiresSession: receiver.requiresSession,
  };
}

function renderQueue(context: RenderContext, definition: QueueDefinition) {
  const path = `queues[${definition.name}]`;
  return {
    Name: definition.name,
    Properties: {
      ...receiverProperties(context, path, definition),
      DuplicateDetectionHistoryTimeWindow: clampDuration(
        context,
        path,
        'DuplicateDetectionHistoryTimeWindow',
        definition.duplicateDetectionHistoryTimeWindow,
        limits.duplicateDetectionHistoryTimeWindow,
      ),
      RequiresDuplicateDetection: definition.requiresDuplicateDetection,
    },
  };
}

function renderRule(context: RenderContext, path: string, definition: RuleDefinition) {
  const rulePath = `${path}.rules[${definition.name}]`;
  const action =
    definition.action === undefined ? {} : { Action: { SqlExpression: definition.action.expression } };
  for (const text of [
    definition.filter.kind === 'sql' ? definition.filter.expression : '',
    definition.action?.expression ?? '',
  ]) {
    if (text.length > limits.maxExpressionLength) {
      context.problems.push(
        `${rulePath}: expression is longer than ${limits.maxExpressionLength} characters`,
      );
    }
  }
  if (definition.filter.kind === 'sql') {
    return {
      Name: definition.name,
      Properties: {
        FilterType: 'Sql' as const,
        SqlFilter: { SqlExpression: definition.filter.expression },
        ...action,
      },
    };
  }
  const { correlationId, subject, properties } = definition.filter;
  return {
    Name: definition.name,
    Properties: {
      FilterType: 'Correlation' as const,
      CorrelationFilter: {
        ...(correlationId === undefined ? {} : { CorrelationId: correlationId }),
        ...(subject === undefined ? {} : { Label: subject }),
        ...(properties === undefined ? {} : { Properties: { ...properties } }),
      },
      ...action,
    },
  };
}

function renderSubscription(context: RenderContext, topicPath: string, definition: SubscriptionDefinition) {
  const path = `${topicPath}.subscriptions[${definition.name}]`;
  const rendered = { Name: definition.name, Properties: receiverProperties(context, path, definition) };
  // No Rules at all (rather than an empty list) is how the emulator's documentation subscribes to everything.
  if (definition.rules.length === 0) return rendered;
  return { ...rendered, Rules: definition.rules.map((rule) => renderRule(context, path, rule)) };
}

function renderTopic(context: RenderContext, definition: TopicDefinition) {
  const path = `topics[${definition.name}]`;
  const { subscriptions } = definition;
  if (subscriptions.length === 0)
    context.problems.push(`${path}: the emulator needs at least one subscription per topic`);
  if (subscriptions.length > limits.maxSubscriptionsPerTopic) {
    context.problems.push(
      `${path}: has ${subscriptions.length} subscriptions, over ${limits.maxSubscriptionsPerTopic}`,
    );
  }
  const rules = subscriptions.flatMap((subscription) => subscription.rules);
  const sqlFilters = rules.filter((rule) => rule.filter.kind === 'sql').length;
  if (sqlFilters > limits.maxSqlFiltersPerTopic) {
    context.problems.push(`${path}: has ${sqlFilters} SQL filters, over ${limits.maxSqlFiltersPerTopic}`);
  }
  if (rules.length - sqlFilters > limits.maxCorrelationFiltersPerTopic) {
    context.problems.push(`${path}: has over ${limits.maxCorrelationFiltersPerTopic} correlation filters`);
  }
  return {
    Name: definition.name,
    Properties: {
      DefaultMessageTimeToLive: clampDuration(
        context,
        path,
        'DefaultMessageTimeToLive',
        definition.defaultMessageTimeToLive,
        limits.defaultMessageTimeToLive,
      ),
      DuplicateDetectionHistoryTimeWindow: clampDuration(
        context,
        path,
        'DuplicateDetectionHistoryTimeWindow',
        definition.duplicateDetectionHistoryTimeWindow,
        limits.duplicateDetectionHistoryTimeWindow,
      ),
      RequiresDuplicateDetection: definition.requiresDuplicateDetection,
    },
    Subscriptions: subscriptions.map((subscription) => renderSubscription(context, path, subscription)),
  };
}

/**
 * Renders a topology as the Service Bus emulator's Config.json (the official emulator's shape, also read by
 * our own emulator). Settings outside the emulator's limits are clamped, and each clamp is reported to
 * `onClamp`:
 * - `DefaultMessageTimeToLive` to PT5M..PT1H (the platform's P14D becomes PT1H);
 * - `DuplicateDetectionHistoryTimeWindow` to PT5S..PT5M (the platform's PT10M becomes PT5M);
 * - `LockDuration` to PT1M..PT5M; `MaxDeliveryCount` to 1..10.
 * `ForwardTo` and `ForwardDeadLetteredMessagesTo` are written empty. Subscriptions without rules get no
 * `Rules`, so they receive everything.
 *
 * @throws {@link EmulatorConfigError} when the topology cannot fit: over 50 queues + topics, a topic with no
 *   or over 50 subscriptions, over 20 SQL filters in a topic, an expression over 1024 characters, a name
 *   the emulator rejects, or a duration that is not ISO 8601.
 */
export function renderServiceBusEmulatorConfig(
  topology: ServiceBusTopology,
  options: EmulatorConfigOptions = {},
): ServiceBusEmulatorConfig {
  const context: RenderContext = { problems: [], onClamp: options.onClamp };
  if (topology.queues.length + topology.topics.length > limits.maxEntities) {
    context.problems.push(
      `${topology.queues.length + topology.topics.length} queues and topics, over the emulator's ${limits.maxEntities}`,
    );
  }
  const config = {
    UserConfig: {
      Namespaces: [
        {
          Name: options.namespace ?? limits.namespace,
          Queues: topology.queues.map((definition) => renderQueue(context, definition)),
          Topics: topology.topics.map((definition) => renderTopic(context, definition)),
        },
      ],
      Logging: { Type: options.logging ?? 'File' },
    },
  };
  if (context.problems.length > 0) throw new EmulatorConfigError(context.problems);
  // The schema is the last word on names and ranges; anything it rejects here is a renderer gap.
  const checked = serviceBusEmulatorConfigSchema.safeParse(config);
  if (!checked.success) {
    throw new EmulatorConfigError(
      checked.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`),
    );
  }
  return checked.data;
}
