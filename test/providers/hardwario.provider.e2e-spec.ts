import { backgroundContext, type ConnectionConfig, type Device, type Filter, type ListQuery, type ListSource, type Message, type ProviderConnection } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { hardwarioProvider, type HardwarioSettings } from '@devicegate/providers/hardwario';

/** The HARDWARIO provider against the HARDWARIO emulator over loopback HTTP. */

const CONN = 'hw-test';
const EXTRA_DEVICES = 30;

let hw: HardwarioEmulator;
const clients: HttpClient[] = [];

function connect(overrides: { apiKey?: string; spaceId?: string; baseUrl?: string; onlineWindow?: number } = {}): ProviderConnection {
  const baseUrl = overrides.baseUrl ?? hw.baseUrl;
  const config: ConnectionConfig<HardwarioSettings> = {
    id: CONN,
    provider: 'hardwario',
    display_name: 'HARDWARIO test',
    base_url: baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: hardwarioProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: { space_id: overrides.spaceId ?? hw.spaceId, ...(overrides.onlineWindow ? { online_window: overrides.onlineWindow } : {}) },
    credentials: { api_key: overrides.apiKey ?? hw.credentials.apiKey },
  };
  const http = new HttpClient({ baseUrl, timeoutMs: 5000, retries: 0, connectionId: CONN, provider: 'hardwario' });
  clients.push(http);
  return hardwarioProvider.create(config, { http });
}

const f = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });
const q = (pageSize: number, filters: Filter[] = [], order: ListQuery['order'] = 'ASC'): ListQuery => ({ pageSize, filters, order, includeTotal: false });
const native = (id: string) => id.slice(CONN.length + 1);

/** Reads a list source to its end, the way the gateway does, counting vendor calls. */
async function readAll<T>(source: ListSource<T>, query: ListQuery): Promise<{ items: T[]; calls: number; pages: number }> {
  const ctx = backgroundContext();
  const items: T[] = [];
  let cursor = null;
  let pages = 0;
  do {
    const page = await source.fetchPage(query, cursor, ctx);
    items.push(...page.items);
    // Cursors travel through the gateway's resume cache as JSON.
    cursor = page.next === null ? null : JSON.parse(JSON.stringify(page.next));
    pages += 1;
    expect(pages).toBeLessThan(10_000);
  } while (cursor !== null);
  return { items, calls: ctx.upstreamCalls, pages };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected a GatewayError');
}

const UNKNOWN_UUID = '018e08bc-0000-7000-8000-000000000000';

beforeAll(async () => {
  hw = await startHardwarioEmulator({ port: 0, now: Date.now(), deviceCount: 14 + EXTRA_DEVICES });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await hw.close();
});

describe('definition', () => {
  it('declares the contract defaults and capabilities', () => {
    expect(hardwarioProvider.id).toBe('hardwario');
    expect(hardwarioProvider.defaultBaseUrl).toBe('https://api.hardwario.cloud');
    expect(hardwarioProvider.capabilities['devices.transfer']).toBe(false);
    expect(hardwarioProvider.capabilities['commands.get']).toBe(true);
    expect(hardwarioProvider.connectionSchema).toMatchObject({ required: ['space_id', 'credentials'] });
  });
});

describe('auth', () => {
  it('sends the API key as X-Api-Key', async () => {
    expect(await connect().authHeaders(backgroundContext())).toEqual({ 'X-Api-Key': hw.credentials.apiKey });
  });

  it('maps a rejected key to upstream_auth_failed without echoing it', async () => {
    const error = await failure(connect({ apiKey: 'wrong-key-value' }).getDevice(hw.demoDeviceIds()[0], backgroundContext()));
    expect(error.type).toBe('upstream_auth_failed');
    expect(error.upstreamStatus).toBe(401);
    expect(error.connectionId).toBe(CONN);
    expect(error.message).not.toContain('wrong-key-value');
  });

  it('maps a space the key does not own to upstream_auth_failed', async () => {
    const error = await failure(readAll(connect({ spaceId: UNKNOWN_UUID }).devices, q(10)));
    expect(error.type).toBe('upstream_auth_failed');
  });

  it('maps an unreachable vendor to upstream_unavailable', async () => {
    const error = await failure(connect({ baseUrl: 'http://127.0.0.1:1' }).getProject(hw.spaceId, backgroundContext()));
    expect(error.type).toBe('upstream_unavailable');
  });
});

