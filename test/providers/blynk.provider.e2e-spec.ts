import { jest } from '@jest/globals';
import { backgroundContext, type CallContext, type ConnectionConfig, type Filter, type ListQuery, type ListSource, type ProviderConnection, type VendorCursor } from '@devicegate/core';
import { startBlynkEmulator, type BlynkEmulator } from '@devicegate/emulators/blynk';
import { GatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { compileFilters, DEVICE_FIELDS, ListingEngine, MESSAGE_FIELDS, parseListArgs, type FieldSpecs } from '@devicegate/listing';
import { blynkProvider, type BlynkConnection, type BlynkSettings } from '@devicegate/providers/blynk';

/**
 * The Blynk provider against the Blynk emulator over loopback HTTP: every ListSource paged to the end, push-down,
 * every unified operation, the OAuth2 token life cycle and error mapping. The Devices operations without a unified
 * form are called raw with the provider's auth headers, as passthrough does.
 */

const CONN = 'blynk-test';
const ORG = 101;
const SUB_ORG = 102;

let emu: BlynkEmulator;
const clients: HttpClient[] = [];
/** `METHOD path` of every vendor request the suite made (coverage of the 21 Devices operations). */
const seen = new Set<string>();

interface Options {
  includeSubOrgs?: boolean;
  clientId?: string;
  clientSecret?: string;
  retries?: number;
  timeoutMs?: number;
  id?: string;
  emulator?: BlynkEmulator;
}

function connect(options: Options = {}): BlynkConnection {
  const target = options.emulator ?? emu;
  const id = options.id ?? CONN;
  const config: ConnectionConfig<BlynkSettings> = {
    id,
    provider: 'blynk',
    display_name: 'Blynk test',
    base_url: target.baseUrl,
    timeout_ms: options.timeoutMs ?? 5000,
    retries: options.retries ?? 0,
    rate_limit: blynkProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { org_id: String(ORG), ...(options.includeSubOrgs ? { include_sub_orgs: true } : {}) },
    credentials: {
      client_id: options.clientId ?? target.credentials.clientId,
      client_secret: options.clientSecret ?? target.credentials.clientSecret,
    },
  };
  const http = new HttpClient({ baseUrl: config.base_url, timeoutMs: config.timeout_ms, retries: config.retries, connectionId: id, provider: 'blynk', backoffMs: 5 });
  clients.push(http);
  return blynkProvider.create(config, { http }) as BlynkConnection;
}

const ctx = (): CallContext => backgroundContext('e2e');

const filter = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });

const query = (pageSize: number, filters: Filter[] = [], order: 'ASC' | 'DESC' = 'ASC'): ListQuery => ({ filters, order, pageSize, includeTotal: false });

/** Every page of a source from the start; the cursor goes through JSON as the resume cache stores it. */
async function readAll<T>(source: ListSource<T>, q: ListQuery, start: VendorCursor | null = null): Promise<{ items: T[]; pages: number; total?: number }> {
  const items: T[] = [];
  let cursor: VendorCursor | null = start;
  let pages = 0;
  let total: number | undefined;
  do {
    const page = await source.fetchPage(q, cursor, ctx());
    if (pages === 0) total = page.total;
    items.push(...page.items);
    cursor = page.next === null ? null : (JSON.parse(JSON.stringify(page.next)) as VendorCursor);
    pages += 1;
  } while (cursor !== null && pages < 10_000);
  return { items, pages, total };
}

/** What a caller gets through the gateway's listing library, paging with `after` to the end. */
async function listThroughEngine<T extends { id: string }>(source: ListSource<T>, fields: FieldSpecs, params: Record<string, string>, limit: number, defaultOrder: 'ASC' | 'DESC' = 'ASC'): Promise<T[]> {
  const engine = new ListingEngine();
  const out: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const args = parseListArgs({ ...params, limit: String(limit), ...(after ? { after } : {}) }, { fields, defaultOrder });
    const page = await engine.list({ kind: 'test', reach: '*', segments: [{ connectionId: CONN, provider: 'blynk', source }], args, fields }, ctx());
    out.push(...page.items);
    if (!page.hasMore) return out;
    after = page.items[page.items.length - 1].id;
  }
  throw new Error('did not end');
}

async function expectGatewayError(promise: Promise<unknown>, type: string): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe(type);
    return error as GatewayError;
  }
  throw new Error(`expected ${type}`);
}

const nativeIds = (items: Array<{ id: string }>): string[] => items.map((item) => item.id.slice(CONN.length + 1));

const paths = (emulator: BlynkEmulator, from: number): string[] =>
  emulator
    .requests()
    .slice(from)
    .map((r) => `${r.method} ${r.path}`);

beforeAll(async () => {
  emu = await startBlynkEmulator({ rateLimitPerMinute: false });
});

afterEach(() => {
  for (const r of emu.requests()) seen.add(`${r.method} ${r.path}`);
  emu.resetStats();
  emu.clearFaults();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.close();
});

describe('definition', () => {
  it('declares defaults and capabilities of API.md', () => {
    expect(blynkProvider.id).toBe('blynk');
    expect(blynkProvider.defaultBaseUrl).toBe('https://blynk.cloud');
    expect(blynkProvider.defaultRateLimit).toEqual({ requests: 10_000, windowMs: 60_000 });
    const supported = ['projects.list', 'projects.get', 'devices.list', 'devices.get', 'devices.create', 'devices.update', 'devices.delete', 'devices.status', 'devices.transfer', 'messages.list', 'commands.send', 'commands.get', 'passthrough'];
    expect(blynkProvider.capabilities).toMatchObject(Object.fromEntries(supported.map((capability) => [capability, true])));
    expect(blynkProvider.connectionSchema).toMatchObject({ required: ['org_id', 'credentials'] });
  });
});

