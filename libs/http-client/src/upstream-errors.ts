import { isObject } from '@devicegate/core';
import { GatewayError, type ErrorType, type FieldError } from '@devicegate/errors';
import { parseRetryAfter, type HttpResponse } from './http-client.js';

/** Who an error is attributed to: the connection whose vendor call caused it. */
export interface ErrorAttribution {
  connectionId: string;
  provider: string;
}

export interface UpstreamErrorDetails extends ErrorAttribution {
  /** A short message from the vendor's body. */
  message?: string;
  fields?: FieldError[];
  /** The connection's credentials (keys, secrets, tokens): cut out of the message should the vendor echo one. */
  secrets?: readonly string[];
}

/** The nearest contract error for a vendor status (API.md §2.4). */
export function typeForUpstreamStatus(status: number): ErrorType {
  if (status === 400 || status === 422) return 'validation_error';
  if (status === 401 || status === 403) return 'upstream_auth_failed';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 429) return 'upstream_rate_limited';
  if (status === 501) return 'not_supported';
  if (status === 503) return 'upstream_unavailable';
  if (status === 504) return 'upstream_timeout';
  return 'upstream_error';
}

const MAX_MESSAGE = 300;

/** Removes every given secret from a text, as sent and in the URL-encoded and base64 forms a vendor might echo it in. */
export function redactSecrets(text: string | undefined, secrets: readonly string[]): string | undefined {
  if (text === undefined) return undefined;
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')])) out = out.split(form).join('[redacted]');
  }
  return out;
}

/** Keeps a vendor message short, on one line, and free of the given secrets and of anything that looks like a credential. */
export function sanitizeVendorMessage(message: unknown, secrets: readonly string[] = []): string | undefined {
  if (typeof message !== 'string' || message.trim() === '') return undefined;
  const oneLine = redactSecrets(message, secrets)!.replace(/\s+/g, ' ').trim();
  const redacted = oneLine.replace(/\b(?:bearer|basic|apikey)\s+\S+/gi, '[redacted]').replace(/\b(ak_[A-Za-z0-9]+|eyJ[\w-]+\.[\w-]+\.[\w-]+)/g, '[redacted]');
  return redacted.length > MAX_MESSAGE ? `${redacted.slice(0, MAX_MESSAGE)}…` : redacted;
}

/**
 * The vendor's own words in an error answer, to quote (after `sanitizeVendorMessage`): the first of `keys`
 * that holds a non-empty string, or an object with a string `message` (as gRPC-style bodies nest it); a JSON
 * string as it is; plain text (a bare `not found`) unless it is an HTML error page, which is not worth quoting.
 */
export function vendorMessageOf(response: HttpResponse, keys: readonly string[]): string | undefined {
  const text = response.text().trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text.startsWith('<') ? undefined : text;
  }
  if (typeof parsed === 'string') return parsed;
  if (!isObject(parsed)) return undefined;
  for (const key of keys) {
    const value = parsed[key];
    if (typeof value === 'string' && value !== '') return value;
    if (isObject(value) && typeof value.message === 'string' && value.message !== '') return value.message;
  }
  return undefined;
}

/** A GatewayError for a vendor answer that is not a success. */
export function upstreamError(response: HttpResponse, details: UpstreamErrorDetails): GatewayError {
  const type = typeForUpstreamStatus(response.status);
  const vendorMessage = sanitizeVendorMessage(details.message, details.secrets);
  const message = vendorMessage ? `The vendor answered ${response.status}: ${vendorMessage}` : `The vendor answered ${response.status}.`;
  return new GatewayError(type, message, {
    connectionId: details.connectionId,
    provider: details.provider,
    upstreamStatus: response.status,
    fields: type === 'validation_error' ? (details.fields ?? []) : undefined,
    retryAfter: response.status === 429 || response.status === 503 ? (parseRetryAfter(response.headers['retry-after']) ?? 1) : undefined,
  });
}

/** An answer whose status is fine but whose body is not what the vendor documents. */
export function shapeError(who: ErrorAttribution, status: number, what: string): GatewayError {
  return new GatewayError('upstream_error', `The vendor answered a body that does not fit its documented shape (${what}).`, {
    ...who,
    upstreamStatus: status,
  });
}

/**
 * A vendor value that must be an object (a body, or a member of one) and that `valid` accepts, typed as
 * the wire type it then is; anything else is an `upstream_error` naming `what`.
 */
export function expectObject<T = Record<string, unknown>>(value: unknown, who: ErrorAttribution, status: number, what: string, valid: (body: Record<string, unknown>) => boolean = () => true): T {
  if (!isObject(value) || !valid(value)) throw shapeError(who, status, what);
  return value as T;
}

/** A vendor value that must be an array of objects, each of which `valid` accepts (see `expectObject`). */
export function expectArray<T = Record<string, unknown>>(value: unknown, who: ErrorAttribution, status: number, what: string, valid: (item: Record<string, unknown>) => boolean = () => true): T[] {
  if (!Array.isArray(value) || !value.every((item) => isObject(item) && valid(item))) throw shapeError(who, status, what);
  return value as T[];
}
