import type { HttpResponse } from './http-client.js';

/** One vendor answer kept for reuse, and when it arrived (epoch ms). */
export interface CachedRead {
  response: HttpResponse;
  storedAt: number;
}

/** A kept read, if any, and the connection's generation when it was looked up. */
export interface CacheLookup {
  read?: CachedRead;
  generation: number;
}

/**
 * Where vendor reads are kept between callers: in this process (`MemoryReadCache`), or in Redis
 * (`RedisReadCache`) so that every instance answers from, and invalidates, one cache.
 */
export interface ReadCacheStore {
  get(connectionId: string, key: string): CacheLookup | Promise<CacheLookup>;
  /** Keeps a read for `ttlMs`, unless the connection was invalidated since `generation` (its call may predate a write). */
  set(connectionId: string, key: string, read: CachedRead, generation: number, ttlMs: number): void | Promise<void>;
  /** Forgets every read of the connection (after a write or a pushed event). */
  invalidate(connectionId: string): void | Promise<void>;
}

export interface MemoryReadCacheOptions {
  /** Body bytes kept in all (default 32 MiB). */
  maxBytes?: number;
  /** Answers kept in all (default 10,000). */
  maxEntries?: number;
}

/** Bookkeeping an entry costs beyond its body (key, headers, objects), so many small answers stay bounded too. */
const ENTRY_OVERHEAD = 512;

/**
 * The process's read cache: least recently used answers go first once the bytes or the entry count
 * pass their bounds. Freshness is the caller's business (each connection has its own TTL).
 */
export class MemoryReadCache implements ReadCacheStore {
  private readonly entries = new Map<string, CachedRead & { connectionId: string; bytes: number }>();
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly generations = new Map<string, number>();
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(options: MemoryReadCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  get(connectionId: string, key: string): CacheLookup {
    const full = `${connectionId}\n${key}`;
    const generation = this.generations.get(connectionId) ?? 0;
    const entry = this.entries.get(full);
    if (!entry) return { generation };
    this.entries.delete(full);
    this.entries.set(full, entry);
    return { read: entry, generation };
  }

  set(connectionId: string, key: string, read: CachedRead, generation: number): void {
    if (generation !== (this.generations.get(connectionId) ?? 0)) return;
    const full = `${connectionId}\n${key}`;
    const bytes = read.response.body.length + full.length + ENTRY_OVERHEAD;
    if (bytes > this.maxBytes) return;
    this.remove(full);
    this.entries.set(full, { ...read, connectionId, bytes });
    this.bytes += bytes;
    let keys = this.byConnection.get(connectionId);
    if (!keys) this.byConnection.set(connectionId, (keys = new Set()));
    keys.add(full);
    while (this.bytes > this.maxBytes || this.entries.size > this.maxEntries) this.remove(this.entries.keys().next().value as string);
  }

  invalidate(connectionId: string): void {
    this.generations.set(connectionId, (this.generations.get(connectionId) ?? 0) + 1);
    const keys = this.byConnection.get(connectionId);
    if (!keys) return;
    for (const full of [...keys]) this.remove(full);
  }

  /** Bytes held, for tests and metrics. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private remove(full: string): void {
    const entry = this.entries.get(full);
    if (!entry) return;
    this.entries.delete(full);
    this.bytes -= entry.bytes;
    this.byConnection.get(entry.connectionId)?.delete(full);
  }
}
