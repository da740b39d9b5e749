import { backgroundContext } from '@devicegate/core';
import { TokenCache } from './token-cache.js';

/** The refusal path of the token cache, with an injected clock. */
describe('TokenCache.send', () => {
  const ctx = backgroundContext('spec');

  function setup() {
    let now = 1_000_000;
    let issued = 0;
    const cache = new TokenCache(async () => ({ token: `t${++issued}`, ttlMs: 3_600_000 }), () => now);
    const valid = new Set<string>();
    const sent: string[] = [];
    const call = async (token: string) => {
      sent.push(token);
      return { status: valid.has(token) ? 200 : 403 };
    };
    const refused = (r: { status: number }) => r.status === 403;
    return { cache, valid, sent, call, refused, issued: () => issued, advance: (ms: number) => (now += ms) };
  }

  it('repeats a call refused on a cached token once, with a fresh token', async () => {
    const s = setup();
    s.valid.add('t1');
    expect((await s.cache.send(ctx, s.call, s.refused)).status).toBe(200);
    s.valid.clear();
    s.valid.add('t2');
    expect((await s.cache.send(ctx, s.call, s.refused)).status).toBe(200);
    expect(s.sent).toEqual(['t1', 't1', 't2']);
  });

  it('does not repeat a call refused on a token that was just issued', async () => {
    const s = setup();
    expect((await s.cache.send(ctx, s.call, s.refused)).status).toBe(403);
    expect(s.sent).toEqual(['t1']);
  });

  it('stops exchanging tokens for a minute after a fresh token was refused too', async () => {
    const s = setup();
    await s.cache.send(ctx, s.call, s.refused);
    await s.cache.send(ctx, s.call, s.refused);
    expect(s.issued()).toBe(2);
    await s.cache.send(ctx, s.call, s.refused);
    s.advance(59_000);
    await s.cache.send(ctx, s.call, s.refused);
    expect(s.issued()).toBe(2);
    s.advance(2_000);
    await s.cache.send(ctx, s.call, s.refused);
    expect(s.issued()).toBe(3);
    expect(s.sent).toEqual(['t1', 't1', 't2', 't2', 't2', 't2', 't3']);
  });
});

/** When a token is fetched again, on an injected clock (the wall-clock sleeps this replaces were flaky). */
describe('TokenCache.get', () => {
  const ctx = backgroundContext('spec');

  function setup(ttlMs: number) {
    let now = 1_000_000;
    let issued = 0;
    const exchanges: Array<() => void> = [];
    const cache = new TokenCache(
      () => new Promise((resolve) => exchanges.push(() => resolve({ token: `t${++issued}`, ttlMs }))),
      () => now,
    );
    const get = async () => {
      const token = cache.get(ctx);
      // Let the exchange start, then answer it (a cached token starts none).
      await Promise.resolve();
      exchanges.shift()?.();
      return token;
    };
    return { cache, get, issued: () => issued, exchanges, advance: (ms: number) => (now += ms) };
  }

  it('refreshes a tenth of the lifetime early, so a 1 s token is replaced after 900 ms, before it lapses', async () => {
    const s = setup(1000);
    expect(await s.get()).toBe('t1');
    s.advance(899);
    expect(await s.get()).toBe('t1');
    s.advance(1);
    expect(await s.get()).toBe('t2');
    expect(s.issued()).toBe(2);
  });

  it('refreshes a long-lived token at most a minute early', async () => {
    const s = setup(3_600_000);
    expect(await s.get()).toBe('t1');
    s.advance(3_540_000 - 1);
    expect(await s.get()).toBe('t1');
    s.advance(1);
    expect(await s.get()).toBe('t2');
  });

  it('counts the lifetime from when the exchange started, so a slow exchange cannot stretch it', async () => {
    const s = setup(1000);
    const first = s.cache.get(ctx);
    await Promise.resolve();
    s.advance(500);
    s.exchanges.shift()!();
    expect(await first).toBe('t1');
    s.advance(399);
    expect(await s.get()).toBe('t1');
    s.advance(1);
    expect(await s.get()).toBe('t2');
  });

  it('makes one exchange for callers that arrive while it is under way', async () => {
    const s = setup(1000);
    const waiting = [s.cache.get(ctx), s.cache.get(ctx), s.cache.get(ctx)];
    await Promise.resolve();
    expect(s.exchanges).toHaveLength(1);
    s.exchanges.shift()!();
    expect(await Promise.all(waiting)).toEqual(['t1', 't1', 't1']);
    expect(s.issued()).toBe(1);
  });
});
