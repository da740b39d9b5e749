import { GatewayError, type FieldError } from '@devicegate/errors';
import { redactSecrets, upstreamError, type ErrorAttribution, type HttpResponse } from '@devicegate/http-client';

export { shapeError, type ErrorAttribution } from '@devicegate/http-client';

/**
 * The vendor's own text of an error answer: the `error` member of `{"error": "…"}` (§3.4). Plain text is
 * taken as is; an HTML page (Tornado's `404: Not Found` for an unknown route) is not worth quoting.
 */
export function vendorMessage(response: HttpResponse): string | undefined {
  const text = response.text().trim();
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') return parsed;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const error = (parsed as Record<string, unknown>).error;
      return typeof error === 'string' && error !== '' ? error : undefined;
    }
    return undefined;
  } catch {
    return text.startsWith('<') ? undefined : text;
  }
}

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