describe('OAuth2 client credentials', () => {
  it('serves 50 concurrent first calls with exactly one token request', async () => {
    const conn = connect();
    const before = emu.tokenRequestCount();
    const results = await Promise.all(Array.from({ length: 50 }, () => conn.devices.fetchPage(query(2), null, ctx())));
    expect(results.every((page) => page.items.length === 2)).toBe(true);
    expect(emu.tokenRequestCount() - before).toBe(1);
    const token = emu.requests().find((r) => r.path === '/oauth2/token')!;
    expect(token.method).toBe('POST');
    expect(token.query).toContain('grant_type=client_credentials');
    expect(token.headers.authorization).toBe(`Basic ${Buffer.from(`${emu.credentials.clientId}:${emu.credentials.clientSecret}`).toString('base64')}`);
  });

  it('caches the token, and after a 401 drops it and retries once', async () => {
    const conn = connect();
    const before = emu.tokenRequestCount();
    await conn.getDevice('1001', ctx());
    await conn.getDeviceStatus('1001', ctx());
    expect(emu.tokenRequestCount() - before).toBe(1);
    emu.expireTokens();
    const from = emu.requests().length;
    const device = await conn.getDevice('1002', ctx());
    expect(device.id).toBe(`${CONN}:1002`);
    expect(emu.tokenRequestCount() - before).toBe(2);
    expect(emu.requests().slice(from).filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(1);
  });

  it('refreshes a token shortly before it expires, without a 401', async () => {
    // Only the clock is faked (sockets and timers run as ever), and the emulator reads the same clock: "950 ms
    // into a 1 s token" is exact however slow the machine is.
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
    });
    const short = await startBlynkEmulator({ tokenTtlSeconds: 1, rateLimitPerMinute: false });
    try {
      const conn = connect({ emulator: short });
      await conn.getDeviceStatus('1001', ctx());
      jest.setSystemTime(Date.now() + 850);
      await conn.getDeviceStatus('1001', ctx());
      expect(short.tokenRequestCount()).toBe(1);
      jest.setSystemTime(Date.now() + 100);
      await conn.getDeviceStatus('1001', ctx());
      expect(short.tokenRequestCount()).toBe(2);
      expect(short.requests().some((r) => r.status === 401)).toBe(false);
    } finally {
      await short.close();
      jest.useRealTimers();
    }
  });

  it('reports refused client credentials as upstream_auth_failed without the secret', async () => {
    const conn = connect({ clientSecret: 'wrong-secret-value-123' });
    const error = await expectGatewayError(conn.getDevice('1001', ctx()), 'upstream_auth_failed');
    expect(error.message).not.toContain('wrong-secret-value-123');
    expect(error.upstreamStatus).toBe(400);
    expect(error.connectionId).toBe(CONN);
    expect(error.retryable).toBe(false);
  });

  it('reports a client without the Platform API scope (403) as upstream_auth_failed', async () => {
    const conn = connect({ clientId: emu.credentials.noScopeClientId, clientSecret: emu.credentials.noScopeClientSecret });
    const error = await expectGatewayError(conn.devices.fetchPage(query(5), null, ctx()), 'upstream_auth_failed');
    expect(error.upstreamStatus).toBe(403);
  });

  it('gives passthrough a bearer header that the vendor accepts', async () => {
    const headers = await connect().authHeaders(ctx());
    expect(headers.authorization).toMatch(/^Bearer \S+$/);
    const res = await fetch(`${emu.baseUrl}/api/v1/organization/device/online?deviceId=1001`, { headers });
    expect(res.status).toBe(200);
  });
});

describe('projects', () => {
  it('is the configured organization', async () => {
    const conn = connect();
    const { items, total } = await readAll(conn.projects, query(50));
    expect(items).toEqual([
      { object: 'project', id: `${CONN}:101`, connection_id: CONN, provider: 'blynk', name: null, kind: 'organization', device_count: 10, created_at: null, native: { orgId: 101, deviceCount: 10 } },
    ]);
    expect(total).toBe(1);
    expect(conn.projects.plan(query(50))).toEqual({ order: 'ASC', exactTotal: true });
    expect((await conn.getProject('101', ctx())).device_count).toBe(10);
    await expectGatewayError(conn.getProject('102', ctx()), 'not_found');
    await expectGatewayError(conn.getProject('abc', ctx()), 'not_found');
  });

  it('adds sub-organizations with include_sub_orgs', async () => {
    const conn = connect({ includeSubOrgs: true });
    const asc = await readAll(conn.projects, query(50));
    expect(asc.items.map((p) => [p.id, p.device_count])).toEqual([
      [`${CONN}:101`, 10],
      [`${CONN}:102`, 5],
    ]);
    const desc = await readAll(conn.projects, query(50, [], 'DESC'));
    expect(nativeIds(desc.items)).toEqual(['102', '101']);
    expect((await conn.getProject('102', ctx())).device_count).toBe(5);
    await expectGatewayError(conn.getProject('900', ctx()), 'not_found');
  });

  it('reads only the configured organization when the id filter names it', async () => {
    const conn = connect({ includeSubOrgs: true });
    await conn.authHeaders(ctx());
    const before = emu.requestCount();
    const { items } = await readAll(conn.projects, query(50, [filter('id', 'eq', `${CONN}:101`)]));
    expect(nativeIds(items)).toEqual(['101']);
    expect(emu.requestCount() - before).toBe(1);
    const none = await readAll(conn.projects, query(50, [filter('id', 'eq', 'other:101')]));
    expect(none.items).toEqual([]);
    expect(emu.requestCount() - before).toBe(1);
  });
});

