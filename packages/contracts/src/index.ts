/**
 * `@omni/contracts`: the event envelope and event schemas, the Service Bus topology, and the shared value
 * types (channels, E.164 phones, customer ids, identity keys) of Omnichannel Handoff.
 *
 * @packageDocumentation
 */

export * from './catalog.js';
export * from './durations.js';
export * from './emulator-config.js';
export * from './envelope.js';
export * from './event-parse-error.js';
export * from './events/conversation-events.js';
export * from './events/escalations.js';
export * from './events/handoff-events.js';
export * from './events/inbound-messages.js';
export * from './events/queue-events.js';
export * from './events/queue-status.js';
export * from './parse.js';
export * from './sql-action.js';
export * from './sql-filter.js';
export * from './topology.js';
export * from './values.js';
