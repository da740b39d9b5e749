import { Ajv } from 'ajv';
import { backgroundContext, type ConnectionConfig, type Filter, type ListQuery, type ListSource, type Order, type ProviderConnection } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { DEVICE_FIELDS, MESSAGE_FIELDS, PROJECT_FIELDS, compileFilters, type FieldSpecs } from '@devicegate/listing';
import { startDisruptiveEmulator, type DisruptiveEmulator, type DisruptiveEmulatorOptions } from '@devicegate/emulators/disruptive';
import { Router, startEmulatorServer } from '@devicegate/emulators/kit';
import { disruptiveProvider } from '@devicegate/providers/disruptive';

const CONN = 'dt-test';
const ctx = () => backgroundContext('e2e');

interface Opened {
  conn: ProviderConnection;
  http: HttpClient;
}
const opened: HttpClient[] = [];

function connect(dt: DisruptiveEmulator, options: { settings?: Record<string, unknown>; credentials?: Record<string, string>; retries?: number } = {}): Opened {
  const retries = options.retries ?? 0;
  const http = new HttpClient({ baseUrl: dt.baseUrl, timeoutMs: 10_000, retries, connectionId: CONN, provider: 'disruptive', backoffMs: 10 });
  opened.push(http);
  const config: ConnectionConfig = {
    id: CONN,
    provider: 'disruptive',
    display_name: 'DT test',
    base_url: dt.baseUrl,
    timeout_ms: 10_000,
    retries,
    rate_limit: disruptiveProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { token_url: dt.tokenUrl, ...(options.settings ?? {}) },
    credentials: options.credentials ?? { key_id: dt.credentials.keyId, secret: dt.credentials.secret, email: dt.credentials.email },
  };
  return { conn: disruptiveProvider.create(config, { http }), http };
}

const query = (filters: Filter[] = [], pageSize = 100, order: Order = 'ASC'): ListQuery => ({ filters, order, pageSize, includeTotal: false });
const f = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });

/** Reads a list to its end as the gateway does, storing each cursor as JSON in between. */
async function readAll<T>(source: ListSource<T>, q: ListQuery): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await source.fetchPage(q, cursor, ctx());
    items.push(...page.items);
    cursor = page.next === null ? null : JSON.parse(JSON.stringify(page.next));
    pages += 1;
    if (pages > 5000) throw new Error('list does not end');
  } while (cursor !== null);
  return { items, pages };
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const matching = <T extends object>(fields: FieldSpecs, filters: Filter[], items: T[]) => items.filter(compileFilters(fields, filters));

async function expectError(promise: Promise<unknown>, type: string): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe(type);
    return error as GatewayError;
  }
  throw new Error(`expected a ${type} error`);
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((http) => http.close()));
});

describe('definition', () => {
  it('declares defaults, capabilities and a connection schema', () => {
    expect(disruptiveProvider.id).toBe('disruptive');
    expect(disruptiveProvider.defaultBaseUrl).toBe('https://api.disruptive-technologies.com/v2');
    expect(disruptiveProvider.defaultRateLimit).toEqual({ requests: 25, windowMs: 5000 });
    expect(disruptiveProvider.capabilities).toMatchObject({
      'devices.create': false,
      'devices.delete': false,
      'commands.send': false,
      'commands.get': false,
      'devices.update': true,
      'devices.transfer': true,
      'messages.list': true,
      passthrough: true,
    });
    const validate = new Ajv({ strict: false }).compile(disruptiveProvider.connectionSchema);
    expect(validate({ organization_id: 'o1', credentials: { key_id: 'k', secret: 's', email: 'e@x' } })).toBe(true);
    expect(validate({ auth: 'basic', credentials: { key_id: 'k', secret: 's' } })).toBe(true);
    expect(validate({ credentials: { key_id: 'k', secret: 's' } })).toBe(false);
    expect(validate({ auth: 'oauth2', credentials: { key_id: 'k', secret: 's' } })).toBe(false);
    expect(validate({ auth: 'digest', credentials: { key_id: 'k', secret: 's', email: 'e' } })).toBe(false);
    expect(validate({ space_id: 'x', credentials: { key_id: 'k', secret: 's', email: 'e' } })).toBe(false);
  });
});

