import type {
  IsoDuration,
  QueueDefinition,
  RuleDefinition,
  ServiceBusTopology,
  SubscriptionDefinition,
  TopicDefinition,
} from '@omni/contracts';

/** A queue as `azurerm_servicebus_queue` takes it (attribute names are the resource's). */
export interface TerraformQueue {
  readonly lock_duration: string;
  readonly max_delivery_count: number;
  readonly default_message_ttl: string;
  readonly requires_session: boolean;
  readonly dead_lettering_on_message_expiration: boolean;
  readonly requires_duplicate_detection: boolean;
  readonly duplicate_detection_history_time_window: string;
}

/** A topic as `azurerm_servicebus_topic` takes it. */
export interface TerraformTopic {
  readonly default_message_ttl: string;
  readonly requires_duplicate_detection: boolean;
  readonly duplicate_detection_history_time_window: string;
}

/** A subscription as `azurerm_servicebus_subscription` takes it, plus its topic. */
export interface TerraformSubscription {
  readonly topic: string;
  readonly name: string;
  readonly lock_duration: string;
  readonly max_delivery_count: number;
  readonly default_message_ttl: string;
  readonly requires_session: boolean;
  readonly dead_lettering_on_message_expiration: boolean;
  /** True when the subscription has rules of its own, so the catch-all `$Default` rule must go. */
  readonly has_rules: boolean;
}

/** A subscription rule as `azurerm_servicebus_subscription_rule` takes it, plus where it belongs. */
export interface TerraformRule {
  /** The key of its subscription in {@link TerraformServiceBusTopology.subscriptions}. */
  readonly subscription: string;
  readonly name: string;
  readonly filter_type: 'SqlFilter' | 'CorrelationFilter';
  readonly sql_filter: string | null;
  readonly action: string | null;
  readonly correlation_filter: {
    readonly correlation_id: string | null;
    readonly label: string | null;
    readonly properties: Readonly<Record<string, string>>;
  } | null;
}

/**
 * The Service Bus topology flattened into the maps `infra/servicebus.tf` iterates with `for_each`:
 * queues and topics by name, subscriptions by `topic/subscription`, rules by `topic/subscription/rule`.
 */
export interface TerraformServiceBusTopology {
  readonly queues: Readonly<Record<string, TerraformQueue>>;
  readonly topics: Readonly<Record<string, TerraformTopic>>;
  readonly subscriptions: Readonly<Record<string, TerraformSubscription>>;
  readonly rules: Readonly<Record<string, TerraformRule>>;
}

/** Where the generated Terraform locals live, relative to `infra/`. */
export const TERRAFORM_TOPOLOGY_FILE = 'servicebus_topology.tf.json';

/** Where the docker-compose Service Bus emulator's Config.json lives, relative to `infra/`. */
export const COMPOSE_EMULATOR_CONFIG_FILE = 'compose/servicebus-emulator/Config.json';

function queueOf(queue: QueueDefinition): TerraformQueue {
  return {
    lock_duration: queue.lockDuration,
    max_delivery_count: queue.maxDeliveryCount,
    default_message_ttl: queue.defaultMessageTimeToLive,
    requires_session: queue.requiresSession,
    dead_lettering_on_message_expiration: queue.deadLetteringOnMessageExpiration,
    requires_duplicate_detection: queue.requiresDuplicateDetection,
    duplicate_detection_history_time_window: queue.duplicateDetectionHistoryTimeWindow,
  };
}

function topicOf(topic: TopicDefinition): TerraformTopic {
  return {
    default_message_ttl: topic.defaultMessageTimeToLive,
    requires_duplicate_detection: topic.requiresDuplicateDetection,
    duplicate_detection_history_time_window: topic.duplicateDetectionHistoryTimeWindow,
  };
}

function subscriptionOf(topic: string, subscription: SubscriptionDefinition): TerraformSubscription {
  return {
    topic,
    name: subscription.name,
    lock_duration: subscription.lockDuration,
    max_delivery_count: subscription.maxDeliveryCount,
    default_message_ttl: subscription.defaultMessageTimeToLive,
    requires_session: subscription.requiresSession,
    dead_lettering_on_message_expiration: subscription.deadLetteringOnMessageExpiration,
    has_rules: subscription.rules.length > 0,
  };
}

