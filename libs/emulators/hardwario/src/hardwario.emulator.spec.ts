import { DAY, HOUR } from '@devicegate/emulators/kit';
import { HARDWARIO_SANDBOX_CREDENTIALS, startHardwarioEmulator, type HardwarioEmulator } from './index.js';
import type { HardwarioConnector, HardwarioDevice, HardwarioMessage, HardwarioTag } from './hardwario.types.js';

const NOW = Date.parse('2025-05-14T10:00:00.000Z');
const KEY = HARDWARIO_SANDBOX_CREDENTIALS.apiKey;
const SPACE = HARDWARIO_SANDBOX_CREDENTIALS.spaceId;

interface Answer<T> {
  status: number;
  body: T;
  text: string;
}

async function call<T = unknown>(base: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { 'X-Api-Key': KEY, Accept: 'application/json', ...(options.headers ?? {}) };
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain-text answers (`not found`) stay text
  }
  return { status: res.status, body: body as T, text };
}

const uuid7Ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('HARDWARIO Cloud v2 emulator', () => {
  let emu: HardwarioEmulator;
  let big: HardwarioEmulator;
  const get = <T>(path: string, headers?: Record<string, string>) => call<T>(emu.url, 'GET', path, { headers });
  const sp = (rest: string) => `/v2/spaces/${SPACE}${rest}`;

  beforeAll(async () => {
    emu = await startHardwarioEmulator({ port: 0, host: '127.0.0.1', now: NOW });
    big = await startHardwarioEmulator({ port: 0, host: '127.0.0.1', now: NOW, deviceCount: 1000 });
  });
  afterAll(async () => {
    await emu.close();
    await big.close();
  });

  describe('authentication and scope', () => {
    it('rejects a missing or wrong key with 401 in Fastify shape', async () => {
      const missing = await fetch(`${emu.url}${sp('/devices')}`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' });
      const wrong = await get(sp('/devices'), { 'X-Api-Key': 'ec0c96a8-0000-4b53-80d5-0446689a8ab7' });
      expect(wrong.status).toBe(401);
    });

    it('accepts the key header in any letter case and the legacy ApiKey scheme', async () => {
      for (const name of ['X-API-KEY', 'x-api-key', 'X-API-Key']) {
        const res = await fetch(`${emu.url}${sp('/devices?limit=1')}`, { headers: { [name]: KEY } });
        expect(res.status).toBe(200);
      }
      const legacy = await fetch(`${emu.url}${sp('/devices?limit=1')}`, { headers: { Authorization: `ApiKey ${KEY}` } });
      expect(legacy.status).toBe(200);
    });

    it('logs in with email and password and accepts the bearer token', async () => {
      const bad = await call(emu.url, 'POST', '/v2/auth/login', { body: { email: 'sandbox@devicegate.local', password: 'nope' }, headers: {} });
      expect(bad.status).toBe(401);
      const ok = await call<{ access_token: string }>(emu.url, 'POST', '/v2/auth/login', { body: { email: HARDWARIO_SANDBOX_CREDENTIALS.email, password: HARDWARIO_SANDBOX_CREDENTIALS.password } });
      expect(ok.status).toBe(200);
      expect(ok.body.access_token.split('.')).toHaveLength(3);
      const res = await fetch(`${emu.url}/v2/spaces`, { headers: { Authorization: `Bearer ${ok.body.access_token}` } });
      expect(res.status).toBe(200);
      const forged = await fetch(`${emu.url}/v2/spaces`, { headers: { Authorization: 'Bearer abc.def.ghi' } });
      expect(forged.status).toBe(401);
    });

    it('keeps a key inside its space: any other space id is 403', async () => {
      const other = await get<{ statusCode: number; error: string }>('/v2/spaces/018e08bc-a806-7e52-a5e8-000000000000/devices');
      expect(other.status).toBe(403);
      expect(other.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    });

    it('lists and reads the one space of the key', async () => {
      const list = await get<unknown[]>('/v2/spaces');
      expect(list.body).toEqual([
        { id: SPACE, name: 'devicegate-demo', type: 'team', owner_id: expect.any(String), user_role: 'admin', created_at: '2024-03-04T09:12:45.318Z' },
      ]);
      expect((await get('/v2/spaces?offset=' + SPACE)).body).toEqual([]);
      expect((await get(`/v2/spaces/${SPACE}`)).body).toEqual(list.body[0]);
    });

    it('answers unknown paths like Fastify and unknown ids with the text `not found`', async () => {
      const route = await get<Record<string, unknown>>('/v2/nothing-here');
      expect(route.status).toBe(404);
      expect(route.body).toEqual({ message: 'Route GET:/v2/nothing-here not found', error: 'Not Found', statusCode: 404 });
      for (const path of ['/devices/018e0000-0000-7000-8000-000000000000', '/messages/018e0000-0000-7000-8000-000000000000', '/tags/018e0000-0000-7000-8000-000000000000', '/connectors/x']) {
        const res = await get(sp(path));
        expect(res.status).toBe(404);
        expect(res.text).toBe('not found');
      }
    });
  });

  describe('seeded demo space', () => {
    it('holds 14 realistic devices, id ascending, as a bare array', async () => {
      const res = await get<HardwarioDevice[]>(sp('/devices'));
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body).toHaveLength(14);
      expect(res.body.map((d) => d.id)).toEqual([...res.body.map((d) => d.id)].sort());
      expect(res.body.map((d) => d.id)).toEqual(emu.deviceIds());
      for (const d of res.body) {
        expect(d.name).toMatch(/^[a-z][a-z0-9-]+[a-z0-9]$/);
        expect(d.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(uuid7Ms(d.id)).toBe(Date.parse(d.created_at));
        expect(d.space_id).toBe(SPACE);
        expect(d.serial_number).toMatch(/^\d{10}$/);
        expect(Object.keys(d).sort()).toEqual(
          ['comment', 'config_hash', 'created_at', 'dashboard_type', 'decoder_hash', 'encoder_hash', 'external_id', 'id', 'label', 'last_seen', 'name', 'serial_number', 'session_id', 'space_id', 'tags'].sort(),
        );
      }
      const products = new Set(res.body.map((d) => d.dashboard_type));
      expect(products).toEqual(new Set(['chester-meteo', 'chester-clime', 'chester-control', 'chester-current', 'chester-counter', 'chester-push', 'chester-scale', 'chester-range']));
      expect(res.body.filter((d) => d.tags.length === 0).length).toBeGreaterThanOrEqual(2);
      expect(res.body.some((d) => d.tags.length >= 2)).toBe(true);
      const seen = res.body.map((d) => (d.last_seen === null ? null : NOW - Date.parse(d.last_seen)));
      expect(seen.filter((age) => age !== null && age < HOUR).length).toBeGreaterThanOrEqual(8);
      expect(seen.filter((age) => age !== null && age > DAY).length).toBeGreaterThanOrEqual(2);
      expect(seen.filter((age) => age === null)).toHaveLength(1);
      const tag: HardwarioTag = res.body.find((d) => d.tags.length > 0)!.tags[0];
      expect(Object.keys(tag).sort()).toEqual(['access_type', 'color', 'created_at', 'id', 'name']);
      expect(tag.color).toMatch(/^#[0-9a-f]{6}$/i);
    });

    it('is the same at every start', async () => {
      const again = await startHardwarioEmulator({ now: NOW });
      const later = await startHardwarioEmulator({ now: NOW + 5 * DAY });
      try {
        const a = await call<HardwarioDevice[]>(emu.url, 'GET', sp('/devices'));
        const b = await call<HardwarioDevice[]>(again.url, 'GET', sp('/devices'));
        expect(b.body).toEqual(a.body);
        const msgA = await call(emu.url, 'GET', sp(`/messages?limit=100&after=${new Date(NOW - 7 * DAY).toISOString()}`));
        const msgB = await call(again.url, 'GET', sp(`/messages?limit=100&after=${new Date(NOW - 7 * DAY).toISOString()}`));
        expect(msgB.body).toEqual(msgA.body);
        const c = await call<HardwarioDevice[]>(later.url, 'GET', sp('/devices'));
        expect(c.body.map((d) => [d.id, d.name, d.serial_number])).toEqual(a.body.map((d) => [d.id, d.name, d.serial_number]));
      } finally {
        await again.close();
        await later.close();
      }
    });

    it('has a week of data, session, config and stats messages plus a few downlinks per device', () => {
      const all = emu.demoDeviceIds().flatMap((id) => emu.messagesOf(id));
      expect(new Set(all.map((m) => m.type))).toEqual(new Set(['data', 'session', 'config', 'stats', 'shell']));
      const times = all.map((m) => Date.parse(m.created_at));
      expect(Math.min(...times)).toBeGreaterThanOrEqual(NOW - 7 * DAY);
      expect(Math.max(...times)).toBeLessThan(NOW);
      const down = all.filter((m) => m.direction === 'down');
      expect(down.length).toBeGreaterThanOrEqual(5);
      expect(new Set(down.map((m) => m.down_state))).toEqual(new Set(['sent', 'pending', 'cancelled']));
      const data = all.find((m) => m.type === 'data')!;
      const body = JSON.parse(data.body) as Record<string, Record<string, unknown>>;
      expect(body.attribute.vendor_name).toBe('HARDWARIO');
      expect(body.system).toHaveProperty('voltage_rest');
      expect(body.thermometer).toHaveProperty('temperature');
      expect(data.codec_hash).toEqual(expect.any(String));
    });
  });

  describe('devices', () => {
    it('pages 1,000 devices at limit 50 via offset: every device exactly once, then an empty page', async () => {
      const seen: string[] = [];
      let offset = '';
      let pages = 0;
      for (;;) {
        const res = await call<HardwarioDevice[]>(big.url, 'GET', sp(`/devices?limit=50${offset ? `&offset=${offset}` : ''}`));
        expect(res.status).toBe(200);
        if (res.body.length === 0) break;
        pages += 1;
        expect(res.body.length).toBe(50);
        seen.push(...res.body.map((d) => d.id));
        offset = res.body[res.body.length - 1].id;
      }
      expect(pages).toBe(20);
      expect(seen).toHaveLength(1000);
      expect(new Set(seen).size).toBe(1000);
      expect(seen).toEqual(big.deviceIds());
    });

    it('defaults to 100 devices, lowers limits above 500 to 500 and rejects bad limits', async () => {
      expect((await call<unknown[]>(big.url, 'GET', sp('/devices'))).body).toHaveLength(100);
      expect((await call<unknown[]>(big.url, 'GET', sp('/devices?limit=2000'))).body).toHaveLength(500);
      for (const bad of ['0', '-3', 'ten', '1.5']) {
        const res = await call<{ code: string; statusCode: number }>(big.url, 'GET', sp(`/devices?limit=${bad}`));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request' });
      }
      expect((await call(big.url, 'GET', sp('/devices?offset=not-a-uuid'))).status).toBe(400);
      expect((await call(big.url, 'GET', sp('/devices?sort_by=colour'))).status).toBe(400);
    });

    it('sorts by name descending and pages that order through the cursor', async () => {
      const seen: HardwarioDevice[] = [];
      let offset = '';
      for (;;) {
        const res = await call<HardwarioDevice[]>(big.url, 'GET', sp(`/devices?limit=77&sort_by=name&order_by=desc${offset ? `&offset=${offset}` : ''}`));
        if (res.body.length === 0) break;
        seen.push(...res.body);
        offset = res.body[res.body.length - 1].id;
      }
      expect(seen).toHaveLength(1000);
      const names = seen.map((d) => d.name);
      expect(names).toEqual([...names].sort().reverse());
    });

    it('sorts by last_seen with never-seen devices last', async () => {
      const res = await get<HardwarioDevice[]>(sp('/devices?sort_by=last_seen&order_by=asc'));
      const seen = res.body.map((d) => d.last_seen);
      expect(seen[seen.length - 1]).toBeNull();
      const dated = seen.filter((s): s is string => s !== null).map(Date.parse);
      expect(dated).toEqual([...dated].sort((a, b) => a - b));
    });

    it('filters by name, serial number, external id and tags, and counts with the same filters', async () => {
      const byName = await get<HardwarioDevice[]>(sp('/devices?name=clime'));
      expect(byName.body.map((d) => d.name).sort()).toEqual(['clime-cold-store-a', 'clime-greenhouse-2', 'clime-office-3f', 'clime-server-room']);
      expect((await get<HardwarioDevice[]>(sp('/devices?serial_number=2159020389'))).body.map((d) => d.name)).toEqual(['meteo-roof-brno']);
      expect((await get<HardwarioDevice[]>(sp('/devices?serial_number=215902038'))).body).toEqual([]);
      expect((await get<HardwarioDevice[]>(sp('/devices?external_id=pump-01'))).body.map((d) => d.name)).toEqual(['control-pump-station']);

      const all = (await get<HardwarioDevice[]>(sp('/devices'))).body;
      const tagId = (name: string) => all.flatMap((d) => d.tags).find((t) => t.name === name)!.id;
      const critical = tagId('critical');
      const indoor = tagId('indoor');
      const any = await get<HardwarioDevice[]>(sp(`/devices?tag_ids%5B%5D=${critical}&tag_ids%5B%5D=${indoor}`));
      expect(any.body.map((d) => d.name).sort()).toEqual(['clime-cold-store-a', 'clime-office-3f', 'clime-server-room', 'control-pump-station', 'current-hvac-line']);
      const both = await get<HardwarioDevice[]>(sp(`/devices?tag_ids[]=${critical}&tag_ids[]=${indoor}&tag_filter_logic=all`));
      expect(both.body.map((d) => d.name)).toEqual(['clime-server-room']);

      expect((await get<{ count: number }>(sp('/devices/count'))).body).toEqual({ count: 14 });
      expect((await get<{ count: number }>(sp('/devices/count?name=clime'))).body).toEqual({ count: 4 });
      expect((await call<{ count: number }>(big.url, 'GET', sp('/devices/count'))).body).toEqual({ count: 1000 });
    });

    it('claims, updates and deletes a device', async () => {
      const tags = (await get<HardwarioTag[]>(sp('/tags'))).body;
      const created = await call<HardwarioDevice>(emu.url, 'POST', sp('/devices'), {
        body: { name: 'meter-warehouse-01', serial_number: '2159099001', token: '0f4c2a9e8b7d6c5b4a39281706f5e4d3', external_id: 'wh-01', tags: [{ id: tags[0].id }], label: { location: 'dock-2' } },
      });
      expect(created.status).toBe(201);
      const device = created.body;
      expect(device).toMatchObject({ name: 'meter-warehouse-01', serial_number: '2159099001', external_id: 'wh-01', label: { location: 'dock-2' }, last_seen: null, comment: null, space_id: SPACE });
      expect(device.tags.map((t) => t.id)).toEqual([tags[0].id]);
      expect(device).not.toHaveProperty('token');
      expect(uuid7Ms(device.id)).toBe(Date.parse(device.created_at));

      const dup = await call<{ statusCode: number }>(emu.url, 'POST', sp('/devices'), { body: { name: 'another-name', serial_number: '2159099001', token: 'abcdef0123456789abcdef0123456789' } });
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      for (const bad of [
        { name: 'Bad Name', serial_number: '2159099002', token: 'abc' },
        { name: 'ab', serial_number: '2159099002', token: 'abc' },
        { name: 'trailing-', serial_number: '2159099002', token: 'abc' },
        { name: 'good-name', serial_number: 'SN-1', token: 'abc' },
        { name: 'good-name', serial_number: '2159099002' },
        { name: 'good-name', serial_number: '2159099002', token: 'abc', tags: [{ id: '018e0000-0000-7000-8000-000000000000' }] },
      ]) {
        const res = await call<{ code: string }>(emu.url, 'POST', sp('/devices'), { body: bad });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('FST_ERR_VALIDATION');
      }
      expect((await call(emu.url, 'POST', sp('/devices'), { rawBody: '{"name":', headers: { 'Content-Type': 'application/json' } })).status).toBe(400);

      const updated = await call<HardwarioDevice>(emu.url, 'PUT', sp(`/devices/${device.id}`), {
        body: { name: 'meter-warehouse-02', comment: 'north wall', label: { floor: '1' }, tags: [{ id: tags[1].id }, { id: tags[2].id }], external_id: null },
      });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ name: 'meter-warehouse-02', comment: 'north wall', label: { floor: '1' }, external_id: null });
      expect(updated.body.tags.map((t) => t.id)).toEqual([tags[1].id, tags[2].id]);
      expect((await get<HardwarioDevice>(sp(`/devices/${device.id}`))).body).toEqual(updated.body);
      expect((await call(emu.url, 'PUT', sp(`/devices/${device.id}`), { body: { name: 'NOPE' } })).status).toBe(400);
      const cleared = await call<HardwarioDevice>(emu.url, 'PUT', sp(`/devices/${device.id}`), { body: { tags: [], label: {} } });
      expect(cleared.body.tags).toEqual([]);
      expect(cleared.body.label).toEqual({});
      expect(cleared.body.name).toBe('meter-warehouse-02');

      expect((await get<{ count: number }>(sp('/devices/count'))).body.count).toBe(15);
      const del = await call(emu.url, 'DELETE', sp(`/devices/${device.id}`));
      expect(del.status).toBe(204);
      expect(del.text).toBe('');
      const gone = await get(sp(`/devices/${device.id}`));
      expect(gone.status).toBe(404);
      expect(gone.text).toBe('not found');
      expect((await call(emu.url, 'DELETE', sp(`/devices/${device.id}`))).status).toBe(404);
      expect((await get<{ count: number }>(sp('/devices/count'))).body.count).toBe(14);
    });
  });

  describe('messages', () => {
    it('defaults to 20 messages of the last 24 hours, newest first, body as a JSON string', async () => {
      const res = await get<HardwarioMessage[]>(sp('/messages'));
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(20);
      const times = res.body.map((m) => Date.parse(m.created_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      for (const m of res.body) {
        expect(typeof m.body).toBe('string');
        expect(() => JSON.parse(m.body) as unknown).not.toThrow();
        expect(uuid7Ms(m.id)).toBe(Date.parse(m.created_at));
        expect(m.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(typeof m.down_attempt).toBe('number');
      }
      const device = emu.demoDeviceIds()[0];
      const recent = await get<HardwarioMessage[]>(sp(`/messages?device_id=${device}&limit=100`));
      const expected = emu.messagesOf(device).filter((m) => Date.parse(m.created_at) >= emu.now() - DAY);
      expect(recent.body.map((m) => m.id)).toEqual(expected.map((m) => m.id).reverse());
    });

    it('lowers limits above 100 to 100 and validates parameters', async () => {
      const after = new Date(NOW - 7 * DAY).toISOString();
      expect((await get<unknown[]>(sp(`/messages?limit=500&after=${after}`))).body).toHaveLength(100);
      for (const q of ['limit=0', 'type[]=weather', 'direction=sideways', 'after=yesterday', 'device_id=123']) {
        expect((await get(sp(`/messages?${q}`))).status).toBe(400);
      }
    });

    it('pages a week of one device with after + offset: every message exactly once', async () => {
      const device = emu.demoDeviceIds()[3];
      const after = encodeURIComponent(new Date(NOW - 8 * DAY).toISOString());
      const seen: string[] = [];
      let offset = '';
      for (;;) {
        const res = await get<HardwarioMessage[]>(sp(`/messages?device_id=${device}&after=${after}&limit=100${offset ? `&offset=${offset}` : ''}`));
        if (res.body.length === 0) break;
        seen.push(...res.body.map((m) => m.id));
        offset = res.body[res.body.length - 1].id;
      }
      const all = emu.messagesOf(device).map((m) => m.id);
      expect(all.length).toBeGreaterThan(150);
      expect(seen).toEqual([...all].reverse());
    });

    it('filters by type[] (repeatable), direction, tag, before, and reads one message', async () => {
      const after = new Date(NOW - 7 * DAY).toISOString();
      const types = await get<HardwarioMessage[]>(sp(`/messages?after=${after}&limit=100&type%5B%5D=session&type%5B%5D=config`));
      expect(types.body.length).toBeGreaterThan(10);
      expect(new Set(types.body.map((m) => m.type))).toEqual(new Set(['session', 'config']));
      const down = await get<HardwarioMessage[]>(sp(`/messages?after=${after}&direction=down&limit=100`));
      expect(down.body.length).toBeGreaterThanOrEqual(5);
      expect(down.body.every((m) => m.direction === 'down')).toBe(true);

      const devices = (await get<HardwarioDevice[]>(sp('/devices'))).body;
      const metering = devices.flatMap((d) => d.tags).find((t) => t.name === 'metering')!.id;
      const meteringIds = new Set(devices.filter((d) => d.tags.some((t) => t.id === metering)).map((d) => d.id));
      const tagged = await get<HardwarioMessage[]>(sp(`/messages?after=${after}&tag_id=${metering}&limit=100`));
      expect(tagged.body.length).toBeGreaterThan(0);
      expect(tagged.body.every((m) => meteringIds.has(m.device_id))).toBe(true);

      const before = new Date(NOW - 2 * DAY).toISOString();
      const older = await get<HardwarioMessage[]>(sp(`/messages?after=${after}&before=${before}`));
      expect(older.body.every((m) => Date.parse(m.created_at) < NOW - 2 * DAY)).toBe(true);

      const one = await get<HardwarioMessage>(sp(`/messages/${older.body[0].id}`));
      expect(one.body).toEqual(older.body[0]);
    });
  });

  describe('downlinks', () => {
    it('queues data, config and shell downlinks as pending down messages, and an uplink delivers them', async () => {
      const device = emu.demoDeviceIds()[7];
      const data = await call<HardwarioMessage>(emu.url, 'POST', sp(`/devices/${device}/downlinks`), { body: { relay: true, setpoint: 21.5 } });
      expect(data.status).toBe(201);
      expect(data.body).toMatchObject({ device_id: device, type: 'data', direction: 'down', down_state: 'pending', down_attempt: 0, down_state_at: null });
      expect(JSON.parse(data.body.body)).toEqual({ relay: true, setpoint: 21.5 });

      const config = await call<HardwarioMessage>(emu.url, 'POST', sp(`/devices/${device}/configs`), { body: ['app config interval-report 1800', 'app config interval-sample 60'] });
      expect(config.status).toBe(201);
      expect(config.body).toMatchObject({ type: 'config', direction: 'down', down_state: 'pending', down_attempt: 0 });
      expect(JSON.parse(config.body.body)).toEqual(['app config interval-report 1800', 'app config interval-sample 60']);

      const shell = await call<HardwarioMessage>(emu.url, 'POST', sp(`/devices/${device}/commands`), { body: ['info show', 'app config show'] });
      expect(shell.body).toMatchObject({ type: 'shell', direction: 'down', down_state: 'pending' });

      expect((await call(emu.url, 'POST', sp(`/devices/${device}/configs`), { body: { interval: 5 } })).status).toBe(400);
      expect((await call(emu.url, 'POST', sp(`/devices/${device}/configs`), { body: ['app config interval-report 60', 'config save'] })).status).toBe(400);
      expect((await call(emu.url, 'POST', sp(`/devices/${device}/downlinks`), { body: [1, 2] })).status).toBe(400);
      expect((await call(emu.url, 'POST', sp('/devices/018e0000-0000-7000-8000-000000000000/downlinks'), { body: { a: 1 } })).text).toBe('not found');

      const generic = await call<HardwarioMessage>(emu.url, 'POST', sp('/messages'), { body: { device_id: device, type: 'data', body: { output_1_state: 1 } } });
      expect(generic.status).toBe(201);
      expect(generic.body).toMatchObject({ direction: 'down', down_state: 'pending', body: '{"output_1_state":1}' });
      const legacy = await call<HardwarioMessage>(emu.url, 'POST', '/v2/messages', { body: { device_id: device, type: 'config', body: ['app config interval-sample 60'] } });
      expect(legacy.status).toBe(201);
      expect((await call(emu.url, 'POST', sp('/messages'), { body: { device_id: device, type: 'stats', body: {} } })).status).toBe(400);

      const listed = await get<HardwarioMessage[]>(sp(`/messages?device_id=${device}&direction=down&limit=5`));
      expect(listed.body[0].id).toBe(legacy.body.id);

      const up = emu.addUplink(device, { thermometer: { temperature: 20.5 } });
      expect(up).toMatchObject({ direction: 'up', type: 'data', down_state: null, down_attempt: 0 });
      const after = await get<HardwarioMessage>(sp(`/messages/${data.body.id}`));
      expect(after.body).toMatchObject({ down_state: 'sent', down_attempt: 1, down_state_at: up.created_at });
      expect(emu.device(device)!.last_seen).toBe(up.created_at);
    });
  });

  describe('tags and connectors', () => {
    it('creates, reads, renames and deletes a tag; deleting it removes it from devices', async () => {
      const created = await call<HardwarioTag>(emu.url, 'POST', sp('/tags'), { body: { name: 'temperature-sensors', color: '#009cfa' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'temperature-sensors', color: '#009cfa', access_type: 'write' });
      const tag = created.body;
      expect((await call(emu.url, 'POST', sp('/tags'), { body: { name: 'temperature-sensors', color: '#000000' } })).status).toBe(409);
      expect((await call(emu.url, 'POST', sp('/tags'), { body: { name: 'Temp Sensors', color: '#000000' } })).status).toBe(400);
      expect((await call(emu.url, 'POST', sp('/tags'), { body: { name: 'ok-name', color: 'red' } })).status).toBe(400);
      expect((await get<HardwarioTag>(sp(`/tags/${tag.id}`))).body).toEqual(tag);

      const renamed = await call<HardwarioTag>(emu.url, 'PUT', sp(`/tags/${tag.id}`), { body: { name: 'temp-sensors', color: '#ff0000' } });
      expect(renamed.body).toMatchObject({ id: tag.id, name: 'temp-sensors', color: '#ff0000' });

      const device = emu.demoDeviceIds()[11];
      await call(emu.url, 'PUT', sp(`/devices/${device}`), { body: { tags: [{ id: tag.id }] } });
      expect((await get<HardwarioDevice>(sp(`/devices/${device}`))).body.tags.map((t) => t.name)).toEqual(['temp-sensors']);

      const list = await get<HardwarioTag[]>(sp('/tags'));
      expect(list.body.map((t) => t.id)).toContain(tag.id);
      expect(list.body.length).toBe(8);
      const page = await get<HardwarioTag[]>(sp(`/tags?limit=3&offset=${list.body[2].id}`));
      expect(page.body).toEqual(list.body.slice(3, 6));

      expect((await call(emu.url, 'DELETE', sp(`/tags/${tag.id}`))).status).toBe(204);
      expect((await get(sp(`/tags/${tag.id}`))).text).toBe('not found');
      expect((await get<HardwarioDevice>(sp(`/devices/${device}`))).body.tags).toEqual([]);
    });

    it('stores connectors and reports matching ones to onMessage listeners', async () => {
      const seeded = await get<HardwarioConnector[]>(sp('/connectors'));
      expect(seeded.body).toHaveLength(1);
      expect(seeded.body[0]).toMatchObject({ type: 'webhook', state: 'disabled', retry_delays: [10, 30, 60, 600, 1800, 3600, 10800, 21600, 43200] });

      const devices = (await get<HardwarioDevice[]>(sp('/devices'))).body;
      const pump = devices.find((d) => d.name === 'control-pump-station')!;
      const created = await call<HardwarioConnector>(emu.url, 'POST', sp('/connectors'), {
        body: { name: 'my-backend', type: 'webhook', direction: 'up', state: 'enabled', triggers: ['data', 'session'], tags: [{ id: pump.tags[0].id }] },
      });
      expect(created.status).toBe(201);
      const connector = created.body;
      expect(connector).toMatchObject({ name: 'my-backend', direction: 'up', state: 'enabled', triggers: ['data', 'session'], retry_delays: [10, 30, 60, 600, 1800, 3600, 10800, 21600, 43200] });
      expect(connector.tags.map((t) => t.id)).toEqual([pump.tags[0].id]);
      expect(connector.transformation).toContain('function main(job)');
      expect((await call(emu.url, 'POST', sp('/connectors'), { body: { name: 'x', triggers: ['data'] } })).status).toBe(400);
      expect((await call(emu.url, 'POST', sp('/connectors'), { body: { name: 'bad-trigger', triggers: ['weather'] } })).status).toBe(400);

      const events: string[] = [];
      const stop = emu.onMessage((e) => events.push(`${e.device.name}:${e.message.type}:${e.connectors.map((c) => c.name).join(',')}:${JSON.stringify(e.body)}`));
      emu.addUplink(pump.id, { output: { output_1_state: 1 } });
      emu.addUplink(pump.id, { uptime: 1 }, 'stats');
      stop();
      emu.addUplink(pump.id, { ignored: true });
      expect(events).toEqual([`control-pump-station:data:my-backend:{"output":{"output_1_state":1}}`, 'control-pump-station:stats::{"uptime":1}']);

      const viaPath = await call<HardwarioConnector>(emu.url, 'PUT', sp(`/connectors/${connector.id}`), { body: { state: 'disabled', triggers: ['data'] } });
      expect(viaPath.body).toMatchObject({ state: 'disabled', triggers: ['data'], name: 'my-backend' });
      const viaBody = await call<HardwarioConnector>(emu.url, 'PUT', sp('/connectors'), { body: { id: connector.id, name: 'my-backend-v2' } });
      expect(viaBody.body).toMatchObject({ id: connector.id, name: 'my-backend-v2', state: 'disabled' });
      expect((await get<HardwarioConnector>(sp(`/connectors/${connector.id}`))).body).toEqual(viaBody.body);
      expect((await call(emu.url, 'DELETE', sp(`/connectors/${connector.id}`))).status).toBe(204);
      expect((await get(sp(`/connectors/${connector.id}`))).status).toBe(404);
    });
  });

  // What is seeded is checked here; how fast, by `npm run bench` (the seed line), never by a timed test.
  it('seeds 10,000 devices and pages them', async () => {
    const huge = await startHardwarioEmulator({ now: NOW, deviceCount: 10_000 });
    try {
      expect(huge.deviceIds()).toHaveLength(10_000);
      const ids = huge.deviceIds();
      const res = await call<HardwarioDevice[]>(huge.url, 'GET', sp(`/devices?limit=500&offset=${ids[9_699]}`));
      expect(res.body.map((d) => d.id)).toEqual(ids.slice(9_700, 10_000));
      expect((await call<HardwarioDevice[]>(huge.url, 'GET', sp(`/devices?limit=500&offset=${ids[9_999]}`))).body).toEqual([]);
    } finally {
      await huge.close();
    }
  });
});

describe('live HARDWARIO emulator', () => {
  it('reports again with drifting temperatures, a draining battery and the time of the report', async () => {
    const live = await startHardwarioEmulator({ port: 0, host: '127.0.0.1', liveEveryMs: 5 });
    try {
      const uplinks = (id: string) => live.messagesOf(id).filter((m) => m.direction === 'up' && m.type === 'data');
      const id = live.demoDeviceIds().find((d) => uplinks(d).length > 0)!;
      const seeded = JSON.parse(uplinks(id).at(-1)!.body) as { message: { timestamp: number }; thermometer: { temperature: number }; system: { voltage_rest: number } };
      const count = uplinks(id).length;
      for (let i = 0; i < 600 && uplinks(id).length < count + 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const reports = uplinks(id)
        .slice(count)
        .map((m) => JSON.parse(m.body) as typeof seeded);
      expect(reports.length).toBeGreaterThanOrEqual(2);
      for (const report of reports) {
        expect(Math.abs(report.thermometer.temperature - seeded.thermometer.temperature)).toBeLessThanOrEqual(0.4);
        expect(report.message.timestamp).toBeGreaterThan(seeded.message.timestamp);
      }
      expect(reports[0].thermometer.temperature).not.toBe(seeded.thermometer.temperature);
      expect(reports[1].system.voltage_rest).toBeLessThan(reports[0].system.voltage_rest);
    } finally {
      await live.close();
    }
  }, 30_000);
});
