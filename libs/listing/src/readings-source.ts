import type { CallContext, Filter, ListQuery, ListSource, Message, Reading, VendorCursor } from '@devicegate/core';

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
