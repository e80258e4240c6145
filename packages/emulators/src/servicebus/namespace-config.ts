import {
  localEmulatorConfigSchema,
  parseIsoDuration,
  type ServiceBusEmulatorConfig,
  type ServiceBusTopology,
} from '@omni/contracts';

/** The fields a correlation filter can match; every given field must equal the message's. */
export interface CorrelationFilterSettings {
  readonly kind: 'correlation';
  readonly contentType?: string;
  readonly correlationId?: string;
  /** The subject (`Label` in Config.json). */
  readonly subject?: string;
  readonly messageId?: string;
  readonly replyTo?: string;
  readonly replyToSessionId?: string;
  readonly sessionId?: string;
  readonly to?: string;
  /** Application properties, matched exactly. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** A subscription rule's filter. */
export type RuleFilterSettings =
  | { readonly kind: 'sql'; readonly expression: string }
  | CorrelationFilterSettings;

/** A subscription rule. */
export interface RuleSettings {
  readonly name: string;
  readonly filter: RuleFilterSettings;
  /** The SQL action text (`SET` / `REMOVE`): a selecting rule with one gives its own, annotated copy. */
  readonly action?: string;
}

/** Settings of an entity messages are received from (a queue or a subscription). */
export interface ReceiverSettings {
  readonly lockDurationMs: number;
  readonly maxDeliveryCount: number;
  readonly defaultMessageTimeToLiveMs: number;
  readonly requiresSession: boolean;
  readonly deadLetteringOnMessageExpiration: boolean;
}

/** Duplicate detection settings of an entity messages are sent to (a queue or a topic). */
export interface DuplicateDetectionSettings {
  readonly requiresDuplicateDetection: boolean;
  readonly duplicateDetectionHistoryTimeWindowMs: number;
}

/** A queue. */
export interface QueueSettings extends ReceiverSettings, DuplicateDetectionSettings {
  readonly name: string;
}

/** A subscription; no rules = every message. */
export interface SubscriptionSettings extends ReceiverSettings {
  readonly name: string;
  readonly rules: readonly RuleSettings[];
}

/** A topic. */
export interface TopicSettings extends DuplicateDetectionSettings {
  readonly name: string;
  readonly defaultMessageTimeToLiveMs: number;
  readonly subscriptions: readonly SubscriptionSettings[];
}

/** Everything the broker hosts, with durations in milliseconds. */
export interface NamespaceSettings {
  readonly name: string;
  readonly queues: readonly QueueSettings[];
  readonly topics: readonly TopicSettings[];
}

/** A configuration the emulator cannot load. */
export class NamespaceConfigError extends Error {
  /**
   * @param problems - every problem found
   */
  constructor(readonly problems: readonly string[]) {
    super(`invalid Service Bus emulator configuration: ${problems.join('; ')}`);
    this.name = 'NamespaceConfigError';
  }
}

/** A parsed config: the official Config.json shape, complete with defaults. */
type LenientConfig = ServiceBusEmulatorConfig;

function ms(duration: string): number {
  return parseIsoDuration(duration) ?? 0;
}

function ruleFromConfig(
  rule: LenientConfig['UserConfig']['Namespaces'][number]['Topics'][number]['Subscriptions'][number]['Rules'],
): readonly RuleSettings[] {
  return (rule ?? []).map((candidate): RuleSettings => {
    const properties = candidate.Properties;
    const action = properties.Action?.SqlExpression;
    if (properties.FilterType === 'Sql') {
      return {
        name: candidate.Name,
        filter: { kind: 'sql', expression: properties.SqlFilter.SqlExpression },
        ...(action === undefined ? {} : { action }),
      };
    }
    const filter = properties.CorrelationFilter;
    return {
      name: candidate.Name,
      filter: {
        kind: 'correlation',
        ...(filter.ContentType === undefined ? {} : { contentType: filter.ContentType }),
        ...(filter.CorrelationId === undefined ? {} : { correlationId: filter.CorrelationId }),
        ...(filter.Label === undefined ? {} : { subject: filter.Label }),
        ...(filter.MessageId === undefined ? {} : { messageId: filter.MessageId }),
        ...(filter.ReplyTo === undefined ? {} : { replyTo: filter.ReplyTo }),
        ...(filter.ReplyToSessionId === undefined ? {} : { replyToSessionId: filter.ReplyToSessionId }),
        ...(filter.SessionId === undefined ? {} : { sessionId: filter.SessionId }),
        ...(filter.To === undefined ? {} : { to: filter.To }),
        ...(filter.Properties === undefined ? {} : { properties: filter.Properties }),
      },
      ...(action === undefined ? {} : { action }),
    };
  });
}

function fromLenientConfig(config: LenientConfig): NamespaceSettings {
  const namespace = config.UserConfig.Namespaces[0];
  if (namespace === undefined)
    throw new NamespaceConfigError(['UserConfig.Namespaces: must hold one namespace']);
  return {
    name: namespace.Name,
    queues: namespace.Queues.map((queue) => ({
      name: queue.Name,
      lockDurationMs: ms(queue.Properties.LockDuration),
      maxDeliveryCount: queue.Properties.MaxDeliveryCount,
      defaultMessageTimeToLiveMs: ms(queue.Properties.DefaultMessageTimeToLive),
      requiresSession: queue.Properties.RequiresSession,
      deadLetteringOnMessageExpiration: queue.Properties.DeadLetteringOnMessageExpiration,
      requiresDuplicateDetection: queue.Properties.RequiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs: ms(queue.Properties.DuplicateDetectionHistoryTimeWindow),
    })),
    topics: namespace.Topics.map((topic) => ({
      name: topic.Name,
      defaultMessageTimeToLiveMs: ms(topic.Properties.DefaultMessageTimeToLive),
      requiresDuplicateDetection: topic.Properties.RequiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs: ms(topic.Properties.DuplicateDetectionHistoryTimeWindow),
      subscriptions: topic.Subscriptions.map((subscription) => ({
        name: subscription.Name,
        lockDurationMs: ms(subscription.Properties.LockDuration),
        maxDeliveryCount: subscription.Properties.MaxDeliveryCount,
        defaultMessageTimeToLiveMs: ms(subscription.Properties.DefaultMessageTimeToLive),
        requiresSession: subscription.Properties.RequiresSession,
        deadLetteringOnMessageExpiration: subscription.Properties.DeadLetteringOnMessageExpiration,
        rules: ruleFromConfig(subscription.Rules),
      })),
    })),
  };
}

/**
 * Reads an emulator Config.json (the official emulator's shape, as an object or JSON text). A config within
 * the official emulator's limits is parsed with `serviceBusEmulatorConfigSchema` from `@omni/contracts`; one
 * outside them (a PT2S lock, a P14D time to live) is still accepted, since this emulator honours the
 * durations it is given rather than clamping them.
 *
 * @throws {@link NamespaceConfigError} when the config has the wrong shape
 */
export function namespaceFromConfig(config: unknown): NamespaceSettings {
  let input = config;
  if (typeof config === 'string') {
    try {
      input = JSON.parse(config);
    } catch (error) {
      throw new NamespaceConfigError([`not JSON: ${(error as Error).message}`]);
    }
  }
  // The official Config.json shape with our emulator's wider limits: a config the official emulator loads
  // loads here too, and so do our topology's own durations and short test locks.
  const lenient = localEmulatorConfigSchema.safeParse(input);
  if (!lenient.success) {
    throw new NamespaceConfigError(
      lenient.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`),
    );
  }
  return checked(fromLenientConfig(lenient.data));
}

/** Converts a topology from `@omni/contracts` exactly (no clamping to the official emulator's limits). */
export function namespaceFromTopology(
  topology: ServiceBusTopology,
  name = 'sbemulatorns',
): NamespaceSettings {
  return checked({
    name,
    queues: topology.queues.map((queue) => ({
      name: queue.name,
      lockDurationMs: ms(queue.lockDuration),
      maxDeliveryCount: queue.maxDeliveryCount,
      defaultMessageTimeToLiveMs: ms(queue.defaultMessageTimeToLive),
      requiresSession: queue.requiresSession,
      deadLetteringOnMessageExpiration: queue.deadLetteringOnMessageExpiration,
      requiresDuplicateDetection: queue.requiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs: ms(queue.duplicateDetectionHistoryTimeWindow),
    })),
    topics: topology.topics.map((topic) => ({
      name: topic.name,
      defaultMessageTimeToLiveMs: ms(topic.defaultMessageTimeToLive),
      requiresDuplicateDetection: topic.requiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs: ms(topic.duplicateDetectionHistoryTimeWindow),
      subscriptions: topic.subscriptions.map((subscription) => ({
        name: subscription.name,
        lockDurationMs: ms(subscription.lockDuration),
        maxDeliveryCount: subscription.maxDeliveryCount,
        defaultMessageTimeToLiveMs: ms(subscription.defaultMessageTimeToLive),
        requiresSession: subscription.requiresSession,
        deadLetteringOnMessageExpiration: subscription.deadLetteringOnMessageExpiration,
        rules: subscription.rules.map(
          (rule): RuleSettings => ({
            name: rule.name,
            filter:
              rule.filter.kind === 'sql'
                ? { kind: 'sql', expression: rule.filter.expression }
                : {
                    kind: 'correlation',
                    ...(rule.filter.correlationId === undefined
                      ? {}
                      : { correlationId: rule.filter.correlationId }),
                    ...(rule.filter.subject === undefined ? {} : { subject: rule.filter.subject }),
                    ...(rule.filter.properties === undefined ? {} : { properties: rule.filter.properties }),
                  },
            ...(rule.action === undefined ? {} : { action: rule.action.expression }),
          }),
        ),
      })),
    })),
  });
}

function checked(settings: NamespaceSettings): NamespaceSettings {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const entity of [...settings.queues, ...settings.topics]) {
    const key = entity.name.toLowerCase();
    if (names.has(key)) problems.push(`"${entity.name}" is used by more than one queue or topic`);
    names.add(key);
  }
  for (const queue of settings.queues) {
    if (queue.lockDurationMs <= 0) problems.push(`queue "${queue.name}": LockDuration must be positive`);
  }
  for (const topic of settings.topics) {
    const subscriptions = new Set<string>();
    for (const subscription of topic.subscriptions) {
      const key = subscription.name.toLowerCase();
      if (subscriptions.has(key))
        problems.push(`topic "${topic.name}": subscription "${subscription.name}" twice`);
      subscriptions.add(key);
      if (subscription.lockDurationMs <= 0) {
        problems.push(`subscription "${topic.name}/${subscription.name}": LockDuration must be positive`);
      }
    }
  }
  if (problems.length > 0) throw new NamespaceConfigError(problems);
  return settings;
}
