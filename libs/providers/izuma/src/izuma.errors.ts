import { GatewayError, type ErrorType, type FieldError } from '@devicegate/errors';
import { parseRetryAfter, sanitizeVendorMessage, typeForUpstreamStatus, type ErrorAttribution, type HttpResponse } from '@devicegate/http-client';

export { shapeError, type ErrorAttribution } from '@devicegate/http-client';
import type { IzErrorBody } from './izuma.types.js';

/** What the failed call was about, so a vendor 400 can be told apart: the caller's input or devicegate's own request. */
export interface ErrorScene extends ErrorAttribution {
  /**
   * Vendor field name → the contract name the caller used, for the fields this call carried from the
   * caller (`custom_attributes` → `labels`). Vendor fields not named here are devicegate's own doing.
   */
  fields?: Record<string, string>;
  /** The type of a vendor 400 that names none of the caller's fields (default `upstream_error`). */
  badRequest?: ErrorType;
  /** The call addresses one entity by the id in its path: a 400 about `id` means "no such entity". */
  byId?: boolean;
}

/** A failure body of either API generation. */
export interface VendorFailure {
  /** The v3 error object, when the body is one. */
  error?: IzErrorBody;
  /** The v2 Connect token (`RESOURCE_NOT_FOUND`, `QUEUE_IS_FULL` …), when the body is one. */
  token?: string;
  /** A short message worth quoting, not yet sanitized. */
  message?: string;
}

/** Reads a failure body: v3 answers the JSON error object (§3.4 of the reference), v2 Connect a bare upper-case token (§3.5). */
export function readFailure(response: HttpResponse): VendorFailure {
  const text = response.text().trim();
  if (text === '') return {};
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const error = parsed as IzErrorBody;
        return { error, message: typeof error.message === 'string' ? error.message : undefined };
      }
    } catch {
      // Not JSON after all: quoted as text below.
    }
  }
  const token = /^[A-Z][A-Z0-9_]{2,63}$/.test(text) ? text : undefined;
  return { token, message: text.startsWith('<') ? undefined : text };
}

/** The vendor's field name without an attribute key (`custom_attributes.site` and `custom_attributes__site` → `custom_attributes`). */
const baseField = (name: string): string => name.split(/__|\.|\[/)[0];

/** The vendor's field errors that name something the caller sent, renamed to the caller's names. */
export function callerFields(error: IzErrorBody | undefined, names: Record<string, string> | undefined): FieldError[] {
  if (!error || !Array.isArray(error.fields) || !names) return [];
  const out: FieldError[] = [];
  for (const field of error.fields) {
    if (!field || typeof field.name !== 'string') continue;
    const mapped = names[field.name] ?? names[baseField(field.name)];
    if (!mapped) continue;
    out.push({ name: mapped, message: sanitizeVendorMessage(field.message) ?? 'is invalid' });
  }
  return out;
}

/** The v2 Connect tokens of `POST /v2/device-requests` (a 400 answer), each with its contract meaning. */
function tokenError(token: string): { type: ErrorType; fields?: FieldError[]; retryAfter?: number } | undefined {
  switch (token) {
    case 'RESOURCE_NOT_FOUND':
      // "The requested resource does not exist on the device": the caller's LwM2M path is wrong.
      return { type: 'validation_error', fields: [{ name: 'params.uri', message: 'the device has no resource at this path' }] };
    case 'MALFORMED_JSON_CONTENT':
      return { type: 'validation_error', fields: [{ name: 'params', message: 'the vendor could not process the request content' }] };
    case 'QUEUE_IS_FULL':
    case 'LIMITS_EXCEEDED':
      // The per-device queue (20 requests) or the account's transaction quota: both clear with time.
      // No Retry-After is documented; a minute is a guess that keeps clients from hammering.
      return { type: 'upstream_rate_limited', retryAfter: 60 };
    case 'DEVICE_NOT_FOUND':
      return { type: 'not_found' };
    default:
      return undefined;
  }
}

function build(type: ErrorType, response: HttpResponse, scene: ErrorScene, vendorMessage: string | undefined, extra: { fields?: FieldError[]; retryAfter?: number; retryable?: boolean } = {}): GatewayError {
  const short = sanitizeVendorMessage(vendorMessage);
  const message = short ? `The vendor answered ${response.status}: ${short}` : `The vendor answered ${response.status}.`;
  const retryAfter =
    extra.retryAfter ?? (type === 'upstream_rate_limited' || type === 'upstream_unavailable' ? (parseRetryAfter(response.headers['retry-after']) ?? 1) : undefined);
  return new GatewayError(type, message, {
    connectionId: scene.connectionId,
    provider: scene.provider,
    upstreamStatus: response.status,
    fields: type === 'validation_error' ? (extra.fields ?? []) : undefined,
    retryAfter,
    retryable: extra.retryable,
  });
}

/**
 * The GatewayError for a non-2xx Izuma answer (API.md §2.4): 404 → not_found, 401/403 → upstream_auth_failed
 * (the connection's key is at fault, not the caller), 409 → conflict, 429 → upstream_rate_limited,
 * 400 → validation_error when it names a field the caller sent, v2 tokens by their documented meaning.
 */
export function izumaError(response: HttpResponse, scene: ErrorScene): GatewayError {
  const failure = readFailure(response);
  const vendorType = failure.error?.type;
  const status = response.status;

  if (failure.token) {
    const mapped = tokenError(failure.token);
    if (mapped) return build(mapped.type, response, scene, failure.token, { fields: mapped.fields, retryAfter: mapped.retryAfter });
  }
  if (status === 401 || status === 403) {
    // A device-count limit is the account's state, not a credential problem.
    if (vendorType === 'account_limit_exceeded') return build('conflict', response, scene, failure.message);
    return build('upstream_auth_failed', response, scene, failure.message);
  }
  if (status === 400) {
    const fields = callerFields(failure.error, scene.fields);
    if (fields.length > 0) return build('validation_error', response, scene, failure.message, { fields });
    const namesId = failure.error?.fields?.some((field) => field?.name === 'id') ?? false;
    if (scene.byId && namesId) return build('not_found', response, scene, failure.message);
    const type = scene.badRequest ?? 'upstream_error';
    // A 400 for devicegate's own request will fail the same way again.
    return build(type, response, scene, failure.message, { retryable: type === 'upstream_error' ? false : undefined });
  }
  return build(typeForUpstreamStatus(status), response, scene, failure.message);
}

