import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BudgetLimit, BudgetWindow } from './vendor-budget.js';

/*
 * The sliding log of SlidingWindowLog, kept in Redis for every instance at once. Times are Redis's own
 * (`TIME`), so the instances' clocks never have to agree.
 *   <prefix>:held   places reserved by an instance (leased, or a call in flight), scored by when the
 *                   reservation lapses should its instance die (a call's timeout and more)
 *   <prefix>:ended  calls that have ended, scored by their answer + the window
 *   <prefix>:pause  present while the vendor's Retry-After lasts
 * A place counts from its reservation (before the call leaves) until a window after the answer, so no
 * vendor window, wherever in the call the vendor counted it, can see more than the limit.
 */
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** ARGV: wanted, limit, window ms, hold ms, ids…; answers {granted ids…} or {pause ms} / {next free ms, -1 unknown}. */
const LEASE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then return {'pause', paused} end
local limit = tonumber(ARGV[2])
local free = limit - redis.call('ZCARD', KEYS[1]) - redis.call('ZCARD', KEYS[2])
local granted = {'ok'}
local hold = now + tonumber(ARGV[4])
for i = 1, math.min(tonumber(ARGV[1]), free) do
  redis.call('ZADD', KEYS[1], hold, ARGV[4 + i])
  granted[#granted + 1] = ARGV[4 + i]
end
local ttl = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
if #granted > 1 then return granted end
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then return {'full', tonumber(first[2]) - now} end
return {'full', -1}`;

/** ARGV: id, window ms, 1 when the call went out (0: the place was not used). */
const RELEASE = `${NOW}
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 and ARGV[3] == '1' then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
end
return 1`;

/** ARGV: ms. A pause only grows. */
const PAUSE = `if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end return 1`;

export interface RedisBudgetWindowOptions {
  /** The longest a call can hold a place (its timeout): a reservation of an instance that died lapses after it and a margin. */
  maxCallMs: number;
  /** How often to ask again while every place is held by calls in flight somewhere (default 25 ms). */
  pollMs?: number;
  now?: () => number;
}

/** Places reserved but not used are handed back after this long, so other instances can have them. */
const RETURN_UNUSED_MS = 50;

/**
 * A `BudgetWindow` in Redis. `take` stays synchronous: it spends places this instance has reserved in
 * Redis beforehand (as many as its callers were waiting for, in one atomic script) and asks for more
 * when they run out; the budget's waiters are woken when they arrive. Reserved places that no caller
 * took go back after a moment. While Redis cannot be reached no place is granted: callers wait, then
 * get the budget's own 429, since no instance can prove the vendor's window has room.
 */
export class RedisBudgetWindow implements BudgetWindow {
  private readonly keys: [string, string, string];
  private readonly leased: string[] = [];
  private readonly inFlight: string[] = [];
  private readonly listeners: Array<() => void> = [];
  private asking = false;
  private pausedTill = -Infinity;
  /** When the last answer said a place may free up (local clock); -Infinity: not known. */
  private freeAt = -Infinity;
  private returnTimer?: NodeJS.Timeout;
  private readonly instance = randomUUID();
  private sequence = 0;
  private readonly holdMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    /** The vendor account (`dg:budget:<account>:…`). */
    account: string,
    private readonly limit: BudgetLimit,
    options: RedisBudgetWindowOptions,
  ) {
    const prefix = `dg:budget:{${account}}`;
    this.keys = [`${prefix}:held`, `${prefix}:ended`, `${prefix}:pause`];
    this.holdMs = options.maxCallMs + RETURN_UNUSED_MS + 5000;
    this.pollMs = options.pollMs ?? 25;
    this.now = options.now ?? (() => performance.now());
  }

  take(now: number, demand = 1): boolean {
    if (now < this.pausedTill) return false;
    const place = this.leased.pop();
    if (place !== undefined) {
      this.inFlight.push(place);
      return true;
    }
    // After a full window, ask again only when a place may have freed.
    if (now >= this.freeAt) this.ask(demand);
    return false;
  }

  release(): void {
    const place = this.inFlight.shift();
    if (place !== undefined) this.giveBack(place, true);
  }

  nextFreeIn(now: number): number {
    if (now < this.pausedTill) return this.pausedTill - now;
    if (this.leased.length > 0) return 0;
    // An answer on its way wakes the waiters itself.
    if (this.asking) return Infinity;
    return Math.max(1, Number.isFinite(this.freeAt) ? this.freeAt - now : this.pollMs);
  }

  pauseUntil(until: number): void {
    if (until <= this.pausedTill) return;
    this.pausedTill = until;
    this.redis.eval(PAUSE, 1, this.keys[2], Math.ceil(until - this.now())).catch(() => undefined);
  }

  onFree(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Reserves up to `demand` places (at most the limit) in one script; the waiters are woken when they arrive. */
  private ask(demand: number): void {
    if (this.asking) return;
    this.asking = true;
    const wanted = Math.min(Math.max(1, demand), this.limit.requests);
    const ids = Array.from({ length: wanted }, () => `${this.instance}:${(this.sequence += 1)}`);
    (this.redis.eval(LEASE, 3, ...this.keys, wanted, this.limit.requests, this.limit.windowMs, this.holdMs, ...ids) as Promise<[string, ...Array<string | number>]>).then(
      ([outcome, ...rest]) => {
        const now = this.now();
        this.asking = false;
        if (outcome === 'ok') {
          this.leased.push(...(rest as string[]));
          this.freeAt = -Infinity;
          clearTimeout(this.returnTimer);
          this.returnTimer = setTimeout(() => this.returnUnused(), RETURN_UNUSED_MS);
          this.returnTimer.unref();
        } else if (outcome === 'pause') {
          this.pausedTill = Math.max(this.pausedTill, now + Number(rest[0]));
        } else {
          const ms = Number(rest[0]);
          this.freeAt = ms >= 0 ? now + Math.min(ms, this.limit.windowMs) : now + this.pollMs;
        }
        this.wake();
      },
      () => {
        this.asking = false;
        this.freeAt = this.now() + 10 * this.pollMs;
        this.wake();
      },
    );
  }

  /** Places no caller took go back to the other instances. */
  private returnUnused(): void {
    for (const place of this.leased.splice(0)) this.giveBack(place, false);
  }

  private giveBack(place: string, used: boolean): void {
    this.redis.eval(RELEASE, 2, this.keys[0], this.keys[1], place, this.limit.windowMs, used ? 1 : 0).catch(() => undefined);
  }

  private wake(): void {
    for (const listener of this.listeners) listener();
  }
}
