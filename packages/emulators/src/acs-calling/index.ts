/**
 * `@omni/emulators/acs-calling`: an in-process Azure Communication Services Call Automation emulator over http
 * that the unmodified `@azure/communication-call-automation` client talks to (HMAC verified), with simulated
 * callers: IncomingCall through Event Grid (handshake first), mid-call callbacks as CloudEvents in ACS order,
 * and inspection of everything played. See the package README for what it does not emulate.
 *
 * @packageDocumentation
 */

export { LocalEntraIssuer, type LocalTokenCredential } from '../acs-common/entra-tokens.js';
export { type AcsFault, AcsFaults } from '../acs-common/faults.js';
export { trustCertificate } from '../local-tls.js';
export {
  CallActionError,
  type CallCloudEvent,
  CallRegistry,
  type CallState,
  type EmulatedCall,
  type IdentifierModel,
  INCOMING_CALL,
  type IncomingCallData,
  type PendingRecognize,
  type PlayedPrompt,
  RESULTS,
  type ResultInformation,
  type TransferRequest,
} from './calls.js';
export {
  ACS_CALLING_API_VERSIONS,
  type AcsCallingEmulator,
  type AcsCallingEmulatorOptions,
  startAcsCallingEmulator,
} from './emulator.js';
