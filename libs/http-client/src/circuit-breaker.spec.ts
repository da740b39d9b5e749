import { CircuitBreaker } from './circuit-breaker.js';

/** The circuit on an injected clock: every pause is a step of `now`, never a sleep. */
describe('CircuitBreaker', () => {
  function setup() {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 10_000, now: () => now });
    return { breaker, advance: (ms: number) => (now += ms), now: () => now };
  }

  it('opens after the threshold of consecutive failures, not before, and a success resets the count', () => {
    const { breaker } = setup();
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.acquire()).toEqual({ allowed: true, probe: false });
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutive_failures: 2, opened_at: null, retry_at: null });
    breaker.failure();
    expect(breaker.acquire()).toEqual({ allowed: false, retryInMs: 10_000 });
    expect(breaker.snapshot()).toEqual({ state: 'open', consecutive_failures: 3, opened_at: '2026-01-01T00:00:00.000Z', retry_at: '2026-01-01T00:00:10.000Z' });
  });

  it('refuses until the pause has passed, counting down, then lets exactly one probe through', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(9_999);
    expect(breaker.acquire()).toEqual({ allowed: false, retryInMs: 1 });
    advance(1);
    expect(breaker.snapshot().state).toBe('half_open');
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    expect(breaker.acquire()).toMatchObject({ allowed: false });
  });

  it('closes when the probe succeeds', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(10_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.success();
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    expect(breaker.acquire()).toEqual({ allowed: true, probe: false });
  });

  it('re-opens for a full pause from the moment the probe failed', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(15_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    advance(2_000);
    breaker.failure();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', opened_at: '2026-01-01T00:00:17.000Z', retry_at: '2026-01-01T00:00:27.000Z' });
    expect(breaker.acquire()).toEqual({ allowed: false, retryInMs: 10_000 });
    advance(10_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
  });

  it('lets another probe through when one ended without a verdict (released)', () => {
    const { breaker, advance } = setup();
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(10_000);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.release(false);
    expect(breaker.acquire()).toMatchObject({ allowed: false });
    breaker.release(true);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
  });

  it("tells its own openings and closings, and follows another instance's without telling them again", () => {
    let now = 0;
    const told: Array<[string, number]> = [];
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 10_000, now: () => now, onChange: (state, ms) => told.push([state, ms]) });
    breaker.adopt('open', 4000);
    expect(breaker.acquire()).toEqual({ allowed: false, retryInMs: 4000 });
    now += 4000;
    expect(breaker.acquire()).toEqual({ allowed: true, probe: true });
    breaker.success();
    breaker.failure();
    breaker.failure();
    breaker.failure();
    breaker.adopt('closed', 0);
    expect(breaker.acquire()).toEqual({ allowed: true, probe: false });
    expect(told).toEqual([
      ['closed', 0],
      ['open', 10_000],
    ]);
  });
});