describe('device lists', () => {
  const expectedIds = (includeSub: boolean): string[] =>
    emu
      .deviceIds()
      .filter((id) => includeSub || emu.device(id)!.orgId === ORG)
      .map(String);

  it.each([false, true])('pages every device exactly once in ascending id order (include_sub_orgs=%s)', async (includeSub) => {
    const conn = connect({ includeSubOrgs: includeSub });
    const expected = expectedIds(includeSub);
    const big = await readAll(conn.devices, query(1000));
    expect(nativeIds(big.items)).toEqual(expected);
    expect(big.pages).toBe(1);
    expect(big.total).toBe(expected.length);
    for (const size of [1, 2, 3, 4, 7, expected.length, expected.length + 1]) {
      const { items, pages } = await readAll(conn.devices, query(size));
      expect(nativeIds(items)).toEqual(expected);
      expect(items).toEqual(big.items);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / size)));
    }
    for (const device of big.items) {
      expect(device.tags).toBeNull();
      expect(device.online).toBeNull();
      expect(device.project_id).toBe(`${CONN}:${(device.native as { orgId: number }).orgId}`);
    }
  });

  it('resumes a stored cursor with the page size it started with', async () => {
    const conn = connect({ includeSubOrgs: true });
    const expected = expectedIds(true);
    const first = await conn.devices.fetchPage(query(4), null, ctx());
    const second = await conn.devices.fetchPage(query(4), JSON.parse(JSON.stringify(first.next)) as VendorCursor, ctx());
    // Later, another instance continues the walk with its own page size.
    const rest = await readAll(conn.devices, query(11), JSON.parse(JSON.stringify(second.next)) as VendorCursor);
    expect(nativeIds([...first.items, ...second.items, ...rest.items])).toEqual(expected);
  });

  it('pages thousands of devices at the vendor maximum of 1000', async () => {
    const large = await startBlynkEmulator({ deviceCount: 2345, rateLimitPerMinute: false });
    try {
      const conn = connect({ emulator: large });
      const expected = large.deviceIds().filter((id) => large.device(id)!.orgId === ORG).map(String);
      const before = large.requestCount();
      const huge = await readAll(conn.devices, query(5000));
      expect(nativeIds(huge.items)).toEqual(expected);
      expect(huge.pages).toBe(Math.ceil(expected.length / 1000));
      expect(large.requestCount() - before).toBe(huge.pages + 1);
      expect(large.requests().every((r) => !r.query.includes('size=5000'))).toBe(true);
      const odd = await readAll(conn.devices, query(333));
      expect(odd.items).toEqual(huge.items);
      expect(new Set(nativeIds(odd.items)).size).toBe(expected.length);
    } finally {
      await large.close();
    }
  });

  it('serves ASC and DESC pages through the listing library', async () => {
    const conn = connect({ includeSubOrgs: true });
    const expected = expectedIds(true).map((id) => `${CONN}:${id}`);
    for (const limit of [2, 3, 5, 50]) {
      expect((await listThroughEngine(conn.devices, DEVICE_FIELDS, {}, limit)).map((d) => d.id)).toEqual(expected);
    }
    expect((await listThroughEngine(conn.devices, DEVICE_FIELDS, { order: 'DESC' }, 4)).map((d) => d.id)).toEqual([...expected].reverse());
  });
});

