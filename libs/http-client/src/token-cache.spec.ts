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
