import { TtlCache } from './resume-cache.js';

/** Expiry and eviction on an injected clock. */
describe('TtlCache', () => {
  function setup(maxEntries = 3, ttlMs = 1000) {
    let now = 5_000_000;
    const cache = new TtlCache<string>(maxEntries, ttlMs, () => now);
    return { cache, advance: (ms: number) => (now += ms) };
  }

  it('keeps an entry for exactly its time to live', () => {
    const { cache, advance } = setup();
    cache.set('a', 'A');
    advance(999);
    expect(cache.get('a')).toBe('A');
    advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('restarts the time to live when an entry is set again, not when it is read', () => {
    const { cache, advance } = setup();
    cache.set('a', 'A');
    advance(600);
    cache.set('a', 'A2');
    advance(600);
    expect(cache.get('a')).toBe('A2');
    advance(399);
    expect(cache.get('a')).toBe('A2');
    advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its size, a read counting as a use', () => {
    const { cache } = setup(3);
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.set('c', 'C');
    expect(cache.get('a')).toBe('A');
    cache.set('d', 'D');
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual(['A', 'C', 'D']);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
