import { backgroundContext, type ListPlan, type ListQuery, type ListSource, type Order, type VendorCursor, type VendorPage } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { DEVICE_FIELDS } from './fields.js';
import { parseListArgs } from './list-args.js';
import { ListingEngine, type ListSegment } from './list-engine.js';

interface Item {
  id: string;
  name: string;
  labels: Record<string, string>;
  tags: string[];
  online: boolean | null;
}

function makeItems(connectionId: string, count: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${connectionId}:${String(i).padStart(4, '0')}`,
    name: `dev-${i % 7}`,
    labels: i % 3 === 0 ? { room: 'lab' } : { room: 'hall' },
    tags: i % 4 === 0 ? ['a'] : ['b'],
    online: i % 5 === 0 ? null : i % 2 === 0,
  }));
}

type Style = 'cursor' | 'page-number' | 'token' | 'whole' | 'asc-only';

/** An in-memory vendor list with a given paging style, counting its calls. */
class FakeSource implements ListSource<Item> {
  calls = 0;
  constructor(
    private readonly items: Item[],
    private readonly style: Style,
    private readonly maxPage = 100,
  ) {}

  plan(query: ListQuery): ListPlan {
    return { order: this.style === 'asc-only' ? 'ASC' : query.order, exactTotal: false };
  }

  async fetchPage(query: ListQuery, cursor: VendorCursor | null): Promise<VendorPage<Item>> {
    this.calls += 1;
    const ordered = this.style !== 'asc-only' && query.order === 'DESC' ? [...this.items].reverse() : this.items;
    const size = Math.min(query.pageSize, this.maxPage);
    if (this.style === 'whole') return { items: ordered, next: null };
    let start = 0;
    if (cursor !== null) {
      if (this.style === 'cursor' || this.style === 'asc-only') start = ordered.findIndex((i) => i.id === cursor) + 1;
      else if (this.style === 'page-number') start = (cursor as number) * size;
      else start = Number(String(cursor).slice(4));
    }
    const slice = ordered.slice(start, start + size);
    const end = start + slice.length;
    let next: VendorCursor | null;
    if (this.style === 'cursor' || this.style === 'asc-only') next = slice.length < size ? null : slice[slice.length - 1].id;
    else if (this.style === 'page-number') next = end >= ordered.length ? null : (cursor === null ? 0 : (cursor as number)) + 1;
    else next = end >= ordered.length ? null : `tok-${end}`;
    return { items: slice, next };
  }
}

const ctx = backgroundContext();

async function pageAll(engine: ListingEngine, segments: ListSegment<Item>[], query: Record<string, string>): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const args = parseListArgs({ ...query, ...(after ? { after } : {}) }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const page = await engine.list({ kind: 'devices', reach: '*', segments, args, fields: DEVICE_FIELDS }, ctx);
    if (page.hasMore) expect(page.items).toHaveLength(args.limit);
    seen.push(...page.items.map((i) => i.id));
    if (!page.hasMore) return seen;
    after = page.items[page.items.length - 1].id;
  }
  throw new Error('paging did not end');
}

function segmentsOf(spec: Array<[string, number, Style]>): { segments: ListSegment<Item>[]; sources: FakeSource[] } {
  const sources = spec.map(([id, count, style]) => new FakeSource(makeItems(id, count), style, 10));
  const segments = spec.map(([id], i) => ({ connectionId: id, provider: 'fake', source: sources[i] }));
  return { segments, sources };
}

describe('ListingEngine paging exactness', () => {
  const filtersets: Array<Record<string, string>> = [{}, { 'labels.room': 'lab' }, { tags__nin: 'a', online: 'true' }, { name__in: 'dev-1,dev-3' }];
  const orders: Order[] = ['ASC', 'DESC'];

  for (const filters of filtersets) {
    for (const order of orders) {
      it(`visits every item once in one-page order, limits 2-7, ${order}, filters ${JSON.stringify(filters)}`, async () => {
        const { segments } = segmentsOf([
          ['conn-b', 23, 'cursor'],
          ['conn-a', 17, 'page-number'],
          ['conn-d', 9, 'token'],
          ['conn-c', 12, 'whole'],
          ['conn-e', 14, 'asc-only'],
        ]);
        const reference = await pageAll(new ListingEngine(), segments, { ...filters, order, limit: '1000' });
        expect(reference.length).toBeGreaterThan(3);
        expect(new Set(reference).size).toBe(reference.length);
        const firstConnections = reference.map((id) => id.split(':')[0]);
        const sorted = [...firstConnections].sort();
        expect(firstConnections).toEqual(order === 'ASC' ? sorted : sorted.reverse());
        for (let limit = 2; limit <= 7; limit++) {
          expect(await pageAll(new ListingEngine(), segments, { ...filters, order, limit: String(limit) })).toEqual(reference);
        }
      });
    }
  }

  it('costs no more vendor calls than paging the vendor directly', async () => {
    const source = new FakeSource(makeItems('hw', 1000), 'cursor', 1000);
    const segments = [{ connectionId: 'hw', provider: 'fake', source }];
    const ids = await pageAll(new ListingEngine(), segments, { limit: '50' });
    expect(ids).toHaveLength(1000);
    // A client paging the vendor at 50 a page reads 20 full pages and one empty page to learn the end.
    expect(source.calls).toBeLessThanOrEqual(21);
  });

  it('resumes an after it does not remember by scanning', async () => {
    const { segments } = segmentsOf([['conn-a', 30, 'cursor'], ['conn-b', 5, 'token']]);
    const first = new ListingEngine();
    const args = parseListArgs({ limit: '12' }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const page1 = await first.list({ kind: 'devices', reach: '*', segments, args, fields: DEVICE_FIELDS }, ctx);
    const after = page1.items[11].id;
    const other = new ListingEngine();
    const args2 = parseListArgs({ limit: '12', after }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const page2 = await other.list({ kind: 'devices', reach: '*', segments, args: args2, fields: DEVICE_FIELDS }, ctx);
    expect(page2.items[0].id).toBe('conn-a:0012');
  });

  it('bounds the scan for an after it does not remember: the vendor largest pages, and a cap on vendor calls', async () => {
    const source = new FakeSource(makeItems('big', 50_000), 'cursor', 1000);
    const segments = [{ connectionId: 'big', provider: 'fake', source }];
    const bogus = parseListArgs({ limit: '2', after: 'big:nope' }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    await expect(new ListingEngine({ maxScanCalls: 5 }).list({ kind: 'devices', reach: '*', segments, args: bogus, fields: DEVICE_FIELDS }, ctx)).rejects.toMatchObject({
      type: 'validation_error',
      fields: [{ name: 'after' }],
    });
    expect(source.calls).toBe(5);

    source.calls = 0;
    const deep = parseListArgs({ limit: '2', after: 'big:3500' }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const page = await new ListingEngine({ maxScanCalls: 5 }).list({ kind: 'devices', reach: '*', segments, args: deep, fields: DEVICE_FIELDS }, ctx);
    expect(page.items.map((i) => i.id)).toEqual(['big:3501', 'big:3502']);
    expect(source.calls).toBe(4);
  });

  it('rejects an after that is not in the result set', async () => {
    const { segments } = segmentsOf([['conn-a', 10, 'cursor']]);
    const args = parseListArgs({ after: 'conn-a:9999' }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    await expect(new ListingEngine().list({ kind: 'devices', reach: '*', segments, args, fields: DEVICE_FIELDS }, ctx)).rejects.toMatchObject({
      type: 'validation_error',
      fields: [{ name: 'after' }],
    });
  });

  it('counts exactly, and with partial=true names a failing connection instead of failing', async () => {
    const broken: ListSource<Item> = {
      plan: () => ({ order: 'ASC', exactTotal: false }),
      fetchPage: async () => {
        throw new GatewayError('upstream_timeout', 'slow');
      },
    };
    const { segments } = segmentsOf([['conn-a', 25, 'token']]);
    const all = [...segments, { connectionId: 'conn-z', provider: 'fake', source: broken }];
    const args = parseListArgs({ include: 'total_count', partial: 'true', 'labels.room': 'lab' }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const page = await new ListingEngine().list({ kind: 'devices', reach: '*', segments: all, args, fields: DEVICE_FIELDS }, ctx);
    expect(page.totalCount).toBe(9);
    expect(page.unreachable).toEqual([{ connection_id: 'conn-z', type: 'upstream_timeout', message: 'slow' }]);
    const strict = parseListArgs({}, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    await expect(new ListingEngine().list({ kind: 'devices', reach: '*', segments: all, args: strict, fields: DEVICE_FIELDS }, ctx)).rejects.toMatchObject({
      type: 'upstream_timeout',
      connectionId: 'conn-z',
    });
  });

  it('starts all connections concurrently', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = (id: string): ListSegment<Item> => ({
      connectionId: id,
      provider: 'fake',
      source: {
        plan: () => ({ order: 'ASC', exactTotal: false }),
        fetchPage: async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 20));
          inFlight -= 1;
          return { items: makeItems(id, 3), next: null };
        },
      },
    });
    const args = parseListArgs({}, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const page = await new ListingEngine().list({ kind: 'devices', reach: '*', segments: ['c-1', 'c-2', 'c-3', 'c-4'].map(slow), args, fields: DEVICE_FIELDS }, ctx);
    expect(page.items).toHaveLength(12);
    expect(peak).toBe(4);
  });
});

describe('ListingEngine and what the providers are asked', () => {
  /** A one-page vendor list that records the queries it was given. */
  const recording = (connectionId: string, provider: string, exact: boolean) => {
    const queries: ListQuery[] = [];
    const items = makeItems(connectionId, 5).map((item) => ({ ...item, connection_id: connectionId, provider }));
    const segment: ListSegment<Item> = {
      connectionId,
      provider,
      source: {
        plan: (query) => ({ order: query.order, exactTotal: exact }),
        fetchPage: async (query) => {
          queries.push(query);
          return { items, next: null };
        },
      },
    };
    return { segment, queries };
  };
  const list = (segments: ListSegment<Item>[], query: Record<string, string>) =>
    new ListingEngine().list({ kind: 'devices', reach: '*', segments, args: parseListArgs(query, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' }), fields: DEVICE_FIELDS }, ctx);

  it('decides connection_id and provider filters itself: an excluded connection is not read, the others never see them', async () => {
    const a = recording('conn-a', 'hardwario', true);
    const b = recording('conn-b', 'izuma', true);
    const c = recording('conn-c', 'izuma', true);
    const page = await list([a.segment, b.segment, c.segment], { provider: 'izuma', connection_id__neq: 'conn-c', name: 'dev-1', include: 'total_count' });
    expect(page.items.map((item) => item.id)).toEqual(['conn-b:0001']);
    expect(page.totalCount).toBe(1);
    expect(a.queries).toEqual([]);
    expect(c.queries).toEqual([]);
    expect(b.queries.length).toBeGreaterThan(0);
    for (const query of b.queries) expect(query.filters.map((filter) => filter.field)).toEqual(['name']);
  });

  it('asks for the page it serves when the vendor evaluates every filter, and for the vendor largest page when the gateway must filter', async () => {
    const exact = recording('conn-a', 'hardwario', true);
    await list([exact.segment], { name: 'dev-1', limit: '10' });
    expect(exact.queries.map((query) => query.pageSize)).toEqual([11]);

    const inexact = recording('conn-a', 'hardwario', false);
    await list([inexact.segment], { name: 'dev-1', limit: '10' });
    expect(inexact.queries.map((query) => query.pageSize)).toEqual([1000]);

    // Only a decided filter: nothing is left for the gateway to drop.
    const decided = recording('conn-a', 'hardwario', false);
    await list([decided.segment], { provider: 'hardwario', limit: '10' });
    expect(decided.queries.map((query) => query.pageSize)).toEqual([11]);
  });
});
