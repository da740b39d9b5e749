import { GatewayError, type FieldError } from '@devicegate/errors';
import { redactSecrets, upstreamError, type ErrorAttribution, type HttpResponse, vendorMessageOf } from '@devicegate/http-client';

export { shapeError, type ErrorAttribution } from '@devicegate/http-client';

/**
 * The short vendor message of an error answer. The error body is undocumented (§3 of the reference):
 * a Fastify-style `{statusCode, error, message}` object is the likely shape, and a 404 may be the bare
 * text `not found`, so both a JSON object and plain text are read.
 */
export const vendorMessage = (response: HttpResponse): string | undefined => vendorMessageOf(response, ['message', 'error', 'detail']);

/**
 * Field names a Fastify validation message points at (`body/name must match pattern …`,
 * `querystring/limit must be <= 100`). Without them the list stays empty.
 */
export function vendorFields(message: string | undefined): FieldError[] {
  if (!message) return [];
  const fields: FieldError[] = [];
  const seen = new Set<string>();
  for (const match of message.matchAll(/\b(?:body|querystring|params)[/.]([A-Za-z_][\w[\]]*)/g)) {
    const name = match[1].replace(/\[\]$/, '');
    if (seen.has(name)) continue;
    seen.add(name);
    fields.push({ name, message: message.length > 200 ? `${message.slice(0, 200)}…` : message });
  }
  return fields;
}

/**
 * A GatewayError for a non-2xx vendor answer (API.md §2.4: 401/403 → upstream_auth_failed, 404 → not_found,
 * 400 → validation_error …). `secret` (the connection's API key) is cut out should the vendor echo it.
 */
export function vendorError(response: HttpResponse, who: ErrorAttribution, secret?: string): GatewayError {
  const raw = vendorMessage(response);
  const message = redactSecrets(raw, secret ? [secret] : []);
  const parsed = vendorFields(message);
  return upstreamError(response, { ...who, message, fields: parsed });
}

