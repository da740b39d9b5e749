import { GatewayError } from '@devicegate/errors';

// eslint-disable-next-line no-control-regex
const CONTROL_OR_BACKSLASH = /[\u0000-\u001f\u007f\\]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** A segment that is exactly `.` or `..`. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

const invalid = (why: string) => GatewayError.validation([{ name: 'path', message: why }], 'The passthrough path is not allowed.');

/**
 * Checks a passthrough path (as it arrived, still percent-encoded) so that it can never leave the
 * connection's base URL: it is decoded repeatedly until stable, and every form is checked for an
 * absolute URL, a `//host`, a `.` or `..` segment, a backslash and control characters.
 * Returns the path to append to the base URL: as it arrived, except that encoded slashes become
 * slashes (Swagger UI encodes the `{path}` parameter whole).
 */
export function safeVendorPath(raw: string): string {
  if (raw.length === 0) throw invalid('must name a vendor path');
  if (raw.length > 2048) throw invalid('is longer than 2048 characters');
  const forms = [raw];
  let current = raw;
  // Nothing encoded: the path is its only form.
  for (let round = 0; round < 5 && current.includes('%'); round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      throw invalid('has a malformed percent-encoding');
    }
    if (decoded === current) break;
    forms.push(decoded);
    current = decoded;
  }
  if (forms.length > 5) throw invalid('is encoded too many times');
  for (const form of forms) {
    if (CONTROL_OR_BACKSLASH.test(form)) throw invalid('must not contain backslashes or control characters');
    if (SCHEME.test(form)) throw invalid('must be relative to the connection\'s base URL, not an absolute URL');
    if (form.startsWith('/')) throw invalid('must not start with a slash (`//host` would leave the base URL)');
    if (DOT_SEGMENT.test(form)) throw invalid('must not contain `.` or `..` segments');
  }
  return forms.length === 1 ? raw : raw.replace(/%2f/gi, '/');
}