function ruleOf(subscriptionKey: string, rule: RuleDefinition): TerraformRule {
  const action = rule.action?.expression ?? null;
  if (rule.filter.kind === 'sql') {
    return {
      subscription: subscriptionKey,
      name: rule.name,
      filter_type: 'SqlFilter',
      sql_filter: rule.filter.expression,
      action,
      correlation_filter: null,
    };
  }
  // azurerm's correlation filter properties are a map(string): booleans and numbers are written as text,
  // which is also how the broker compares them against application properties set as strings.
  const properties = Object.fromEntries(
    Object.entries(rule.filter.properties ?? {}).map(([key, value]) => [key, String(value)]),
  );
  return {
    subscription: subscriptionKey,
    name: rule.name,
    filter_type: 'CorrelationFilter',
    sql_filter: null,
    action,
    correlation_filter: {
      correlation_id: rule.filter.correlationId ?? null,
      label: rule.filter.subject ?? null,
      properties,
    },
  };
}

/** Flattens the contracts' topology into the maps the Terraform iterates. */
export function terraformTopologyOf(topology: ServiceBusTopology): TerraformServiceBusTopology {
  const subscriptions: Record<string, TerraformSubscription> = {};
  const rules: Record<string, TerraformRule> = {};
  for (const topic of topology.topics) {
    for (const subscription of topic.subscriptions) {
      const key = `${topic.name}/${subscription.name}`;
      subscriptions[key] = subscriptionOf(topic.name, subscription);
      for (const rule of subscription.rules) rules[`${key}/${rule.name}`] = ruleOf(key, rule);
    }
  }
  return {
    queues: Object.fromEntries(topology.queues.map((queue) => [queue.name, queueOf(queue)])),
    topics: Object.fromEntries(topology.topics.map((topic) => [topic.name, topicOf(topic)])),
    subscriptions,
    rules,
  };
}

/** The generated `.tf.json` file: one `locals` block holding {@link terraformTopologyOf}. */
export function renderTerraformTopologyFile(topology: ServiceBusTopology): string {
  const document = {
    '//': 'Generated from serviceBusTopology in packages/contracts by `pnpm --filter @omni/infra generate`. Do not edit.',
    locals: { servicebus_topology: terraformTopologyOf(topology) },
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function ruleBack(rule: TerraformRule): RuleDefinition {
  const action = rule.action === null ? {} : { action: { kind: 'sql' as const, expression: rule.action } };
  if (rule.filter_type === 'SqlFilter') {
    return { name: rule.name, filter: { kind: 'sql', expression: rule.sql_filter ?? '' }, ...action };
  }
  const filter = rule.correlation_filter;
  return {
    name: rule.name,
    filter: {
      kind: 'correlation',
      ...(filter?.correlation_id == null ? {} : { correlationId: filter.correlation_id }),
      ...(filter?.label == null ? {} : { subject: filter.label }),
      ...(filter === null || Object.keys(filter.properties).length === 0
        ? {}
        : { properties: filter.properties }),
    },
    ...action,
  };
}

/**
 * Reads the Terraform maps back into the contracts' shape (without `routes`), so a test can compare
 * what Terraform provisions with the contracts entity by entity.
 */
export function topologyFromTerraform(
  terraform: TerraformServiceBusTopology,
): Omit<ServiceBusTopology, 'routes'> {
  const duration = (value: string) => value as IsoDuration;
  return {
    queues: Object.entries(terraform.queues).map(([name, queue]) => ({
      name,
      lockDuration: duration(queue.lock_duration),
      maxDeliveryCount: queue.max_delivery_count,
      defaultMessageTimeToLive: duration(queue.default_message_ttl),
      requiresSession: queue.requires_session,
      deadLetteringOnMessageExpiration: queue.dead_lettering_on_message_expiration,
      requiresDuplicateDetection: queue.requires_duplicate_detection,
      duplicateDetectionHistoryTimeWindow: duration(queue.duplicate_detection_history_time_window),
    })),
    topics: Object.entries(terraform.topics).map(([name, topic]) => ({
      name,
      defaultMessageTimeToLive: duration(topic.default_message_ttl),
      requiresDuplicateDetection: topic.requires_duplicate_detection,
      duplicateDetectionHistoryTimeWindow: duration(topic.duplicate_detection_history_time_window),
      subscriptions: Object.entries(terraform.subscriptions)
        .filter(([, subscription]) => subscription.topic === name)
        .map(([key, subscription]) => ({
          name: subscription.name,
          lockDuration: duration(subscription.lock_duration),
          maxDeliveryCount: subscription.max_delivery_count,
          defaultMessageTimeToLive: duration(subscription.default_message_ttl),
          requiresSession: subscription.requires_session,
          deadLetteringOnMessageExpiration: subscription.dead_lettering_on_message_expiration,
          rules: Object.values(terraform.rules)
            .filter((rule) => rule.subscription === key)
            .map(ruleBack),
        })),
    })),
  };
}
