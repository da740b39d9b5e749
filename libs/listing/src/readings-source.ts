import type { CallContext, Filter, ListQuery, ListSource, Message, Reading, VendorCursor, VendorPage } from '@devicegate/core';

/**
 * How far a reading's `at` may lie after its message's `created_at` (a device clock running ahead of the
 * cloud) and still be found by `at__gte`, which is pushed down to the message list as `created_at__gte`.
 */
export const READING_CLOCK_SKEW_MS = 10 * 60_000;

/** The message query a reading query needs: only `at__gte` narrows it (a reading is measured no later than its message arrives, within the skew). */
function messageQuery(query: ListQuery): ListQuery {
  const filters: Filter[] = query.filters
    .filter((f) => f.field === 'at' && f.op === 'gte')
    .map((f) => ({ field: 'created_at', op: 'gte', value: (f.value as number) - READING_CLOCK_SKEW_MS, param: 'created_at__gte' }));
  return { ...query, filters, includeTotal: false };
}

/**
 * A device's readings as a list, derived page by page from its message list: no vendor read of its own,
 * the same vendor pages (and paging style) as the messages, ordered as they are and, within a message,
 * in the order the provider's mapper gives. Filters on readings are evaluated by the listing engine.
 */
export function readingsOfMessages(messages: ListSource<Message>): ListSource<Reading> {
  return {
    plan: (query) => ({ ...messages.plan(messageQuery(query)), exactTotal: false }),
    async fetchPage(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext) {
      const page = await messages.fetchPage(messageQuery(query), cursor, ctx);
      return { items: page.items.flatMap((message) => message.readings ?? []), next: page.next };
    },
  };
}

/** One push devicegate recorded for a device: its place in the event log, when it arrived (epoch ms), its readings. */
export interface RecordedPush {
  seq: number;
  receivedAt: number;
  readings: readonly Reading[];
}

/** A device's recorded pushes placed below `before`, newest first, at most `limit`. */
export type PushHistory = (before: number, limit: number) => Promise<RecordedPush[]>;

const newestFirst = (a: Reading, b: Reading): number => (a.at > b.at ? -1 : a.at < b.at ? 1 : 0);

/** Where a read of recorded pushes may stop: pushes received before this cannot carry a reading at or after `at__gte`. */
function earliestReceipt(query: ListQuery): number {
  const since = query.filters.filter((f) => f.field === 'at' && f.op === 'gte').map((f) => f.value as number);
  return since.length === 0 ? -Infinity : Math.max(...since) - READING_CLOCK_SKEW_MS;
}

/**
 * A device's readings where its vendor keeps no history but pushes values: those of the pushes devicegate
 * recorded (as long as its event log keeps them), newest first, merged by time with the vendor's latest values
 * (`latest`, read once, on the first page) where one is newer than every recorded reading of its native name:
 * a value the vendor has that was never pushed. The cursor carries the place in the log and the latest values
 * not yet placed, so later pages cost no vendor call.
 */
export function readingsOfPushes(history: PushHistory, latest: ListSource<Reading>): ListSource<Reading> {
  return {
    plan: () => ({ order: 'DESC', exactTotal: false }),
    async fetchPage(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext) {
      let before = Number.MAX_SAFE_INTEGER;
      let pending: Reading[] = [];
      if (cursor !== null && typeof cursor === 'object') {
        before = Number(cursor.before);
        pending = JSON.parse(String(cursor.latest)) as Reading[];
      } else {
        let next: VendorCursor | null = null;
        do {
          const page: VendorPage<Reading> = await latest.fetchPage(query, next, ctx);
          pending.push(...page.items);
          next = page.next;
        } while (next !== null);
        pending.sort(newestFirst);
      }
      const pushes = await history(before, query.pageSize);
      const since = earliestReceipt(query);
      const kept = pushes.filter((push) => push.receivedAt >= since);
      const items: Reading[] = [];
      // Every recorded reading placed so far is at least as new as the latest values still pending.
      const recorded = new Set<string>();
      for (const reading of kept.flatMap((push) => push.readings)) {
        while (pending.length > 0 && pending[0].at > reading.at) {
          const value = pending.shift()!;
          if (!recorded.has(value.native_name)) items.push(value);
        }
        items.push(reading);
        recorded.add(reading.native_name);
      }
      pending = pending.filter((value) => !recorded.has(value.native_name));
      if (kept.length < pushes.length || pushes.length < query.pageSize) return { items: [...items, ...pending], next: null };
      return { items, next: { before: kept[kept.length - 1].seq, latest: JSON.stringify(pending) } };
    },
  };
}
