export * from './http-client.js';
export * from './upstream-errors.js';
export * from './circuit-breaker.js';
export * from './vendor-budget.js';
export * from './token-cache.js';
export * from './rate-limit-headers.js';
export * from './read-cache.js';
export * from './redis-budget-window.js';
