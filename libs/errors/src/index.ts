export * from './error-types.js';
export * from './gateway-error.js';
export * from './error-body.js';
export * from './error.filter.js';
