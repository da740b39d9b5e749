import type { Filter, MessageDirection } from '@devicegate/core';
import { isPositive, matchingValues, PushDown, valuesOf } from '@devicegate/listing';
import { nativeTypesOf, PUSHABLE_NATIVE_TYPES, toVendorDirection } from './hardwario.mapper.js';

/**
 * Lower bound sent as `after` when the caller sets none: the vendor otherwise answers only the last 24 h,
 * while the contract has no default window. The .NET client's "no lower bound" value (§7.7) is used.
 */
export const EARLIEST_AFTER_MS = Date.parse('2016-01-01T00:00:00.000Z');

const DIRECTIONS: readonly MessageDirection[] = ['uplink', 'downlink'];

/** What the message list can ask the vendor. */
export interface MessagePushDown {
  /** No message can match: no list call is needed. */
  empty: boolean;
  /** Epoch ms for `after`. */
  after: number;
  /** Epoch ms for `before`. */
  before?: number;
  types?: string[];
  direction?: 'up' | 'down';
}

/**
 * `created_at` gte/lte → `after`/`before` (each widened by 1 ms, since whether the vendor's bounds are
 * inclusive is undocumented), `type` and `native_type` eq/in → `type[]`, `direction` → `direction`.
 */
export function messagePushDown(filters: readonly Filter[], connectionId: string): MessagePushDown {
  const push = new PushDown(connectionId);
  let lower = -Infinity;
  let upper = Infinity;
  for (const filter of filters) {
    switch (filter.field) {
      case 'created_at':
        if (typeof filter.value !== 'number') break;
        if (filter.op === 'gte') lower = Math.max(lower, filter.value);
        else if (filter.op === 'lte') upper = Math.min(upper, filter.value);
        break;
      case 'type': {
        if (!isPositive(filter)) break;
        const mapped = valuesOf(filter).map(nativeTypesOf);
        // A type whose vendor types cannot be listed (`event`) leaves the whole filter to the gateway.
        if (mapped.every((set) => set !== undefined)) push.narrow('type', mapped.flatMap((set) => set ?? []));
        break;
      }
      case 'native_type':
        if (isPositive(filter)) push.narrow('type', valuesOf(filter));
        break;
      case 'direction': {
        const kept = matchingValues(filter, DIRECTIONS);
        if (kept) push.narrow('direction', kept);
        break;
      }
    }
  }
  const result: MessagePushDown = {
    empty: push.impossible || lower > upper,
    after: Math.max(lower - 1, EARLIEST_AFTER_MS),
    before: Number.isFinite(upper) ? upper + 1 : undefined,
  };
  const types = push.allowed('type');
  // Only the vendor's enumerated types are sent: a strict server could reject another value with a 400.
  if (types !== undefined && types.every((type) => PUSHABLE_NATIVE_TYPES.includes(type))) result.types = [...types].sort();
  const directions = push.allowed('direction') ?? DIRECTIONS;
  if (directions.length === 1) result.direction = toVendorDirection(directions[0] as MessageDirection);
  return result;
}
