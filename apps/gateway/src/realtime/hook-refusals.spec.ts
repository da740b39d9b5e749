import { HookRefusals } from './hook-refusals.js';

describe('refused pushes per source', () => {
  it('lets a source have its refusals in a burst, then holds it off until the bucket refills', () => {
    let now = 0;
    const refusals = new HookRefusals(6, () => now);
    for (let i = 0; i < 6; i++) {
      expect(refusals.blocked('198.51.100.7')).toBeUndefined();
      refusals.refused('198.51.100.7');
    }
    // Six a minute: one more in ten seconds.
    expect(refusals.blocked('198.51.100.7')).toBe(10);
    expect(refusals.blocked('198.51.100.8')).toBeUndefined();
    now += 9_000;
    expect(refusals.blocked('198.51.100.7')).toBe(1);
    now += 1_000;
    expect(refusals.blocked('198.51.100.7')).toBeUndefined();
    refusals.refused('198.51.100.7');
    expect(refusals.blocked('198.51.100.7')).toBe(10);
  });
});
