import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConnectionConfig, ProviderRegistry } from '@devicegate/core';
import {
  MemoryReadCache,
  READ_CACHE_CHANNEL,
  RedisBudgetWindow,
  RedisReadCache,
  SlidingWindowLog,
  type BudgetLimit,
  type BudgetWindow,
  type CircuitOptions,
  type HttpClient,
  type ReadCacheStore,
} from '@devicegate/http-client';

/**
 * One budget window per vendor account: connections of one account (a Blynk organization) share it, and
 * with Redis every instance does. An account's limit is the smallest any of its connections declares.
 */
export function budgetWindows(connections: readonly ConnectionConfig[], providers: ProviderRegistry, redis: Redis | null): Map<string, BudgetWindow> {
  const accounts = new Map<string, { limit: BudgetLimit; maxCallMs: number; ids: string[] }>();
  for (const connection of connections) {
    const account = providers.get(connection.provider)?.budgetAccount?.(connection) ?? `connection:${connection.id}`;
    const known = accounts.get(account);
    // Per request: the smaller share of the window is the stricter limit.
    const stricter = !known || connection.rate_limit.requests / connection.rate_limit.windowMs < known.limit.requests / known.limit.windowMs;
    accounts.set(account, {
      limit: stricter ? connection.rate_limit : known.limit,
      maxCallMs: Math.max(known?.maxCallMs ?? 0, connection.timeout_ms),
      ids: [...(known?.ids ?? []), connection.id],
    });
  }
  const windows = new Map<string, BudgetWindow>();
  for (const [account, { limit, maxCallMs, ids }] of accounts) {
    const window = redis ? new RedisBudgetWindow(redis, account, limit, { maxCallMs }) : new SlidingWindowLog(limit);
    for (const id of ids) windows.set(id, window);
  }
  return windows;
}

const CIRCUIT_CHANNEL = 'dg:circuit:changed';
/** An open circuit of a connection, kept until its probe is due: an instance that starts meanwhile holds back too. */
const openCircuitKey = (connectionId: string) => `dg:circuit:{${connectionId}}`;

/**
 * The read cache of the connections, and with Redis the notices instances exchange about them: a
 * connection's reads were invalidated (reads in flight here are not shared any more) and a circuit
 * opened or closed (this instance's follows, and one that starts while a circuit is open learns it). One
 * subscriber connection per process; no Redis round trip is added to a vendor call that changes nothing.
 */
export class SharedVendorState {
  readonly readCache: ReadCacheStore;
  private readonly instance = randomUUID();
  private subscriber?: Redis;

  constructor(private readonly redis: Redis | null) {
    this.readCache = redis ? new RedisReadCache(redis, this.instance) : new MemoryReadCache();
  }

  /** Publishes the circuit changes of one connection to the other instances. */
  circuitChanged(connectionId: string): CircuitOptions['onChange'] {
    const redis = this.redis;
    if (!redis) return undefined;
    return (state, retryInMs) => {
      const notice = redis.multi();
      if (state === 'open') notice.set(openCircuitKey(connectionId), 'open', 'PX', Math.max(1, Math.ceil(retryInMs)));
      else notice.del(openCircuitKey(connectionId));
      notice.publish(CIRCUIT_CHANNEL, JSON.stringify({ from: this.instance, connectionId, state, retryInMs }));
      notice.exec().catch(() => undefined);
    };
  }

  /**
   * Follows the other instances' notices for the connections `clientOf` knows, and adopts the circuits of
   * `connectionIds` that another instance holds open now (read after subscribing, so no change falls between).
   */
  listen(clientOf: (connectionId: string) => HttpClient | undefined, connectionIds: readonly string[]): void {
    if (!this.redis) return;
    this.subscriber = this.redis.duplicate();
    const redis = this.redis;
    this.subscriber
      .subscribe(READ_CACHE_CHANNEL, CIRCUIT_CHANNEL)
      .then(async () => {
        if (connectionIds.length === 0) return;
        const pipeline = redis.pipeline();
        for (const id of connectionIds) pipeline.pttl(openCircuitKey(id));
        const remaining = (await pipeline.exec()) ?? [];
        remaining.forEach(([error, ms], at) => {
          // PTTL is -2 for no key: the circuit is not open anywhere.
          if (!error && typeof ms === 'number' && ms > 0) clientOf(connectionIds[at])?.adoptCircuit('open', ms);
        });
      })
      .catch(() => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === READ_CACHE_CHANNEL) {
        const [from, connectionId] = message.split(' ');
        if (from !== this.instance) clientOf(connectionId)?.forgetFlights();
        return;
      }
      const notice = parseCircuitNotice(message);
      if (notice && notice.from !== this.instance) clientOf(notice.connectionId)?.adoptCircuit(notice.state, notice.retryInMs);
    });
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }
}

function parseCircuitNotice(message: string): { from: string; connectionId: string; state: 'open' | 'closed'; retryInMs: number } | undefined {
  try {
    const notice = JSON.parse(message) as { from?: unknown; connectionId?: unknown; state?: unknown; retryInMs?: unknown };
    if (typeof notice.from !== 'string' || typeof notice.connectionId !== 'string' || typeof notice.retryInMs !== 'number') return undefined;
    if (notice.state !== 'open' && notice.state !== 'closed') return undefined;
    return { from: notice.from, connectionId: notice.connectionId, state: notice.state, retryInMs: notice.retryInMs };
  } catch {
    return undefined;
  }
}
