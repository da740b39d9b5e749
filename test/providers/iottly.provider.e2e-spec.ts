import { Ajv } from 'ajv';
import { backgroundContext, type ConnectionConfig, type Filter, type ListQuery, type ListSource, type Message, type Order, type ProviderConnection, type VendorCursor } from '@devicegate/core';
import { startIottlyEmulator, type IottlyEmulator } from '@devicegate/emulators/iottly';
import { GatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { DEVICE_FIELDS, ListingEngine, MESSAGE_FIELDS, parseListArgs, PROJECT_FIELDS, type FieldSpecs } from '@devicegate/listing';
import { iottlyProvider, type IottlySettings } from '@devicegate/providers/iottly';

/**
 * The iottly provider against the iottly emulator over loopback HTTP: every operation, paging exactness
 * (provider pages and gateway pages through the listing library), push-down and error mapping.
 */

const CONN = 'iottly-lab';
const NOW = Date.parse('2024-04-17T12:00:00.000Z');
const HOUR = 3_600_000;
/** The paging walks make hundreds of calls: a fixed amount of work whose time depends on the machine, so a hang detector only. */
const PAGING_LIMIT_MS = 300_000;

interface Harness {
  emu: IottlyEmulator;
  http: HttpClient;
  conn: ProviderConnection;
}

function connect(emu: IottlyEmulator, overrides: { apiKey?: string; projectId?: string; retries?: number } = {}): { http: HttpClient; conn: ProviderConnection } {
  const http = new HttpClient({ baseUrl: emu.baseUrl, timeoutMs: 5000, retries: overrides.retries ?? 0, connectionId: CONN, provider: 'iottly', backoffMs: 1 });
  const config: ConnectionConfig<IottlySettings> = {
    id: CONN,
    provider: 'iottly',
    display_name: 'iottly lab',
    base_url: emu.baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: iottlyProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { project_id: overrides.projectId ?? emu.projectId },
    credentials: { api_key: overrides.apiKey ?? emu.credentials.apiKey },
  };
  return { http, conn: iottlyProvider.create(config, { http }) };
}

/** Aborted after each test: a test that timed out stops calling the vendor instead of filling the next test's counts. */
let testCalls = new AbortController();
const ctx = () => ({ ...backgroundContext('test-request'), signal: testCalls.signal });
const filter = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });
const q = (order: Order, pageSize: number, filters: Filter[] = []): ListQuery => ({ filters, order, pageSize, includeTotal: false });

/** Every page of a source from the start, as the listing library reads it. */
async function drain<T>(source: ListSource<T>, query: ListQuery): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: VendorCursor | null = null;
  let pages = 0;
  do {
    // The cursor goes through JSON, as the resume cache may store it.
    const page = await source.fetchPage(query, cursor === null ? null : (JSON.parse(JSON.stringify(cursor)) as VendorCursor), ctx());
    items.push(...page.items);
    cursor = page.next;
    pages += 1;
    if (pages > 5000) throw new Error('no end');
  } while (cursor !== null);
  return { items, pages };
}

/**
 * Pages a list through the listing library with `after`, as the gateway serves it. `scan` uses a new engine
 * for every page, so each `after` is found by reading from the start: it proves ids are stable across calls.
 */
async function gatewayPages<T extends { id: string }>(
  source: ListSource<T>,
  fields: FieldSpecs,
  kind: string,
  params: Record<string, string>,
  defaultOrder: Order,
  scan = false,
): Promise<string[]> {
  let engine = new ListingEngine();
  const limit = Number(params.limit);
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const args = parseListArgs({ ...params, ...(after ? { after } : {}) }, { fields, defaultOrder });
    if (scan) engine = new ListingEngine();
    const page = await engine.list({ kind, reach: '*', segments: [{ connectionId: CONN, provider: 'iottly', source }], args, fields }, ctx());
    ids.push(...page.items.map((item) => item.id));
    if (!page.hasMore) break;
    expect(page.items).toHaveLength(limit);
    after = page.items[page.items.length - 1].id;
  }
  return ids;
}

async function expectError(promise: Promise<unknown>, type: string): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe(type);
    return error as GatewayError;
  }
  throw new Error(`expected ${type}`);
}

const ms = (message: Message) => Date.parse(message.created_at);