describe('device filters pushed down', () => {
  /** The answer without push-down: every device, filtered the way the gateway filters. */
  async function reference(conn: ProviderConnection, params: Record<string, string>): Promise<string[]> {
    const all = (await readAll(conn.devices, query(1000))).items;
    const args = parseListArgs(params, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
    const matches = compileFilters(DEVICE_FIELDS, args.filters);
    const kept = all.filter(matches).map((d) => d.id);
    return args.order === 'DESC' ? kept.reverse() : kept;
  }

  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['name__eq through the search', { name: 'Cold Room A' }, true],
    ['name with an apostrophe', { name: "Maria's Office Sensor" }, true],
    ['name in another case (search is a superset)', { name: 'cold room a' }, true],
    ['name of a sub-organization device', { name: 'Dock Door Cold Store' }, true],
    ['id__eq', { id: `${CONN}:1003` }, true],
    ['id__in with a sub-organization and a missing device', { id__in: `${CONN}:1001,${CONN}:1012,${CONN}:9999,other:1002` }, true],
    ['project_id of the sub-organization', { project_id: `${CONN}:${SUB_ORG}` }, true],
    ['project_id__in both', { project_id__in: `${CONN}:${ORG},${CONN}:${SUB_ORG}` }, true],
    ['type and name', { type: '3504', name: 'Cold Room A' }, true],
    ['id of another connection', { id: 'other:1001' }, true],
    ['connection_id of another connection', { connection_id: 'other' }, true],
    ['provider neq', { provider__neq: 'izuma' }, true],
    ['name__eq without sub-organizations', { name: 'Dock Door Cold Store' }, false],
    ['project_id of the sub-organization without sub-organizations', { project_id: `${CONN}:${SUB_ORG}` }, false],
  ];

  it.each(cases)('%s: same answer as without push-down', async (_label, params, includeSub) => {
    const conn = connect({ includeSubOrgs: includeSub });
    const expected = await reference(conn, params);
    for (const limit of [2, 7]) {
      expect((await listThroughEngine(conn.devices, DEVICE_FIELDS, params, limit)).map((d) => d.id)).toEqual(expected);
    }
  });

  it('name__eq with several matches pages the search in either order', async () => {
    const conn = connect({ includeSubOrgs: true });
    const twins = [
      await conn.createDevice({ type: 'TMPL4bXq7RzKc', name: 'Twin Sensor' }, ctx()),
      await conn.createDevice({ type: 'TMPL4bXq7RzKc', name: 'Twin Sensor', project_id: String(SUB_ORG) }, ctx()),
      await conn.createDevice({ type: 'TMPL4bXq7RzKc', name: 'Twin Sensor Spare' }, ctx()),
    ];
    try {
      for (const order of ['ASC', 'DESC']) {
        const params = { name: 'Twin Sensor', order };
        const expected = await reference(conn, params);
        expect(expected).toHaveLength(2);
        expect(conn.devices.plan(query(2, [filter('name', 'eq', 'Twin Sensor')], order as 'ASC' | 'DESC')).order).toBe(order);
        for (const limit of [2, 3]) expect((await listThroughEngine(conn.devices, DEVICE_FIELDS, params, limit)).map((d) => d.id)).toEqual(expected);
        const pages = await readAll(conn.devices, query(1, [filter('name', 'eq', 'Twin Sensor')], order as 'ASC' | 'DESC'));
        expect(pages.pages).toBe(3);
      }
    } finally {
      for (const twin of twins) await conn.deleteDevice(twin.id.split(':')[1], ctx());
    }
  });

  it('name__eq costs one search call instead of a walk through the list', async () => {
    const conn = connect({ includeSubOrgs: true });
    await conn.authHeaders(ctx());
    const from = emu.requests().length;
    const before = emu.requestCount();
    const found = await readAll(conn.devices, query(2, [filter('name', 'eq', 'Cold Room A')]));
    expect(nativeIds(found.items)).toEqual(['1008']);
    expect(emu.requestCount() - before).toBe(1);
    const search = emu.requests().slice(from)[0];
    expect(search.path).toBe('/api/v1/organization/search/devices');
    expect(new URLSearchParams(search.query).get('query')).toBe('Cold Room A');
    const without = emu.requestCount();
    await readAll(conn.devices, query(2));
    expect(emu.requestCount() - without).toBeGreaterThan(1);
  });

  it('id filters read devices one by one; a project_id filter lists one organization', async () => {
    const conn = connect({ includeSubOrgs: true });
    await conn.authHeaders(ctx());
    let from = emu.requests().length;
    const one = await readAll(conn.devices, query(50, [filter('id', 'eq', `${CONN}:1003`)]));
    expect(nativeIds(one.items)).toEqual(['1003']);
    expect(one.items[0].tags).toBeNull();
    expect(paths(emu, from)).toEqual(['GET /api/v1/organization/device/baseInfo']);
    expect(conn.devices.plan(query(50, [filter('id', 'eq', `${CONN}:1003`)])).exactTotal).toBe(true);

    from = emu.requests().length;
    const sub = await readAll(conn.devices, query(50, [filter('project_id', 'eq', `${CONN}:${SUB_ORG}`)]));
    expect(nativeIds(sub.items)).toEqual(['1011', '1012', '1013', '1014', '1015']);
    expect(sub.total).toBe(5);
    expect(conn.devices.plan(query(50, [filter('project_id', 'eq', `${CONN}:${SUB_ORG}`)]))).toEqual({ order: 'ASC', exactTotal: true });
    expect(new URLSearchParams(emu.requests()[from].query).get('orgId')).toBe(String(SUB_ORG));
  });

  it('filters that no device of the connection can match cost no call', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    const before = emu.requestCount();
    for (const f of [
      filter('id', 'eq', 'other:1001'),
      filter('id', 'eq', `${CONN}:abc`),
      filter('project_id', 'eq', `${CONN}:${SUB_ORG}`),
    ]) {
      expect(await conn.devices.fetchPage(query(10, [f]), null, ctx())).toEqual({ items: [], next: null, total: 0 });
    }
    expect(emu.requestCount()).toBe(before);
  });

  it('declares exact totals only when every filter was pushed down', () => {
    const conn = connect();
    expect(conn.devices.plan(query(10))).toEqual({ order: 'ASC', exactTotal: true });
    expect(conn.devices.plan(query(10, [filter('id', 'eq', `${CONN}:1003`)])).exactTotal).toBe(true);
    expect(conn.devices.plan(query(10, [filter('name', 'eq', 'x')]))).toEqual({ order: 'ASC', exactTotal: false });
    expect(conn.devices.plan(query(10, [filter('name', 'eq', 'x')], 'DESC')).order).toBe('DESC');
    expect(conn.devices.plan(query(10, [], 'DESC')).order).toBe('ASC');
    expect(conn.devices.plan(query(10, [filter('online', 'eq', true)])).exactTotal).toBe(false);
  });
});