describe('projects', () => {
  it('lists the space as the one project, with its device count', async () => {
    const conn = connect();
    const { items } = await readAll(conn.projects, q(50));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      object: 'project',
      id: `${CONN}:${hw.spaceId}`,
      connection_id: CONN,
      provider: 'hardwario',
      name: 'devicegate-demo',
      kind: 'space',
      device_count: hw.deviceIds().length,
    });
    expect(items[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(await conn.getProject(hw.spaceId, backgroundContext())).toEqual(items[0]);
    const first = await conn.projects.fetchPage(q(50), null, backgroundContext());
    expect(first.total).toBe(1);
    expect(conn.projects.plan(q(50)).exactTotal).toBe(true);
  });

  it('answers another project id with not_found, and an id filter of another connection without a call', async () => {
    const conn = connect();
    expect((await failure(conn.getProject(UNKNOWN_UUID, backgroundContext()))).type).toBe('not_found');
    const { items, calls } = await readAll(conn.projects, q(50, [f('id', 'eq', `other:${hw.spaceId}`)]));
    expect(items).toEqual([]);
    expect(calls).toBe(0);
  });
});

describe('devices', () => {
  let all: Device[];

  beforeAll(async () => {
    all = (await readAll(connect().devices, q(1000))).items;
  });

  it('reads every device once, in id order, whatever the page size', async () => {
    const ids = all.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.map(native).sort()).toEqual([...hw.deviceIds()].sort());
    expect(ids.map(native)).toEqual([...ids.map(native)].sort());
    for (const pageSize of [2, 3, 7, 44, 100]) {
      const { items, pages } = await readAll(connect().devices, q(pageSize));
      expect(items.map((d) => d.id)).toEqual(ids);
      expect(pages).toBe(Math.floor(ids.length / Math.min(pageSize, 100)) + 1);
    }
  });

  it('yields DESC natively', async () => {
    const conn = connect();
    expect(conn.devices.plan(q(5, [], 'DESC')).order).toBe('DESC');
    const { items } = await readAll(conn.devices, q(5, [], 'DESC'));
    expect(items.map((d) => d.id)).toEqual(all.map((d) => d.id).reverse());
  });

  it('maps the canonical fields', () => {
    for (const device of all) {
      expect(device).toMatchObject({ object: 'device', connection_id: CONN, provider: 'hardwario', project_id: `${CONN}:${hw.spaceId}` });
      expect(typeof device.name).toBe('string');
      expect(typeof device.serial_number).toBe('string');
      expect(Array.isArray(device.tags)).toBe(true);
      expect(typeof device.online).toBe('boolean');
      expect(device.created_at).toMatch(/Z$/);
      expect(device.native).toBeDefined();
    }
    const demo = all.filter((d) => hw.demoDeviceIds().includes(native(d.id)));
    expect(demo.filter((d) => d.online)).toHaveLength(11);
    expect(demo.filter((d) => d.last_seen_at === null)).toHaveLength(1);
    expect(demo.some((d) => Object.keys(d.labels).length > 0)).toBe(true);
    expect(demo.some((d) => (d.tags ?? []).length > 0)).toBe(true);
  });

  it('counts a device online only within the configured online_window', async () => {
    const demo = all.filter((d) => hw.demoDeviceIds().includes(native(d.id)) && d.online);
    const { items } = await readAll(connect({ onlineWindow: 1 }).devices, q(100));
    const strict = items.filter((d) => demo.some((o) => o.id === d.id));
    // With a one-second window only a device seen in the very last second could still be online.
    expect(strict.filter((d) => d.online).length).toBeLessThan(demo.length);
  });

  const matches = (device: Device, filter: Filter): boolean => {
    const tags = device.tags ?? [];
    switch (`${filter.field}__${filter.op}`) {
      case 'name__eq':
        return device.name === filter.value;
      case 'serial_number__eq':
        return device.serial_number === filter.value;
      case 'tags__eq':
        return tags.includes(filter.value as string);
      case 'tags__in':
        return (filter.value as string[]).some((t) => tags.includes(t));
      case 'id__eq':
        return device.id === filter.value;
      default:
        throw new Error(`no matcher for ${filter.param}`);
    }
  };

  /** Pushed down, the gateway's own filtering of the provider's items gives the same answer with fewer calls. */
  async function checkPushDown(filters: Filter[], pageSize = 2): Promise<Device[]> {
    const expected = all.filter((d) => filters.every((filter) => matches(d, filter)));
    const unfiltered = await readAll(connect().devices, q(pageSize));
    const pushed = await readAll(connect().devices, q(pageSize, filters));
    const kept = pushed.items.filter((d) => filters.every((filter) => matches(d, filter)));
    expect(kept.map((d) => d.id)).toEqual(expected.map((d) => d.id));
    expect(pushed.calls).toBeLessThan(unfiltered.calls);
    return expected;
  }

  it('pushes down name, serial number, id and tags', async () => {
    const target = all.find((d) => (d.tags ?? []).length > 0 && hw.demoDeviceIds().includes(native(d.id)))!;
    expect(await checkPushDown([f('name', 'eq', target.name!)])).toHaveLength(1);
    expect(await checkPushDown([f('serial_number', 'eq', target.serial_number!)])).toHaveLength(1);
    expect(await checkPushDown([f('id', 'eq', target.id)])).toHaveLength(1);
    const tag = target.tags![0];
    expect((await checkPushDown([f('tags', 'eq', tag)])).length).toBeGreaterThan(0);
    expect((await checkPushDown([f('tags', 'in', ['outdoor', 'metering'])])).length).toBeGreaterThan(0);
    await checkPushDown([f('tags', 'eq', 'outdoor'), f('tags', 'eq', 'critical')]);
  });

  it('ends a list early when no device can match', async () => {
    const conn = connect();
    const unknownTag = await readAll(conn.devices, q(10, [f('tags', 'eq', 'no-such-tag')]));
    expect(unknownTag.items).toEqual([]);
    expect(unknownTag.calls).toBe(1);
    const otherConnection = await readAll(conn.devices, q(10, [f('id', 'eq', `other:${native(all[0].id)}`)]));
    expect(otherConnection).toMatchObject({ items: [], calls: 0 });
    const missing = await readAll(conn.devices, q(10, [f('id', 'eq', `${CONN}:${UNKNOWN_UUID}`)]));
    expect(missing).toMatchObject({ items: [], calls: 1 });
  });

  it('caches the tag list briefly', async () => {
    const conn = connect();
    const first = await readAll(conn.devices, q(100, [f('tags', 'eq', 'outdoor')]));
    const second = await readAll(conn.devices, q(100, [f('tags', 'eq', 'outdoor')]));
    expect(second.calls).toBe(first.calls - 1);
  });

  it('gets one device, and answers unknown ids with not_found', async () => {
    const conn = connect();
    const device = await conn.getDevice(native(all[0].id), backgroundContext());
    // The single read learns the type from the latest uplink; the list, read first, did not know it.
    expect({ ...device, online: all[0].online, type: null }).toEqual(all[0]);
    expect(device.type).toBe('CHESTER-M');
    expect((await failure(conn.getDevice(UNKNOWN_UUID, backgroundContext()))).type).toBe('not_found');
    const ctx = backgroundContext();
    expect((await failure(conn.getDevice('not-a-uuid', ctx))).type).toBe('not_found');
    expect(ctx.upstreamCalls).toBe(0);
  });
});

