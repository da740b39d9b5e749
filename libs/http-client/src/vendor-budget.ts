import { GatewayError } from '@devicegate/errors';

/** Requests per window that a vendor account allows. */
export interface BudgetLimit {
  requests: number;
  windowMs: number;
}

/**
 * Where the calls of one vendor account are counted: in this process (`SlidingWindowLog`), or in Redis
 * (`RedisBudgetWindow`) so that every instance spends one budget. Several connections of one account
 * (a Blynk organization) share one window.
 */
export interface BudgetWindow {
  /**
   * Takes a place for a call that leaves now; false when the window is full or the account is paused.
   * `demand` is how many callers of this budget want a place now (a shared window may reserve that many at once).
   */
  take(now: number, demand?: number): boolean;
  /** A call that held a place ended now. */
  release(now: number): void;
  /** ms until a place may be free (Infinity while every place is held by a call still in flight). */
  nextFreeIn(now: number): number;
  /** No call leaves before `until` (the vendor's own `Retry-After`). */
  pauseUntil(until: number): void;
  /** Calls `listener` whenever a place may have become free without a `release` of the listener's own budget. */
  onFree(listener: () => void): void;
}

/**
 * An exact sliding window log: at most `requests` calls in any `windowMs`, as the vendor counts them.
 * A call holds its place from when it leaves until `windowMs` after its answer came back: the vendor
 * saw it somewhere in between, so however the network delays calls, no vendor window can hold more
 * than `requests` of them. The log is a ring of answer times, which arrive in order.
 */
export class SlidingWindowLog implements BudgetWindow {
  private readonly ended: Float64Array;
  private head = 0;
  private count = 0;
  private inFlight = 0;
  private pausedTill = -Infinity;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly limit: BudgetLimit) {
    this.ended = new Float64Array(limit.requests);
  }

  take(now: number): boolean {
    if (now < this.pausedTill) return false;
    this.expire(now);
    if (this.inFlight + this.count >= this.limit.requests) return false;
    this.inFlight += 1;
    return true;
  }

  release(now: number): void {
    this.inFlight -= 1;
    this.ended[(this.head + this.count) % this.limit.requests] = now;
    this.count += 1;
    // Budgets of other connections of the same account may be waiting for this place.
    for (const listener of this.listeners) listener();
  }

  onFree(listener: () => void): void {
    this.listeners.push(listener);
  }

  nextFreeIn(now: number): number {
    if (now < this.pausedTill) return this.pausedTill - now;
    this.expire(now);
    if (this.inFlight + this.count < this.limit.requests) return 0;
    return this.count === 0 ? Infinity : this.ended[this.head] + this.limit.windowMs - now;
  }

  pauseUntil(until: number): void {
    this.pausedTill = Math.max(this.pausedTill, until);
  }

  private expire(now: number): void {
    while (this.count > 0 && this.ended[this.head] + this.limit.windowMs <= now) {
      this.head = (this.head + 1) % this.limit.requests;
      this.count -= 1;
    }
  }
}

export interface VendorBudgetOptions {
  /** Callers that may wait for a place at once; more are refused at once (default 1000). */
  maxQueue?: number;
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** The connection a refusal is about. */
export interface BudgetAttribution {
  connectionId: string;
  provider: string;
}

/**
 * One vendor account's budget as callers see it: a call leaves at once while the window has room;
 * otherwise it waits in its client key's queue, and the queues are served round-robin, so one busy key
 * gets no more than its share while another key is waiting too. A caller waits until its own deadline
 * at most, then gets 429 `upstream_rate_limited` with a `Retry-After`.
 */
export class VendorBudget {
  /** Map order is the round-robin order: a key served moves to the back. */
  private readonly queues = new Map<string, Waiter[]>();
  private waiting = 0;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private readonly maxQueue: number;
  private readonly now: () => number;

  constructor(
    private readonly limit: BudgetLimit,
    private readonly attribution: BudgetAttribution,
    options: VendorBudgetOptions = {},
    private readonly window: BudgetWindow = new SlidingWindowLog(limit),
  ) {
    this.maxQueue = options.maxQueue ?? 1000;
    this.now = options.now ?? (() => performance.now());
    window.onFree(() => {
      if (this.waiting > 0) this.pump();
    });
  }

  /**
   * A place for one call: `true` when it may leave now (nothing allocated), else a promise that
   * resolves when it may, or rejects when `waitMs` passes first or the caller goes away.
   */
  acquire(key: string, waitMs: number, signal?: AbortSignal): true | Promise<void> {
    const now = this.now();
    if (this.waiting === 0 && this.window.take(now)) return true;
    if (signal?.aborted) return Promise.reject(signal.reason);
    // Refused at once when the queue is full or no place can free up before the caller would give up.
    const next = this.window.nextFreeIn(now);
    if (this.waiting >= this.maxQueue || waitMs <= 0 || (Number.isFinite(next) && next > waitMs)) return Promise.reject(this.spent(now));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      waiter.timer = setTimeout(() => this.drop(key, waiter, this.spent(this.now())), waitMs);
      if (signal) {
        waiter.onAbort = () => this.drop(key, waiter, signal.reason);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = []));
      queue.push(waiter);
      this.waiting += 1;
      this.pump();
    });
  }

  /** The call that took a place has ended. */
  release(): void {
    this.window.release(this.now());
    if (this.waiting > 0) this.pump();
  }

  /** The vendor answered 429: nothing leaves for `ms`. */
  pause(ms: number): void {
    this.window.pauseUntil(this.now() + ms);
  }

  /** Grants places round-robin over the keys while the window has room, then sleeps until one frees. */
  private pump(): void {
    let now = this.now();
    while (this.waiting > 0 && this.window.take(now, this.waiting)) {
      const [key, queue] = this.queues.entries().next().value as [string, Waiter[]];
      const waiter = queue.shift()!;
      this.queues.delete(key);
      if (queue.length > 0) this.queues.set(key, queue);
      this.waiting -= 1;
      this.settle(waiter);
      waiter.resolve();
      now = this.now();
    }
    if (this.waiting === 0) return;
    // While every place is held by a call in flight, release() wakes the queue.
    const wait = this.window.nextFreeIn(now);
    if (!Number.isFinite(wait)) return;
    const at = now + wait;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(1, Math.ceil(wait)));
  }

  private drop(key: string, waiter: Waiter, reason: unknown): void {
    const queue = this.queues.get(key);
    const index = queue?.indexOf(waiter) ?? -1;
    if (index < 0) return;
    queue!.splice(index, 1);
    if (queue!.length === 0) this.queues.delete(key);
    this.waiting -= 1;
    this.settle(waiter);
    waiter.reject(reason);
  }

  private settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
  }

  /** The refusal, with how long the queue ahead would take to drain at the vendor's rate. */
  private spent(now: number): GatewayError {
    const next = this.window.nextFreeIn(now);
    const drain = (this.waiting * this.limit.windowMs) / this.limit.requests;
    const ms = Math.max(Number.isFinite(next) ? next : 0, drain, 1);
    return new GatewayError('upstream_rate_limited', "The vendor account's request budget is spent for now.", {
      ...this.attribution,
      retryAfter: Math.max(1, Math.ceil(ms / 1000)),
    });
  }
}
