export * from './fields.js';
export * from './list-args.js';
export * from './filter-eval.js';
export * from './resume-cache.js';
export * from './list-engine.js';
export * from './readings-source.js';
export * from './push-down.js';
