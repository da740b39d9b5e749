import { GatewayError, type FieldError } from '@devicegate/errors';
import { redactSecrets, sanitizeVendorMessage, upstreamError, type ErrorAttribution, type HttpResponse, vendorMessageOf } from '@devicegate/http-client';

export { shapeError, type ErrorAttribution } from '@devicegate/http-client';

/**
 * What a vendor 400 is about. `upstream`: a parameter devicegate itself chose (page size, sort key) — the
 * caller cannot fix it, so it is an `upstream_error`. A field list: the caller's input it blames.
 */
export type BadRequestBlame = 'upstream' | FieldError[];

/** Per-call hints for mapping an error answer. */
export interface ErrorHints {
  /** How a 400 is reported (default: `validation_error` without fields). */
  badRequest?: BadRequestBlame;
  /** Replaces the type of a 404 (e.g. the configured organization is unreachable: a configuration fault). */
  notFound?: 'upstream_auth_failed';
}

/**
 * The short vendor message of an error answer: `{"error":{"message":…}}` for the Platform API,
 * `{"error":"invalid_client","error_description":…}` for the token endpoint, or plain text.
 */
export const vendorMessage = (response: HttpResponse): string | undefined => vendorMessageOf(response, ['error_description', 'error', 'message']);

/**
 * A GatewayError for a non-2xx Platform API answer (API.md §2.4): 401/403 → `upstream_auth_failed`,
 * 404 "not found or access denied" → `not_found`, 429 → `upstream_rate_limited` with `Retry-After`,
 * 400 → `validation_error` naming the blamed fields (or `upstream_error` for devicegate's own parameters).
 */
export function vendorError(response: HttpResponse, who: ErrorAttribution, secrets: readonly string[], hints: ErrorHints = {}): GatewayError {
  const message = redactSecrets(vendorMessage(response), secrets);
  if (response.status === 400 && hints.badRequest === 'upstream') {
    const short = sanitizeVendorMessage(message);
    return new GatewayError('upstream_error', `The vendor rejected a request devicegate built (400${short ? `: ${short}` : ''}).`, {
      ...who,
      upstreamStatus: 400,
    });
  }
  if (response.status === 404 && hints.notFound) {
    const short = sanitizeVendorMessage(message);
    return new GatewayError(hints.notFound, `The configured organization is not reachable with these credentials${short ? ` (${short})` : ''}.`, {
      ...who,
      upstreamStatus: 404,
      retryable: false,
    });
  }
  const fields = response.status === 400 && Array.isArray(hints.badRequest) ? hints.badRequest : undefined;
  return upstreamError(response, { ...who, message, fields });
}

/**
 * A failed token request. Whatever the token endpoint refuses (400 `invalid_client`, 401, 403) is a fault
 * of the connection's configured credentials, never of the caller: `upstream_auth_failed`.
 */
export function tokenError(response: HttpResponse, who: ErrorAttribution, secrets: readonly string[]): GatewayError {
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    const short = sanitizeVendorMessage(vendorMessage(response), secrets);
    return new GatewayError('upstream_auth_failed', `The vendor refused the OAuth2 client credentials (${response.status}${short ? `: ${short}` : ''}).`, {
      ...who,
      upstreamStatus: response.status,
      retryable: false,
    });
  }
  return upstreamError(response, { ...who, message: vendorMessage(response), secrets });
}

