import { ERROR_STATUS, type ErrorType } from './error-types.js';
import { GatewayError, type FieldError } from './gateway-error.js';

/** The error object of API.md §2.4. */
export interface ErrorBody {
  object: 'error';
  code: number;
  type: ErrorType;
  message: string;
  fields?: FieldError[];
  request_id: string;
  connection_id?: string;
  provider?: string;
  upstream_status?: number;
  retryable: boolean;
}

interface FrameworkError {
  code?: string;
  statusCode?: number;
  status?: number;
  name?: string;
  message?: string;
  getStatus?: () => number;
  getResponse?: () => unknown;
}

/** Turns a framework error (Fastify body parsing, Nest HTTP exceptions, throttling) into a GatewayError. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const e = (error ?? {}) as FrameworkError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('bad_request', 'The body is empty although Content-Type says JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('bad_request', 'The body is not valid JSON.');
    case 'FST_ERR_BAD_URL':
      return new GatewayError('bad_request', 'The URL is not correctly percent-encoded.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new GatewayError('bad_request', 'A path segment is longer than 2048 characters.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('bad_request', 'The Content-Length header does not match the body.');
  }
  const status = typeof e.getStatus === 'function' ? e.getStatus() : (e.statusCode ?? e.status);
  if (status === 400 && (e.name === 'SyntaxError' || /JSON/.test(String(e.message)))) return new GatewayError('bad_request', 'The body is not valid JSON.');
  if (e.name === 'ThrottlerException' || status === 429) return new GatewayError('rate_limited');
  if (status === 413) return new GatewayError('payload_too_large');
  if (status === 415) return new GatewayError('unsupported_media_type');
  if (status === 404) return new GatewayError('unrecognized_request');
  if (status === 405) return new GatewayError('method_not_supported');
  if (status === 401) return new GatewayError('invalid_auth');
  if (status === 403) return new GatewayError('access_denied');
  if (typeof status === 'number' && status >= 400 && status < 500) return new GatewayError('bad_request');
  return new GatewayError('internal_server_error', undefined, { cause: error });
}

export function toErrorBody(error: GatewayError, requestId: string): ErrorBody {
  const body: ErrorBody = {
    object: 'error',
    code: ERROR_STATUS[error.type],
    type: error.type,
    message: error.message,
    request_id: requestId,
    retryable: error.retryable,
  };
  if (error.fields) body.fields = error.fields;
  if (error.connectionId) body.connection_id = error.connectionId;
  if (error.provider) body.provider = error.provider;
  if (error.upstreamStatus !== undefined) body.upstream_status = error.upstreamStatus;
  return body;
}
