import {
  compileSqlAction,
  compileSqlFilter,
  type FilterSubject,
  type SqlAction,
  type SqlValue,
} from '@omni/contracts';
import { type AmqpMessage, idText } from './amqp-values.js';
import type { CorrelationFilterSettings, RuleSettings } from './namespace-config.js';

/** A compiled subscription rule. */
export interface Rule {
  readonly name: string;
  /** Whether the rule selects the message. */
  matches(subject: FilterSubject): boolean;
  /** The SQL action: the rule then gives its own, annotated copy of each message it selects. */
  readonly action?: SqlAction;
}

function asSqlValue(value: unknown): SqlValue {
  if (value === undefined || value === null) return value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (typeof value === 'bigint') return Number(value);
  return idText(value);
}

/** What filters read from a message: its application properties and its system (`sys.`) properties. */
export function filterSubjectOf(
  amqp: AmqpMessage,
  extra: { readonly sequenceNumber?: number; readonly enqueuedAt?: number } = {},
): FilterSubject {
  const applicationProperties = (amqp.application_properties ?? {}) as Record<string, unknown>;
  const system: Record<string, () => SqlValue> = {
    messageid: () => idText(amqp.message_id),
    correlationid: () => idText(amqp.correlation_id),
    label: () => amqp.subject,
    subject: () => amqp.subject,
    to: () => amqp.to,
    replyto: () => amqp.reply_to,
    contenttype: () => amqp.content_type,
    sessionid: () => amqp.group_id,
    replytosessionid: () => amqp.reply_to_group_id,
    timetolive: () => amqp.ttl,
    sequencenumber: () => extra.sequenceNumber,
    enqueuedtimeutc: () => (extra.enqueuedAt === undefined ? undefined : new Date(extra.enqueuedAt)),
    deliverycount: () => amqp.delivery_count ?? 0,
    partitionkey: () => asSqlValue(amqp.message_annotations?.['x-opt-partition-key']),
    scheduledenqueuetimeutc: () => asSqlValue(amqp.message_annotations?.['x-opt-scheduled-enqueue-time']),
  };
  return {
    system: (name) => system[name.toLowerCase()]?.(),
    user: (name) => {
      if (Object.hasOwn(applicationProperties, name)) return asSqlValue(applicationProperties[name]);
      const lower = name.toLowerCase();
      const key = Object.keys(applicationProperties).find((candidate) => candidate.toLowerCase() === lower);
      return key === undefined ? undefined : asSqlValue(applicationProperties[key]);
    },
  };
}

function correlationMatches(filter: CorrelationFilterSettings, subject: FilterSubject): boolean {
  const system: [string, string | undefined][] = [
    ['ContentType', filter.contentType],
    ['CorrelationId', filter.correlationId],
    ['Label', filter.subject],
    ['MessageId', filter.messageId],
    ['ReplyTo', filter.replyTo],
    ['ReplyToSessionId', filter.replyToSessionId],
    ['SessionId', filter.sessionId],
    ['To', filter.to],
  ];
  for (const [name, expected] of system) {
    if (expected !== undefined && subject.system(name) !== expected) return false;
  }
  for (const [name, expected] of Object.entries(filter.properties ?? {})) {
    if (subject.user(name) !== expected) return false;
  }
  return true;
}

/**
 * Compiles a subscription rule.
 *
 * @throws `SqlFilterError` for a SQL filter that does not parse
 */
export function compileRule(rule: RuleSettings): Rule {
  const { filter } = rule;
  const action = rule.action === undefined ? {} : { action: compileSqlAction(rule.action) };
  if (filter.kind === 'sql') {
    const sql = compileSqlFilter(filter.expression);
    return { name: rule.name, matches: (subject) => sql.matches(subject), ...action };
  }
  return { name: rule.name, matches: (subject) => correlationMatches(filter, subject), ...action };
}

/** The AMQP field behind each system property an action may write. */
const SYSTEM_FIELDS: Record<string, keyof AmqpMessage> = {
  label: 'subject',
  subject: 'subject',
  to: 'to',
  replyto: 'reply_to',
  replytosessionid: 'reply_to_group_id',
  contenttype: 'content_type',
  correlationid: 'correlation_id',
  messageid: 'message_id',
  sessionid: 'group_id',
};

/**
 * The copy of a message a rule with an action puts on its subscription: the action applied to it and the
 * `RuleName` application property set, as Service Bus does. The original is left as it was.
 */
export function annotatedCopy(
  amqp: AmqpMessage,
  rule: Rule & { readonly action: SqlAction },
  extra: { readonly sequenceNumber?: number; readonly enqueuedAt?: number } = {},
): AmqpMessage {
  const applicationProperties: Record<string, unknown> = { ...(amqp.application_properties ?? {}) };
  const copy: AmqpMessage = { ...amqp, application_properties: applicationProperties };
  const subject = filterSubjectOf(copy, extra);
  const fields = copy as unknown as Record<string, unknown>;
  const userKey = (name: string) =>
    Object.keys(applicationProperties).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
  rule.action.apply({
    system: subject.system,
    user: subject.user,
    set(scope, name, value) {
      const written = value instanceof Date || value === undefined ? (value ?? null) : value;
      if (scope === 'user') applicationProperties[userKey(name)] = written;
      else fields[SYSTEM_FIELDS[name.toLowerCase()] ?? name] = written === null ? undefined : String(written);
    },
    remove(scope, name) {
      if (scope === 'user') delete applicationProperties[userKey(name)];
      else delete fields[SYSTEM_FIELDS[name.toLowerCase()] ?? name];
    },
  });
  applicationProperties.RuleName = rule.name;
  return copy;
}
