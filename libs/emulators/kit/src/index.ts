export * from './router.js';
export * from './server.js';
export * from './random.js';
export * from './time.js';
export * from './push.js';
export * from './live.js';
export * from './options.js';
