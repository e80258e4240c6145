export * from './config.js';
export {
  createServiceBusClient,
  type ServiceBusConnection,
  serviceBusConnectionFromEnv,
} from './connection.js';
export {
  type ConsumerSource,
  EventConsumer,
  type EventConsumerOptions,
  type EventHandler,
  LockLostError,
  type MessageContext,
  sourcePath,
} from './consumer.js';
export {
  type ConsumerSettings,
  type ConsumerSettingsConfig,
  consumerSettingsConfig,
  consumerSettingsOf,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_IDLE_MS,
} from './consumer-settings.js';
export {
  type DeadLetterAbout,
  DeadLetterQueues,
  type DeadLetterQueuesOptions,
  type DeadLetterSummary,
  deadLetterSources,
  isAbout,
  type RedriveResult,
  type RedriveSelection,
} from './dead-letters.js';
export { ErasedCustomerFilter } from './erased-customer-filter.js';
export {
  classifyFailure,
  DEFAULT_RETRY_POLICY,
  decideFailure,
  exponentialBackoff,
  type FailureClass,
  type FailureOutcome,
  type HoldLimits,
  holdMs,
  OUTAGE_SCHEDULE_MS,
  PermanentError,
  type RetryPolicy,
  scheduledBackoff,
} from './failure-policy.js';
export { eventFromMessageBody, toServiceBusMessage } from './message.js';
export { type MessagingMetrics, messagingMetrics } from './metrics.js';
export {
  PendingSessions,
  type PendingSessionsOptions,
  type PendingSessionsPurge,
} from './pending-sessions.js';
export { EventPublisher, type EventPublisherOptions, InvalidEventError } from './publisher.js';
export {
  normalQueueStatus,
  type QueueStatusCommands,
  type QueueStatusSnapshot,
  QueueStatusView,
  type QueueStatusViewOptions,
} from './queue-status-view.js';
