import type { Redis } from 'ioredis';
import type { ConnectionConfig, ProviderRegistry } from '@devicegate/core';
import { RedisBudgetWindow, SlidingWindowLog, type BudgetLimit, type BudgetWindow } from '@devicegate/http-client';

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
