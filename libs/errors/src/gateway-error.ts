import { DEFAULT_MESSAGES, ERROR_STATUS, isRetryableByDefault, type ErrorType } from './error-types.js';

/** One invalid parameter or body field. */
export interface FieldError {
  name: string;
  message: string;
}

export interface GatewayErrorOptions {
  fields?: FieldError[];
  connectionId?: string;
  provider?: string;
  upstreamStatus?: number;
  retryable?: boolean;
  /** Seconds a client should wait before retrying (sets `Retry-After`). */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * The only error type the gateway throws on purpose. The exception filter turns it into the
 * error object of the contract; nothing else builds error JSON.
 */
export class GatewayError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  readonly fields?: FieldError[];
  readonly connectionId?: string;
  readonly provider?: string;
  readonly upstreamStatus?: number;
  readonly retryable: boolean;
  readonly retryAfter?: number;

  constructor(type: ErrorType, message?: string, options: GatewayErrorOptions = {}) {
    super(message ?? DEFAULT_MESSAGES[type], options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.type = type;
    this.status = ERROR_STATUS[type];
    this.fields = options.fields;
    this.connectionId = options.connectionId;
    this.provider = options.provider;
    this.upstreamStatus = options.upstreamStatus;
    this.retryable = options.retryable ?? isRetryableByDefault(type);
    this.retryAfter = options.retryAfter;
  }

  /** The same error, attributed to a connection (kept when already set). */
  withConnection(connectionId: string, provider: string): GatewayError {
    if (this.connectionId) return this;
    return new GatewayError(this.type, this.message, {
      fields: this.fields,
      connectionId,
      provider,
      upstreamStatus: this.upstreamStatus,
      retryable: this.retryable,
      retryAfter: this.retryAfter,
      cause: this.cause,
    });
  }

  static validation(fields: FieldError[], message = 'One or more parameters are invalid.'): GatewayError {
    return new GatewayError('validation_error', message, { fields });
  }
}

export const isGatewayError = (value: unknown): value is GatewayError => value instanceof GatewayError;
