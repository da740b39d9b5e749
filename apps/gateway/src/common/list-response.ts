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
export function present<T extends { native?: unknown }>(item: T, includeNative: boolean): T {
  if (includeNative || !('native' in item)) return item;
  const { native: _native, ...rest } = item;
  return rest as T;
}

/** The Izuma list object of API.md §2.5. */
export function listBody<T extends { native?: unknown }>(page: ListPage<T>, args: ListArgs): ListBody<T> {
  const includeNative = args.include.has('native');
  const body: ListBody<T> = {
    object: 'list',
    limit: args.limit,
    after: args.after,
    order: args.order,
    has_more: page.hasMore,
    data: page.items.map((item) => present(item, includeNative)),
  };
  if (page.totalCount !== undefined) body.total_count = page.totalCount;
  if (args.partial) body.unreachable = page.unreachable;
  return body;
}
