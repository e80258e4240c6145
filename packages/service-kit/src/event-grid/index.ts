export {
  type CredentialCheck,
  createCredentialCheck,
  discoverOidcAuth,
  type EntraAuth,
  type EntraTenantOptions,
  type EventGridAuth,
  entraAuthForTenant,
  type OidcDiscoveryOptions,
  type SharedSecretAuth,
} from './auth.js';
export {
  checkEventGridAuthConfig,
  EVENT_GRID_WEBHOOK_ROLE,
  type EventGridAuthConfig,
  eventGridAuthConfig,
  eventGridAuthFrom,
} from './config.js';
export {
  type ClaimResult,
  type DedupeStore,
  InMemoryDedupeStore,
  type InMemoryDedupeStoreOptions,
} from './dedupe-store.js';
export {
  CLOUDEVENTS_BATCH_MEDIA_TYPE,
  CLOUDEVENTS_MEDIA_TYPE,
  type Delivery,
  parseDelivery,
} from './delivery.js';
export {
  type EventContext,
  type EventGridWebhookOptions,
  type EventHandler,
  eventGridWebhook,
  SUBSCRIPTION_VALIDATION_EVENT_TYPE,
} from './event-grid-webhook.js';
export type { EventSchema, ReceivedEvent } from './received-event.js';
export {
  type AdvancedMessageContext,
  type AdvancedMessageDeliveryStatusUpdatedEventData,
  type AdvancedMessageInteractive,
  type AdvancedMessageMedia,
  type AdvancedMessageReceivedEventData,
  type IncomingCallEventData,
  isSystemEventOfType,
  type SystemEventData,
  type SystemEventType,
  type WireShapedSystemEventData,
} from './system-events.js';
