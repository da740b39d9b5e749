import { rateLimitPauseMs, readRateLimitHeaders } from './rate-limit-headers.js';

describe('rate-limit headers', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads X-RateLimit-* with the reset as seconds, epoch seconds or epoch ms', () => {
    expect(readRateLimitHeaders({ 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '20' }, now)).toEqual({ remaining: 3, resetInMs: 20_000 });
    expect(readRateLimitHeaders({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30) }, now)).toEqual({ remaining: 0, resetInMs: 30_000 });
    expect(readRateLimitHeaders({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now + 1500) }, now)).toEqual({ remaining: 0, resetInMs: 1500 });
    expect(readRateLimitHeaders({ 'x-ratelimit-reset': String(now / 1000 - 5) }, now)).toEqual({ resetInMs: 0 });
  });

  it('reads the IETF drafts: separate fields, the combined field and its later r/t form', () => {
    expect(readRateLimitHeaders({ 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': '7' }, now)).toEqual({ remaining: 0, resetInMs: 7000 });
    expect(readRateLimitHeaders({ ratelimit: 'limit=100, remaining=4, reset=9' }, now)).toEqual({ remaining: 4, resetInMs: 9000 });
    expect(readRateLimitHeaders({ ratelimit: '"default";r=0;t=12', 'ratelimit-policy': '"default";q=100;w=60' }, now)).toEqual({ remaining: 0, resetInMs: 12_000 });
    expect(readRateLimitHeaders({ 'ratelimit-remaining': '0, 5;w=60' }, now)).toEqual({ remaining: 0 });
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores what it cannot read', () => {
    expect(readRateLimitHeaders({ 'retry-after': '3' }, now)).toEqual({ retryAfterMs: 3000 });
    expect(readRateLimitHeaders({ 'retry-after': new Date(now + 4000).toUTCString() }, now)).toEqual({ retryAfterMs: 4000 });
    expect(readRateLimitHeaders({ 'retry-after': 'soon', 'x-ratelimit-remaining': 'many', 'x-ratelimit-reset': '-3' }, now)).toEqual({});
    expect(readRateLimitHeaders({}, now)).toEqual({});
  });

  it('pauses after a 429 for Retry-After or else the reset, and after a spent window until its reset', () => {
    expect(rateLimitPauseMs(429, { 'retry-after': '2', 'x-ratelimit-reset': '50' }, now)).toBe(2000);
    expect(rateLimitPauseMs(429, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '50' }, now)).toBe(50_000);
    expect(rateLimitPauseMs(429, {}, now)).toBeUndefined();
    expect(rateLimitPauseMs(200, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '8' }, now)).toBe(8000);
    expect(rateLimitPauseMs(200, { 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '8' }, now)).toBeUndefined();
    expect(rateLimitPauseMs(200, { 'retry-after': '8' }, now)).toBeUndefined();
  });
});