function expectOrdered(messages: Message[], order: Order): void {
  for (let i = 1; i < messages.length; i++) {
    if (order === 'DESC') expect(ms(messages[i])).toBeLessThanOrEqual(ms(messages[i - 1]));
    else expect(ms(messages[i])).toBeGreaterThanOrEqual(ms(messages[i - 1]));
  }
}

describe('iottly provider against the emulator', () => {
  let h: Harness;
  /** The demo device with the most messages (several hundred, over a week). */
  let busy: string;

  beforeAll(async () => {
    const emu = await startIottlyEmulator({ now: NOW, deviceCount: 16, echoReplies: false });
    h = { emu, ...connect(emu) };
    busy = [...emu.deviceIds()].sort((a, b) => emu.messageCount(b) - emu.messageCount(a))[0];
  });

  afterAll(async () => {
    await h.http.close();
    await h.emu.close();
  });

  beforeEach(() => {
    h.emu.clearFaults();
    h.emu.resetStats();
  });

  afterEach(() => {
    testCalls.abort(new Error('the test has ended'));
    testCalls = new AbortController();
  });

  describe('definition and auth', () => {
    it('declares the contract’s iottly capabilities and defaults', () => {
      expect(iottlyProvider.id).toBe('iottly');
      expect(iottlyProvider.defaultBaseUrl).toBe('https://api.cloud.iottly.com/v1.0');
      expect(iottlyProvider.capabilities).toMatchObject({ 'devices.create': false, 'devices.delete': false, 'devices.transfer': false, 'devices.update': true, 'commands.send': true });
      expect(h.conn.createDevice).toBeUndefined();
      expect(h.conn.deleteDevice).toBeUndefined();
      expect(h.conn.transferDevice).toBeUndefined();
    });

    it('validates the connection keys of API.md §5', () => {
      const validate = new Ajv({ strict: false }).compile(iottlyProvider.connectionSchema);
      expect(validate({ project_id: '59c19cacecc01400075f3bc9', credentials: { api_key: '719cc48b13aa7be9a89a433493966f64' } })).toBe(true);
      expect(validate({ credentials: { api_key: 'k' } })).toBe(false);
      expect(validate({ project_id: 'not-an-object-id', credentials: { api_key: 'k' } })).toBe(false);
      expect(validate({ project_id: '59c19cacecc01400075f3bc9', credentials: {} })).toBe(false);
      expect(validate({ project_id: '59c19cacecc01400075f3bc9', projectid: 'typo', credentials: { api_key: 'k' } })).toBe(false);
    });

    it('authenticates with the vendor’s own Authentication header', async () => {
      expect(await h.conn.authHeaders(ctx())).toEqual({ Authentication: `bearer ${h.emu.credentials.apiKey}` });
      await (h.conn as ProviderConnection & { ping(c: unknown): Promise<void> }).ping(ctx());
      const [request] = h.emu.requests();
      expect(request.path).toMatch(/\/project\/ping$/);
      expect(request.headers.authentication).toBe(`bearer ${h.emu.credentials.apiKey}`);
      expect(request.headers.authorization).toBeUndefined();
      expect(request.headers['x-request-id']).toBe('test-request');
    });

    it('maps a rejected key to upstream_auth_failed, without the key in the message', async () => {
      const bad = connect(h.emu, { apiKey: '00000000000000000000000000000000' });
      const error = await expectError(bad.conn.getProject(h.emu.projectId, ctx()), 'upstream_auth_failed');
      expect(error.upstreamStatus).toBe(401);
      expect(error.message).not.toContain('00000000000000000000000000000000');
      await expectError(drain(bad.conn.devices, q('ASC', 50)), 'upstream_auth_failed');
      await bad.http.close();
    });

    it('maps a key of another project (403) to upstream_auth_failed, also behind a device call', async () => {
      const other = connect(h.emu, { apiKey: h.emu.credentials.otherApiKey });
      await expectError(other.conn.getProject(h.emu.projectId, ctx()), 'upstream_auth_failed');
      await expectError(other.conn.getDevice(busy, ctx()), 'upstream_auth_failed');
      await expectError(drain(other.conn.messages('00000000-0000-4000-8000-000000000000'), q('DESC', 10)), 'upstream_auth_failed');
      await other.http.close();
    });
  });

  describe('projects', () => {
    it('lists the connection’s project from inspect', async () => {
      const { items, pages } = await drain(h.conn.projects, q('ASC', 50));
      expect(pages).toBe(1);
      expect(items).toEqual([
        expect.objectContaining({ object: 'project', id: `${CONN}:${h.emu.projectId}`, name: 'Smart Farm Lab', kind: 'project', device_count: null, provider: 'iottly', connection_id: CONN }),
      ]);
      expect(items[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(h.emu.requests().map((r) => r.path)).toEqual([`/v1.0/project/${h.emu.projectId}/inspect`]);
    });

    it('answers filters that rule the project out without a vendor call', async () => {
      for (const f of [filter('id', 'eq', 'other:59c19cacecc01400075f3bc9'), filter('kind', 'eq', 'space'), filter('id', 'nin', [`${CONN}:${h.emu.projectId}`])]) {
        expect((await drain(h.conn.projects, q('ASC', 50, [f]))).items).toEqual([]);
      }
      expect(h.emu.requestCount()).toBe(0);
      expect(h.conn.projects.plan(q('ASC', 50, [filter('kind', 'eq', 'project')])).exactTotal).toBe(true);
      expect(h.conn.projects.plan(q('ASC', 50, [filter('name', 'eq', 'x')])).exactTotal).toBe(false);
    });

    it('gets the project; another id is not_found without a call', async () => {
      expect(await h.conn.getProject(h.emu.projectId, ctx())).toMatchObject({ id: `${CONN}:${h.emu.projectId}`, name: 'Smart Farm Lab' });
      h.emu.resetStats();
      await expectError(h.conn.getProject(h.emu.credentials.otherProjectId, ctx()), 'not_found');
      expect(h.emu.requestCount()).toBe(0);
    });

    it('pages through the listing library', async () => {
      expect(await gatewayPages(h.conn.projects, PROJECT_FIELDS, 'projects', { limit: '2' }, 'ASC')).toEqual([`${CONN}:${h.emu.projectId}`]);
    });
  });

  describe('devices', () => {
    it('lists every device in one vendor call, in both orders', async () => {
      await h.conn.getProject(h.emu.projectId, ctx());
      h.emu.resetStats();
      const asc = await drain(h.conn.devices, q('ASC', 5));
      expect(asc.pages).toBe(1);
      expect(h.emu.requestCount()).toBe(1);
      expect(asc.items.map((d) => d.id)).toEqual(h.emu.deviceIds().map((id) => `${CONN}:${id}`));
      const desc = await drain(h.conn.devices, q('DESC', 5));
      expect(desc.items.map((d) => d.id)).toEqual(asc.items.map((d) => d.id).reverse());
      expect((await h.conn.devices.fetchPage(q('ASC', 5), null, ctx())).total).toBe(16);
    });

    it('maps the props of a device', async () => {
      const raw = h.emu.device(busy)!;
      const device = await h.conn.getDevice(busy, ctx());
      expect(device).toEqual({
        object: 'device',
        id: `${CONN}:${busy}`,
        connection_id: CONN,
        provider: 'iottly',
        project_id: `${CONN}:${h.emu.projectId}`,
        name: raw.name,
        type: 'Linux ARMv6',
        serial_number: raw.macaddress.toLowerCase(),
        labels: {},
        tags: [],
        online: raw.operatingstatus === 'connected',
        last_seen_at: null,
        created_at: null,
        updated_at: null,
        native: raw,
      });
    });

    it('pages exactly through the listing library with small limits, in both orders', async () => {
      const all = h.emu.deviceIds().map((id) => `${CONN}:${id}`);
      for (const order of ['ASC', 'DESC'] as const) {
        for (const limit of [2, 3, 4, 5, 6, 7, 150]) {
          const ids = await gatewayPages(h.conn.devices, DEVICE_FIELDS, 'devices', { limit: String(limit), order }, 'ASC');
          expect(ids).toEqual(order === 'ASC' ? all : [...all].reverse());
        }
        expect(await gatewayPages(h.conn.devices, DEVICE_FIELDS, 'devices', { limit: '3', order }, 'ASC', true)).toEqual(order === 'ASC' ? all : [...all].reverse());
      }
    }, PAGING_LIMIT_MS);

    it('filters on fields iottly never fills without a vendor call', async () => {
      const none = [
        filter('tags', 'eq', 'x'),
        filter('labels.room', 'in', ['a']),
        filter('created_at', 'gte', 0),
        filter('project_id', 'eq', `${CONN}:${h.emu.credentials.otherProjectId}`),
        filter('id', 'in', ['other-conn:abc']),
      ];
      for (const f of none) expect((await drain(h.conn.devices, q('ASC', 50, [f]))).items).toEqual([]);
      expect(h.emu.requestCount()).toBe(0);
      const online = await gatewayPages(h.conn.devices, DEVICE_FIELDS, 'devices', { limit: '4', online: 'true', tags__neq: 'x' }, 'ASC');
      expect(online).toEqual(h.emu.deviceIds().filter((id) => h.emu.device(id)!.operatingstatus === 'connected').map((id) => `${CONN}:${id}`));
    });

    it('answers an unknown device with not_found', async () => {
      await expectError(h.conn.getDevice('00000000-0000-4000-8000-000000000000', ctx()), 'not_found');
      await expectError(h.conn.getDevice('..', ctx()), 'not_found');
    });

    it('renames a device with PUT …/props', async () => {
      const id = h.emu.deviceIds()[2];
      const device = await h.conn.updateDevice!(id, { name: 'Cold room renamed', tags: [] }, ctx());
      expect(device.name).toBe('Cold room renamed');
      expect(h.emu.device(id)!.name).toBe('Cold room renamed');
      const put = h.emu.requests().find((r) => r.method === 'PUT')!;
      expect(JSON.parse(put.body)).toEqual({ name: 'Cold room renamed' });
      expect((await h.conn.getDevice(id, ctx())).name).toBe('Cold room renamed');
    });

    it('refuses labels and tags (not_supported) and an empty name (validation_error) before calling', async () => {
      const id = h.emu.deviceIds()[2];
      await expectError(h.conn.updateDevice!(id, { labels: { room: 'a' } }, ctx()), 'not_supported');
      await expectError(h.conn.updateDevice!(id, { tags: ['x'] }, ctx()), 'not_supported');
      const error = await expectError(h.conn.updateDevice!(id, { name: '  ' }, ctx()), 'validation_error');
      expect(error.fields).toEqual([expect.objectContaining({ name: 'name' })]);
      expect(h.emu.requestCount()).toBe(0);
      await expectError(h.conn.updateDevice!('00000000-0000-4000-8000-000000000000', { name: 'x' }, ctx()), 'not_found');
    });

    it('maps a vendor 400 on rename to validation_error on name', async () => {
      h.emu.injectFault({ fault: { kind: 'status', status: 400, body: { error: 'name is too long' } }, path: '/props$' });
      const error = await expectError(h.conn.updateDevice!(busy, { name: 'x'.repeat(10) }, ctx()), 'validation_error');
      expect(error.fields).toEqual([{ name: 'name', message: expect.stringContaining('name is too long') }]);
      expect(error.upstreamStatus).toBe(400);
    });
  });

  describe('device status', () => {
    it('reports online from operatingstatus and last_seen_at from the newest message', async () => {
      const status = await h.conn.getDeviceStatus(busy, ctx());
      const [newest] = (await h.conn.messages(busy).fetchPage(q('DESC', 1), null, ctx())).items;
      expect(status).toMatchObject({ object: 'device_status', device_id: `${CONN}:${busy}`, online: h.emu.device(busy)!.operatingstatus === 'connected', last_seen_at: newest.created_at });
      expect(status.details).toMatchObject({ agent_version: h.emu.device(busy)!.agent_version });
      expect(Date.parse(status.checked_at)).toBeGreaterThan(0);
    });

    it('follows a change of the operating status', async () => {
      const id = h.emu.deviceIds()[1];
      h.emu.setOperatingStatus(id, 'disconnected');
      expect((await h.conn.getDeviceStatus(id, ctx())).online).toBe(false);
      expect((await h.conn.getDevice(id, ctx())).online).toBe(false);
      h.emu.setOperatingStatus(id, 'connected');
      expect((await h.conn.getDeviceStatus(id, ctx())).online).toBe(true);
    });

    it('gives null last_seen_at for a device without messages and not_found for an unknown one', async () => {
      const silent = h.emu.deviceIds()[15];
      expect((await h.conn.getDeviceStatus(silent, ctx())).last_seen_at).toBeNull();
      await expectError(h.conn.getDeviceStatus('00000000-0000-4000-8000-000000000000', ctx()), 'not_found');
    });
  });

  describe('messages', () => {
    let everything: Message[];

    beforeAll(async () => {
      everything = (await drain(h.conn.messages(busy), q('DESC', 1000))).items;
    });

    it('reads every message of a busy device once, newest first, with valid timestamps', async () => {
      expect(everything.length).toBe(h.emu.messageCount(busy));
      expect(everything.length).toBeGreaterThan(300);
      expect(new Set(everything.map((m) => m.id)).size).toBe(everything.length);
      expectOrdered(everything, 'DESC');
      for (const m of everything.slice(0, 50)) {
        expect(m.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(m.device_id).toBe(`${CONN}:${busy}`);
        expect(m.direction).toBe('uplink');
        expect(['userdefined', 'iottlyagent']).toContain(m.native_type);
      }
      expect(ms(everything[0])).toBeLessThanOrEqual(NOW + 60_000);
    });

    it('derives the same ids on every read and in either order', async () => {
      const again = (await drain(h.conn.messages(busy), q('DESC', 37))).items;
      expect(again.map((m) => m.id)).toEqual(everything.map((m) => m.id));
      const asc = (await drain(h.conn.messages(busy), q('ASC', 100))).items;
      expect(asc.map((m) => m.id)).toEqual(everything.map((m) => m.id).reverse());
    });

    it('pages exactly at every provider page size, across the vendor’s 100-message limit', async () => {
      for (const order of ['DESC', 'ASC'] as const) {
        const expected = order === 'DESC' ? everything.map((m) => m.id) : everything.map((m) => m.id).reverse();
        for (const size of [1, 2, 3, 7, 99, 100, 101, 150, 1000]) {
          const { items } = await drain(h.conn.messages(busy), q(order, size));
          expect(items.map((m) => m.id)).toEqual(expected);
        }
      }
    }, PAGING_LIMIT_MS);

    it('never asks the vendor for more than 100 per page', async () => {
      await drain(h.conn.messages(busy), q('DESC', 1000));
      const sizes = h.emu.requests().map((r) => Number(new URLSearchParams(r.query).get('l')));
      expect(Math.max(...sizes)).toBe(100);
      expect(h.emu.requests().every((r) => new URLSearchParams(r.query).get('p') === '1')).toBe(true);
    });

    it('pages exactly through the listing library (limits 2–7 and 150), both orders', async () => {
      for (const order of ['DESC', 'ASC'] as const) {
        const expected = order === 'DESC' ? everything.map((m) => m.id) : everything.map((m) => m.id).reverse();
        for (const limit of [2, 3, 4, 5, 6, 7, 150]) {
          const ids = await gatewayPages(h.conn.messages(busy), MESSAGE_FIELDS, `messages:${busy}`, { limit: String(limit), order }, 'DESC');
          expect(ids).toEqual(expected);
        }
      }
    }, PAGING_LIMIT_MS);

    it('pushes created_at down as from/to and pages exactly inside the window, both orders', async () => {
      const gte = NOW - 4 * 24 * HOUR;
      // An upper bound exactly on a message's receive time: lte is inclusive, the vendor's `to` exclusive.
      const lte = ms(everything.find((m) => ms(m) <= NOW - 2 * 24 * HOUR)!);
      const inWindow = everything.filter((m) => ms(m) >= gte && ms(m) <= lte).map((m) => m.id);
      expect(inWindow.length).toBeGreaterThan(150);
      expect(inWindow[0]).toBe(everything.find((m) => ms(m) === lte)!.id);
      const filters = [filter('created_at', 'gte', gte), filter('created_at', 'lte', lte)];
      for (const order of ['DESC', 'ASC'] as const) {
        const expected = order === 'DESC' ? inWindow : [...inWindow].reverse();
        for (const size of [2, 5, 100, 150]) {
          h.emu.resetStats();
          const { items } = await drain(h.conn.messages(busy), q(order, size, filters));
          expect(items.map((m) => m.id)).toEqual(expected);
          if (size === 150) expect(h.emu.requestCount()).toBeLessThanOrEqual(Math.ceil(inWindow.length / 99) + 1);
        }
        for (const limit of [2, 7, 150]) {
          const params = { limit: String(limit), order, created_at__gte: new Date(gte).toISOString(), created_at__lte: new Date(lte).toISOString() };
          expect(await gatewayPages(h.conn.messages(busy), MESSAGE_FIELDS, `messages:${busy}`, params, 'DESC')).toEqual(expected);
        }
      }
      h.emu.resetStats();
      await drain(h.conn.messages(busy), q('DESC', 150, filters));
      const first = new URLSearchParams(h.emu.requests()[0].query);
      expect(first.get('from')).toBe(new Date(gte).toISOString().slice(0, 23));
      expect(first.get('to')).toBe(new Date(lte + 1).toISOString().slice(0, 23));
    });

    it('costs fewer vendor calls with a pushed-down window than without', async () => {
      await drain(h.conn.messages(busy), q('DESC', 100));
      const unfiltered = h.emu.requestCount();
      h.emu.resetStats();
      await drain(h.conn.messages(busy), q('DESC', 100, [filter('created_at', 'gte', NOW - 24 * HOUR)]));
      expect(h.emu.requestCount()).toBeLessThan(unfiltered / 3);
    });

    it('pushes native_type and type down as the vendor type', async () => {
      const agent = (await drain(h.conn.messages(busy), q('DESC', 100, [filter('native_type', 'eq', 'iottlyagent')]))).items;
      expect(agent.length).toBe(h.emu.messageCount(busy, 'iottlyagent'));
      expect(agent.map((m) => m.id)).toEqual(everything.filter((m) => m.native_type === 'iottlyagent').map((m) => m.id));
      expect(agent.every((m) => m.type === 'status')).toBe(true);
      expect(h.emu.requests().every((r) => new URLSearchParams(r.query).get('type') === 'iottlyagent')).toBe(true);
      h.emu.resetStats();
      const data = await gatewayPages(h.conn.messages(busy), MESSAGE_FIELDS, `messages:${busy}`, { limit: '150', type: 'data', order: 'ASC' }, 'DESC');
      expect(data).toEqual(everything.filter((m) => m.native_type === 'userdefined').map((m) => m.id).reverse());
      expect(h.emu.requests().every((r) => new URLSearchParams(r.query).get('type') === 'userdefined')).toBe(true);
    });

    it('answers a filter no message can pass with only the device check', async () => {
      for (const f of [filter('type', 'eq', 'command'), filter('direction', 'eq', 'downlink')]) {
        h.emu.resetStats();
        expect((await drain(h.conn.messages(busy), q('DESC', 10, [f]))).items).toEqual([]);
        expect(h.emu.requests().map((r) => r.path)).toEqual([`/v1.0/project/${h.emu.projectId}/device/${busy}/props`]);
      }
      await expectError(drain(h.conn.messages('00000000-0000-4000-8000-000000000000'), q('DESC', 10, [filter('type', 'eq', 'log')])), 'not_found');
    });

    it('reads the vendor 404 as an empty page, and an unknown device as not_found', async () => {
      const silent = h.emu.deviceIds()[15];
      expect(await drain(h.conn.messages(silent), q('DESC', 10))).toEqual({ items: [], pages: 1 });
      const future = [filter('created_at', 'gte', NOW + 365 * 24 * HOUR)];
      expect((await drain(h.conn.messages(busy), q('DESC', 10, future))).items).toEqual([]);
      await expectError(drain(h.conn.messages('00000000-0000-4000-8000-000000000000'), q('DESC', 10)), 'not_found');
    });

    it('does not shift pages when newer messages arrive while paging', async () => {
      const device = h.emu.deviceIds()[3];
      const source = h.conn.messages(device);
      const before = (await drain(source, q('DESC', 100))).items.map((m) => m.id);
      const first = await source.fetchPage(q('DESC', 5), null, ctx());
      h.emu.addMessage(device, { type: 'userdefined', payload: { late: 1 }, timestamp: h.emu.now() + 1000 });
      h.emu.addMessage(device, { type: 'userdefined', payload: { late: 2 }, timestamp: h.emu.now() + 2000 });
      const ids = first.items.map((m) => m.id);
      let cursor = first.next;
      while (cursor !== null) {
        const page = await source.fetchPage(q('DESC', 5), cursor, ctx());
        ids.push(...page.items.map((m) => m.id));
        cursor = page.next;
      }
      expect(ids).toEqual(before);
    });

    it('reads equal timestamps and identical copies across page boundaries exactly once', async () => {
      const device = h.emu.deviceIds()[4];
      const stamp = NOW - 30 * 60_000;
      for (let i = 0; i < 6; i++) h.emu.addMessage(device, { type: 'userdefined', payload: { same: i }, timestamp: stamp });
      for (let i = 0; i < 3; i++) h.emu.addMessage(device, { type: 'iottlyagent', payload: { connectionstatus: 'connected' }, timestamp: stamp });
      // More than a vendor page (100) of messages in one millisecond.
      for (let i = 0; i < 130; i++) h.emu.addMessage(device, { type: 'userdefined', payload: { burst: i % 120 }, timestamp: stamp - 5000 });
      const total = h.emu.messageCount(device);
      h.emu.resetStats();
      const reference = (await drain(h.conn.messages(device), q('DESC', 1000))).items;
      expect(reference).toHaveLength(total);
      expect(new Set(reference.map((m) => m.id)).size).toBe(total);
      for (const order of ['DESC', 'ASC'] as const) {
        const ids = order === 'DESC' ? reference.map((m) => m.id) : null;
        for (const size of [1, 2, 3, 4, 7, 150]) {
          h.emu.resetStats();
          const { items } = await drain(h.conn.messages(device), q(order, size));
          // Resuming inside the 130-message millisecond needs the bounded query's second vendor page.
          if (size === 1) expect(h.emu.requests().some((r) => new URLSearchParams(r.query).get('p') === '2')).toBe(true);
          expect(items).toHaveLength(total);
          expect(new Set(items.map((m) => m.id))).toEqual(new Set(reference.map((m) => m.id)));
          expectOrdered(items, order);
          if (ids) expect(items.map((m) => m.id)).toEqual(ids);
        }
        for (const limit of [2, 5, 150]) {
          const pages = await gatewayPages(h.conn.messages(device), MESSAGE_FIELDS, `messages:${device}`, { limit: String(limit), order }, 'DESC');
          expect(new Set(pages).size).toBe(total);
          expect(pages).toHaveLength(total);
        }
      }
      // Every `after` is found again by a fresh scan: the ids do not change between calls.
      const window = { created_at__gte: new Date(stamp - 5000).toISOString(), created_at__lte: new Date(stamp).toISOString() };
      const scanned = await gatewayPages(h.conn.messages(device), MESSAGE_FIELDS, `messages:${device}`, { limit: '7', ...window }, 'DESC', true);
      expect(scanned).toHaveLength(139);
      expect(new Set(scanned).size).toBe(139);
    }, PAGING_LIMIT_MS);

    it('rejects a cursor it did not issue', async () => {
      await expectError(h.conn.messages(busy).fetchPage(q('DESC', 5), 'nope', ctx()), 'internal_server_error');
    });
  });

  describe('commands', () => {
    beforeEach(() => h.emu.clearCommands());

    it('sends a declared message type with prefixed keys and reports it sent', async () => {
      const command = await h.conn.sendCommand!(busy, { id: 'cmd-1', name: 'LED_control', params: { state: 'on' } }, ctx());
      expect(command).toMatchObject({ object: 'command', id: `${CONN}:cmd-1`, device_id: `${CONN}:${busy}`, name: 'LED_control', params: { state: 'on' }, status: 'sent' });
      expect(command.created_at).toMatch(/Z$/);
      expect(h.emu.commands()).toEqual([expect.objectContaining({ deviceId: busy, cmdType: 'LED_control', values: { 'LED_control.state': 'on' } })]);
      // iottly keeps no record of commands: the gateway answers reads from the commands it recorded.
      expect('getCommand' in h.conn).toBe(false);
    });

    it('answers an undeclared type as validation_error on name, an unknown keyword on params', async () => {
      const error = await expectError(h.conn.sendCommand!(busy, { id: 'c', name: 'self_destruct', params: {} }, ctx()), 'validation_error');
      expect(error.fields).toEqual([{ name: 'name', message: expect.stringContaining('self_destruct') }]);
      expect(error.upstreamStatus).toBe(400);
      const keyword = await expectError(h.conn.sendCommand!(busy, { id: 'c', name: 'echo', params: { content: 'x', volume: 3 } }, ctx()), 'validation_error');
      expect(keyword.fields).toEqual([{ name: 'params.volume', message: expect.any(String) }]);
      await expectError(h.conn.sendCommand!(busy, { id: 'c', name: '', params: {} }, ctx()), 'validation_error');
      expect(h.emu.commands()).toEqual([]);
    });

    it('answers a device outside the project with not_found', async () => {
      await expectError(h.conn.sendCommand!('00000000-0000-4000-8000-000000000000', { id: 'c', name: 'echo', params: { content: 'x' } }, ctx()), 'not_found');
    });

    it('is never retried (a retry could run the command twice)', async () => {
      const { http, conn } = connect(h.emu, { retries: 2 });
      h.emu.injectFault({ fault: { kind: 'status', status: 503, body: { error: 'busy' } }, path: '/command$' });
      await expectError(conn.sendCommand!(busy, { id: 'c', name: 'echo', params: { content: 'x' } }, ctx()), 'upstream_unavailable');
      expect(h.emu.requests().filter((r) => r.path.endsWith('/command'))).toHaveLength(1);
      await http.close();
    });
  });

  describe('passthrough and errors', () => {
    it('reaches the license API (all and one) with the connection’s auth headers', async () => {
      const headers = await h.conn.authHeaders(ctx());
      const all = await h.http.request({ method: 'GET', path: `/project/${h.emu.projectId}/license`, headers }, ctx());
      expect(all.status).toBe(200);
      const licenses = all.json<Record<string, { status: string }>>();
      expect(Object.keys(licenses).sort()).toEqual([...h.emu.licenseTokens()].sort());
      const token = h.emu.licenseTokens()[0];
      const one = await h.http.request({ method: 'GET', path: `/project/${h.emu.projectId}/license/${token}`, headers }, ctx());
      expect(one.status).toBe(200);
      expect(Object.keys(one.json<Record<string, unknown>>())).toEqual([token]);
    });

    it('maps vendor failures per API.md', async () => {
      h.emu.injectFault({ fault: { kind: 'status', status: 500, body: { error: 'boom' } }, path: '/inspect$' });
      const boom = await expectError(h.conn.getProject(h.emu.projectId, ctx()), 'upstream_error');
      expect(boom).toMatchObject({ upstreamStatus: 500, connectionId: CONN, provider: 'iottly', retryable: true });
      expect(boom.message).toContain('boom');

      h.emu.injectFault({ fault: { kind: 'status', status: 429, body: { error: 'slow down' }, headers: { 'retry-after': '3' } }, path: '/devices/props$' });
      const limited = await expectError(h.conn.devices.fetchPage(q('ASC', 5), null, ctx()), 'upstream_rate_limited');
      expect(limited.retryAfter).toBe(3);

      h.emu.injectFault({ fault: { kind: 'malformed-json' }, path: '/devices/props$' });
      await expectError(h.conn.devices.fetchPage(q('ASC', 5), null, ctx()), 'upstream_error');

      h.emu.injectFault({ fault: { kind: 'body', body: { nothing: true } }, path: '/devices/props$' });
      await expectError(h.conn.devices.fetchPage(q('ASC', 5), null, ctx()), 'upstream_error');

      h.emu.injectFault({ fault: { kind: 'body', body: { messages: 'no' } }, path: '/paginated$' });
      await expectError(h.conn.messages(busy).fetchPage(q('DESC', 5), null, ctx()), 'upstream_error');

      h.emu.injectFault({ fault: { kind: 'status', status: 404, body: { error: 'Not Found' } }, path: `/device/${busy}/props$` });
      await expectError(h.conn.getDevice(busy, ctx()), 'not_found');

      h.emu.injectFault({ fault: { kind: 'status', status: 400, body: { error: 'Invalid custom query: from' } }, path: '/paginated$' });
      const window = await expectError(drain(h.conn.messages(busy), q('DESC', 5, [filter('created_at', 'gte', NOW)])), 'validation_error');
      expect(window.fields).toEqual([{ name: 'created_at__gte', message: expect.stringContaining('Invalid custom query') }]);

      h.emu.injectFault({ fault: { kind: 'status', status: 400, body: { error: 'Invalid custom query: l' } }, path: '/paginated$' });
      await expectError(drain(h.conn.messages(busy), q('DESC', 5)), 'upstream_error');
    });

    it('reports an unreachable vendor as upstream_unavailable', async () => {
      const emu = await startIottlyEmulator({ now: NOW, deviceCount: 1 });
      const { http, conn } = connect(emu);
      await emu.close();
      await expectError(conn.getProject(emu.projectId, ctx()), 'upstream_unavailable');
      await http.close();
    });
  });
});
