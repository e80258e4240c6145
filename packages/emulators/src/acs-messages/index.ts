/**
 * `@omni/emulators/acs-messages`: an in-process Azure Communication Services Advanced Messaging (WhatsApp) and
 * SMS emulator over http that the unmodified `@azure-rest/communication-messages` 2.0.0 client talks to (HMAC
 * signatures verified), plus a simulated customer phone that emits Event Grid events to a webhook. See the
 * package README for what it does not emulate.
 *
 * @packageDocumentation
 */

export { LocalEntraIssuer, type LocalTokenCredential } from '../acs-common/entra-tokens.js';
export type {
  DeliveryAttempt,
  DeliveryResult,
  EventGridEvent,
  RetryPolicy,
} from '../acs-common/event-grid.js';
export { type AcsFault, AcsFaults } from '../acs-common/faults.js';
export {
  contentHash,
  HmacAuthError,
  hmacSignature,
  MAX_CLOCK_SKEW_MS,
  verifyHmacRequest,
} from '../acs-common/hmac.js';
export { trustCertificate } from '../local-tls.js';
export {
  APPROVED_TEMPLATES,
  type ApprovedTemplate,
  type ChatEntry,
  chatWith,
  renderTemplate,
} from './chat-view.js';
export {
  ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED,
  ADVANCED_MESSAGE_RECEIVED,
  type AdvancedMessageDeliveryStatusUpdatedData,
  type AdvancedMessageReceivedData,
  type ConnectOptions,
  type CustomerMessage,
  type CustomerSendOptions,
  type FailureOptions,
  type InboundResult,
  type InteractiveContent,
  type MediaContent,
  type MessageContext,
  SimulatedCustomer,
} from './customer.js';
export {
  ACS_MESSAGES_API_VERSIONS,
  ACS_SMS_API_VERSIONS,
  type AcsMessagesEmulator,
  type AcsMessagesEmulatorOptions,
  startAcsMessagesEmulator,
} from './emulator.js';
export type { NotificationContent, SmsSendRequest } from './schemas.js';
export {
  SMS_DELIVERY_REPORT_RECEIVED,
  type SmsDeliveryAttempt,
  type SmsDeliveryReportReceivedData,
  type SmsFailureOptions,
} from './sms-delivery.js';
export type {
  DeliveryStatus,
  MessageStore,
  RecordedAdvancedMessage,
  RecordedMessage,
  RecordedSms,
} from './store.js';
export {
  DEFAULT_WHATSAPP_TEMPLATES,
  MAX_TEXT_LENGTH,
  SERVICE_WINDOW_MS,
  type WhatsAppRefusal,
  type WhatsAppTemplate,
} from './whatsapp-rules.js';
