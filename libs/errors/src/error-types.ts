/** Every error type of the contract (API.md §2.4), with its HTTP status: the one table. */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_error: 400,
  invalid_auth: 401,
  invalid_apikey: 401,
  access_denied: 403,
  not_found: 404,
  unrecognized_request: 404,
  method_not_supported: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_rate_limited: 429,
  internal_server_error: 500,
  not_supported: 501,
  upstream_error: 502,
  upstream_auth_failed: 502,
  upstream_unavailable: 503,
  upstream_timeout: 504,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;

export const ERROR_TYPES = Object.keys(ERROR_STATUS) as ErrorType[];

/** Whether the same request may succeed later, when the thrower does not say. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorType> = new Set<ErrorType>([
  'rate_limited',
  'upstream_rate_limited',
  'upstream_error',
  'upstream_unavailable',
  'upstream_timeout',
]);

export const isRetryableByDefault = (type: ErrorType): boolean => RETRYABLE_BY_DEFAULT.has(type);

/** Default human messages, used when a thrower gives none. */
export const DEFAULT_MESSAGES: Record<ErrorType, string> = {
  bad_request: 'The request could not be read.',
  validation_error: 'One or more parameters are invalid.',
  invalid_auth: 'An Authorization header with a bearer key is required.',
  invalid_apikey: 'The bearer key is not known.',
  access_denied: 'The key does not allow this operation.',
  not_found: 'The resource does not exist.',
  unrecognized_request: 'No such route.',
  method_not_supported: 'The route does not support this method.',
  conflict: 'The request conflicts with the current state.',
  payload_too_large: 'The request body is larger than 1 MiB.',
  unsupported_media_type: 'The request body must be JSON (application/json).',
  rate_limited: 'Too many requests for this key; retry later.',
  upstream_rate_limited: 'The vendor account is over its rate limit; retry later.',
  internal_server_error: 'An internal error occurred.',
  not_supported: 'The provider of this connection does not support this operation.',
  upstream_error: 'The vendor answered with an error.',
  upstream_auth_failed: 'The vendor rejected the credentials configured for this connection.',
  upstream_unavailable: 'The vendor is unreachable.',
  upstream_timeout: 'The vendor did not answer in time.',
};