describe('single devices', () => {
  it('fills tags and online state on getDevice', async () => {
    const conn = connect();
    const from = emu.requests().length;
    const device = await conn.getDevice('1001', ctx());
    const vendor = emu.device(1001)!;
    expect(device).toMatchObject({
      object: 'device',
      id: `${CONN}:1001`,
      connection_id: CONN,
      provider: 'blynk',
      project_id: `${CONN}:101`,
      name: vendor.name,
      type: 'TMPL4bXq7RzKc',
      serial_number: 'SN-ENV-548113',
      labels: expect.objectContaining({ location: expect.any(String) }),
      updated_at: null,
    });
    expect(device.tags).toEqual(['In Service']);
    expect(typeof device.online).toBe('boolean');
    expect(device.last_seen_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(device.created_at).toBe(new Date(vendor.activatedAt!).toISOString());
    // The template's datastreams (units) and events (codes) are read once per template and connection.
    const TEMPLATE = ['GET /api/v1/organization/template/datastreams', 'GET /api/v1/organization/template/events'];
    expect(paths(emu, from).sort()).toEqual(
      ['GET /api/v1/organization/device', 'GET /api/v1/organization/device/online', 'GET /api/v1/organization/device/tags', 'POST /oauth2/token', ...TEMPLATE].sort(),
    );
    const again = emu.requests().length;
    const sibling = await conn.getDevice('1002', ctx());
    expect(paths(emu, again).sort()).toEqual(['GET /api/v1/organization/device', 'GET /api/v1/organization/device/online', 'GET /api/v1/organization/device/tags']);
    expect(sibling.readings?.find((r) => r.name === 'temperature')).toMatchObject({ native_name: 'v0', unit: 'Cel' });
    expect(device.readings?.find((r) => r.name === 'humidity')).toMatchObject({ unit: '%' });
  });

  it('answers not_found for missing, foreign, malformed and out-of-scope devices', async () => {
    const conn = connect();
    await expectGatewayError(conn.getDevice('9999', ctx()), 'not_found');
    const foreign = await expectGatewayError(conn.getDevice(String(emu.foreignDeviceId), ctx()), 'not_found');
    expect(foreign.upstreamStatus).toBe(404);
    const before = emu.requestCount();
    await expectGatewayError(conn.getDevice('abc', ctx()), 'not_found');
    await expectGatewayError(conn.getDevice('99999999999', ctx()), 'not_found');
    expect(emu.requestCount()).toBe(before);
    await expectGatewayError(conn.getDevice('1011', ctx()), 'not_found');
    await expectGatewayError(conn.getDeviceStatus('1011', ctx()), 'not_found');
    expect((await connect({ includeSubOrgs: true }).getDevice('1011', ctx())).project_id).toBe(`${CONN}:102`);
  });

  it('reports status from the online endpoint and the base info', async () => {
    const conn = connect();
    const from = emu.requests().length;
    const status = await conn.getDeviceStatus('1001', ctx());
    const calls = paths(emu, from).filter((p) => !p.includes('oauth2'));
    const online = (await (await fetch(`${emu.baseUrl}/api/v1/organization/device/online?deviceId=1001`, { headers: await conn.authHeaders(ctx()) })).json()) as { connected: boolean };
    expect(status).toMatchObject({ object: 'device_status', device_id: `${CONN}:1001`, online: online.connected });
    expect(status.checked_at).toMatch(/Z$/);
    expect(status.details).toMatchObject({ ip: emu.device(1001)!.ip, hardware: { board_type: 'ESP32', template_id: 'TMPL4bXq7RzKc' } });
    expect(calls.sort()).toEqual(['GET /api/v1/organization/device', 'GET /api/v1/organization/device/online', 'GET /api/v1/organization/template/datastreams', 'GET /api/v1/organization/template/events']);
    expect(status.readings.find((r) => r.name === 'temperature')).toMatchObject({ unit: 'Cel' });
  });

  it('keeps readings without units, and the event type as native_type, when the template cannot be read', async () => {
    const conn = connect();
    emu.injectFault({ fault: { kind: 'status', status: 403 }, path: '/api/v1/organization/template/', times: Infinity });
    try {
      const status = await conn.getDeviceStatus('1001', ctx());
      expect(status.readings.find((r) => r.name === 'temperature')).toMatchObject({ unit: null });
      const added = emu.addTimelineEvent(1001, { code: 'low_battery', description: 'Battery at 9%' });
      const [newest] = (await conn.messages('1001').fetchPage(query(1), null, ctx())).items;
      expect(newest).toMatchObject({ id: `${CONN}:${added.id}`, native_type: 'WARNING', data: { event_code: null } });
    } finally {
      emu.clearFaults();
    }
  });
});

describe('create, update, delete', () => {
  it('creates a device from a template id, name, organization and owner', async () => {
    const conn = connect({ includeSubOrgs: true });
    const from = emu.requests().length;
    const device = await conn.createDevice({ type: 'TMPL8RITg_f9Q', name: 'Garage Relay', params: { owner_user_id: 203 } }, ctx());
    const create = emu.requests().slice(from).find((r) => r.path === '/api/v1/organization/device/create')!;
    expect(JSON.parse(create.body)).toEqual({ templateId: 'TMPL8RITg_f9Q', name: 'Garage Relay', orgId: ORG, ownerId: 203 });
    expect(device).toMatchObject({ name: 'Garage Relay', project_id: `${CONN}:101`, tags: [], online: false });
    const id = Number(device.id.split(':')[1]);
    expect(emu.device(id)).toMatchObject({ name: 'Garage Relay', ownerUserId: 203 });
    // Created with a template id, read back with the same string (the device's own answer names only the numeric id).
    expect(device.type).toBe('TMPL8RITg_f9Q');
    expect((await conn.getDevice(String(id), ctx())).type).toBe('TMPL8RITg_f9Q');

    const sub = await conn.createDevice({ type: 'TMPL4bXq7RzKc', name: "North Dock's Sensor", project_id: String(SUB_ORG) }, ctx());
    expect(sub.project_id).toBe(`${CONN}:${SUB_ORG}`);
  });

  it('validates before any vendor call', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    const before = emu.requestCount();
    const invalid = await expectGatewayError(conn.createDevice({ name: 'Bad#Name', project_id: String(SUB_ORG), params: { owner_user_id: 'x', color: 'red' } }, ctx()), 'validation_error');
    expect(invalid.fields!.map((f) => f.name)).toEqual(['type', 'name', 'project_id', 'params.owner_user_id', 'params.color']);
    await expectGatewayError(conn.createDevice({ type: 'TMPL8RITg_f9Q', name: 'Relay', labels: { room: 'a' } }, ctx()), 'not_supported');
    await expectGatewayError(conn.createDevice({ type: 'TMPL8RITg_f9Q', name: 'Relay', tags: ['x'] }, ctx()), 'not_supported');
    await expectGatewayError(conn.createDevice({ type: 'TMPL8RITg_f9Q', name: 'Relay', serial_number: 'SN1' }, ctx()), 'not_supported');
    const rename = await expectGatewayError(conn.updateDevice('1002', { name: 'Server/Room' }, ctx()), 'validation_error');
    expect(rename.fields).toEqual([{ name: 'name', message: expect.stringContaining('letters, digits, spaces') }]);
    await expectGatewayError(conn.updateDevice('1002', { labels: { room: 'b' } }, ctx()), 'not_supported');
    await expectGatewayError(conn.updateDevice('1002', { tags: [] }, ctx()), 'not_supported');
    expect(emu.requestCount()).toBe(before);
  });

  it('maps vendor refusals of create and rename', async () => {
    const conn = connect();
    await expectGatewayError(conn.createDevice({ type: 'TMPLnothere00', name: 'Ghost' }, ctx()), 'not_found');
    const long = await expectGatewayError(conn.updateDevice('1002', { name: 'x'.repeat(60) }, ctx()), 'validation_error');
    expect(long.fields![0].name).toBe('name');
    expect(long.message).toContain('50 symbols');
    await expectGatewayError(conn.updateDevice('9999', { name: 'Nobody' }, ctx()), 'not_found');
  });

  it('renames a device', async () => {
    const conn = connect();
    const renamed = await conn.updateDevice('1002', { name: "Server Room Climate - Rack 2's" }, ctx());
    expect(renamed.name).toBe("Server Room Climate - Rack 2's");
    expect(renamed.tags).not.toBeNull();
    expect(emu.device(1002)!.name).toBe("Server Room Climate - Rack 2's");
    const unchanged = await conn.updateDevice('1002', {}, ctx());
    expect(unchanged.name).toBe(renamed.name);
  });

  it('deletes a device (204) and then answers not_found', async () => {
    const conn = connect();
    const created = await conn.createDevice({ type: 'TMPL8RITg_f9Q', name: 'Short Lived' }, ctx());
    const id = created.id.split(':')[1];
    await conn.deleteDevice(id, ctx());
    expect(emu.device(Number(id))).toBeUndefined();
    await expectGatewayError(conn.getDevice(id, ctx()), 'not_found');
    await expectGatewayError(conn.deleteDevice(id, ctx()), 'not_found');
    await expectGatewayError(conn.deleteDevice('1011', ctx()), 'not_found');
    expect(emu.device(1011)).toBeDefined();
  });
});

