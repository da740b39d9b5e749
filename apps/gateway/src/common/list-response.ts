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

/** An item without its raw vendor object, unless the caller asked for it. */
export function present<T extends object>(item: T, includeNative: boolean): T {
  if (includeNative || !('native' in item)) return item;
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

/** The Izuma list object of API.md §2.5; `shape` adjusts each item for the list it is in. */
export function listBody<T extends object>(page: ListPage<T>, args: ListArgs, shape: (item: T) => T = (item) => item): ListBody<T> {
  const includeNative = args.include.has('native');
  const body: ListBody<T> = {
    object: 'list',
    limit: args.limit,
    after: args.after,
    order: args.order,
    has_more: page.hasMore,
    data: page.items.map((item) => shape(present(item, includeNative))),
  };
  if (page.totalCount !== undefined) body.total_count = page.totalCount;
  if (args.partial) body.unreachable = page.unreachable;
  return body;
}
