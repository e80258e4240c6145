/**
 * `@omni/emulators/directline`: an in-process Direct Line 3.0 emulator (REST, tokens, watermarks, WebSocket
 * stream) plus the Bot Connector reply API, so the unmodified `botframework-directlinejs`, BotFramework-WebChat
 * and the Microsoft 365 Agents SDK's `CloudAdapter` talk to a local bot; with a bot registration it also plays
 * Entra ID (OpenID configuration, JWKS, client credentials) so the bot's authentication runs both ways.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_DIRECTLINE_SECRET,
  type DirectLineActivity,
  type DirectLineConversation,
  type DirectLineEmulator,
  type DirectLineEmulatorOptions,
  startDirectLineEmulator,
} from './emulator.js';
export { type BotRegistration, CONNECTOR_AUDIENCE, type IdentityClaims } from './identity.js';
export { FetchXMLHttpRequest, installXMLHttpRequest } from './xhr.js';