describe('messages (timeline)', () => {
  const timelineIds = async (conn: ProviderConnection, deviceId: string): Promise<string[]> => nativeIds((await readAll(conn.messages(deviceId), query(1000))).items);

  it('pages every event exactly once, newest first, with any page size', async () => {
    const conn = connect();
    const big = await readAll(conn.messages('1001'), query(1000));
    expect(big.total).toBe(big.items.length);
    expect(big.items.length).toBeGreaterThan(20);
    const times = big.items.map((m) => Date.parse(m.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(big.items.map((m) => m.id)).size).toBe(big.items.length);
    for (const size of [1, 2, 5, 10, big.items.length, big.items.length - 1]) {
      const { items, pages } = await readAll(conn.messages('1001'), query(size));
      expect(items).toEqual(big.items);
      expect(pages).toBe(Math.ceil(big.items.length / size));
    }
    const first = await conn.messages('1001').fetchPage(query(7), null, ctx());
    const rest = await readAll(conn.messages('1001'), query(50), JSON.parse(JSON.stringify(first.next)) as VendorCursor);
    expect([...first.items, ...rest.items]).toEqual(big.items);
    expect(conn.messages('1001').plan(query(10, [], 'DESC'))).toEqual({ order: 'DESC', exactTotal: true });
  });

  it('maps events and shows a new one first', async () => {
    const conn = connect();
    const added = emu.addTimelineEvent(1002, { code: 'high_temperature', description: 'Rack inlet 31.2°C' });
    const [newest] = (await conn.messages('1002').fetchPage(query(1), null, ctx())).items;
    expect(newest).toMatchObject({
      object: 'message',
      id: `${CONN}:${added.id}`,
      device_id: `${CONN}:1002`,
      connection_id: CONN,
      provider: 'blynk',
      direction: 'uplink',
      type: 'event',
      native_type: 'high_temperature',
      created_at: new Date(added.ts).toISOString(),
      device_time: null,
      data: { description: 'Rack inlet 31.2°C', event_id: added.eventId, event_code: 'high_temperature', event_type: 'WARNING' },
    });
    const all = (await readAll(conn.messages('1002'), query(1000))).items;
    expect(all.filter((m) => m.native_type === 'online' || m.native_type === 'offline').every((m) => m.type === 'status')).toBe(true);
  });

  it('filters native_type by event code through the gateway, the template read once', async () => {
    const conn = connect();
    emu.addTimelineEvent(1001, { code: 'high_temperature', description: 'Lobby 29.5°C' });
    const all = (await readAll(conn.messages('1001'), query(1000))).items;
    const high = all.filter((m) => m.native_type === 'high_temperature');
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((m) => m.data.event_type === 'WARNING')).toBe(true);
    const from = emu.requests().length;
    const viaEngine = await listThroughEngine(conn.messages('1001'), MESSAGE_FIELDS, { native_type: 'high_temperature' }, 3, 'DESC');
    expect(viaEngine).toEqual(high);
    expect(emu.requests().slice(from).filter((r) => r.path.includes('/template/'))).toEqual([]);
    expect(conn.messages('1001').plan(query(2, [filter('native_type', 'eq', 'high_temperature')])).exactTotal).toBe(false);
  });

  it('stops at the first event older than created_at__gte', async () => {
    const conn = connect();
    const all = (await readAll(conn.messages('1001'), query(1000))).items;
    const since = all[9].created_at;
    const expected = all.filter((m) => m.created_at >= since);
    const before = emu.requestCount();
    const got = await listThroughEngine(conn.messages('1001'), MESSAGE_FIELDS, { created_at__gte: since }, 4, 'DESC');
    expect(got).toEqual(expected);
    const calls = emu.requestCount() - before;
    expect(calls).toBeLessThan(Math.ceil(all.length / 5));
    const withoutStop = await listThroughEngine(conn.messages('1001'), MESSAGE_FIELDS, { created_at__lte: all[0].created_at }, 4, 'DESC');
    expect(withoutStop).toEqual(all);
    const asc = await listThroughEngine(conn.messages('1001'), MESSAGE_FIELDS, { created_at__gte: since, order: 'ASC' }, 4, 'DESC');
    expect(asc).toEqual([...expected].reverse());
  });

  it('answers not_found for an unknown or out-of-scope device', async () => {
    const conn = connect();
    await expectGatewayError(conn.messages('9999').fetchPage(query(10), null, ctx()), 'not_found');
    await expectGatewayError(conn.messages(String(emu.foreignDeviceId)).fetchPage(query(10), null, ctx()), 'not_found');
    await expectGatewayError(conn.messages('x').fetchPage(query(10), null, ctx()), 'not_found');
    await expectGatewayError(conn.messages('1011').fetchPage(query(10), null, ctx()), 'not_found');
    expect((await timelineIds(connect({ includeSubOrgs: true }), '1011')).length).toBeGreaterThan(0);
  });
});

