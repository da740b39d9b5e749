import fc from 'fast-check';
import { canonicalUtcIso, canonicalUtcMs } from './time.js';

/**
 * The reading by hand must agree with the engine's own. The reference: the canonical shape, whose date and
 * time `Date.parse` takes and gives back unchanged (a rolled-over day or hour comes back as another text),
 * plus the first three fractional digits.
 */
function referenceMs(value: string): number | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(value);
  if (!match) return null;
  const whole = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(whole) || new Date(whole).toISOString().slice(0, 19) !== match[1]) return null;
  return whole + Number(`${match[2] ?? ''}000`.slice(0, 3));
}

/** The inputs whose answer differs from the reference, each with both answers. */
function disagreements(values: Iterable<string>): string[] {
  const wrong: string[] = [];
  for (const value of values) {
    const ms = referenceMs(value);
    const iso = ms === null ? null : new Date(ms).toISOString();
    if (canonicalUtcMs(value) !== ms || canonicalUtcIso(value) !== iso) wrong.push(`${value}: ${canonicalUtcMs(value)} ${canonicalUtcIso(value)}, expected ${ms} ${iso}`);
  }
  return wrong;
}

const agrees = (value: string) => expect(disagreements([value])).toEqual([]);
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const stamp = (y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: string, zone: string) =>
  `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fraction}${zone}`;
const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y: number, mo: number) => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];

// Fixed seeds: a failure names its input and comes back on every run.
const runs = { numRuns: 20_000, seed: 3339 };
const fraction = fc.oneof(fc.constant(''), fc.stringMatching(/^\.\d{0,9}$/));
const zone = fc.oneof({ weight: 4, arbitrary: fc.constant('Z') }, { weight: 1, arbitrary: fc.constantFrom('z', '+00:00', '-00:00', '+01:00', '-05:30', '+14:00', '') });
const year = fc.oneof(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 99, 100, 400, 1600, 1900, 1970, 2000, 2100, 2400, 9999));

describe('canonical UTC times', () => {
  it('are read to the millisecond, the fraction cut, and answered with exactly three fractional digits', () => {
    expect(canonicalUtcIso('2024-04-17T11:08:27.917Z')).toBe('2024-04-17T11:08:27.917Z');
    expect(canonicalUtcIso('2021-05-16T08:13:15.361624Z')).toBe('2021-05-16T08:13:15.361Z');
    expect(canonicalUtcIso('2021-05-16T08:13:15.999999999Z')).toBe('2021-05-16T08:13:15.999Z');
    expect(canonicalUtcIso('2020-01-01T00:00:00Z')).toBe('2020-01-01T00:00:00.000Z');
    expect(canonicalUtcIso('2020-01-01T00:00:00.5Z')).toBe('2020-01-01T00:00:00.500Z');
    expect(canonicalUtcMs('1969-12-31T23:59:59.999Z')).toBe(-1);
    expect(canonicalUtcMs('0050-03-01T00:00:00Z')).toBe(Date.parse('0050-03-01T00:00:00Z'));
  });

  it('are only the canonical form with every field in range: anything else is left to the caller', () => {
    for (const other of ['2020-01-01T01:00:00+01:00', '2020-01-01t00:00:00z', '2020-01-01 00:00:00Z', '2020-01-01T00:00:00.Z', '2020-01-01T00:00:00', '2021-02-29T00:00:00Z', '2021-04-31T00:00:00Z', '2021-01-01T24:00:00Z', '2021-13-01T00:00:00Z', '2021-01-01T00:60:00Z', '', 'yesterday']) {
      expect([other, canonicalUtcMs(other), canonicalUtcIso(other)]).toEqual([other, null, null]);
    }
  });

  describe('agree with Date.parse', () => {
    it('on valid dates of any year, month and day (leap days too), with 0–9 fractional digits and other zones', () => {
      const valid = fc
        .record({ y: year, mo: fc.integer({ min: 1, max: 12 }), h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.integer({ min: 0, max: 59 }), fraction, zone })
        .chain((t) => fc.integer({ min: 1, max: daysIn(t.y, t.mo) }).map((d) => stamp(t.y, t.mo, d, t.h, t.mi, t.s, t.fraction, t.zone)));
      fc.assert(fc.property(valid, agrees), runs);
    });

    it('on fields out of range: day 0–32 of months 0–13, hour 24, minute and second 60', () => {
      const outOfRange = fc
        .record({
          y: year,
          mo: fc.integer({ min: 0, max: 13 }),
          d: fc.integer({ min: 0, max: 32 }),
          h: fc.integer({ min: 0, max: 25 }),
          mi: fc.integer({ min: 0, max: 60 }),
          s: fc.integer({ min: 0, max: 61 }),
          fraction,
          zone,
        })
        .map((t) => stamp(t.y, t.mo, t.d, t.h, t.mi, t.s, t.fraction, t.zone));
      fc.assert(fc.property(outOfRange, agrees), runs);
    });

    it('on valid times with one character replaced, and on arbitrary strings', () => {
      const mutated = fc
        .tuple(fc.integer({ min: 0, max: 3_000_000_000_000 }), fc.nat(), fc.constantFrom('0', '9', '-', ':', 'T', 't', ' ', 'Z', '.', '+', 'x', '٣', ''))
        .map(([ms, at, char]) => {
          const value = new Date(ms).toISOString().replace('Z', '123Z');
          const i = at % value.length;
          return value.slice(0, i) + char + value.slice(i + 1);
        });
      fc.assert(fc.property(mutated, agrees), runs);
      fc.assert(fc.property(fc.string({ maxLength: 40 }), agrees), runs);
    });

    it('on every day 0–32 of every month 0–13 of century and leap-rule years', () => {
      const values: string[] = [];
      for (const y of [0, 1, 4, 99, 100, 400, 1600, 1700, 1900, 1969, 1970, 2000, 2021, 2024, 2100, 9999]) {
        for (let mo = 0; mo <= 13; mo++) {
          for (let d = 0; d <= 32; d++) {
            values.push(stamp(y, mo, d, 0, 0, 0, '', 'Z'), stamp(y, mo, d, 23, 59, 59, '.999999999', 'Z'), stamp(y, mo, d, 24, 0, 0, '.5', 'Z'));
          }
        }
      }
      expect(disagreements(values)).toEqual([]);
    });
  });
});
