import { DAY } from '@devicegate/emulators/kit';
import {
  IZUMA_SANDBOX_CREDENTIALS,
  startIzumaEmulator,
  validateRecordedRequest,
  validateRequestAgainstSpec,
  validateResponseAgainstSpec,
  type IzumaEmulator,
} from './index.js';

const NOW = Date.UTC(2025, 2, 14, 12, 0, 0);
const KEY = IZUMA_SANDBOX_CREDENTIALS.apiKey;
const KEY2 = IZUMA_SANDBOX_CREDENTIALS.secondaryApiKey;

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

type Json = Record<string, unknown>;
type Page = { object: string; limit: number; after: string | null; order: string; has_more: boolean; total_count?: number; data: Json[] };

/** Sends a request and checks the answer against the vendor spec (unless `check` is false). */
async function call(em: IzumaEmulator, method: string, path: string, options: { body?: unknown; key?: string | null; check?: boolean; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.key !== null) headers.authorization = `Bearer ${options.key ?? KEY}`;
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${em.baseUrl}${path}`, { method, headers, body: payload });
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  const body = isJson && text ? (JSON.parse(text) as unknown) : text;
  if (options.check !== false) {
    const verdict = validateResponseAgainstSpec(method, path, res.status, isJson ? body : text || undefined);
    expect(verdict.issues).toEqual([]);
  }
  return { status: res.status, body, text, headers: res.headers };
}

const page = (answer: Answer) => answer.body as Page;

async function collect(em: IzumaEmulator, path: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await call(em, 'GET', `${path}${sep}limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(answer.status).toBe(200);
    const p = page(answer);
    expect(p.after).toBe(after);
    pages += 1;
    ids.push(...p.data.map((item) => String(item.id)));
    if (!p.has_more) return { ids, pages };
    after = String(p.data[p.data.length - 1].id);
  }
}