describe('transfer', () => {
  it('moves a device to another organization and to another owner', async () => {
    const conn = connect({ includeSubOrgs: true });
    const moved = await conn.transferDevice('1003', { project_id: String(SUB_ORG) }, ctx());
    expect(moved.project_id).toBe(`${CONN}:${SUB_ORG}`);
    expect(emu.device(1003)!.orgId).toBe(SUB_ORG);
    const transfer = emu.requests().find((r) => r.path === '/api/v1/organization/device/transfer/to-organization')!;
    expect(JSON.parse(transfer.body)).toEqual({ deviceId: 1003, newOrgId: SUB_ORG });
    const back = await conn.transferDevice('1003', { project_id: String(ORG) }, ctx());
    expect(back.project_id).toBe(`${CONN}:${ORG}`);

    const owned = await conn.transferDevice('1003', { owner_user_id: '205' }, ctx());
    expect((owned.native as { ownerUserId: number }).ownerUserId).toBe(205);
    expect(emu.device(1003)!.ownerUserId).toBe(205);
    const toOwner = emu.requests().find((r) => r.path === '/api/v1/organization/device/transfer/to-owner')!;
    expect(JSON.parse(toOwner.body)).toEqual({ deviceId: 1003, newUserId: 205 });
  });

  it('validates the target and maps vendor refusals', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    const before = emu.requestCount();
    await expectGatewayError(conn.transferDevice('1004', {}, ctx()), 'validation_error');
    await expectGatewayError(conn.transferDevice('1004', { project_id: '101', owner_user_id: '205' }, ctx()), 'validation_error');
    await expectGatewayError(conn.transferDevice('1004', { owner_user_id: 'bob' }, ctx()), 'validation_error');
    await expectGatewayError(conn.transferDevice('1004', { project_id: String(SUB_ORG) }, ctx()), 'not_found');
    expect(emu.requestCount()).toBe(before);
    const inactive = await expectGatewayError(conn.transferDevice('1004', { owner_user_id: '206' }, ctx()), 'validation_error');
    expect(inactive.fields![0].name).toBe('owner_user_id');
    await expectGatewayError(conn.transferDevice('9999', { owner_user_id: '205' }, ctx()), 'not_found');
  });
});

describe('commands', () => {
  it('triggers an event (204) that then shows on the timeline', async () => {
    const conn = connect();
    const command = await conn.sendCommand('1001', { id: 'cmd-1', name: 'trigger_event', params: { event_code: 'low_battery', description: 'Battery at 9%' } }, ctx());
    expect(command).toMatchObject({ object: 'command', id: `${CONN}:cmd-1`, device_id: `${CONN}:1001`, name: 'trigger_event', status: 'sent' });
    const call = emu.requests().find((r) => r.path === '/api/v1/organization/device/trigger-event')!;
    expect(JSON.parse(call.body)).toEqual({ deviceId: 1001, eventCode: 'low_battery', eventDescription: 'Battery at 9%' });
    const [newest] = (await conn.messages('1001').fetchPage(query(1), null, ctx())).items;
    expect(newest.data.description).toBe('Battery at 9%');
    // Blynk keeps no record of commands: the gateway answers reads from the commands it recorded.
    expect('getCommand' in conn).toBe(false);
  });

  it('sets a datastream value (204)', async () => {
    const conn = connect();
    const command = await conn.sendCommand('1001', { id: 'cmd-2', name: 'set_datastream', params: { datastream_id: 5, value: 120 } }, ctx());
    expect(command.status).toBe('sent');
    expect(emu.device(1001)!.dataStreamValues!.find((v) => v.dataStreamId === 5)!.value).toBe(120);
  });

  it('validates params before any call and maps vendor refusals', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    const before = emu.requestCount();
    const missing = await expectGatewayError(conn.sendCommand('1001', { id: 'c', name: 'trigger_event', params: {} }, ctx()), 'validation_error');
    expect(missing.fields).toEqual([{ name: 'params.event_code', message: expect.any(String) }]);
    const bad = await expectGatewayError(conn.sendCommand('1001', { id: 'c', name: 'set_datastream', params: { datastream_id: 'v1' } }, ctx()), 'validation_error');
    expect(bad.fields!.map((f) => f.name)).toEqual(['params.datastream_id', 'params.value']);
    await expectGatewayError(conn.sendCommand('1001', { id: 'c', name: 'reboot', params: {} }, ctx()), 'validation_error');
    expect(emu.requestCount()).toBe(before);
    await expectGatewayError(conn.sendCommand('1001', { id: 'c', name: 'trigger_event', params: { event_code: 'no_such_code' } }, ctx()), 'not_found');
    await expectGatewayError(conn.sendCommand('9999', { id: 'c', name: 'trigger_event', params: { event_code: 'low_battery' } }, ctx()), 'not_found');
    await expectGatewayError(conn.sendCommand('1011', { id: 'c', name: 'trigger_event', params: { event_code: 'low_battery' } }, ctx()), 'not_found');
  });
});

