/**
 * The time form vendors send most — `YYYY-MM-DDTHH:MM:SS[.fraction]Z` — read by hand. Lists map a dozen or
 * more times per device, and going through `Date.parse` and `toISOString` for each was most of what mapping a
 * listed device cost. Only this form is read here, and only with every field in range: anything else (zone
 * offsets, lowercase letters, a day past its month's end, hour 24) is null, left to the caller's own reading,
 * which keeps its vendor's rules for those instead of a second opinion on them here.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Place values of the first three fractional digits; the rest are cut, never rounded. */
const FRACTION_MS = [100, 10, 1];

/** The two ASCII digits at `at` as a number, or -1 (also past the end, where `charCodeAt` gives NaN). */
function twoDigits(value: string, at: number): number {
  const tens = value.charCodeAt(at) - 48;
  const ones = value.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/** Epoch ms of a canonical UTC time with every field in range (fraction cut to milliseconds), else null. */
export function canonicalUtcMs(value: string): number | null {
  const length = value.length;
  // Length 20 has no fraction; 21 would be a bare `.`, which is not the canonical form.
  const fractionDigits = length - 21;
  if (length < 20 || fractionDigits === 0 || value.charCodeAt(length - 1) !== 90 /* Z */) return null;
  if (value.charCodeAt(4) !== 45 /* - */ || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84 /* T */) return null;
  if (value.charCodeAt(13) !== 58 /* : */ || value.charCodeAt(16) !== 58) return null;
  let millis = 0;
  if (fractionDigits > 0) {
    if (value.charCodeAt(19) !== 46 /* . */) return null;
    for (let i = 0; i < fractionDigits; i++) {
      const digit = value.charCodeAt(20 + i) - 48;
      if (digit < 0 || digit > 9) return null;
      if (i < 3) millis += digit * FRACTION_MS[i];
    }
  }
  const century = twoDigits(value, 0);
  const yearOfCentury = twoDigits(value, 2);
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  const second = twoDigits(value, 17);
  if (century < 0 || yearOfCentury < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return null;
  }
  const year = century * 100 + yearOfCentury;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return null;
  return ((daysSinceEpoch(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
}

/**
 * The canonical UTC time as RFC 3339 with exactly three fractional digits (cut, never rounded), the form the
 * contract answers; null where `canonicalUtcMs` is. The text already is that form up to its fraction, so it
 * is cut or padded rather than formatted again from the milliseconds.
 */
export function canonicalUtcIso(value: string): string | null {
  if (canonicalUtcMs(value) === null) return null;
  const length = value.length;
  if (length === 24) return value;
  if (length > 24) return `${value.slice(0, 23)}Z`;
  return `${(length === 20 ? `${value.slice(0, 19)}.` : value.slice(0, length - 1)).padEnd(23, '0')}Z`;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, counted in 400-year eras from a year that starts in
 * March (so the leap day is the era's last), as `Date.UTC` would count them; `Date.UTC` itself takes years
 * 0–99 as 1900–1999.
 */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