describe('device lifecycle', () => {
  const serial = '2159099001';
  let created: Device;

  it('claims a device (serial number + claim token), with labels and tags', async () => {
    created = await connect().createDevice!(
      { name: 'test-claimed-01', serial_number: serial, labels: { room: 'lab', floor: '2' }, tags: ['indoor', 'critical'], params: { token: 'a'.repeat(32) } },
      backgroundContext(),
    );
    expect(created).toMatchObject({
      object: 'device',
      name: 'test-claimed-01',
      serial_number: serial,
      labels: { room: 'lab', floor: '2' },
      online: false,
      last_seen_at: null,
    });
    expect([...created.tags!].sort()).toEqual(['critical', 'indoor']);
    expect(hw.deviceIds()).toContain(native(created.id));
  });

  it('refuses a second claim of the same serial number as a conflict', async () => {
    const error = await failure(connect().createDevice!({ name: 'test-claimed-02', serial_number: serial, params: { claim_token: 'b'.repeat(32) } }, backgroundContext()));
    expect(error.type).toBe('conflict');
    expect(error.upstreamStatus).toBe(409);
  });

  it('validates the claim before calling the vendor', async () => {
    const ctx = backgroundContext();
    const error = await failure(connect().createDevice!({ params: { colour: 'red' } }, ctx));
    expect(error.type).toBe('validation_error');
    expect(error.fields!.map((x) => x.name).sort()).toEqual(['name', 'params.colour', 'params.token', 'serial_number']);
    expect(ctx.upstreamCalls).toBe(0);
    expect((await failure(connect().createDevice!({ name: 'x-1', serial_number: '1', type: 'chester', params: { token: 't' } }, ctx))).type).toBe('not_supported');
  });

  it('answers unknown tag names and vendor field errors with validation_error', async () => {
    const unknownTag = await failure(connect().createDevice!({ name: 'test-x', serial_number: '2159099002', tags: ['nope'], params: { token: 't' } }, backgroundContext()));
    expect(unknownTag.type).toBe('validation_error');
    expect(unknownTag.fields!.map((x) => x.name)).toEqual(['tags']);
    const badName = await failure(connect().createDevice!({ name: 'Bad Name', serial_number: '2159099003', params: { token: 't' } }, backgroundContext()));
    expect(badName.type).toBe('validation_error');
    expect(badName.upstreamStatus).toBe(400);
    expect(badName.fields!.map((x) => x.name)).toEqual(['name']);
  });

  it('updates name, merges labels and replaces tags', async () => {
    const conn = connect();
    const updated = await conn.updateDevice!(
      native(created.id),
      { name: 'test-renamed-01', labels: { room: null, floor: '3', zone: 'b' }, tags: ['outdoor'] },
      backgroundContext(),
    );
    expect(updated).toMatchObject({ name: 'test-renamed-01', labels: { floor: '3', zone: 'b' }, tags: ['outdoor'] });
    expect(await conn.getDevice(native(created.id), backgroundContext())).toMatchObject({ labels: { floor: '3', zone: 'b' }, tags: ['outdoor'] });
    const unchanged = await conn.updateDevice!(native(created.id), { labels: { extra: 'x' } }, backgroundContext());
    expect(unchanged).toMatchObject({ name: 'test-renamed-01', labels: { floor: '3', zone: 'b', extra: 'x' }, tags: ['outdoor'] });
    const cleared = await conn.updateDevice!(native(created.id), { tags: [] }, backgroundContext());
    expect(cleared.tags).toEqual([]);
  });

  it('rejects unknown tags and unknown devices on update', async () => {
    const conn = connect();
    const error = await failure(conn.updateDevice!(native(created.id), { tags: ['outdoor', 'ghost'] }, backgroundContext()));
    expect(error).toMatchObject({ type: 'validation_error', fields: [expect.objectContaining({ name: 'tags' })] });
    expect((await failure(conn.updateDevice!(UNKNOWN_UUID, { name: 'whatever-1' }, backgroundContext()))).type).toBe('not_found');
  });

  it('deletes the device', async () => {
    const conn = connect();
    await conn.deleteDevice!(native(created.id), backgroundContext());
    expect((await failure(conn.getDevice(native(created.id), backgroundContext()))).type).toBe('not_found');
    expect((await failure(conn.deleteDevice!(native(created.id), backgroundContext()))).type).toBe('not_found');
  });
});

