import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { VendorResponse } from './http-client.js';
import type { CacheLookup, CachedRead, ReadCacheStore } from './read-cache.js';

/*
 * One read cache for every instance:
 *   dg:cache:{<connection>}:gen            the connection's generation, raised by each invalidation
 *   dg:cache:{<connection>}:<gen>:<hash>   a read, kept under the generation it started in, for the TTL
 * An invalidation raises the generation, so every older read is unreachable at once (and expires on its
 * own), and says so on the channel `dg:cache:invalidated` for the reads other instances have in flight.
 */
const GET = `local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}`;

const SET = `if (redis.call('GET', KEYS[1]) or '0') == ARGV[1] then redis.call('SET', ARGV[2], ARGV[3], 'PX', ARGV[4]) end return 1`;

/** The generation outlives any read kept under it by far; should it lapse, it restarts where no read is left. */
const INVALIDATE = `redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], 86400000) redis.call('PUBLISH', ARGV[1], ARGV[2]) return 1`;

export const READ_CACHE_CHANNEL = 'dg:cache:invalidated';

/** Bodies larger than this are not shared (default 1 MiB): the cache is for the many small reads callers repeat. */
const MAX_SHARED_BODY = 1024 * 1024;

/** A read as Redis keeps it: one line of JSON (status, headers, time) and the body's bytes after it. */
interface Head {
  status: number;
  headers: Record<string, string>;
  storedAt: number;
}

export class RedisReadCache implements ReadCacheStore {
  constructor(
    private readonly redis: Redis,
    /** Who invalidated, so an instance can tell its own notices from the others'. */
    private readonly instance: string,
    private readonly maxBodyBytes = MAX_SHARED_BODY,
  ) {}

  async get(connectionId: string, key: string): Promise<CacheLookup> {
    try {
      const [generation, stored] = (await this.redis.callBuffer('EVAL', GET, 1, genKey(connectionId), prefix(connectionId), hash(key))) as [Buffer, Buffer | null];
      return { generation: Number(generation.toString()), read: stored ? decode(stored, connectionId) : undefined };
    } catch {
      // Without Redis nothing is answered from the cache, and nothing kept (no generation is current).
      return { generation: -1 };
    }
  }

  async set(connectionId: string, key: string, read: CachedRead, generation: number, ttlMs: number): Promise<void> {
    if (generation < 0 || read.response.body.length > this.maxBodyBytes) return;
    const head: Head = { status: read.response.status, headers: read.response.headers, storedAt: read.storedAt };
    const value = Buffer.concat([Buffer.from(`${JSON.stringify(head)}\n`), read.response.body]);
    await this.redis.eval(SET, 1, genKey(connectionId), generation, `${prefix(connectionId)}${generation}:${hash(key)}`, value, ttlMs).catch(() => undefined);
  }

  async invalidate(connectionId: string): Promise<void> {
    await this.redis.eval(INVALIDATE, 1, genKey(connectionId), READ_CACHE_CHANNEL, `${this.instance} ${connectionId}`).catch(() => undefined);
  }
}

const prefix = (connectionId: string) => `dg:cache:{${connectionId}}:`;
const genKey = (connectionId: string) => `${prefix(connectionId)}gen`;
const hash = (key: string) => createHash('sha256').update(key).digest('base64url');

function decode(stored: Buffer, connectionId: string): CachedRead {
  const newline = stored.indexOf(10);
  const head = JSON.parse(stored.subarray(0, newline).toString('utf8')) as Head;
  return { response: new VendorResponse(head.status, head.headers, stored.subarray(newline + 1), { connectionId }), storedAt: head.storedAt };
}
