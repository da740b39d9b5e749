import { MemoryRateLimitStore } from './rate-limit.js';

describe('MemoryRateLimitStore', () => {
  it('lets a burst through, then refills at the configured rate', () => {
    const store = new MemoryRateLimitStore(2, 3);
    const t0 = 1_000_000;
    expect([1, 2, 3, 4].map(() => store.take('a', t0).allowed)).toEqual([true, true, true, false]);
    const denied = store.take('a', t0);
    expect(denied).toEqual({ allowed: false, remaining: 0, retryAfterMs: 500 });
    expect(store.take('a', t0 + 499).allowed).toBe(false);
    expect(store.take('a', t0 + 1000).allowed).toBe(true);
    expect(store.take('b', t0).remaining).toBe(2);
  });

  it('never holds more than the burst', () => {
    const store = new MemoryRateLimitStore(100, 2);
    expect(store.take('a', 0).allowed).toBe(true);
    const later = 3_600_000;
    expect([1, 2, 3].map(() => store.take('a', later).allowed)).toEqual([true, true, false]);
  });
});
