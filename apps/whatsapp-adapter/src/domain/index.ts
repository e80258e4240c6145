export * from './delivery.js';
export * from './handoff-notice.js';
export * from './inbound.js';
export * from './replies.js';
export * from './sms.js';
export * from './split.js';
