import { deviceOfList, present, presentWithReadings, REDACTED, type HiddenNativeFields } from './list-response.js';

const device = (extra: Record<string, unknown> = {}) => ({
  object: 'device',
  id: 'c1:d1',
  provider: 'hardwario',
  name: 'roof',
  labels: { site: 'brno' },
  ...extra,
});
const hidden: HiddenNativeFields = (provider) => (provider === 'hardwario' ? new Set(['api_key']) : undefined);

describe('presentWithReadings', () => {
  // Callers see the bytes: the one-copy form must serialise exactly as the two-step form it replaces.
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no native', device()],
    ['native last', device({ native: { id: 'd1', api_key: 'secret', nested: [{ api_key: 'x' }] } })],
    ['native first', { native: { api_key: 'secret' }, ...device() }],
    ['readings in the middle', { object: 'device', readings: [{ name: 't', value: 1 }], id: 'c1:d1', native: {} }],
    ['readings undefined', device({ readings: undefined, native: { a: 1 } })],
    ['another provider', device({ provider: 'blynk', native: { api_key: 'kept' } })],
  ];
  for (const [what, item] of cases) {
    it(`answers exactly what deviceOfList(true)(present(…)) did: ${what}`, () => {
      for (const includeNative of [false, true]) {
        for (const hiddenNative of [undefined, hidden]) {
          const expected = JSON.stringify(deviceOfList(true)(present(item, includeNative, hiddenNative)));
          expect(JSON.stringify(presentWithReadings(item, includeNative, hiddenNative))).toBe(expected);
        }
      }
    });
  }

  it('redacts the fields the caller may not see and leaves the item itself alone', () => {
    const item: Record<string, unknown> = device({ native: { api_key: 'secret', id: 'd1' } });
    const shown = presentWithReadings(item, true, hidden) as Record<string, unknown>;
    expect(shown.native).toEqual({ api_key: REDACTED, id: 'd1' });
    expect(shown.readings).toBeNull();
    expect(item.native).toEqual({ api_key: 'secret', id: 'd1' });
    expect('readings' in item).toBe(false);
  });
});
