import { backgroundContext, type ConnectionConfig, type ListQuery, type ListSource, type Message, type VendorCursor } from '@devicegate/core';
import { startDisruptiveEmulator, type DisruptiveEmulator } from '@devicegate/emulators/disruptive';
import { HttpClient } from '@devicegate/http-client';
import { disruptiveProvider } from '@devicegate/providers/disruptive';

/**
 * DT keeps 30 days of history but does not say what `/events` does with an older `start_time`. The emulator
 * either lists what it keeps or refuses such a start with 400; unfiltered reads must list the same either way.
 */

const clients: HttpClient[] = [];
const ctx = () => backgroundContext('history');

function connect(dt: DisruptiveEmulator): ReturnType<typeof disruptiveProvider.create> {
  const http = new HttpClient({ baseUrl: dt.baseUrl, timeoutMs: 10_000, retries: 0, connectionId: 'dt-history', provider: 'disruptive', backoffMs: 10 });
  clients.push(http);
  const config: ConnectionConfig = {
    id: 'dt-history',
    provider: 'disruptive',
    display_name: 'DT history',
    base_url: dt.baseUrl,
    timeout_ms: 10_000,
    retries: 0,
    rate_limit: { requests: 10_000, windowMs: 1000 },
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { token_url: dt.tokenUrl },
    credentials: { key_id: dt.credentials.keyId, secret: dt.credentials.secret, email: dt.credentials.email },
  };
  return disruptiveProvider.create(config, { http });
}

async function readAll(source: ListSource<Message>, q: ListQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: VendorCursor | null = null;
  for (let pages = 0; pages < 5000; pages++) {
    const page = await source.fetchPage(q, cursor, ctx());
    ids.push(...page.items.map((m) => m.id));
    cursor = page.next === null ? null : (JSON.parse(JSON.stringify(page.next)) as VendorCursor);
    if (cursor === null) return ids;
  }
  throw new Error('list does not end');
}

const q = (pageSize: number, filters: ListQuery['filters'] = []): ListQuery => ({ filters, order: 'ASC', pageSize, includeTotal: false });
const startTimes = (dt: DisruptiveEmulator) => dt.requests().filter((r) => r.path.endsWith('/events')).map((r) => new URLSearchParams(r.query).get('start_time'));

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

describe.each(['listed', 'rejected'] as const)('a start_time before the kept history %s', (olderHistoryStart) => {
  let dt: DisruptiveEmulator;

  beforeAll(async () => {
    dt = await startDisruptiveEmulator({ rateLimit: false, olderHistoryStart });
  });

  afterAll(async () => {
    await dt.close();
  });

  it('lists the whole kept history of a device, page after page', async () => {
    const device = dt.deviceIds()[0];
    const kept = dt.events(device).map((e) => `dt-history:${e.eventId}`);
    expect(kept.length).toBeGreaterThan(50);
    const conn = connect(dt);
    expect(await readAll(conn.messages(device), q(20))).toEqual(kept);
    // Once refused, the connection asks from within the kept history straight away.
    dt.resetStats();
    expect(await readAll(conn.messages(device), q(1000))).toEqual(kept);
    const asked = startTimes(dt);
    expect(asked.every((start) => start === asked[0])).toBe(true);
    if (olderHistoryStart === 'rejected') expect(Date.parse(asked[0]!)).toBeGreaterThan(Date.now() - 30 * 86_400_000);
    else expect(asked[0]).toBe('2015-01-01T00:00:00.000Z');
  });

  it("takes a caller's lower bound before the kept history the same way", async () => {
    const device = dt.deviceIds()[1];
    const kept = dt.events(device).map((e) => `dt-history:${e.eventId}`);
    const longAgo = { field: 'created_at', op: 'gte' as const, value: '2020-01-01T00:00:00Z', param: 'created_at__gte' };
    expect(await readAll(connect(dt).messages(device), q(50, [longAgo]))).toEqual(kept);
  });
});
