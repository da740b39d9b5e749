export * from './http-client.js';
export * from './upstream-errors.js';
