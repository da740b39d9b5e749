import { jest } from '@jest/globals';
import { SeededRandom } from '@devicegate/emulators/kit';
import { isGatewayError } from '@devicegate/errors';
import { SlidingWindowLog, VendorBudget } from './vendor-budget.js';

const who = { connectionId: 'dt', provider: 'disruptive' };

/** Lets promise callbacks run between timer steps of the fake clock. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('SlidingWindowLog', () => {
  it('admits at most 25 calls in any 5 s, where a token bucket of 25 refilling 5/s admits 50', () => {
    const log = new SlidingWindowLog({ requests: 25, windowMs: 5000 });
    const sent: number[] = [];
    for (let t = 0; t < 20_000; t += 10) {
      while (log.take(t)) {
        sent.push(t);
        log.release(t + 1);
      }
    }
    for (const start of sent) expect(sent.filter((t) => t >= start && t < start + 5000).length).toBeLessThanOrEqual(25);
    expect(sent.filter((t) => t < 5000)).toHaveLength(25);
  });

  it('holds a place until the window has passed after the answer, so slow calls cannot crowd a vendor window', () => {
    const log = new SlidingWindowLog({ requests: 2, windowMs: 1000 });
    expect(log.take(0)).toBe(true);
    expect(log.take(0)).toBe(true);
    expect(log.take(5000)).toBe(false);
    expect(log.nextFreeIn(5000)).toBe(Infinity);
    log.release(5000);
    expect(log.nextFreeIn(5500)).toBe(500);
    expect(log.take(5999)).toBe(false);
    expect(log.take(6000)).toBe(true);
  });

  it('takes nothing while paused by a Retry-After', () => {
    const log = new SlidingWindowLog({ requests: 25, windowMs: 5000 });
    log.pauseUntil(4000);
    expect(log.take(3999)).toBe(false);
    expect(log.nextFreeIn(1000)).toBe(3000);
    expect(log.take(4000)).toBe(true);
  });
});

describe('VendorBudget', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  const budget = (requests: number, windowMs: number, maxQueue?: number) => new VendorBudget({ requests, windowMs }, who, { now: () => Date.now(), maxQueue });

  it('never lets a vendor see more than its limit in any window, whatever the latency of each call', async () => {
    const random = new SeededRandom(7);
    const b = budget(25, 5000);
    const arrivals: number[] = [];
    const call = async () => {
      const place = b.acquire('k', 60_000);
      if (place !== true) await place;
      const latency = random.int(0, 400);
      // The vendor counts the call at some moment between its departure and its answer.
      arrivals.push(Date.now() + random.int(0, latency));
      setTimeout(() => b.release(), latency);
    };
    const calls = Array.from({ length: 120 }, () => call());
    for (let t = 0; t < 40_000; t += 50) await jest.advanceTimersByTimeAsync(50);
    await Promise.all(calls);
    expect(arrivals).toHaveLength(120);
    arrivals.sort((x, y) => x - y);
    for (const start of arrivals) expect(arrivals.filter((t) => t >= start && t < start + 5000).length).toBeLessThanOrEqual(25);
  });

  it('serves waiting keys round-robin: a busy key cannot take more than its share from a key that needs the budget', async () => {
    const b = budget(5, 1000);
    const granted: string[] = [];
    const ask = (key: string) => {
      const place = b.acquire(key, 60_000);
      return (place === true ? Promise.resolve() : place).then(() => {
        granted.push(key);
        b.release();
      });
    };
    const busy = Array.from({ length: 40 }, () => ask('busy'));
    await settle();
    const quiet = Array.from({ length: 5 }, () => ask('quiet'));
    for (let t = 0; t < 10_000; t += 100) await jest.advanceTimersByTimeAsync(100);
    await Promise.all([...busy, ...quiet]);
    // The first window went to the busy key alone (nobody else was waiting); from then on they alternate.
    const contended = granted.slice(5, 15);
    expect(contended.filter((k) => k === 'quiet')).toHaveLength(5);
    expect(granted.indexOf('quiet')).toBeLessThanOrEqual(6);
  });

  it('answers 429 upstream_rate_limited with Retry-After when the wait would outlast the caller, and when the queue is full', async () => {
    const b = budget(1, 10_000, 1);
    expect(b.acquire('k', 100)).toBe(true);
    const waiting = b.acquire('k', 100) as Promise<void>;
    const full = b.acquire('other', 100) as Promise<void>;
    await expect(full).rejects.toMatchObject({ type: 'upstream_rate_limited', retryAfter: 10 });
    const outcome = waiting.catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(100);
    const error = await outcome;
    expect(isGatewayError(error) && error.type).toBe('upstream_rate_limited');
    expect(isGatewayError(error) && error.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('lets a caller that went away leave the queue at once', async () => {
    const b = budget(1, 10_000);
    expect(b.acquire('k', 60_000)).toBe(true);
    const controller = new AbortController();
    const waiting = b.acquire('k', 60_000, controller.signal) as Promise<void>;
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });

  it('pauses every caller for the vendor Retry-After', async () => {
    const b = budget(25, 5000);
    b.pause(4000);
    let left = false;
    const place = b.acquire('k', 60_000) as Promise<void>;
    void place.then(() => (left = true));
    await jest.advanceTimersByTimeAsync(3990);
    expect(left).toBe(false);
    await jest.advanceTimersByTimeAsync(20);
    expect(left).toBe(true);
  });

  it('budgets of one account share its window: a place the other connection frees wakes this one', async () => {
    const window = new SlidingWindowLog({ requests: 1, windowMs: 1000 });
    const one = new VendorBudget({ requests: 1, windowMs: 1000 }, who, { now: () => Date.now() }, window);
    const two = new VendorBudget({ requests: 1, windowMs: 1000 }, who, { now: () => Date.now() }, window);
    expect(one.acquire('k', 60_000)).toBe(true);
    let left = false;
    void (two.acquire('k', 60_000) as Promise<void>).then(() => (left = true));
    await jest.advanceTimersByTimeAsync(500);
    one.release();
    // Held a window after the answer, then the other connection's caller leaves without a release of its own.
    await jest.advanceTimersByTimeAsync(990);
    expect(left).toBe(false);
    await jest.advanceTimersByTimeAsync(20);
    expect(left).toBe(true);
  });
});
