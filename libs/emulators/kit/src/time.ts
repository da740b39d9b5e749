/** RFC 3339 UTC with milliseconds and `Z`, e.g. `2024-04-17T11:08:27.917Z`. */
export const isoMillis = (ms: number): string => new Date(ms).toISOString();

/** RFC 3339 UTC with six fraction digits (microseconds), e.g. `2024-04-17T11:08:27.917000Z`. */
export const isoMicros = (ms: number, micros = 0): string => `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;

/** Parses an ISO 8601 date-time; a value without zone is read as UTC. Returns NaN when unreadable. */
export function parseIsoUtc(value: string): number {
  const hasZone = /([zZ]|[+-]\d{2}:?\d{2})$/.test(value);
  return Date.parse(hasZone ? value : `${value}Z`);
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
