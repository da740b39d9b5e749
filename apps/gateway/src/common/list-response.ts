import type { ListArgs, ListPage } from '@devicegate/listing';

export interface ListBody<T> {
  object: 'list';
  limit: number;
  after: string | null;
  order: 'ASC' | 'DESC';
  has_more: boolean;
  total_count?: number;
  data: T[];
  unreachable?: ListPage<T>['unreachable'];
}

/** Stands in for a credential inside a vendor object. */
export const REDACTED = '[redacted]';

/** The keys of `native` a caller may not see, for an item's provider (undefined: it may see them all). */
export type HiddenNativeFields = (provider: string) => ReadonlySet<string> | undefined;

const redact = (value: unknown, hidden: ReadonlySet<string>): unknown => {
  if (Array.isArray(value)) return value.map((entry) => redact(entry, hidden));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, hidden.has(key) ? REDACTED : redact(entry, hidden)]));
};

/** An item without its raw vendor object, unless the caller asked for it; then without the credentials in it that the caller may not see. */
export function present<T extends object>(item: T, includeNative: boolean, hiddenNative?: HiddenNativeFields): T {
  if (!('native' in item)) return item;
  if (includeNative) {
    // An item that names no provider (a device status) is presented with a lookup bound to its provider.
    const provider = (item as { provider?: unknown }).provider;
    const hidden = hiddenNative?.(typeof provider === 'string' ? provider : '');
    return hidden?.size ? { ...item, native: redact(item.native, hidden) } : item;
  }
  const { native: _native, ...rest } = item;
  return rest as T;
}

/** A message as lists show it: its readings are served by listDeviceReadings and in events. */
export function withoutReadings<T extends { readings?: unknown }>(item: T): T {
  if (!('readings' in item)) return item;
  const { readings: _readings, ...rest } = item;
  return rest as T;
}

/** A device of a list: its latest readings only with `include=readings`, null where its vendor does not list them. */
export const deviceOfList =
  (includeReadings: boolean) =>
  <T extends { readings?: unknown }>(item: T): T =>
    includeReadings ? { ...item, readings: item.readings ?? null } : withoutReadings(item);

/**
 * One device as getDevice answers it: what `deviceOfList(true)(present(…))` gives, with one copy of the
 * provider's object instead of two (the provider's own object is never changed).
 */
export function presentDevice<T extends { readings?: unknown }>(device: T, includeNative: boolean, hiddenNative?: HiddenNativeFields): T {
  const shown = present(device, includeNative, hiddenNative);
  const own = (shown === device ? { ...device } : shown) as T & { readings: unknown };
  own.readings ??= null;
  return own;
}

/**
 * The Izuma list object of API.md §2.5; `shape` adjusts each item for the list it is in, and
 * `hiddenNative` names the credentials of `native` the caller may not see.
 */
export function listBody<T extends object>(page: ListPage<T>, args: ListArgs, shape: (item: T) => T = (item) => item, hiddenNative?: HiddenNativeFields): ListBody<T> {
  const includeNative = args.include.has('native');
  const body: ListBody<T> = {
    object: 'list',
    limit: args.limit,
    after: args.after,
    order: args.order,
    has_more: page.hasMore,
    data: page.items.map((item) => shape(present(item, includeNative, hiddenNative))),
  };
  if (page.totalCount !== undefined) body.total_count = page.totalCount;
  if (args.partial) body.unreachable = page.unreachable;
  return body;
}
