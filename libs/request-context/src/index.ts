export * from './request-state.js';
