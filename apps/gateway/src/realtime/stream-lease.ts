import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pause } from '@devicegate/core';

/** Renews only while the key still names this holder (another may have taken it after an expiry). */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** How long a holder's claim lasts without renewal (it renews every third of it). */
export const LEASE_TTL_MS = 6_000;
/** How long a resume point is kept: DT's history, which it is read against, goes back 30 days. */
const CURSOR_TTL_MS = 30 * 86_400_000;

/**
 * Which instance holds a connection's vendor stream, when instances share Redis: `dg:pull:<connection>`
 * is set NX with an expiry by the holder and renewed while it holds; the others try again every third
 * of the expiry, so one takes over within about one expiry after the holder dies. Beside it,
 * `dg:pull:<connection>:seen` keeps the vendor time the stream last reached, where a new holder resumes.
 */
export class StreamLease {
  readonly key: string;
  private readonly owner = randomUUID();

  constructor(
    private readonly redis: Redis,
    connectionId: string,
    private readonly ttlMs = LEASE_TTL_MS,
  ) {
    this.key = `dg:pull:${connectionId}`;
  }

  /** Waits until this instance holds the lease (or `signal` aborts: then false). Redis errors count as "not yet". */
  async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      try {
        if ((await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK') return true;
      } catch {
        // Redis unreachable: nobody can prove they hold it; keep trying.
      }
      await pause(this.ttlMs / 3 + Math.random() * (this.ttlMs / 6), signal);
    }
    return false;
  }

  /** Extends the lease; false when it is no longer this instance's (or Redis cannot say). */
  async renew(): Promise<boolean> {
    try {
      return (await this.redis.eval(RENEW, 1, this.key, this.owner, String(this.ttlMs))) === 1;
    } catch {
      return false;
    }
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.owner).catch(() => undefined);
  }

  /** Keeps a renewal going every third of the expiry; calls `lost` once if a renewal fails. Returns the stop function. */
  keep(lost: () => void): () => void {
    const timer = setInterval(() => {
      void this.renew().then((held) => {
        if (held) return;
        clearInterval(timer);
        lost();
      });
    }, this.ttlMs / 3);
    timer.unref();
    return () => clearInterval(timer);
  }

  async cursor(): Promise<number | undefined> {
    const value = Number(await this.redis.get(`${this.key}:seen`).catch(() => null));
    return Number.isFinite(value) && value > 0 ? value : undefined;
  }

  async saveCursor(at: number): Promise<void> {
    await this.redis.set(`${this.key}:seen`, String(at), 'PX', CURSOR_TTL_MS).catch(() => undefined);
  }
}
