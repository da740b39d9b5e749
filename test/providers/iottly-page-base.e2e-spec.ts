import { backgroundContext, type ConnectionConfig, type ListQuery, type ListSource, type Message, type VendorCursor } from '@devicegate/core';
import { DEMO_DEVICE_COUNT, startIottlyEmulator, type IottlyEmulator, type PageNumbering } from '@devicegate/emulators/iottly';
import { HttpClient } from '@devicegate/http-client';
import { iottlyProvider, type IottlySettings } from '@devicegate/providers/iottly';

/**
 * iottly does not document whether `p` counts from 0 or 1. The emulator numbers pages either way (and, when
 * from 1, answers `p=0` with 400, 404 or the first page); the provider must list every message exactly once
 * whichever it meets, learning the numbering once per connection.
 */

const NOW = Date.parse('2024-04-17T12:00:00.000Z');
const clients: HttpClient[] = [];

function connect(emu: IottlyEmulator): ReturnType<typeof iottlyProvider.create> {
  const http = new HttpClient({ baseUrl: emu.baseUrl, timeoutMs: 5000, retries: 0, connectionId: 'iottly-pages', provider: 'iottly', backoffMs: 1 });
  clients.push(http);
  const config: ConnectionConfig<IottlySettings> = {
    id: 'iottly-pages',
    provider: 'iottly',
    display_name: 'iottly pages',
    base_url: emu.baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: iottlyProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { project_id: emu.projectId },
    credentials: { api_key: emu.credentials.apiKey },
  };
  return iottlyProvider.create(config, { http });
}

const ctx = () => backgroundContext('pages');
const q = (pageSize: number): ListQuery => ({ filters: [], order: 'DESC', pageSize, includeTotal: false });

async function drain(source: ListSource<Message>, query: ListQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: VendorCursor | null = null;
  for (let pages = 0; pages < 5000; pages++) {
    const page = await source.fetchPage(query, cursor, ctx());
    ids.push(...page.items.map((m) => m.id));
    cursor = page.next;
    if (cursor === null) return ids;
  }
  throw new Error('no end');
}

/** The requests that learn the numbering: one oldest message at a time, of any type. */
const probes = (emu: IottlyEmulator) =>
  emu.requests().filter((r) => {
    const query = new URLSearchParams(r.query);
    return r.path.endsWith('/messages/paginated') && query.get('l') === '1' && query.get('sort') === 'asc' && query.get('type') === 'all';
  });

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

describe.each<[string, PageNumbering]>([
  ['from 1, p=0 refused', { base: 1 }],
  ['from 1, p=0 empty', { base: 1, zero: 'empty' }],
  ['from 1, p=0 read as 1', { base: 1, zero: 'first' }],
  ['from 0', { base: 0 }],
])('pages numbered %s', (_name, paging) => {
  let emu: IottlyEmulator;

  beforeAll(async () => {
    emu = await startIottlyEmulator({ now: NOW, paging, deviceCount: DEMO_DEVICE_COUNT + 1 });
  });

  afterAll(async () => {
    await emu.close();
  });

  it('lists every message once, learning the numbering once per connection', async () => {
    const ids = emu.deviceIds();
    const silent = ids[ids.length - 1];
    const busy = [...ids].sort((a, b) => emu.messageCount(b) - emu.messageCount(a))[0];
    expect(emu.messageCount(silent)).toBe(0);
    const conn = connect(emu);

    // A device without messages can only tell when p=0 is refused; otherwise the next read asks again.
    expect(await drain(conn.messages(silent), q(10))).toEqual([]);
    const listed = await drain(conn.messages(busy), q(37));
    expect(listed).toHaveLength(emu.messageCount(busy));
    expect(new Set(listed).size).toBe(listed.length);
    const learning = probes(emu).length;
    expect(learning).toBeGreaterThanOrEqual(1);
    expect(learning).toBeLessThanOrEqual(4);

    emu.resetStats();
    expect(await drain(conn.messages(busy), q(100))).toHaveLength(emu.messageCount(busy));
    expect(probes(emu)).toHaveLength(0);
  });

  it('reads past the first vendor page of one millisecond with the learned numbering', async () => {
    const device = emu.deviceIds()[1];
    const stamp = emu.now() - 60_000;
    for (let i = 0; i < 130; i++) emu.addMessage(device, { type: 'userdefined', payload: { burst: i }, timestamp: stamp });
    const conn = connect(emu);
    const listed = await drain(conn.messages(device), q(100));
    expect(listed).toHaveLength(emu.messageCount(device));
    expect(new Set(listed).size).toBe(listed.length);
  });
});
