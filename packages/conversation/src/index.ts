/**
 * `@omni/conversation`: the pure core of the conversation engine — scenario files, settings, the
 * classifier contract and offline classifier, the confidence gate, handoff-phrase detection and lazy
 * classification, loop guards, context transfer, budgets, and the typed tool registry with the scenario
 * and channel tools. The `ConversationEngine` and its Foundry / offline drivers build on these.
 *
 * @packageDocumentation
 */

export * from './actions.js';
export * from './budget.js';
export * from './classification.js';
export * from './classification-cache.js';
export * from './confidence-gate.js';
export * from './context-transfer.js';
export * from './driver.js';
export * from './drivers/foundry/index.js';
export * from './drivers/offline/offline-driver.js';
export * from './drivers/offline/offline-summary.js';
export * from './engine/channel-style.js';
export * from './engine/conversation-engine.js';
export * from './engine/conversation-store.js';
export * from './entity-extraction.js';
export * from './handoff-phrases.js';
export * from './handover-events.js';
export * from './loop-guard.js';
export * from './offline-classifier.js';
export * from './redis-classification-cache.js';
export * from './runtime.js';
export * from './scenario.js';
export * from './settings.js';
export * from './spend-breaker.js';
export { contentTokens, normaliseText, stem } from './text-normalisation.js';
export * from './tools/built-in-tools.js';
export * from './tools/channel-tools.js';
export * from './tools/ecommerce-tools.js';
export * from './tools/tool-registry.js';
export * from './tools/utilities-tools.js';
