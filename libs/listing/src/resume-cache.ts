import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A bounded in-memory map with a time to live per entry and least-recently-used eviction. */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * Where list positions and counts are kept for every instance (Redis with `server.redis_url`), so a page
 * asked of one instance resumes where another left off instead of scanning for its `after`.
 */
export interface SharedResumeStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
}

/** Entries larger than this stay in their instance only: a position holds at most a vendor page or two. */
const MAX_SHARED_BYTES = 1024 * 1024;

/** `dg:list:<sha-256 of the key>` holding JSON, expiring with its time to live; a Redis failure only loses the sharing. */
export class RedisResumeStore implements SharedResumeStore {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<unknown> {
    const text = await this.redis.get(redisKey(key)).catch(() => null);
    return text === null ? undefined : JSON.parse(text);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const text = JSON.stringify(value);
    if (text.length > MAX_SHARED_BYTES) return;
    await this.redis.set(redisKey(key), text, 'PX', ttlMs).catch(() => undefined);
  }
}

const redisKey = (key: string): string => `dg:list:${createHash('sha256').update(key).digest('base64url')}`;
