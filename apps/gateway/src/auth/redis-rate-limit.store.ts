import type { Redis } from 'ioredis';
import type { RateDecision, RateLimitStore } from './rate-limit.js';

/** The token bucket of rate-limit.ts, kept in Redis and updated atomically, so every instance draws on one budget per key. */
const TAKE = `
local tokens = tonumber(redis.call('HGET', KEYS[1], 't'))
local at = tonumber(redis.call('HGET', KEYS[1], 'a'))
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'a', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`;

export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly prefix = 'devicegate:rate:',
  ) {}

  async take(key: string, now = Date.now()): Promise<RateDecision> {
    const [allowed, tokensText] = (await this.redis.eval(TAKE, 1, this.prefix + key, now, this.perSecond, this.burst)) as [number, string];
    const tokens = Number(tokensText);
    if (allowed === 1) return { allowed: true, remaining: Math.floor(tokens), retryAfterMs: 0 };
    return { allowed: false, remaining: 0, retryAfterMs: Math.ceil(((1 - tokens) / this.perSecond) * 1000) };
  }
}