const waitFor = async (predicate: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!predicate() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('Izuma Device Management emulator', () => {
  let em: IzumaEmulator;

  beforeAll(async () => {
    em = await startIzumaEmulator({ now: NOW, deviceResponseDelayMs: 5, longPollTimeoutMs: 300 });
  });
  afterAll(() => em.close());

  describe('auth and conventions', () => {
    it('rejects a missing, foreign or unknown key with the 401 error object and its request id', async () => {
      const missing = await call(em, 'GET', '/v3/devices', { key: null });
      expect(missing.status).toBe(401);
      expect(missing.body).toMatchObject({ object: 'error', code: 401, type: 'invalid_auth' });
      expect((missing.body as Json).request_id).toBe(missing.headers.get('x-request-id'));
      const wrongKey = await call(em, 'GET', '/v3/devices', { key: 'ak_0000000000000000000000000000dead' });
      expect(wrongKey.body).toMatchObject({ code: 401, type: 'invalid_apikey' });
      const token = await call(em, 'GET', '/v2/notification/channel', { key: 'eyJhbGciOiJIUzI1NiJ9.e30.x', check: false });
      expect(token.status).toBe(401);
      expect(token.body).toMatchObject({ type: 'invalid_token' });
    });

    it('accepts both application keys and sets a 32-hex X-Request-ID on every answer', async () => {
      for (const key of [KEY, KEY2]) {
        const answer = await call(em, 'GET', '/v3/accounts/me', { key });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
      }
      const unknown = await call(em, 'GET', '/v3/nothing-here', { check: false });
      expect(unknown.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    });

    it('answers /v3/accounts/me with the sandbox account', async () => {
      const answer = await call(em, 'GET', '/v3/accounts/me?include=limits,policies');
      expect(answer.body).toMatchObject({ object: 'account', id: em.accountId, status: 'ACTIVE', tier: '1', policies: [] });
      expect(em.accountId).toBe(IZUMA_SANDBOX_CREDENTIALS.accountId);
      const bad = await call(em, 'GET', '/v3/accounts/me?include=everything');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ type: 'validation_error', fields: [{ name: 'include' }] });
    });

    it('answers unknown paths with unrecognized_request and wrong methods with method_not_supported', async () => {
      const unknown = await call(em, 'GET', '/v3/gadgets', { check: false });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ object: 'error', type: 'unrecognized_request' });
      const method = await call(em, 'PATCH', '/v3/devices/abc', { body: {}, check: false });
      expect(method.status).toBe(405);
      expect(method.body).toMatchObject({ type: 'method_not_supported' });
    });
  });

  describe('seed', () => {
    it('has 16 demo devices in every state, with attributes, groups and gateways', async () => {
      const devices = page(await call(em, 'GET', '/v3/devices?limit=100')).data;
      expect(devices).toHaveLength(16);
      expect(em.deviceIds()).toEqual(devices.map((device) => device.id));
      const states = new Set(devices.map((device) => device.state));
      expect([...states].sort()).toEqual(['bootstrapped', 'cloud_enrolling', 'deregistered', 'registered', 'unenrolled']);
      for (const device of devices) {
        expect(device.id).toMatch(/^[0-9a-f]{12}0000000000010010[0-9a-f]{4}$/);
        expect(device.account_id).toBe(em.accountId);
        expect(Object.keys(device.custom_attributes as Json).length).toBeGreaterThan(0);
        expect(device.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      }
      expect(devices.filter((device) => (device.groups as string[]).length > 0).length).toBeGreaterThan(8);
      const gateway = devices.find((device) => device.name === 'gw-hall-a');
      expect(devices.find((device) => device.name === 'coldroom-a1-temp')?.host_gateway).toBe(gateway?.id);
    });

    it('is the same at every start; event times follow `now`', async () => {
      const other = await startIzumaEmulator({ now: NOW });
      const later = await startIzumaEmulator({ now: NOW + 3 * DAY });
      try {
        const a = await call(em, 'GET', '/v3/devices?limit=100');
        const b = await call(other, 'GET', '/v3/devices?limit=100');
        expect(b.body).toEqual(a.body);
        const eventsA = await call(em, 'GET', '/v3/device-events?limit=1000&date_time__lte=2025-03-14T12:00:00Z');
        const eventsB = await call(other, 'GET', '/v3/device-events?limit=1000&date_time__lte=2025-03-14T12:00:00Z');
        expect(eventsB.body).toEqual(eventsA.body);
        expect(later.deviceIds()).toEqual(em.deviceIds());
        const lastLater = page(await call(later, 'GET', '/v3/device-events?limit=2&order=DESC')).data[0];
        const lastNow = page(await call(em, 'GET', '/v3/device-events?limit=2&order=DESC&date_time__lte=2025-03-14T12:00:00Z')).data[0];
        expect(Date.parse(String(lastLater.date_time)) - Date.parse(String(lastNow.date_time))).toBe(3 * DAY);
      } finally {
        await other.close();
        await later.close();
      }
    });

    it('gives every demo device a history with several event types over the last week', async () => {
      const registered = page(await call(em, 'GET', '/v3/devices?state__eq=registered&limit=100')).data;
      const types = new Set<string>();
      for (const device of registered) {
        const events = page(await call(em, 'GET', `/v3/device-events?device_id__eq=${device.id}&limit=1000`)).data;
        expect(events.every((event) => event.device_id === device.id)).toBe(true);
        const week = events.filter((event) => Date.parse(String(event.date_time)) >= NOW - 7 * DAY);
        expect(week.length).toBeGreaterThanOrEqual(2);
        expect(week.every((event) => Date.parse(String(event.date_time)) < NOW)).toBe(true);
        // The newest state change of a registered device is a registration.
        const last = [...events].reverse().find((event) => event.state_change === true);
        expect(last?.event_type).toBe('update.device.device-registered');
        for (const event of events) types.add(String(event.event_type));
      }
      expect(types.size).toBeGreaterThanOrEqual(6);
    });

    // What is seeded is checked here; how fast, by `npm run bench` (the seed line), never by a timed test.
    it('seeds 10,000 devices and pages them', async () => {
      const big = await startIzumaEmulator({ deviceCount: 10_000, now: NOW });
      try {
        expect(big.deviceIds()).toHaveLength(10_000);
        const first = page(await call(big, 'GET', '/v3/devices?limit=5000&include=total_count'));
        expect(first.limit).toBe(1000);
        expect(first.data).toHaveLength(1000);
        expect(first.total_count).toBe(10_000);
        const all = await collect(big, '/v3/devices?state__eq=registered', 1000);
        expect(new Set(all.ids).size).toBe(all.ids.length);
        const counted = page(await call(big, 'GET', '/v3/devices?state__eq=registered&include=total_count&limit=2')).total_count;
        expect(all.ids.length).toBe(counted);
      } finally {
        await big.close();
      }
    });
  });

  describe('device list paging and filters', () => {
    let many: IzumaEmulator;
    beforeAll(async () => {
      many = await startIzumaEmulator({ deviceCount: 130, now: NOW });
    });
    afterAll(() => many.close());

    it('defaults to 50 in ascending creation order and clamps the limit to 2..1000', async () => {
      const first = page(await call(many, 'GET', '/v3/devices'));
      expect(first).toMatchObject({ object: 'list', limit: 50, after: null, order: 'ASC', has_more: true });
      expect(first.data).toHaveLength(50);
      expect(first.total_count).toBeUndefined();
      const ids = first.data.map((device) => String(device.id));
      expect([...ids].sort()).toEqual(ids);
      const tiny = page(await call(many, 'GET', '/v3/devices?limit=1'));
      expect(tiny.limit).toBe(2);
      expect(tiny.data).toHaveLength(2);
      const huge = page(await call(many, 'GET', '/v3/devices?limit=100000&include=total_count'));
      expect(huge).toMatchObject({ limit: 1000, has_more: false, total_count: 130 });
    });

    it('returns every device exactly once across pages, in both orders', async () => {
      const asc = await collect(many, '/v3/devices', 7);
      expect(asc.ids).toHaveLength(130);
      expect(new Set(asc.ids).size).toBe(130);
      expect(asc.ids).toEqual(many.deviceIds());
      expect(asc.pages).toBe(Math.ceil(130 / 7));
      const desc = await collect(many, '/v3/devices?order=DESC', 9);
      expect(desc.ids).toEqual([...many.deviceIds()].reverse());
    });

    it('keeps paging right after the cursor even when that device was deleted', async () => {
      const local = await startIzumaEmulator({ now: NOW });
      try {
        const first = page(await call(local, 'GET', '/v3/devices?limit=5'));
        const cursor = String(first.data[4].id);
        const last = first.data[4];
        if (last.device_execution_mode !== 5) expect((await call(local, 'DELETE', `/v3/devices/${cursor}`)).status).toBe(204);
        const next = page(await call(local, 'GET', `/v3/devices?limit=5&after=${cursor}`));
        expect(next.data[0].id).toBe(local.deviceIds()[local.deviceIds().findIndex((id) => id > cursor)]);
      } finally {
        await local.close();
      }
    });

    it('filters with __eq/__neq/__in/__nin, bare fields, filter= and custom attributes', async () => {
      const get = async (query: string) => page(await call(em, 'GET', `/v3/devices?limit=100&${query}`)).data;
      const registered = await get('state__eq=registered');
      expect(registered.length).toBe(8);
      expect(registered.every((device) => device.state === 'registered')).toBe(true);
      expect((await get('state=registered')).length).toBe(8);
      expect((await get('state__neq=registered')).length).toBe(8);
      expect((await get('state__in=unenrolled,cloud_enrolling')).map((device) => device.state).sort()).toEqual(['cloud_enrolling', 'unenrolled', 'unenrolled']);
      expect((await get('state__nin=registered,deregistered')).length).toBe(5);
      expect((await get('name__eq=gw-hall-b')).map((device) => device.name)).toEqual(['gw-hall-b']);
      expect((await get('name__in=gw-hall-a,gw-hall-b&state__eq=registered')).map((device) => device.name)).toEqual(['gw-hall-a']);
      expect((await get('device_execution_mode__eq=5')).length).toBe(4);
      expect((await get('custom_attributes__zone=Hall%20A')).length).toBe(5);
      expect((await get('custom_attributes__zone__eq=Dock&state__eq=registered')).map((device) => device.name)).toEqual(['dock-door-3']);
      expect((await get('custom_attributes__status__neq=spare')).length).toBe(14);
      expect((await get(`filter=${encodeURIComponent('state=registered&custom_attributes__zone=Hall A')}`)).length).toBe(5);
      const gateway = (await get('name__eq=gw-hall-a'))[0];
      expect((await get(`host_gateway__eq=${gateway.id}`)).map((device) => device.name).sort()).toEqual(['coldroom-a1-temp', 'coldroom-a2-temp']);
    });

    it('filters date-times in all three documented shapes', async () => {
      const all = page(await call(em, 'GET', '/v3/devices?limit=100')).data;
      const pivot = String(all[5].created_at);
      const ms = Date.parse(pivot);
      const compact = new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      const seconds = new Date(ms).toISOString().replace(/\.\d{3}/, '');
      const count = async (query: string) => page(await call(em, 'GET', `/v3/devices?limit=100&${query}`)).data.length;
      expect(await count(`created_at__gte=${encodeURIComponent(pivot)}`)).toBe(11);
      expect(await count(`created_at__lte=${encodeURIComponent(pivot)}`)).toBe(6);
      expect(await count(`created_at__gte=${compact}`)).toBe(11);
      expect(await count(`created_at__gt=${seconds}`.replace('__gt=', '__gte='))).toBe(11);
      expect(await count(`updated_at__gte=${new Date(NOW - DAY).toISOString()}`)).toBeGreaterThan(0);
    });

    it('rejects unknown and malformed parameters with a validation_error naming the field', async () => {
      const cases: Array<[string, string]> = [
        ['colour__eq=red', 'colour__eq'],
        ['created_at__eq=2024-01-01T00:00:00Z', 'created_at__eq'],
        ['created_at__gte=yesterday', 'created_at__gte'],
        ['limit=ten', 'limit'],
        ['order=SIDEWAYS', 'order'],
        ['include=everything', 'include'],
        ['auto_update__eq=maybe', 'auto_update__eq'],
        [`filter=${encodeURIComponent('colour=red')}`, 'colour'],
      ];
      for (const [query, field] of cases) {
        const answer = await call(em, 'GET', `/v3/devices?${query}`);
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ object: 'error', code: 400, type: 'validation_error' });
        expect((answer.body as { fields: Array<{ name: string }> }).fields.map((f) => f.name)).toContain(field);
      }
      const long = await call(em, 'GET', `/v3/devices?name__in=${'x'.repeat(4100)}`);
      expect(long.status).toBe(400);
    });
  });

  describe('device create, update, delete', () => {
    it('creates (201), reads, updates and deletes (204) a device, with and without trailing slash', async () => {
      const created = await call(em, 'POST', '/v3/devices/', { body: { name: 'test-sensor', endpoint_name: 'test-ep-001', description: 'created by test', custom_attributes: { site: 'Lab' } } });
      expect(created.status).toBe(201);
      const device = created.body as Json;
      expect(device).toMatchObject({ object: 'device', name: 'test-sensor', endpoint_name: 'test-ep-001', state: 'unenrolled', custom_attributes: { site: 'Lab' }, account_id: em.accountId });
      expect(em.deviceIds().at(-1)).toBe(device.id);
      const read = await call(em, 'GET', `/v3/devices/${device.id}`);
      expect(read.body).toEqual(device);
      const updated = await call(em, 'PUT', `/v3/devices/${device.id}/`, { body: { name: 'renamed', custom_attributes: { room: 'R1' } } });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ name: 'renamed', description: 'created by test', custom_attributes: { room: 'R1' } });
      const events = page(await call(em, 'GET', `/v3/device-events/?device_id__eq=${device.id}`)).data.map((event) => event.event_type);
      expect(events).toEqual(['update.device.device-created', 'update.device.device-updated']);
      expect((await call(em, 'DELETE', `/v3/devices/${device.id}`)).status).toBe(204);
      const gone = await call(em, 'GET', `/v3/devices/${device.id}/`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ object: 'error', type: 'not_found' });
      expect((await call(em, 'DELETE', `/v3/devices/${device.id}`)).status).toBe(404);
    });

    it('validates bodies against the spec and reports the field', async () => {
      const bad = async (method: string, path: string, body: unknown, field: string) => {
        const answer = await call(em, method, path, { body });
        expect(answer.status).toBe(400);
        expect((answer.body as { fields: Array<{ name: string }> }).fields.map((f) => f.name)).toContain(field);
      };
      const id = em.deviceIds()[1];
      await bad('POST', '/v3/devices', { name: 'x', colour: 'red' }, 'colour');
      await bad('POST', '/v3/devices', { name: 'x'.repeat(129) }, 'name');
      await bad('POST', '/v3/devices', { state: 'online' }, 'state');
      await bad('PUT', `/v3/devices/${id}`, { custom_attributes: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' } }, 'custom_attributes');
      await bad('PUT', `/v3/devices/${id}`, { custom_attributes: { '1st': 'x' } }, 'custom_attributes');
      await bad('PUT', `/v3/devices/${id}`, { device_class: 'changed' }, 'device_class');
      await bad('PUT', `/v3/devices/${id}`, undefined, 'body');
      const malformed = await call(em, 'PUT', `/v3/devices/${id}`, { raw: '{"name": ' });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ type: 'bad_request' });
    });

    it('answers 409 for a taken endpoint name and 400 when deleting a production device', async () => {
      const existing = em.device(em.deviceIds()[1]) as Json;
      const clash = await call(em, 'POST', '/v3/devices', { body: { endpoint_name: existing.endpoint_name } });
      expect(clash.status).toBe(409);
      const production = page(await call(em, 'GET', '/v3/devices?device_execution_mode__eq=5&limit=2')).data[0];
      const refused = await call(em, 'DELETE', `/v3/devices/${production.id}`);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ type: 'bad_request' });
    });
  });

  describe('device events', () => {
    it('pages every event exactly once and gets single events', async () => {
      const all = await collect(em, '/v3/device-events', 37);
      expect(all.ids.length).toBeGreaterThan(100);
      expect(new Set(all.ids).size).toBe(all.ids.length);
      expect([...all.ids].sort()).toEqual(all.ids);
      const total = page(await call(em, 'GET', '/v3/device-events?include=total_count&limit=2')).total_count;
      expect(total).toBe(all.ids.length);
      const one = await call(em, 'GET', `/v3/device-events/${all.ids[3]}/`);
      expect(one.body).toMatchObject({ object: 'device-event', id: all.ids[3] });
      expect((await call(em, 'GET', '/v3/device-events/0000000000000000000000000000beef')).status).toBe(404);
    });

    it('filters by device, date range and event type', async () => {
      const device = em.deviceIds()[0];
      const from = new Date(NOW - 5 * DAY).toISOString();
      const to = new Date(NOW - 1 * DAY).toISOString();
      const events = page(await call(em, 'GET', `/v3/device-events?device_id__eq=${device}&date_time__gte=${from}&date_time__lte=${to}&limit=1000`)).data;
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) {
        const at = Date.parse(String(event.date_time));
        expect(at).toBeGreaterThanOrEqual(Date.parse(from));
        expect(at).toBeLessThanOrEqual(Date.parse(to));
      }
      const typed = page(await call(em, 'GET', '/v3/device-events?event_type__in=update.device.device-registered,update.device.device-deregistered&limit=1000')).data;
      expect(new Set(typed.map((event) => event.event_type))).toEqual(new Set(['update.device.device-registered', 'update.device.device-deregistered']));
      const changes = page(await call(em, 'GET', '/v3/device-events?state_change__eq=false&limit=1000')).data;
      expect(changes.every((event) => event.state_change === false)).toBe(true);
      expect((await call(em, 'GET', '/v3/device-events?device=abc')).status).toBe(400);
    });

    it('adds events from the test API', async () => {
      const device = em.deviceIds()[2];
      const event = em.addEvent(device, { eventType: 'update.device.device-updated', description: 'from test', data: { fields: 'name' } });
      const newest = page(await call(em, 'GET', `/v3/device-events?device_id__eq=${device}&order=DESC&limit=2`)).data[0];
      expect(newest).toEqual(event);
    });
  });

  describe('device groups', () => {
    it('lists groups, their members, and keeps device.groups in step with add/remove', async () => {
      const groups = page(await call(em, 'GET', '/v3/device-groups?include=total_count')).data;
      expect(groups.length).toBe(6);
      const coldChain = groups.find((group) => group.name === 'Cold chain') as Json;
      const members = page(await call(em, 'GET', `/v3/device-groups/${coldChain.id}/devices/`)).data;
      expect(members).toHaveLength(coldChain.devices_count as number);
      expect(members.every((device) => (device.groups as string[]).includes(String(coldChain.id)))).toBe(true);
      const outsider = page(await call(em, 'GET', '/v3/devices?name__eq=office-co2-2f')).data[0];
      expect((await call(em, 'POST', `/v3/device-groups/${coldChain.id}/devices/add/`, { body: { device_id: outsider.id } })).status).toBe(204);
      expect(em.device(String(outsider.id))?.groups).toContain(coldChain.id);
      expect((await call(em, 'GET', `/v3/device-groups/${coldChain.id}`)).body).toMatchObject({ devices_count: (coldChain.devices_count as number) + 1 });
      expect((await call(em, 'POST', `/v3/device-groups/${coldChain.id}/devices/remove`, { body: { device_id: outsider.id } })).status).toBe(204);
      expect(em.device(String(outsider.id))?.groups).not.toContain(coldChain.id);
      expect((await call(em, 'GET', '/v3/device-groups/0000000000000000000000000000beef')).status).toBe(404);
    });

    it('creates, renames and deletes a group; duplicate names conflict', async () => {
      const created = await call(em, 'POST', '/v3/device-groups/', { body: { name: 'Test group', description: 'from test', custom_attributes: { key: 'value' } } });
      expect(created.status).toBe(201);
      const group = created.body as Json;
      expect(group).toMatchObject({ object: 'device-group', name: 'Test group', devices_count: 0 });
      expect((await call(em, 'POST', '/v3/device-groups', { body: { name: 'Test group' } })).status).toBe(409);
      expect((await call(em, 'PUT', `/v3/device-groups/${group.id}/`, { body: { name: 'Renamed group' } })).body).toMatchObject({ name: 'Renamed group' });
      expect((await call(em, 'DELETE', `/v3/device-groups/${group.id}`)).status).toBe(204);
    });
  });

  describe('Connect device requests and the notification channel', () => {
    const named = async (name: string) => page(await call(em, 'GET', `/v3/devices?name__eq=${name}`)).data[0];
    const request = (deviceId: string, asyncId: string, body: unknown, key = KEY) =>
      call(em, 'POST', `/v2/device-requests/${deviceId}?async-id=${asyncId}`, { body, key });
    const pullUntil = async (asyncId: string, key = KEY): Promise<Json> => {
      for (let i = 0; i < 20; i++) {
        const answer = await call(em, 'GET', '/v2/notification/pull', { key });
        const found = ((answer.body as { 'async-responses'?: Json[] })['async-responses'] ?? []).find((item) => item.id === asyncId);
        if (found) return found;
      }
      throw new Error(`no async response ${asyncId}`);
    };

    it('accepts a request with 202 and delivers the device answer on the long-poll channel', async () => {
      const sensor = await named('coldroom-a1-temp');
      const accepted = await request(String(sensor.id), 'read-temp-1', { method: 'GET', uri: '/3303/0/5700' });
      expect(accepted.status).toBe(202);
      expect(accepted.text).toBe('');
      const response = await pullUntil('read-temp-1');
      expect(response).toMatchObject({ id: 'read-temp-1', status: 200, ct: 'text/plain' });
      expect(Number(Buffer.from(String(response.payload), 'base64').toString())).toBeGreaterThan(0);
      expect((await call(em, 'GET', '/v2/notification/channel')).body).toEqual({ delivery_mechanism: 'LONG_POLLING' });
    });

    it('writes a value with PUT and reads it back; executes with POST', async () => {
      const light = await named('hall-a-lights-north');
      expect((await request(String(light.id), 'dim-1', { method: 'PUT', uri: '/3311/0/5851', 'content-type': 'text/plain', 'payload-b64': Buffer.from('35').toString('base64') })).status).toBe(202);
      expect(await pullUntil('dim-1')).toMatchObject({ status: 200, payload: '' });
      expect(em.resourceValue(String(light.id), '/3311/0/5851')).toBe('35');
      await request(String(light.id), 'dim-2', { method: 'GET', uri: '/3311/0/5851' });
      expect(Buffer.from(String((await pullUntil('dim-2')).payload), 'base64').toString()).toBe('35');
      await request(String(light.id), 'reboot-1', { method: 'POST', uri: '/3/0/4' });
      expect(await pullUntil('reboot-1')).toMatchObject({ status: 200 });
      await request(String(light.id), 'ro-1', { method: 'PUT', uri: '/3/0/0', 'payload-b64': 'eA==' });
      expect(await pullUntil('ro-1')).toMatchObject({ status: 400 });
      const recorded = em.deviceRequests().find((item) => item.asyncId === 'dim-1');
      expect(recorded).toMatchObject({ deviceId: light.id, method: 'PUT', uri: '/3311/0/5851', status: 'delivered', response: { status: 200 } });
    });

    it('answers v2 errors as plain-text tokens', async () => {
      const sensor = String((await named('coldroom-a2-temp')).id);
      const offline = String((await named('gw-hall-b')).id);
      const check = async (answer: Promise<Answer>, status: number, token: string) => {
        const got = await answer;
        expect(got.status).toBe(status);
        expect(got.text).toBe(token);
        expect(got.headers.get('content-type')).toMatch(/^text\/plain/);
      };
      await check(request(sensor, 'x1', { method: 'GET', uri: '/9999/0/1' }), 400, 'RESOURCE_NOT_FOUND');
      await check(request(sensor, 'not valid!', { method: 'GET', uri: '/3303/0/5700' }), 400, 'MALFORMED_ASYNC_ID');
      await check(call(em, 'POST', `/v2/device-requests/${sensor}`, { body: { method: 'GET', uri: '/3303/0/5700' } }), 400, 'MALFORMED_ASYNC_ID');
      await check(request(sensor, 'x2', { method: 'FETCH', uri: '/3303/0/5700' }), 400, 'MALFORMED_JSON_CONTENT');
      await check(request(sensor, 'x3', { uri: '/3303/0/5700' }), 400, 'MALFORMED_JSON_CONTENT');
      await check(request(sensor, 'x4', { method: 'GET', uri: '/3303/0/5700', 'expiry-seconds': 60 }), 400, 'MALFORMED_JSON_CONTENT');
      await check(call(em, 'POST', `/v2/device-requests/${sensor}?async-id=x5`, { raw: '{nope' }), 400, 'MALFORMED_JSON_CONTENT');
      await check(request(offline, 'x6', { method: 'GET', uri: '/3/0/0' }), 404, 'DEVICE_NOT_FOUND');
      await check(request('0000000000000000000000000000beef', 'x7', { method: 'GET', uri: '/3/0/0' }), 404, 'DEVICE_NOT_FOUND');
    });

    it('queues requests for a sleeping device, limits the queue to 20 and delivers on wake-up', async () => {
      const door = String((await named('dock-door-3')).id);
      for (let i = 0; i < 20; i++) expect((await request(door, `door-${i}`, { method: 'GET', uri: '/3200/0/5500' })).status).toBe(202);
      const full = await request(door, 'door-20', { method: 'GET', uri: '/3200/0/5500' });
      expect(full.status).toBe(400);
      expect(full.text).toBe('QUEUE_IS_FULL');
      expect(em.deviceRequests().filter((item) => item.deviceId === door && item.status === 'queued')).toHaveLength(20);
      expect(em.deliverQueuedRequests(door)).toBe(20);
      expect(await pullUntil('door-19')).toMatchObject({ status: 200 });
    });

    it('does not limit the queue when rate limits are off', async () => {
      const relaxed = await startIzumaEmulator({ now: NOW, rateLimits: false });
      try {
        const door = String(page(await call(relaxed, 'GET', '/v3/devices?name__eq=dock-door-3')).data[0].id);
        for (let i = 0; i < 25; i++) {
          const answer = await call(relaxed, 'POST', `/v2/device-requests/${door}?async-id=q${i}`, { body: { method: 'GET', uri: '/3200/0/5501' } });
          expect(answer.status).toBe(202);
        }
      } finally {
        await relaxed.close();
      }
    });

    it('keeps channels per application key: long poll 204, 409, delete and 410', async () => {
      expect((await call(em, 'GET', '/v2/notification/channel', { key: KEY2 })).status).toBe(404);
      const first = call(em, 'GET', '/v2/notification/pull', { key: KEY2 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const second = await call(em, 'GET', '/v2/notification/pull', { key: KEY2 });
      expect(second.status).toBe(409);
      expect((await first).status).toBe(204);
      expect((await call(em, 'DELETE', '/v2/notification/pull', { key: KEY2 })).text).toBe('REMOVED');
      expect((await call(em, 'DELETE', '/v2/notification/pull', { key: KEY2 })).text).toBe('ALREADY_DELETED');
      const gone = await call(em, 'GET', '/v2/notification/pull', { key: KEY2 });
      expect(gone.status).toBe(410);
      expect(gone.text).toBe('CHANNEL_DELETED');
    });

    it('publishes registrations and de-registrations when a device changes state', async () => {
      const device = String((await named('dock-door-7')).id);
      const drain = await call(em, 'GET', '/v2/notification/pull', { key: KEY2 });
      expect([200, 204]).toContain(drain.status);
      em.setDeviceState(device, 'registered');
      const registration = await call(em, 'GET', '/v2/notification/pull', { key: KEY2 });
      const entry = (registration.body as { registrations: Json[] }).registrations[0];
      expect(entry).toMatchObject({ ep: device, q: true });
      expect((entry.resources as Json[]).some((resource) => resource.path === '/3200/0/5500')).toBe(true);
      expect(em.device(device)?.state).toBe('registered');
      const endpoints = await call(em, 'GET', `/v2/endpoints/${device}`);
      expect((endpoints.body as Json[]).some((resource) => resource.uri === '/3200/0/5500')).toBe(true);
      em.setDeviceState(device, 'deregistered');
      const deregistration = await call(em, 'GET', '/v2/notification/pull', { key: KEY2 });
      expect(deregistration.body).toEqual({ 'de-registrations': [device] });
      expect((await call(em, 'GET', `/v2/endpoints/${device}`)).status).toBe(404);
      await waitFor(() => true);
    });
  });

  describe('spec validator', () => {
    it('accepts what the emulator was sent by the checks above when they followed the spec', () => {
      const good = em.requests().filter((item) => item.status >= 200 && item.status < 300 && !item.path.startsWith('/_emulator'));
      expect(good.length).toBeGreaterThan(50);
      for (const item of good) expect(validateRecordedRequest(item).issues).toEqual([]);
    });

    it('flags unknown parameters, wrong types, bad bodies and non-conforming answers', () => {
      expect(validateRequestAgainstSpec('GET', '/v3/devices', 'state__eq=registered&limit=20').ok).toBe(true);
      expect(validateRequestAgainstSpec('GET', '/v3/devices/', { colour__eq: 'red' }).issues).toMatchObject([{ name: 'colour__eq', kind: 'unknown' }]);
      expect(validateRequestAgainstSpec('GET', '/v3/devices?limit=5000').issues).toMatchObject([{ name: 'limit', kind: 'range' }]);
      expect(validateRequestAgainstSpec('GET', '/v3/device-events', 'date_time__gte=20240101T000000Z').ok).toBe(true);
      expect(validateRequestAgainstSpec('POST', '/v2/device-requests/015f3850a657000000000001001002ab', 'async-id=a', '{"method":"GET"}').issues).toMatchObject([{ location: 'body', name: 'uri', kind: 'missing' }]);
      expect(validateRequestAgainstSpec('POST', '/v2/device-requests/015f3850a657000000000001001002ab', '', { method: 'GET', uri: '/3/0/0' }).issues).toMatchObject([{ name: 'async-id', kind: 'missing' }]);
      expect(validateRequestAgainstSpec('GET', '/v3/widgets').ok).toBe(false);
      const device = em.device(em.deviceIds()[0]) as Json;
      expect(validateResponseAgainstSpec('GET', `/v3/devices/${device.id}`, 200, device).ok).toBe(true);
      expect(validateResponseAgainstSpec('GET', `/v3/devices/${device.id}`, 200, { ...device, state: 'online' }).ok).toBe(false);
      expect(validateResponseAgainstSpec('GET', '/v3/devices', 200, { object: 'list', data: [{ ...device, created_at: 'yesterday' }] }).ok).toBe(false);
      expect(validateResponseAgainstSpec('GET', '/v3/devices', 418, {}).ok).toBe(false);
      expect(validateResponseAgainstSpec('GET', '/v3/devices', 400, { object: 'error', code: 400 }).ok).toBe(false);
    });
  });
});
