export * from './models.js';
export * from './ids.js';
export * from './filters.js';
export * from './context.js';
export * from './provider.js';
export * from './provider-registry.js';
export * from './push.js';
export * from './labels.js';