describe('vendor errors', () => {
  it('maps 429 to upstream_rate_limited with Retry-After', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    emu.injectFault({ fault: { kind: 'status', status: 429, body: { error: { message: 'Too many requests' } }, headers: { 'retry-after': '7' } }, path: '/devices$' });
    const error = await expectGatewayError(conn.devices.fetchPage(query(5), null, ctx()), 'upstream_rate_limited');
    expect(error).toMatchObject({ retryAfter: 7, upstreamStatus: 429, retryable: true });
  });

  it('maps the emulator rate limit (10,000 per minute, here lowered) to upstream_rate_limited', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    emu.setRateLimit(2);
    try {
      // Four different devices: identical reads in flight would share one vendor call.
      const results = await Promise.allSettled([1001, 1002, 1003, 1004].map((id) => conn.getDeviceStatus(String(id), ctx())));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((r) => (r.reason as GatewayError).type === 'upstream_rate_limited')).toBe(true);
    } finally {
      emu.setRateLimit(false);
    }
  });

  it('maps 5xx, unreadable and misshapen bodies to upstream_error', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    emu.injectFault({ fault: { kind: 'status', status: 500, body: { error: { message: 'Internal server error' } } }, path: '/device$' });
    await expectGatewayError(conn.getDevice('1001', ctx()), 'upstream_error');
    emu.injectFault({ fault: { kind: 'malformed-json' }, path: '/devices$' });
    await expectGatewayError(conn.devices.fetchPage(query(5), null, ctx()), 'upstream_error');
    emu.injectFault({ fault: { kind: 'body', body: { items: [] } }, path: '/timeline$' });
    await expectGatewayError(conn.messages('1001').fetchPage(query(5), null, ctx()), 'upstream_error');
    emu.injectFault({ fault: { kind: 'html', status: 502 }, path: '/devices$' });
    await expectGatewayError(conn.devices.fetchPage(query(5), null, ctx()), 'upstream_error');
  });

  it('retries idempotent reads after a 5xx when the connection allows retries', async () => {
    const conn = connect({ retries: 2 });
    await conn.authHeaders(ctx());
    emu.injectFault({ fault: { kind: 'status', status: 503 }, path: '/devices$' });
    expect((await conn.devices.fetchPage(query(3), null, ctx())).items).toHaveLength(3);
  });

  it('maps an unreachable host and a hanging vendor', async () => {
    const conn = connect({ timeoutMs: 300 });
    await conn.authHeaders(ctx());
    emu.injectFault({ fault: { kind: 'hang' }, path: '/devices$' });
    await expectGatewayError(conn.devices.fetchPage(query(3), null, ctx()), 'upstream_timeout');
    emu.clearFaults();
    emu.injectFault({ fault: { kind: 'reset' }, path: '/devices$' });
    await expectGatewayError(conn.devices.fetchPage(query(3), null, ctx()), 'upstream_unavailable');
  });

  it('reports an unreachable configured organization as a configuration fault', async () => {
    const conn = connect();
    await conn.authHeaders(ctx());
    emu.injectFault({ fault: { kind: 'status', status: 404, body: { error: { message: 'Organization not found or access denied' } } }, path: '/devices$' });
    await expectGatewayError(conn.devices.fetchPage(query(3), null, ctx()), 'upstream_auth_failed');
  });
});

/** Devices operations with no unified form, reached raw with the provider's auth headers (as passthrough does). */
describe('operations without a unified form', () => {
  const ownerEmail = 'maria.keller@acme-facilities.example';

  it.each([
    ['GET', '/api/v1/organization/device/logs?deviceId=1001&page=0&size=5', undefined, 200],
    ['GET', `/api/v1/organization/device/by-owner?ownerEmail=${encodeURIComponent(ownerEmail)}&page=0&size=5`, undefined, 200],
    ['GET', `/api/v1/organization/device/by-user-org?userEmail=${encodeURIComponent(ownerEmail)}&page=0&size=5`, undefined, 200],
    ['GET', '/api/v1/organization/device/last-activated?minutes=10', undefined, 200],
    ['GET', '/api/v1/organization/device/metafield?deviceId=1001', undefined, 200],
    ['POST', '/api/v1/organization/device/metafield', { deviceId: 1001, metaFieldId: 3, newValue: 'Warehouse Aisle 3' }, 204],
    ['GET', '/api/v1/organization/device/baseInfo?deviceId=1001', undefined, 200],
    ['DELETE', '/api/v1/organization/device/clear?deviceId=1007', undefined, 204],
    ['DELETE', '/api/v1/organization/device/owner?deviceId=1007', undefined, 204],
  ] as const)('%s %s', async (method, path, body, status) => {
    const headers = await connect().authHeaders(ctx());
    const res = await fetch(`${emu.baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    expect(res.status).toBe(status);
    if (status === 204) expect(await res.text()).toBe('');
  });
});

describe('coverage', () => {
  it('called each of the 21 Devices operations of the reference', () => {
    for (const r of emu.requests()) seen.add(`${r.method} ${r.path}`);
    const base = '/api/v1/organization';
    const operations = [
      `GET ${base}/devices`,
      `GET ${base}/search/devices`,
      `GET ${base}/device`,
      `PUT ${base}/device`,
      `DELETE ${base}/device`,
      `GET ${base}/device/baseInfo`,
      `POST ${base}/device/create`,
      `GET ${base}/device/online`,
      `GET ${base}/device/tags`,
      `GET ${base}/device/timeline`,
      `GET ${base}/device/logs`,
      `POST ${base}/device/transfer/to-owner`,
      `POST ${base}/device/transfer/to-organization`,
      `DELETE ${base}/device/owner`,
      `DELETE ${base}/device/clear`,
      `POST ${base}/device/trigger-event`,
      `GET ${base}/device/by-owner`,
      `GET ${base}/device/by-user-org`,
      `GET ${base}/device/last-activated`,
      `GET ${base}/device/metafield`,
      `POST ${base}/device/metafield`,
    ];
    expect(operations.filter((op) => !seen.has(op))).toEqual([]);
    expect(seen.has(`POST ${base}/device/datastream`)).toBe(true);
    expect(seen.has('POST /oauth2/token')).toBe(true);
  });
});
