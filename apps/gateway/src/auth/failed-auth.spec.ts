import { FailedAuthLimiter } from './failed-auth.js';

describe('FailedAuthLimiter', () => {
  it('lets a burst of failures through, then refuses the address until it refills', () => {
    const limiter = new FailedAuthLimiter(1, 3);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs('10.0.0.1', t0)).toBe(0);
      limiter.fail('10.0.0.1', t0);
    }
    expect(limiter.retryAfterMs('10.0.0.1', t0)).toBe(1000);
    expect(limiter.retryAfterMs('10.0.0.1', t0 + 400)).toBe(600);
    expect(limiter.retryAfterMs('10.0.0.1', t0 + 1000)).toBe(0);
    expect(limiter.retryAfterMs('10.0.0.2', t0)).toBe(0);
  });

  it('never holds more than the burst, and forgets the oldest address when full', () => {
    const limiter = new FailedAuthLimiter(1, 2, 2);
    limiter.fail('a', 0);
    limiter.fail('a', 0);
    expect(limiter.retryAfterMs('a', 0)).toBe(1000);
    limiter.fail('b', 0);
    limiter.fail('c', 0);
    expect(limiter.retryAfterMs('a', 0)).toBe(0);
    limiter.fail('b', 3_600_000);
    limiter.fail('b', 3_600_000);
    expect(limiter.retryAfterMs('b', 3_600_000)).toBe(1000);
  });
});
