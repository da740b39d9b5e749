import { backgroundContext, toReading, type ListSource, type Reading } from '@devicegate/core';
import { READING_FIELDS } from './fields.js';
import { parseListArgs } from './list-args.js';
import { ListingEngine } from './list-engine.js';
import { readingsOfPushes, type RecordedPush } from './readings-source.js';

const ctx = backgroundContext();
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const DEVICE = 'c:dev';

const reading = (messageId: string | null, nativeName: string, name: string, value: number, at: number): Reading =>
  toReading({ connectionId: 'c', provider: 'izuma', deviceId: DEVICE, messageId, at: iso(at) }, nativeName, value, { name, unit: null });

/** Pushes one a minute, each a temperature and every third one a humidity too; seq 1 is the oldest. */
const PUSHES: RecordedPush[] = Array.from({ length: 30 }, (_, i) => {
  const at = T0 + i * 60_000;
  const readings = [reading(`c:m${i}`, '/3303/0/5700', 'temperature', 20 + i / 10, at)];
  if (i % 3 === 0) readings.push(reading(`c:m${i}`, '/3304/0/5700', 'humidity', 40 + i, at));
  return { seq: i + 1, receivedAt: at + 500, readings };
});

/** The event log's read: below a sequence, newest first, counting reads. */
function logOf(pushes: RecordedPush[]) {
  const log = { reads: 0, history: async (before: number, limit: number) => (log.reads++, [...pushes].reverse().filter((p) => p.seq < before).slice(0, limit)) };
  return log;
}

/** The vendor's latest values as one snapshot page, counting calls. */
function vendorOf(values: Reading[]): { calls: number; source: ListSource<Reading> } {
  const vendor: { calls: number; source: ListSource<Reading> } = {
    calls: 0,
    source: { plan: () => ({ order: 'DESC', exactTotal: false }), fetchPage: async () => (vendor.calls++, { items: values, next: null }) },
  };
  return vendor;
}

async function pageAll(source: ListSource<Reading>, query: Record<string, string>): Promise<Reading[]> {
  const engine = new ListingEngine();
  const seen: Reading[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const args = parseListArgs({ ...query, ...(after ? { after } : {}) }, { fields: READING_FIELDS, defaultOrder: 'DESC' });
    const page = await engine.list({ kind: 'readings:x', reach: '*', segments: [{ connectionId: 'c', provider: 'izuma', source }], args, fields: READING_FIELDS }, ctx);
    seen.push(...page.items);
    if (!page.hasMore) return seen;
    after = page.items[page.items.length - 1].id;
  }
  throw new Error('paging did not end');
}

describe('readingsOfPushes', () => {
  it('lists the recorded readings newest first, with the vendor latest values newer than any recorded one placed by time, the same at every page size', async () => {
    const vendor = vendorOf([
      // Newer than every recorded temperature: a value the vendor has that was not pushed.
      reading(null, '/3303/0/5700', 'temperature', 23.5, T0 + 29 * 60_000 + 30_000),
      // Older than the newest recorded humidity: already superseded, not listed.
      reading(null, '/3304/0/5700', 'humidity', 11, T0 + 20 * 60_000),
      // A resource that was never pushed: listed where its time puts it.
      reading(null, '/3316/0/5700', 'voltage', 3.3, T0 + 10 * 60_000 + 1),
    ]);
    const log = logOf(PUSHES);
    const source = readingsOfPushes(log.history, vendor.source);
    const whole = await pageAll(source, { limit: '1000' });
    expect(whole).toHaveLength(30 + 10 + 2);
    expect(whole[0]).toMatchObject({ native_name: '/3303/0/5700', value: 23.5, message_id: null });
    expect(whole[1]).toMatchObject({ id: 'c:m29:/3303/0/5700', value: 22.9 });
    expect(whole.some((r) => r.value === 11)).toBe(false);
    const voltage = whole.findIndex((r) => r.name === 'voltage');
    expect(whole[voltage - 1].at > whole[voltage].at && whole[voltage].at > whole[voltage + 1].at).toBe(true);
    expect(whole.map((r) => r.at)).toEqual(whole.map((r) => r.at).sort().reverse());
    const ids = whole.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const limit of ['2', '3', '7']) {
      vendor.calls = 0;
      expect((await pageAll(source, { limit })).map((r) => r.id)).toEqual(ids);
      // The vendor is read for the first page only; the cursor carries what it said.
      expect(vendor.calls).toBe(1);
    }
    expect((await pageAll(source, { limit: '5', order: 'ASC' })).map((r) => r.id)).toEqual([...ids].reverse());
  });

  it('filters by name and time, and stops reading the log where at__gte puts an end', async () => {
    const log = logOf(PUSHES);
    const source = readingsOfPushes(log.history, vendorOf([]).source);
    const since = iso(T0 + 25 * 60_000);
    const series = await pageAll(source, { name: 'temperature', at__gte: since, limit: '2' });
    expect(series.map((r) => r.value)).toEqual([22.9, 22.8, 22.7, 22.6, 22.5]);
    // Pushes received more than the clock skew (10 min) before at__gte are not read: pages of 5 pushes end at the one of minute 14.
    log.reads = 0;
    const query = { filters: parseListArgs({ at__gte: since }, { fields: READING_FIELDS, defaultOrder: 'DESC' }).filters, order: 'DESC' as const, pageSize: 5, includeTotal: false };
    let page = await source.fetchPage(query, null, ctx);
    while (page.next !== null) page = await source.fetchPage(query, page.next, ctx);
    expect(log.reads).toBe(4);
  });

  it('lists the vendor latest values alone when nothing was recorded', async () => {
    const latest = [reading(null, '/3303/0/5700', 'temperature', 21, T0), reading(null, '/3316/0/5700', 'voltage', 3.3, T0 + 1)];
    const whole = await pageAll(readingsOfPushes(logOf([]).history, vendorOf(latest).source), { limit: '10' });
    expect(whole.map((r) => r.name)).toEqual(['voltage', 'temperature']);
  });
});
