import { isoMicros } from '@devicegate/emulators/kit';

/** Epoch microseconds → DT's timestamp form, always six fraction digits (`2021-05-16T08:13:15.361624Z`). */
export const isoFromMicros = (us: number): string => isoMicros(Math.floor(us / 1000), us % 1000);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * RFC 3339 → epoch microseconds (NaN when unreadable). Kept separate from the kit's parser because
 * DT inputs may carry up to nine fraction digits and comparisons here are made in microseconds.
 */
export function parseRfc3339Micros(value: string): number {
  const m = RFC3339.exec(value);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return NaN;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return ms * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}