describe('status', () => {
  it('reports online state and battery/signal from the latest uplink', async () => {
    const conn = connect();
    const devices = (await readAll(conn.devices, q(100))).items.filter((d) => hw.demoDeviceIds().includes(native(d.id)));
    const online = devices.find((d) => d.online)!;
    const status = await conn.getDeviceStatus(native(online.id), backgroundContext());
    expect(status).toMatchObject({ object: 'device_status', device_id: online.id, online: true, last_seen_at: online.last_seen_at });
    expect(status.checked_at).toMatch(/Z$/);
    expect(status.details).toHaveProperty('session_id');
    expect(status.details).toHaveProperty('last_message');
    expect(status.details).toHaveProperty('battery');

    const silent = devices.find((d) => d.last_seen_at === null)!;
    expect(await conn.getDeviceStatus(native(silent.id), backgroundContext())).toMatchObject({ online: false, last_seen_at: null });
    expect((await failure(conn.getDeviceStatus(UNKNOWN_UUID, backgroundContext()))).type).toBe('not_found');
  });

  it('learns a device type from the product its uplinks name: once per device on a single read, from every uplink read, never by a list', async () => {
    const conn = connect();
    const deviceId = hw.demoDeviceIds().find((id) => hw.messagesOf(id).some((m) => m.direction === 'up' && String(m.body).includes('product_name')))!;
    // A list shows only what is learnt: nothing yet, and no message is read for it.
    const unknown = (await readAll(conn.devices, q(100))).items;
    expect(unknown.find((d) => native(d.id) === deviceId)!.type).toBeNull();
    // The first single read reads the latest uplink beside the device; later ones do not.
    const first = backgroundContext();
    expect((await conn.getDevice(deviceId, first)).type).toBe('CHESTER-M');
    expect(first.upstreamCalls).toBe(2);
    const after = backgroundContext();
    expect((await conn.getDevice(deviceId, after)).type).toBe('CHESTER-M');
    expect(after.upstreamCalls).toBe(1);
    const listed = (await readAll(conn.devices, q(100))).items.find((d) => native(d.id) === deviceId)!;
    expect(listed.type).toBe('CHESTER-M');

    // A device with no uplink naming a product stays null, and is not asked again.
    const silent = hw.demoDeviceIds().find((id) => !hw.messagesOf(id).some((m) => m.direction === 'up' && String(m.body).includes('product_name')))!;
    expect((await conn.getDevice(silent, backgroundContext())).type).toBeNull();
    const again = backgroundContext();
    await conn.getDevice(silent, again);
    expect(again.upstreamCalls).toBe(1);

    // A status or a message list teaches it too, and then a single read costs one call.
    for (const teach of [(c: typeof conn) => c.getDeviceStatus(deviceId, backgroundContext()), (c: typeof conn) => c.messages(deviceId).fetchPage(q(5, [], 'DESC'), null, backgroundContext())]) {
      const other = connect();
      await teach(other);
      const read = backgroundContext();
      expect((await other.getDevice(deviceId, read)).type).toBe('CHESTER-M');
      expect(read.upstreamCalls).toBe(1);
    }
  });
});

