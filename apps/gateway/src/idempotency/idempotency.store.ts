import type { Redis } from 'ioredis';

/** The answer a request with an `Idempotency-Key` got, kept to replay it. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  payload: string;
}

export type Begin = { state: 'new' } | { state: 'replay'; answer: StoredAnswer } | { state: 'conflict' } | { state: 'busy' };

/** Where idempotency records live: this process, or Redis when instances share them. */
export interface IdempotencyStore {
  /** Claims `key` for a request with `fingerprint`, or tells what an earlier request with the key got. Waits while another holds it. */
  begin(key: string, fingerprint: string): Promise<Begin>;
  complete(key: string, fingerprint: string, answer: StoredAnswer): Promise<void>;
  /** Forgets a claim whose request ended without an answer worth replaying. */
  abandon(key: string): Promise<void>;
  close?(): Promise<void>;
}

export const RETENTION_MS = 24 * 3_600_000;
/** How long a request may hold a key before others stop waiting for it. */
const PENDING_MS = 60_000;
const POLL_MS = 25;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Entry = { fingerprint: string; expires: number } & ({ done: false; waiters: Array<() => void> } | { done: true; answer: StoredAnswer });

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 100_000) {}

  async begin(key: string, fingerprint: string): Promise<Begin> {
    for (;;) {
      const now = Date.now();
      const entry = this.entries.get(key);
      if (!entry || entry.expires <= now) {
        // A claim that outlived its time: whoever waits for it waits for this one instead.
        if (entry && !entry.done) entry.waiters.forEach((wake) => wake());
        this.entries.delete(key);
        this.evict();
        this.entries.set(key, { fingerprint, expires: now + PENDING_MS, done: false, waiters: [] });
        return { state: 'new' };
      }
      if (entry.fingerprint !== fingerprint) return { state: 'conflict' };
      if (entry.done) return { state: 'replay', answer: entry.answer };
      await new Promise<void>((resolve) => entry.waiters.push(resolve));
    }
  }

  async complete(key: string, fingerprint: string, answer: StoredAnswer): Promise<void> {
    const entry = this.entries.get(key);
    this.entries.set(key, { fingerprint, expires: Date.now() + RETENTION_MS, done: true, answer });
    if (entry && !entry.done) entry.waiters.forEach((wake) => wake());
  }

  async abandon(key: string): Promise<void> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry && !entry.done) entry.waiters.forEach((wake) => wake());
  }

  /** Forgets the oldest records (claimed first) until one more fits; the newest, the likeliest to be retried, stay. */
  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.maxEntries) return;
      this.entries.delete(key);
      if (!entry.done) entry.waiters.forEach((wake) => wake());
    }
  }
}

/** Records shared by every instance: a pending claim is `SET NX`, others poll until it is answered. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'devicegate:idem:',
  ) {}

  async begin(key: string, fingerprint: string): Promise<Begin> {
    const redisKey = this.prefix + key;
    const deadline = Date.now() + PENDING_MS;
    while (Date.now() < deadline) {
      const claimed = await this.redis.set(redisKey, JSON.stringify({ fingerprint, done: false }), 'PX', PENDING_MS, 'NX');
      if (claimed === 'OK') return { state: 'new' };
      const raw = await this.redis.get(redisKey);
      if (raw) {
        const record = JSON.parse(raw) as { fingerprint: string; done: boolean; answer?: StoredAnswer };
        if (record.fingerprint !== fingerprint) return { state: 'conflict' };
        if (record.done) return { state: 'replay', answer: record.answer! };
      }
      await sleep(POLL_MS);
    }
    return { state: 'busy' };
  }

  async complete(key: string, fingerprint: string, answer: StoredAnswer): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify({ fingerprint, done: true, answer }), 'PX', RETENTION_MS);
  }

  async abandon(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
