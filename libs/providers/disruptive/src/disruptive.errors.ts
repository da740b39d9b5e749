import { GatewayError, type ErrorType } from '@devicegate/errors';
import { sanitizeVendorMessage, upstreamError, type ErrorAttribution, type HttpResponse, vendorMessageOf } from '@devicegate/http-client';

export { shapeError, type ErrorAttribution } from '@devicegate/http-client';
import type { DtBatchError } from './disruptive.types.js';

/** The `error` summary of a `{error, code, help}` body (§3.6); plain text when the body is not JSON. */
export const vendorMessage = (response: HttpResponse): string | undefined => vendorMessageOf(response, ['error', 'message', 'error_description']);

/**
 * A GatewayError for a non-2xx API answer (API.md §2.4): 400 → validation_error, 401/403 →
 * upstream_auth_failed, 404 → not_found, 409 → conflict, 429 → upstream_rate_limited with Retry-After,
 * 5xx → upstream_error / upstream_unavailable / upstream_timeout. `secrets` are cut out of the vendor's text.
 */
export function vendorError(response: HttpResponse, who: ErrorAttribution, secrets: readonly string[] = []): GatewayError {
  return upstreamError(response, { ...who, message: vendorMessage(response), secrets });
}

/**
 * A failed token exchange. The identity service answers bad credentials with 400 (§2.2), which is a
 * configuration fault of the connection, not the caller's: 400/401/403 all become upstream_auth_failed.
 */
export function tokenError(response: HttpResponse, who: ErrorAttribution, secrets: readonly string[] = []): GatewayError {
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    return new GatewayError('upstream_auth_failed', 'The vendor rejected the service-account key configured for this connection.', {
      ...who,
      upstreamStatus: response.status,
    });
  }
  return vendorError(response, who, secrets);
}


/** The documented `status.code` values of a per-device batch failure; any other is an upstream_error. */
const BATCH_CODES: Record<string, ErrorType> = {
  INVALID_ARGUMENT: 'validation_error',
  NOT_FOUND: 'not_found',
  INTERNAL_ERROR: 'upstream_error',
};

/**
 * The first per-device failure of a batchUpdate / transfer answer (they answer 200 even when a device
 * failed, §5.6–5.7). `field` names the body field an INVALID_ARGUMENT is about.
 */
export function batchError(errors: DtBatchError[], who: ErrorAttribution, field: string, secrets: readonly string[] = []): GatewayError {
  const first = errors[0];
  const code = typeof first?.status?.code === 'string' ? first.status.code : 'UNKNOWN';
  const type = BATCH_CODES[code] ?? 'upstream_error';
  const detail = sanitizeVendorMessage(first?.status?.message, secrets);
  const message = `The vendor refused the change (${code})${detail ? `: ${detail}` : '.'}`;
  return new GatewayError(type, message, {
    ...who,
    fields: type === 'validation_error' ? [{ name: field, message: detail ?? 'was refused by the vendor' }] : undefined,
  });
}
