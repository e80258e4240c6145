/**
 * `@omni/emulators/directline`: an in-process Direct Line 3.0 emulator (REST, tokens, watermarks, WebSocket
 * stream) plus the Bot Connector reply API, so the unmodified `botframework-directlinejs`, BotFramework-WebChat
 * and botbuilder's `CloudAdapter` talk to a local bot.
 *
 * @packageDocumentation
 */
export {
  type DirectLineActivity,
  type DirectLineConversation,
  type DirectLineEmulator,
  type DirectLineEmulatorOptions,
  startDirectLineEmulator,
} from './emulator.js';
export { FetchXMLHttpRequest, installXMLHttpRequest } from './xhr.js';
