import { GatewayError, type FieldError } from '@devicegate/errors';
import { redactSecrets, upstreamError, type ErrorAttribution, type HttpResponse, vendorMessageOf } from '@devicegate/http-client';

export { shapeError, type ErrorAttribution } from '@devicegate/http-client';

/**
 * The vendor's own text of an error answer: the `error` member of `{"error": "…"}` (§3.4). Plain text is
 * taken as is; an HTML page (Tornado's `404: Not Found` for an unknown route) is not worth quoting.
 */
export const vendorMessage = (response: HttpResponse): string | undefined => vendorMessageOf(response, ['error']);

/**
 * A GatewayError for a non-2xx vendor answer, per API.md §2.4 (400 → validation_error, 401/403 →
 * upstream_auth_failed, 404 → not_found, 5xx → upstream_error …). `fields` names what a 400 was about;
 * the API key is cut out should the vendor ever echo it.
 */
export function vendorError(response: HttpResponse, who: ErrorAttribution, fields: FieldError[] = [], secret?: string): GatewayError {
  const raw = vendorMessage(response);
  const message = redactSecrets(raw, secret ? [secret] : []);
  const described = fields.map((field) => ({ name: field.name, message: message ? `${field.message}: ${message.slice(0, 200)}` : field.message }));
  return upstreamError(response, { ...who, message, fields: described });
}

