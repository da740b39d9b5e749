import { deviceOfList, present, presentDevice, REDACTED } from './list-response.js';

/** Devices as providers hand them over: with and without `native` and `readings`, readings null or set. */
const devices = (): Array<Record<string, unknown>> => [
  { id: 'c:1', name: 'a', native: { id: '1', token: 'secret', deep: { token: 'x' } }, readings: [{ quantity: 'temperature', value: 21 }], tags: [] },
  { id: 'c:2', name: 'b', native: { id: '2' }, readings: null },
  { id: 'c:3', name: 'c', native: { id: '3' } },
  { id: 'c:4', name: 'd' },
  { id: 'c:5', readings: [], name: 'e', native: null },
];

describe('presentDevice', () => {
  const hidden = () => new Set(['token']);

  it.each([
    ['without native', false, undefined],
    ['with native', true, undefined],
    ['with native, credentials hidden', true, hidden],
  ] as const)('answers what deviceOfList(true)(present(…)) answers, key order included (%s)', (_name, includeNative, hiddenNative) => {
    for (const device of devices()) {
      const expected = JSON.stringify(deviceOfList(true)(present(device, includeNative, hiddenNative)));
      expect(JSON.stringify(presentDevice(device, includeNative, hiddenNative))).toBe(expected);
    }
  });

  it('never changes the object the provider handed over', () => {
    for (const includeNative of [false, true]) {
      for (const device of devices()) {
        const before = JSON.stringify(device);
        const shown = presentDevice(device, includeNative, hidden);
        expect(shown).not.toBe(device);
        expect(JSON.stringify(device)).toBe(before);
      }
    }
  });

  it('hides the credentials of native and fills in readings', () => {
    const shown = presentDevice(devices()[2], true, hidden) as Record<string, unknown>;
    expect(shown.readings).toBeNull();
    const withToken = presentDevice(devices()[0], true, hidden) as { native: { token: string; deep: { token: string } } };
    expect(withToken.native.token).toBe(REDACTED);
    expect(withToken.native.deep.token).toBe(REDACTED);
  });
});
