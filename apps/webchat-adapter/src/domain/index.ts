export * from './activity.js';
export * from './welcome.js';
