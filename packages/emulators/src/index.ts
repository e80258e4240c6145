/**
 * `@omni/emulators`: local stand-ins for Azure services that speak the real wire protocols, so the services
 * run their production code paths (the unmodified Azure SDKs) with only endpoints changed.
 * Import a single emulator from its subpath (`@omni/emulators/servicebus`, `@omni/emulators/cosmos`,
 * `@omni/emulators/foundry`, `@omni/emulators/acs-messages`).
 *
 * @packageDocumentation
 */
export * from './acs-calling/index.js';
export * from './acs-messages/index.js';
export * from './cosmos/index.js';
export * from './foundry/index.js';
export * from './servicebus/index.js';