describe('messages', () => {
  let deviceId: string;
  let all: Message[];

  beforeAll(async () => {
    deviceId = [...hw.demoDeviceIds()].sort((a, b) => hw.messagesOf(b).length - hw.messagesOf(a).length)[0];
    all = (await readAll(connect().messages(deviceId), q(100, [], 'DESC'))).items;
  });

  it('reads the whole history, not just the vendor default of 24 h, newest first, each once', async () => {
    expect(all.length).toBe(hw.messagesOf(deviceId).length);
    expect(all.length).toBeGreaterThan(100);
    const times = all.map((m) => Date.parse(m.created_at));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]);
    expect(times[times.length - 1]).toBeLessThan(Date.now() - 2 * 86_400_000);
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
    for (const pageSize of [2, 7, 20, 1000]) {
      const { items } = await readAll(connect().messages(deviceId), q(pageSize, [], 'DESC'));
      expect(items.map((m) => m.id)).toEqual(all.map((m) => m.id));
    }
  });

  it('declares DESC whatever the query asks', () => {
    expect(connect().messages(deviceId).plan(q(10, [], 'ASC'))).toEqual({ order: 'DESC', exactTotal: false });
  });

  it('maps bodies, types and directions', () => {
    for (const message of all) {
      expect(message).toMatchObject({ object: 'message', connection_id: CONN, provider: 'hardwario', device_id: `${CONN}:${deviceId}` });
      expect(typeof message.data).toBe('object');
      expect(message.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    const data = all.find((m) => m.native_type === 'data' && m.direction === 'uplink')!;
    expect(data.type).toBe('data');
    expect(data.direction).toBe('uplink');
    expect(Object.keys(data.data).length).toBeGreaterThan(0);
    expect(all.filter((m) => m.native_type === 'session' || m.native_type === 'stats').every((m) => m.type === 'status')).toBe(true);
  });

  const keep = (message: Message, filters: Filter[]) =>
    filters.every((filter) => {
      const t = Date.parse(message.created_at);
      const values = Array.isArray(filter.value) ? filter.value : [filter.value];
      switch (`${filter.field}__${filter.op}`) {
        case 'created_at__gte':
          return t >= (filter.value as number);
        case 'created_at__lte':
          return t <= (filter.value as number);
        case 'type__eq':
        case 'type__in':
          return values.includes(message.type);
        case 'native_type__eq':
          return values.includes(message.native_type ?? '');
        case 'direction__eq':
          return values.includes(message.direction);
        default:
          throw new Error(`no matcher for ${filter.param}`);
      }
    });

  async function checkPushDown(filters: Filter[]): Promise<Message[]> {
    const expected = all.filter((m) => keep(m, filters));
    const unfiltered = await readAll(connect().messages(deviceId), q(20, [], 'DESC'));
    const pushed = await readAll(connect().messages(deviceId), q(20, filters, 'DESC'));
    expect(pushed.items.filter((m) => keep(m, filters)).map((m) => m.id)).toEqual(expected.map((m) => m.id));
    expect(pushed.calls).toBeLessThan(unfiltered.calls);
    return expected;
  }

  it('pushes down created_at bounds (inclusive at both ends), type, native_type and direction', async () => {
    const middle = all[Math.floor(all.length / 2)];
    const t = Date.parse(middle.created_at);
    const window = await checkPushDown([f('created_at', 'gte', t), f('created_at', 'lte', t + 86_400_000)]);
    expect(window.map((m) => m.id)).toContain(middle.id);
    const exact = await checkPushDown([f('created_at', 'gte', t), f('created_at', 'lte', t)]);
    expect(exact.map((m) => m.id)).toContain(middle.id);
    expect((await checkPushDown([f('type', 'eq', 'status')])).length).toBeGreaterThan(0);
    expect((await checkPushDown([f('native_type', 'eq', 'session')])).length).toBeGreaterThan(0);
    expect((await checkPushDown([f('type', 'in', ['config', 'command'])])).length).toBeGreaterThan(0);
  });

  it('pushes down direction', async () => {
    const down = hw.demoDeviceIds().find((id) => hw.messagesOf(id).some((m) => m.direction === 'down'))!;
    const { items, calls } = await readAll(connect().messages(down), q(100, [f('direction', 'eq', 'downlink')], 'DESC'));
    expect(items.length).toBe(hw.messagesOf(down).filter((m) => m.direction === 'down').length);
    expect(items.every((m) => m.direction === 'downlink')).toBe(true);
    expect(calls).toBe(1);
  });

  it('answers an unknown device with not_found, and a device without messages with an empty list', async () => {
    expect((await failure(readAll(connect().messages(UNKNOWN_UUID), q(20, [], 'DESC')))).type).toBe('not_found');
    expect((await failure(readAll(connect().messages('nope'), q(20, [], 'DESC')))).type).toBe('not_found');
    expect((await failure(readAll(connect().messages(UNKNOWN_UUID), q(20, [f('type', 'eq', 'log')], 'DESC')))).type).toBe('not_found');
    const quiet = hw.deviceIds().find((id) => hw.messagesOf(id).length === 0)!;
    expect((await readAll(connect().messages(quiet), q(20, [], 'DESC'))).items).toEqual([]);
  });
});

