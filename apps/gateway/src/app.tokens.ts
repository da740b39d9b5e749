export const REDIS = Symbol('REDIS');
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');
export const LOGGER = Symbol('LOGGER');
export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');