describe('against the emulator', () => {
  let dt: DisruptiveEmulator;
  const DEVICES = 40;

  beforeAll(async () => {
    dt = await startDisruptiveEmulator({ deviceCount: DEVICES, rateLimit: false });
  });
  afterAll(async () => {
    await dt.close();
  });

  describe.each([
    ['without organization', {}],
    ['with organization', { organization: true }],
  ])('lists %s', (_label, mode: { organization?: boolean }) => {
    let conn: ProviderConnection;
    beforeEach(() => {
      conn = connect(dt, { settings: mode.organization ? { organization_id: dt.organizationId } : {} }).conn;
    });

    it('projects: every project once, the same with every page size', async () => {
      const big = await readAll(conn.projects, query([], 1000));
      expect(ids(big.items).sort()).toEqual(dt.projectIds.map((p) => `${CONN}:${p}`).sort());
      for (const size of [1, 2]) expect(ids((await readAll(conn.projects, query([], size))).items)).toEqual(ids(big.items));
      expect(big.items[0]).toMatchObject({ object: 'project', kind: 'project', connection_id: CONN, provider: 'disruptive' });
      expect(big.items.every((p) => typeof p.name === 'string' && typeof p.device_count === 'number' && p.native)).toBe(true);
      expect(conn.projects.plan(query([], 10, 'DESC'))).toEqual({ order: 'ASC', exactTotal: false });
    });

    it('projects: an exact id is read with one call; impossible filters with none', async () => {
      const all = (await readAll(conn.projects, query([], 1))).items;
      const cases: Filter[][] = [
        [f('id', 'eq', all[1].id)],
        [f('id', 'in', [all[0].id, 'other:x'])],
        [f('id', 'eq', `${CONN}:c0000000000000000000`)],
        [f('kind', 'eq', 'space')],
        [f('name', 'eq', all[0].name!)],
      ];
      for (const filters of cases) {
        dt.resetStats();
        const got = ids(matching(PROJECT_FIELDS, filters, (await readAll(conn.projects, query(filters, 1))).items));
        expect({ filters, got }).toEqual({ filters, got: ids(matching(PROJECT_FIELDS, filters, all)) });
        if (filters[0].field === 'id') expect(dt.requestCount()).toBeLessThanOrEqual(1);
        if (filters[0].field === 'kind') expect(dt.requestCount()).toBe(0);
      }
    });

    it('devices: every device once, stable order, the same with every page size', async () => {
      const big = await readAll(conn.devices, query([], 1000));
      expect(big.items).toHaveLength(DEVICES);
      expect(new Set(ids(big.items)).size).toBe(DEVICES);
      expect(ids(big.items).sort()).toEqual(dt.deviceIds().map((d) => `${CONN}:${d}`).sort());
      for (const size of [1, 7, 100]) {
        const paged = await readAll(conn.devices, query([], size));
        expect(ids(paged.items)).toEqual(ids(big.items));
      }
      const small = await readAll(conn.devices, query([], 7));
      expect(small.pages).toBeGreaterThanOrEqual(Math.ceil(DEVICES / 7));
    });

    it('devices: push-down answers the same with fewer vendor calls', async () => {
      const all = (await readAll(conn.devices, query([], 1))).items;
      const sample = all.find((d) => d.name !== null && Object.keys(d.labels).length > 0)!;
      const [labelKey, labelValue] = Object.entries(sample.labels)[0];
      const otherProject = all.find((d) => d.project_id !== sample.project_id)!.project_id!;
      const cases: Filter[][] = [
        [f('id', 'eq', sample.id)],
        [f('id', 'in', [sample.id, all[all.length - 1].id, 'other:abc'])],
        [f('project_id', 'eq', otherProject)],
        [f('project_id', 'in', [sample.project_id!, otherProject])],
        [f('type', 'eq', sample.type!)],
        [f('type', 'in', ['ccon', 'temperature'])],
        [f('name', 'eq', sample.name!)],
        [f(`labels.${labelKey}`, 'eq', labelValue)],
        [f('labels.virtual-sensor', 'eq', '')],
        [f('type', 'eq', sample.type!), f('project_id', 'eq', sample.project_id!)],
        [f('id', 'eq', 'other:abc')],
      ];
      for (const filters of cases) {
        const expected = ids(matching(DEVICE_FIELDS, filters, all));
        dt.resetStats();
        const got = ids(matching(DEVICE_FIELDS, filters, (await readAll(conn.devices, query(filters, 1))).items));
        const calls = dt.requestCount();
        expect({ filters, got }).toEqual({ filters, got: expected });
        // Paged one by one without push-down, this list costs one call per device (plus the project list).
        expect({ filters, calls }).toEqual({ filters, calls: expect.any(Number) });
        expect(calls).toBeLessThanOrEqual(expected.length + 3);
        if (expected.length === 0 && filters.some((x) => String(x.value).includes('other'))) expect(calls).toBe(0);
      }
    });

    it('devices: sends the documented list parameters', async () => {
      const [project] = dt.projectIds;
      const device = dt.deviceIds(project)[0];
      const filters = [
        f('id', 'in', [`${CONN}:${device}`]),
        f('project_id', 'eq', `${CONN}:${project}`),
        f('type', 'eq', dt.getDevice(device)!.type),
        f('name', 'eq', dt.getDevice(device)!.labels!.name),
      ];
      dt.resetStats();
      const { items } = await readAll(conn.devices, query(filters, 50));
      expect(ids(items)).toEqual([`${CONN}:${device}`]);
      const sent = dt.requests().filter((r) => /\/devices$/.test(r.path));
      expect(sent).toHaveLength(1);
      const params = new URLSearchParams(sent[0].query);
      expect(params.getAll('device_ids')).toEqual([device]);
      expect(params.getAll('device_types')).toEqual([dt.getDevice(device)!.type]);
      expect(params.getAll('label_filters')).toEqual([`name=${dt.getDevice(device)!.labels!.name}`]);
      expect(params.get('page_size')).toBe('50');
      if (mode.organization) {
        expect(sent[0].path).toMatch(/\/projects\/-\/devices$/);
        expect(params.get('organization')).toBe(`organizations/${dt.organizationId.replace(/^organizations\//, '')}`);
        expect(params.getAll('projects')).toEqual([`projects/${project}`]);
      } else {
        expect(sent[0].path).toMatch(new RegExp(`/projects/${project}/devices$`));
      }
    });

    it('getProject and getDevice, and 404 as not_found', async () => {
      const project = await conn.getProject(dt.projectIds[1], ctx());
      expect(project.id).toBe(`${CONN}:${dt.projectIds[1]}`);
      await expectError(conn.getProject('c0000000000000000000', ctx()), 'not_found');
      const id = dt.deviceIds()[0];
      const device = await conn.getDevice(id, ctx());
      expect(device).toMatchObject({ id: `${CONN}:${id}`, tags: [], created_at: null, updated_at: null });
      expect(device.native).toEqual(dt.getDevice(id));
      await expectError(conn.getDevice('c0000000000000000000', ctx()), 'not_found');
    });
  });

  describe('devices', () => {
    it('maps name, labels, type, online and last contact from the vendor device', async () => {
      const { conn } = connect(dt);
      for (const id of dt.deviceIds().slice(0, 16)) {
        const wire = dt.getDevice(id)!;
        const device = await conn.getDevice(id, ctx());
        const { name, ...rest } = wire.labels ?? {};
        expect(device.name).toBe(name ?? null);
        expect(device.labels).toEqual(rest);
        expect(device.type).toBe(wire.type);
        expect(device.project_id).toBe(`${CONN}:${wire.name.split('/')[1]}`);
        // The device id printed on the sensor identifies it; the product number is shared by every sensor of a kind.
        expect(device.serial_number).toBe(device.id.slice(`${CONN}:`.length));
        expect(device.last_seen_at === null || /\.\d{3}Z$/.test(device.last_seen_at)).toBe(true);
        if (wire.type === 'ccon') expect(typeof device.online).toBe('boolean');
      }
      const sensors = await Promise.all(dt.deviceIds().slice(0, 16).map((id) => conn.getDevice(id, ctx())));
      expect(sensors.some((d) => d.online === true)).toBe(true);
    });

    it('status shows the reported facts', async () => {
      const { conn } = connect(dt);
      const all = await Promise.all(dt.deviceIds().slice(0, 16).map((id) => conn.getDeviceStatus(id, ctx())));
      const temperature = all.find((s) => s.details.device_type === 'temperature')!;
      expect(typeof temperature.details.temperature).toBe('number');
      expect(temperature.details.battery).toMatchObject({ percentage: expect.any(Number) });
      expect(temperature.details.signal).toMatchObject({ signal_strength: expect.any(Number) });
      expect(temperature.details.connection).toMatchObject({ type: 'CLOUD_CONNECTOR' });
      const ccon = all.find((s) => s.details.device_type === 'ccon')!;
      expect(ccon.details.connection).toMatchObject({ type: expect.any(String), available: expect.any(Array) });
      expect(temperature.checked_at).toMatch(/Z$/);
      await expectError(conn.getDeviceStatus('c0000000000000000000', ctx()), 'not_found');
    });
  });

  describe('messages', () => {
    it('reads the whole history of a device once, oldest first, with every page size', async () => {
      const { conn } = connect(dt);
      const id = dt.deviceIds()[0];
      const history = dt.events(id);
      const source = conn.messages(id);
      // Newest first is read natively, in time windows walking back from now.
      expect(source.plan(query([], 50, 'DESC'))).toEqual({ order: 'DESC', exactTotal: false });
      const big = await readAll(source, query([], 1000));
      expect(ids(big.items)).toEqual(history.map((e) => `${CONN}:${e.eventId}`));
      const times = big.items.map((m) => Date.parse(m.created_at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      for (const size of [100, 333]) expect(ids((await readAll(source, query([], size))).items)).toEqual(ids(big.items));
      // A DESC query walks back from now in growing time windows: the same messages, newest first, in a few calls.
      dt.resetStats();
      expect(ids((await readAll(source, query([], 51, 'DESC'))).items)).toEqual(ids(big.items).reverse());
      expect(dt.requestCount()).toBeLessThanOrEqual(20);
      const first = big.items[0];
      expect(first).toMatchObject({ object: 'message', direction: 'uplink', device_id: `${CONN}:${id}` });
      expect(first.device_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(first.native_type).toBe(history[0].eventType);
      expect(first.data).toEqual(history[0].data);
    });

    it('push-down of time, type and native_type answers the same with fewer calls', async () => {
      const { conn } = connect(dt);
      const id = dt.deviceIds()[0];
      const source = conn.messages(id);
      const all = (await readAll(source, query([], 1000))).items;
      const mid = all[Math.floor(all.length / 2)];
      const late = all[Math.floor((all.length * 3) / 4)];
      const types = [...new Set(all.map((m) => m.native_type!))];
      const cases: Filter[][] = [
        [f('created_at', 'gte', Date.parse(mid.created_at))],
        [f('created_at', 'gte', Date.parse(mid.created_at)), f('created_at', 'lte', Date.parse(late.created_at))],
        [f('native_type', 'eq', types[0])],
        [f('native_type', 'in', types.slice(0, 2))],
        [f('type', 'eq', 'status')],
        [f('type', 'in', ['status', 'event'])],
        [f('type', 'eq', 'data')],
        [f('direction', 'eq', 'downlink')],
      ];
      for (const filters of cases) {
        const expected = ids(matching(MESSAGE_FIELDS, filters, all));
        const got = ids(matching(MESSAGE_FIELDS, filters, (await readAll(source, query(filters, 1000))).items));
        expect({ filters, got }).toEqual({ filters, got: expected });
      }
      dt.resetStats();
      await readAll(source, query([], 100));
      const unfiltered = dt.requestCount();
      dt.resetStats();
      await readAll(source, query([f('created_at', 'gte', Date.parse(late.created_at))], 100));
      expect(dt.requestCount()).toBeLessThan(unfiltered);
      const sent = dt.requests().find((r) => r.path.endsWith('/events'))!;
      expect(new URLSearchParams(sent.query).get('start_time')).toBe(new Date(Date.parse(late.created_at) - 1).toISOString());
      dt.resetStats();
      await readAll(source, query([f('type', 'eq', 'status')], 100));
      expect(dt.requests().filter((r) => r.path.endsWith('/events')).every((r) => new URLSearchParams(r.query).getAll('event_types').length > 0)).toBe(true);
    });

    it('an unknown device is not_found, also when nothing could match', async () => {
      const { conn } = connect(dt);
      await expectError(conn.messages('c0000000000000000000').fetchPage(query(), null, ctx()), 'not_found');
      await expectError(conn.messages('c0000000000000000000').fetchPage(query([f('direction', 'eq', 'downlink')]), null, ctx()), 'not_found');
    });
  });

  describe('update and transfer', () => {
    it('adds, overwrites and removes labels and sets the name label', async () => {
      const { conn } = connect(dt);
      const id = dt.deviceIds()[3];
      const before = await conn.getDevice(id, ctx());
      const updated = await conn.updateDevice!(id, { name: 'Renamed sensor', labels: { floor: '3', zone: 'north' } }, ctx());
      expect(updated.name).toBe('Renamed sensor');
      expect(updated.labels).toMatchObject({ floor: '3', zone: 'north' });
      expect(dt.getDevice(id)!.labels).toMatchObject({ name: 'Renamed sensor', floor: '3', zone: 'north' });
      const removed = await conn.updateDevice!(id, { labels: { zone: null, absent: null } }, ctx());
      expect(removed.labels.zone).toBeUndefined();
      expect(removed.labels.floor).toBe('3');
      expect(Object.keys(removed.labels).sort()).toEqual([...new Set([...Object.keys(before.labels), 'floor'])].sort());
      dt.resetStats();
      expect((await conn.updateDevice!(id, { tags: [] }, ctx())).id).toBe(updated.id);
      expect(dt.requests().some((r) => r.path.endsWith(':batchUpdate'))).toBe(false);
      await expectError(conn.updateDevice!(id, { tags: ['a'] }, ctx()), 'not_supported');
      await expectError(conn.updateDevice!(id, { labels: { name: 'x' } }, ctx()), 'validation_error');
      await expectError(conn.updateDevice!('c0000000000000000000', { name: 'x' }, ctx()), 'not_found');
    });

    it('moves a device into another project, native or unified target', async () => {
      const { conn } = connect(dt, { settings: { organization_id: dt.organizationId } });
      const [first, second] = dt.projectIds;
      const id = dt.deviceIds(first)[1];
      const history = (await readAll(conn.messages(id), query([], 1000))).items.length;
      const moved = await conn.transferDevice!(id, { project_id: second }, ctx());
      expect(moved.project_id).toBe(`${CONN}:${second}`);
      expect(dt.getDevice(id)!.name).toBe(`projects/${second}/devices/${id}`);
      expect((await readAll(conn.messages(id), query([], 1000))).items.length).toBeGreaterThanOrEqual(history);
      const back = await conn.transferDevice!(id, { project_id: `${CONN}:${first}` }, ctx());
      expect(back.project_id).toBe(`${CONN}:${first}`);
      await expectError(conn.transferDevice!(id, { owner_user_id: 'u1' }, ctx()), 'not_supported');
      await expectError(conn.transferDevice!(id, { project_id: 'other:p' }, ctx()), 'validation_error');
      await expectError(conn.transferDevice!(id, {}, ctx()), 'validation_error');
      await expectError(conn.transferDevice!(id, { project_id: 'c0000000000000000000' }, ctx()), 'not_found');
      await expectError(conn.transferDevice!('c0000000000000000000', { project_id: second }, ctx()), 'not_found');
    });

    it('leaves create, delete and commands out', () => {
      const { conn } = connect(dt);
      expect(conn.createDevice).toBeUndefined();
      expect(conn.deleteDevice).toBeUndefined();
      expect(conn.sendCommand).toBeUndefined();
      expect(conn.getCommand).toBeUndefined();
    });
  });

  describe('errors', () => {
    it('maps vendor statuses and bodies to the contract', async () => {
      const { conn } = connect(dt);
      const id = dt.deviceIds()[0];
      dt.injectFault({ fault: { kind: 'status', status: 400, body: { error: 'bad label key', code: 400, help: 'https://docs.d21s.com/error/#400' } }, path: 'devices' });
      const invalid = await expectError(conn.getDevice(id, ctx()), 'validation_error');
      expect(invalid.message).toContain('bad label key');
      expect(invalid.upstreamStatus).toBe(400);
      dt.injectFault({ fault: { kind: 'status', status: 409, body: { error: 'already exists', code: 409 } }, path: 'devices' });
      await expectError(conn.getDevice(id, ctx()), 'conflict');
      dt.injectFault({ fault: { kind: 'status', status: 403, body: { error: 'forbidden', code: 403 } }, path: '/devices$' });
      await expectError(readAll(conn.devices, query()), 'upstream_auth_failed');
      dt.injectFault({ fault: { kind: 'status', status: 500, body: { error: 'boom', code: 500 } }, path: 'devices' });
      const server = await expectError(conn.getDevice(id, ctx()), 'upstream_error');
      expect(server.retryable).toBe(true);
      dt.injectFault({ fault: { kind: 'status', status: 503, body: { error: 'down', code: 503 } }, path: 'devices' });
      await expectError(conn.getDevice(id, ctx()), 'upstream_unavailable');
      dt.injectFault({ fault: { kind: 'malformed-json' }, path: 'devices' });
      await expectError(conn.getDevice(id, ctx()), 'upstream_error');
      dt.injectFault({ fault: { kind: 'body', body: { nothing: true } }, path: '/devices$' });
      await expectError(readAll(conn.devices, query()), 'upstream_error');
      dt.clearFaults();
    });

    it('retries an idempotent call after a 5xx when the connection allows retries', async () => {
      const { conn } = connect(dt, { retries: 2 });
      dt.injectFault({ fault: { kind: 'status', status: 500, body: { error: 'boom', code: 500 } }, path: 'devices', times: 1 });
      expect((await conn.getDevice(dt.deviceIds()[0], ctx())).id).toBe(`${CONN}:${dt.deviceIds()[0]}`);
      dt.clearFaults();
    });
  });

  describe('auth', () => {
    it('starts exactly one token exchange for 50 calls that find no token', async () => {
      const { conn } = connect(dt);
      const before = dt.tokenRequestCount();
      const results = await Promise.all(Array.from({ length: 50 }, () => conn.getProject(dt.projectIds[0], ctx())));
      expect(results).toHaveLength(50);
      expect(dt.tokenRequestCount() - before).toBe(1);
      await conn.getDevice(dt.deviceIds()[0], ctx());
      expect(dt.tokenRequestCount() - before).toBe(1);
      const token = dt.requests().find((r) => r.path.endsWith('/oauth2/token'))!;
      const form = new URLSearchParams(token.body);
      expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      expect(token.headers['content-type']).toContain('application/x-www-form-urlencoded');
    });

    it('drops a token the API refuses and retries once with a fresh one', async () => {
      const { conn } = connect(dt);
      await conn.getProject(dt.projectIds[0], ctx());
      const before = dt.tokenRequestCount();
      dt.expireTokens();
      const results = await Promise.all(Array.from({ length: 20 }, () => conn.getDevice(dt.deviceIds()[0], ctx())));
      expect(results).toHaveLength(20);
      expect(dt.tokenRequestCount() - before).toBe(1);
    });

    it('answers passthrough headers with the current bearer token', async () => {
      const { conn, http } = connect(dt);
      const headers = await conn.authHeaders(ctx());
      expect(headers.authorization).toMatch(/^Bearer \S+$/);
      const res = await http.request({ method: 'GET', path: '/projects', headers }, ctx());
      expect(res.status).toBe(200);
    });

    it('works with HTTP Basic', async () => {
      const { conn } = connect(dt, { settings: { auth: 'basic' }, credentials: { key_id: dt.credentials.keyId, secret: dt.credentials.secret } });
      const before = dt.tokenRequestCount();
      expect((await readAll(conn.projects, query())).items).toHaveLength(dt.projectIds.length);
      expect(dt.tokenRequestCount()).toBe(before);
      const headers = await conn.authHeaders(ctx());
      expect(headers.authorization).toBe(`Basic ${Buffer.from(`${dt.credentials.keyId}:${dt.credentials.secret}`).toString('base64')}`);
    });

    it('reports wrong credentials as upstream_auth_failed without leaking them', async () => {
      const secret = 'wrong-secret-0123456789';
      const { conn } = connect(dt, { credentials: { key_id: dt.credentials.keyId, secret, email: dt.credentials.email } });
      const error = await expectError(conn.getDevice(dt.deviceIds()[0], ctx()), 'upstream_auth_failed');
      expect(JSON.stringify({ message: error.message, fields: error.fields })).not.toContain(secret);
      const basic = connect(dt, { settings: { auth: 'basic' }, credentials: { key_id: dt.credentials.keyId, secret } }).conn;
      const basicError = await expectError(basic.getDevice(dt.deviceIds()[0], ctx()), 'upstream_auth_failed');
      expect(basicError.message).not.toContain(secret);
    });
  });
});

describe('token lifetime', () => {
  let dt: DisruptiveEmulator;
  beforeAll(async () => {
    dt = await startDisruptiveEmulator({ tokenTtlSeconds: 1, rateLimit: false });
  });
  afterAll(async () => {
    await dt.close();
  });

  it('fetches a new token once the old one has expired', async () => {
    const { conn } = connect(dt);
    await conn.getProject(dt.projectIds[0], ctx());
    await conn.getProject(dt.projectIds[0], ctx());
    expect(dt.tokenRequestCount()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const results = await Promise.all(Array.from({ length: 10 }, () => conn.getProject(dt.projectIds[0], ctx())));
    expect(results).toHaveLength(10);
    expect(dt.tokenRequestCount()).toBe(2);
    // Every API call was answered with a valid token: no 401 was needed.
    expect(dt.requests().filter((r) => r.status === 401)).toHaveLength(0);
  });
});

describe('rate limit', () => {
  let dt: DisruptiveEmulator;
  const options: DisruptiveEmulatorOptions = {};
  beforeAll(async () => {
    dt = await startDisruptiveEmulator(options);
  });
  afterAll(async () => {
    await dt.close();
  });

  it("maps the vendor's 429 to upstream_rate_limited with Retry-After", async () => {
    const { conn } = connect(dt, { settings: { auth: 'basic' }, credentials: { key_id: dt.credentials.keyId, secret: dt.credentials.secret } });
    // One after another: identical reads in flight at once would be one vendor call.
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < 30; i++) outcomes.push(...(await Promise.allSettled([conn.getProject(dt.projectIds[0], ctx())])));
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as GatewayError);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(25);
    expect(rejected).toHaveLength(5);
    for (const error of rejected) {
      expect(error.type).toBe('upstream_rate_limited');
      expect(error.upstreamStatus).toBe(429);
      expect(error.retryAfter).toBeGreaterThan(0);
      expect(error.connectionId).toBe(CONN);
    }
    const limited = dt.requests().find((r) => r.status === 429);
    expect(limited).toBeDefined();
    dt.resetRateLimit();
  });
});

describe('a burst of events', () => {
  // More than a vendor page within two milliseconds: no narrower window can split it, so newest-first reads the
  // window to its end. The emulator cannot place a thousand events that close together; this vendor answers the
  // device and its history as DT documents them, the first page whatever the window, the rest by page token.
  it('newest first reads a window to its end without changing the vendor pages it shares', async () => {
    const at = Date.now() - 60_000;
    const stamp = (i: number) => `${new Date(at + Math.floor(i / 1000)).toISOString().slice(0, 23)}${String(i % 1000).padStart(3, '0')}Z`;
    const event = (i: number) => ({
      eventId: `e${i}`,
      targetName: 'projects/p1/devices/d1',
      eventType: 'temperature',
      data: { temperature: { value: 20, updateTime: stamp(i) } },
      timestamp: stamp(i),
    });
    const router = new Router()
      .get('/projects/:project/devices/:device', () => ({ status: 200, body: { name: 'projects/p1/devices/d1', type: 'temperature', labels: {}, reported: {} } }))
      .get('/projects/:project/devices/:device/events', (req) =>
        req.query.get('page_token') === 'rest'
          ? { status: 200, body: { events: Array.from({ length: 5 }, (_, i) => event(1000 + i)), nextPageToken: '' } }
          : { status: 200, body: { events: Array.from({ length: 1000 }, (_, i) => event(i)), nextPageToken: 'rest' } },
      );
    const vendor = await startEmulatorServer({ name: 'dt-burst', router, notFound: () => ({ status: 404, body: { error: 'not found' } }) });
    try {
      const http = new HttpClient({ baseUrl: vendor.url, timeoutMs: 10_000, retries: 0, connectionId: CONN, provider: 'disruptive' });
      opened.push(http);
      const conn = disruptiveProvider.create(
        { id: CONN, provider: 'disruptive', display_name: 'DT burst', base_url: vendor.url, timeout_ms: 10_000, retries: 0, rate_limit: disruptiveProvider.defaultRateLimit, circuit: { failure_threshold: 5, open_seconds: 30 }, settings: { auth: 'basic' }, credentials: { key_id: 'k', secret: 's' } },
        { http },
      );
      const page = await conn.messages('d1').fetchPage(query([], 50, 'DESC'), null, ctx());
      expect(page.items.map((m) => m.id)).toEqual(Array.from({ length: 1005 }, (_, i) => `${CONN}:e${1004 - i}`));
      // The window was narrowed once, to two milliseconds, then read to its end.
      expect(vendor.requests().map((r) => [r.path.split('/').at(-1), new URLSearchParams(r.query).get('page_token')])).toEqual([['d1', null], ['events', null], ['events', null], ['events', 'rest']]);
    } finally {
      await vendor.close();
    }
  });
});