describe('commands', () => {
  let deviceId: string;

  beforeAll(() => {
    deviceId = hw.demoDeviceIds()[0];
  });

  it('queues a downlink and follows its state to sent', async () => {
    const conn = connect();
    const command = await conn.sendCommand!(deviceId, { id: 'gw-cmd-1', name: 'downlink', params: { relay: true, setpoint: 21.5 } }, backgroundContext());
    expect(command).toMatchObject({ object: 'command', device_id: `${CONN}:${deviceId}`, name: 'downlink', params: { relay: true, setpoint: 21.5 }, status: 'queued' });
    const messageId = native(command.id);
    expect(hw.messagesOf(deviceId).some((m) => m.id === messageId)).toBe(true);

    const read = await conn.getCommand!(deviceId, messageId, backgroundContext());
    expect(read).toMatchObject({ id: command.id, status: 'queued', name: 'downlink' });
    hw.addUplink(deviceId, { thermometer: { temperature: 20.1 } });
    const sent = await conn.getCommand!(deviceId, messageId, backgroundContext());
    expect(sent).toMatchObject({ id: command.id, status: 'sent', name: 'downlink', params: { relay: true, setpoint: 21.5 } });

    const { items } = await readAll(conn.messages(deviceId), q(5, [f('direction', 'eq', 'downlink')], 'DESC'));
    expect(items.find((m) => m.id === command.id)).toMatchObject({ type: 'data', direction: 'downlink', data: { relay: true, setpoint: 21.5 } });
  });

  it('queues config lines and shell commands', async () => {
    const conn = connect();
    const config = await conn.sendCommand!(deviceId, { id: 'gw-cmd-2', name: 'config', params: { lines: ['app config interval-report 1800'] } }, backgroundContext());
    expect(config).toMatchObject({ name: 'config', status: 'queued' });
    expect(await conn.getCommand!(deviceId, native(config.id), backgroundContext())).toMatchObject({
      name: 'config',
      params: { lines: ['app config interval-report 1800'] },
      status: 'queued',
    });
    const shell = await conn.sendCommand!(deviceId, { id: 'gw-cmd-3', name: 'shell', params: { commands: ['info show', 'app config show'] } }, backgroundContext());
    expect(await conn.getCommand!(deviceId, native(shell.id), backgroundContext())).toMatchObject({
      name: 'shell',
      params: { commands: ['info show', 'app config show'] },
    });
  });

  it('validates params before calling the vendor', async () => {
    const ctx = backgroundContext();
    const conn = connect();
    for (const [name, params, field] of [
      ['downlink', {}, 'params'],
      ['config', { lines: ['config save'] }, 'params.lines[0]'],
      ['shell', { commands: 'info show' }, 'params.commands'],
      ['reboot', {}, 'name'],
    ] as const) {
      const error = await failure(conn.sendCommand!(deviceId, { id: 'x', name, params }, ctx));
      expect(error.type).toBe('validation_error');
      expect(error.fields!.map((x) => x.name)).toContain(field);
    }
    expect(ctx.upstreamCalls).toBe(0);
  });

  it('answers unknown devices and commands with not_found', async () => {
    const conn = connect();
    expect((await failure(conn.sendCommand!(UNKNOWN_UUID, { id: 'x', name: 'downlink', params: { a: 1 } }, backgroundContext()))).type).toBe('not_found');
    expect((await failure(conn.getCommand!(deviceId, UNKNOWN_UUID, backgroundContext()))).type).toBe('not_found');
    const uplink = hw.messagesOf(deviceId).find((m) => m.direction === 'up')!;
    expect((await failure(conn.getCommand!(deviceId, uplink.id, backgroundContext()))).type).toBe('not_found');
  });
});
