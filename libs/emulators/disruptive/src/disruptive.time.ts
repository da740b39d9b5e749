const DAY_US = 86_400_000_000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
let cachedDay = NaN;
let cachedPrefix = '';

/**
 * Epoch microseconds → DT's timestamp form, always six fraction digits (`2021-05-16T08:13:15.361624Z`).
 * Hand-formatted with the date part cached, since seeding formats tens of thousands of these.
 */
export function isoFromMicros(us: number): string {
  const day = Math.floor(us / DAY_US);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * 86_400_000).toISOString().slice(0, 11);
  }
  let rest = us - day * DAY_US;
  const h = Math.floor(rest / 3_600_000_000);
  rest -= h * 3_600_000_000;
  const m = Math.floor(rest / 60_000_000);
  rest -= m * 60_000_000;
  const s = Math.floor(rest / 1_000_000);
  rest -= s * 1_000_000;
  return `${cachedPrefix}${pad2(h)}:${pad2(m)}:${pad2(s)}.${String(rest).padStart(6, '0')}Z`;
}

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
