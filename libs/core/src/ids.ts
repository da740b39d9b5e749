import { GatewayError } from '@devicegate/errors';

export const CONNECTION_ID_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

export interface UnifiedId {
  connectionId: string;
  nativeId: string;
}

/** `<connection_id>:<native_id>`; the native part is the vendor's id, unchanged. */
export const toUnifiedId = (connectionId: string, nativeId: string): string => `${connectionId}:${nativeId}`;

/** Splits a unified id; returns undefined when it does not have the form. */
export function parseUnifiedId(value: string): UnifiedId | undefined {
  const colon = value.indexOf(':');
  if (colon < 2) return undefined;
  const connectionId = value.slice(0, colon);
  const nativeId = value.slice(colon + 1);
  if (!CONNECTION_ID_PATTERN.test(connectionId) || nativeId.length === 0) return undefined;
  return { connectionId, nativeId };
}

/** Whether a native id is, once decoded however many times, a `.` or `..` path segment. */
export function isDotSegment(nativeId: string): boolean {
  let current = nativeId;
  for (let round = 0; round < 5; round++) {
    if (current === '.' || current === '..') return true;
    if (!current.includes('%')) return false;
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return false;
    }
    if (decoded === current) return false;
    current = decoded;
  }
  return true;
}

/**
 * A unified id of a path or body, or a 404: an id that cannot exist is answered like one that does
 * not exist, so nothing is learnt from the difference. A native id that is a dot segment is a 400 for
 * every provider: put into a vendor path, it would climb out of it (`DELETE /v3/devices/..`).
 */
export function requireUnifiedId(value: string): UnifiedId {
  const parsed = parseUnifiedId(value);
  if (!parsed) throw new GatewayError('not_found', `No resource has the id '${value.slice(0, 200)}'.`);
  if (isDotSegment(parsed.nativeId)) throw GatewayError.validation([{ name: 'id', message: 'must not have `.` or `..` as its native part' }]);
  return parsed;
}
