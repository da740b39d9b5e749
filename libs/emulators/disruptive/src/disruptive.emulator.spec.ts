import { createHmac } from 'node:crypto';
import { DISRUPTIVE_SANDBOX_CREDENTIALS, DT_TOKEN_URL, startDisruptiveEmulator, type DataConnectorPush, type DisruptiveEmulator, type DtDevice, type DtEvent, type EmittedEvent } from './index.js';

const NOW = Date.UTC(2024, 3, 17, 11, 8, 27, 917);
const C = DISRUPTIVE_SANDBOX_CREDENTIALS;
const [PA, PB] = C.projectIds;
const ISO6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const basic = (keyId: string = C.keyId, secret: string = C.secret) => ({ authorization: `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}` });

type Json = Record<string, unknown>;

function signJwt(header: Json, claims: Json, secret: string = C.secret): string {
  const enc = (o: Json) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc(header)}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function assertion(aud: string, overrides: Json = {}, secret?: string, kid: string = C.keyId): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt({ alg: 'HS256', kid, typ: 'JWT' }, { iat, exp: iat + 3600, aud, iss: C.email, ...overrides }, secret);
}

async function tokenRequest(e: DisruptiveEmulator, form: Record<string, string>, contentType = 'application/x-www-form-urlencoded') {
  const res = await fetch(e.tokenUrl, { method: 'POST', headers: { 'content-type': contentType }, body: new URLSearchParams(form).toString() });
  return { status: res.status, body: (await res.json()) as Json };
}

async function bearer(e: DisruptiveEmulator): Promise<Record<string, string>> {
  const { body } = await tokenRequest(e, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(e.tokenUrl) });
  return { authorization: `Bearer ${body.access_token as string}` };
}

async function call(e: DisruptiveEmulator, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(path.startsWith('http') ? path : `${e.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.headers ?? basic()), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

/** Follows nextPageToken to the end, returning every item and the number of pages. */
async function pageAll<T>(e: DisruptiveEmulator, path: string, key: string): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let token = '';
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const { status, body } = await call(e, `${path}${token ? `${sep}page_token=${encodeURIComponent(token)}` : ''}`);
    expect(status).toBe(200);
    items.push(...(body[key] as T[]));
    token = body.nextPageToken as string;
    expect(typeof token).toBe('string');
    pages += 1;
  } while (token !== '' && pages < 1000);
  return { items, pages };
}

const errorBody = (code: number) => expect.objectContaining({ code, help: `https://docs.d21s.com/error/#${code}`, error: expect.any(String) });
const idOf = (name: string) => name.slice(name.lastIndexOf('/') + 1);

describe('Disruptive Technologies emulator', () => {
  let e: DisruptiveEmulator;
  const others: DisruptiveEmulator[] = [];
  const start = async (options: Parameters<typeof startDisruptiveEmulator>[0]) => {
    const emulator = await startDisruptiveEmulator({ host: '127.0.0.1', port: 0, ...options });
    others.push(emulator);
    return emulator;
  };

  beforeAll(async () => {
    e = await startDisruptiveEmulator({ now: NOW, rateLimit: false });
  });
  afterAll(async () => {
    await e.close();
    await Promise.all(others.map((o) => o.close()));
  });

  describe('authentication', () => {
    it('rejects a missing or wrong credential with the vendor 401 body', async () => {
      for (const headers of [{}, basic(C.keyId, 'wrong'), basic('nokey', C.secret), { authorization: 'Bearer nope' }]) {
        const res = await call(e, '/projects', { headers });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error: 'unauthenticated', code: 401, help: 'https://docs.d21s.com/error/#401' });
      }
    });

    it('accepts HTTP Basic with key id and secret', async () => {
      expect((await call(e, '/projects')).status).toBe(200);
    });

    it('exchanges a signed JWT for a bearer token, exactly as DT answers', async () => {
      const before = e.tokenRequestCount();
      const res = await tokenRequest(e, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(e.tokenUrl) });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
      expect(e.tokenRequestCount()).toBe(before + 1);
      const ok = await call(e, `/projects/${PA}`, { headers: { authorization: `Bearer ${res.body.access_token as string}` } });
      expect(ok.status).toBe(200);
    });

    it("also accepts DT's own token URL as audience", async () => {
      const res = await tokenRequest(e, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(DT_TOKEN_URL) });
      expect(res.status).toBe(200);
    });

    it('refuses bad assertions with 400 at the token endpoint', async () => {
      const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
      const nowS = Math.floor(Date.now() / 1000);
      const bad: Array<Record<string, string>> = [
        { grant_type: grant, assertion: assertion(e.tokenUrl, {}, 'not-the-secret') },
        { grant_type: grant, assertion: assertion('https://example.com/oauth2/token') },
        { grant_type: grant, assertion: assertion(e.tokenUrl, { exp: nowS + 7200 }) },
        { grant_type: grant, assertion: assertion(e.tokenUrl, { iat: nowS - 7200, exp: nowS - 3600 }) },
        { grant_type: grant, assertion: assertion(e.tokenUrl, { iss: 'someone@else.serviceaccount.d21s.com' }) },
        { grant_type: grant, assertion: assertion(e.tokenUrl, {}, undefined, 'unknownkid') },
        { grant_type: 'client_credentials', assertion: assertion(e.tokenUrl) },
        { grant_type: grant },
      ];
      for (const form of bad) {
        const res = await tokenRequest(e, form);
        expect(res.status).toBe(400);
        expect(res.body.error).toEqual(expect.stringMatching(/^(invalid_grant|invalid_request|unsupported_grant_type)$/));
      }
      const json = await tokenRequest(e, { grant_type: grant, assertion: assertion(e.tokenUrl) }, 'application/json');
      expect(json.status).toBe(400);
    });

    it('lets access tokens expire after tokenTtlSeconds, and on expireTokens()', async () => {
      const short = await start({ now: NOW, rateLimit: false, tokenTtlSeconds: 1 });
      const res = await tokenRequest(short, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion(short.tokenUrl) });
      expect(res.body.expires_in).toBe(1);
      const headers = { authorization: `Bearer ${res.body.access_token as string}` };
      expect((await call(short, '/projects', { headers })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await call(short, '/projects', { headers })).status).toBe(401);

      const headers2 = await bearer(short);
      short.expireTokens();
      expect((await call(short, '/projects', { headers: headers2 })).status).toBe(401);
      expect(short.tokenRequestCount()).toBe(2);
    });

    it('refuses Basic auth when the service account has it switched off', async () => {
      const noBasic = await start({ now: NOW, rateLimit: false, enableBasicAuth: false });
      expect((await call(noBasic, '/projects')).status).toBe(401);
      expect((await call(noBasic, '/projects', { headers: await bearer(noBasic) })).status).toBe(200);
    });

    it('answers 403 when the role lacks the permission', async () => {
      const user = await start({ now: NOW, rateLimit: false, role: 'roles/project.user', deviceCount: 3 });
      expect((await call(user, `/projects/${PA}/devices`)).status).toBe(200);
      const res = await call(user, `/projects/${PA}/devices:batchUpdate`, { method: 'POST', body: { devices: [], addLabels: { a: 'b' } } });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'permission denied', code: 403, help: 'https://docs.d21s.com/error/#403' });
      const perms = await call(user, `/projects/${PA}/permissions`);
      expect(perms.body.permissions).toContain('device.read');
      expect(perms.body.permissions).not.toContain('device.update');
    });
  });

  describe('rate limit', () => {
    it('allows 25 requests per 5 s by default, then answers 429 with Retry-After', async () => {
      const limited = await start({ now: NOW, deviceCount: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await call(limited, `/projects/${PA}`)).status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const res = await call(limited, `/projects/${PA}`);
      expect(res.status).toBe(429);
      expect(res.body).toEqual(errorBody(429));
      const retry = Number(res.headers.get('retry-after'));
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(5);
    });

    it('admits requests again once the window has passed', async () => {
      const limited = await start({ now: NOW, deviceCount: 2, rateLimit: { requests: 2, windowMs: 300 } });
      expect((await call(limited, '/projects')).status).toBe(200);
      expect((await call(limited, '/projects')).status).toBe(200);
      expect((await call(limited, '/projects')).status).toBe(429);
      await new Promise((r) => setTimeout(r, 350));
      expect((await call(limited, '/projects')).status).toBe(200);
    });
  });

  describe('organizations and projects', () => {
    it('lists the organization and its permissions', async () => {
      const orgs = await call(e, '/organizations');
      expect(orgs.body).toEqual({ organizations: [{ name: `organizations/${C.organizationId}`, displayName: 'Nordlys Facilities AS' }], nextPageToken: '' });
      expect((await call(e, `/organizations/${C.organizationId}`)).body.name).toBe(`organizations/${C.organizationId}`);
      expect((await call(e, '/organizations/nope')).status).toBe(404);
      const perms = await call(e, `/organizations/${C.organizationId}/permissions`);
      expect(perms.body.permissions).toEqual(expect.arrayContaining(['organization.read', 'device.update', 'dataconnector.create']));
      expect(perms.body.nextPageToken).toBe('');
    });

    it('lists both projects with every field the vendor sends', async () => {
      const res = await call(e, '/projects');
      expect(res.status).toBe(200);
      expect(res.body.nextPageToken).toBe('');
      const projects = res.body.projects as Json[];
      expect(projects.map((p) => p.name)).toEqual([`projects/${PA}`, `projects/${PB}`]);
      expect(projects[0]).toEqual({
        name: `projects/${PA}`,
        displayName: 'Oslo HQ',
        organization: `organizations/${C.organizationId}`,
        organizationDisplayName: 'Nordlys Facilities AS',
        sensorCount: 9,
        cloudConnectorCount: 1,
        inventory: false,
        location: { latitude: expect.any(Number), longitude: expect.any(Number), timeLocation: 'Europe/Oslo' },
        labels: { site: 'oslo' },
      });
    });

    it('filters projects by organization (name or bare id) and query, and pages them', async () => {
      expect(((await call(e, `/projects?organization=organizations/${C.organizationId}`)).body.projects as Json[]).length).toBe(2);
      expect(((await call(e, `/projects?organization=${C.organizationId}`)).body.projects as Json[]).length).toBe(2);
      expect((await call(e, '/projects?organization=organizations/other')).body).toEqual({ projects: [], nextPageToken: '' });
      expect(((await call(e, '/projects?query=trondheim')).body.projects as Json[]).map((p) => p.displayName)).toEqual(['Trondheim Warehouse']);
      const first = await call(e, '/projects?page_size=1');
      expect((first.body.projects as Json[]).length).toBe(1);
      expect(first.body.nextPageToken).not.toBe('');
      const second = await call(e, `/projects?pageSize=1&pageToken=${first.body.nextPageToken as string}`);
      expect((second.body.projects as Json[])[0].name).toBe(`projects/${PB}`);
      expect(second.body.nextPageToken).toBe('');
    });

    it('gets one project and 404s an unknown one', async () => {
      expect((await call(e, `/projects/${PB}`)).body.displayName).toBe('Trondheim Warehouse');
      const missing = await call(e, '/projects/c000000000000000000g');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: 'not found', code: 404, help: 'https://docs.d21s.com/error/#404' });
    });
  });

  describe('devices', () => {
    it('seeds at least 12 devices of several types, Cloud Connectors included, with realistic state', async () => {
      const { items } = await pageAll<DtDevice>(e, `/projects/-/devices?organization=organizations/${C.organizationId}`, 'devices');
      expect(items.length).toBe(16);
      const types = new Set(items.map((d) => d.type));
      for (const t of ['temperature', 'humidity', 'touch', 'proximity', 'co2', 'waterDetector', 'ccon']) expect(types).toContain(t);
      for (const d of items) {
        expect(Object.keys(d)).toEqual(['name', 'type', 'productNumber', 'labels', 'reported']);
        expect(d.labels.name).toEqual(expect.any(String));
        if (d.type !== 'ccon') {
          const net = d.reported.networkStatus as Json;
          expect(net).toEqual({ signalStrength: expect.any(Number), rssi: expect.any(Number), updateTime: expect.stringMatching(ISO6), cloudConnectors: expect.any(Array), transmissionMode: expect.any(String) });
        }
      }
      const ccon = items.find((d) => d.type === 'ccon')!;
      expect(ccon.reported).toEqual({
        connectionStatus: { connection: 'ETHERNET', available: ['ETHERNET', 'CELLULAR'], updateTime: expect.stringMatching(ISO6) },
        connectionLatency: null,
        ethernetStatus: expect.objectContaining({ macAddress: expect.any(String), ipAddress: expect.any(String), errors: [] }),
        cellularStatus: expect.objectContaining({ signalStrength: expect.any(Number), errors: [] }),
        touch: expect.any(Object),
      });
      const temp = items.find((d) => d.labels.name === 'Meeting room Fjord')!;
      const t = temp.reported.temperature as Json;
      expect(t).toEqual({ value: expect.any(Number), updateTime: expect.stringMatching(ISO6), samples: [{ value: t.value, sampleTime: t.updateTime }], isBackfilled: false });
      expect(Date.parse(t.updateTime as string)).toBeLessThan(NOW);
      expect(Date.parse(t.updateTime as string)).toBeGreaterThan(NOW - 30 * 60_000);
    });

    it('lists one project, in a stable order, with the end signal', async () => {
      const res = await call(e, `/projects/${PA}/devices`);
      expect(res.status).toBe(200);
      expect(res.body.nextPageToken).toBe('');
      const names = (res.body.devices as DtDevice[]).map((d) => idOf(d.name));
      expect(names).toEqual(e.deviceIds(PA));
      expect(names.length).toBe(10);
      expect(Object.keys(res.body)).toEqual(['devices', 'nextPageToken']);
    });

    it('pages 250 devices with default 100, cuts page_size above 100, and returns each device once', async () => {
      const many = await start({ now: NOW, rateLimit: false, deviceCount: 250 });
      const byDefault = await pageAll<DtDevice>(many, `/projects/-/devices?organization=organizations/${C.organizationId}`, 'devices');
      expect(byDefault.pages).toBe(3);
      const ids = byDefault.items.map((d) => idOf(d.name));
      expect(new Set(ids).size).toBe(250);
      expect(ids).toEqual(many.deviceIds());
      const big = await call(many, `/projects/${PA}/devices?page_size=1000`);
      expect((big.body.devices as DtDevice[]).length).toBe(100);
      const small = await pageAll<DtDevice>(many, `/projects/${PB}/devices?page_size=7`, 'devices');
      expect(small.items.map((d) => idOf(d.name))).toEqual(many.deviceIds(PB));
      expect(small.pages).toBe(Math.ceil(many.deviceIds(PB).length / 7));
    });

    it('rejects bad paging arguments and a wildcard without organization', async () => {
      expect((await call(e, `/projects/${PA}/devices?page_token=garbage`)).status).toBe(400);
      const negative = await call(e, `/projects/${PA}/devices?page_size=-1`);
      expect(negative.status).toBe(400);
      expect(negative.body).toEqual(errorBody(400));
      expect((await call(e, '/projects/-/devices')).status).toBe(400);
      expect((await call(e, '/projects/nope/devices')).status).toBe(404);
    });

    it('filters by type, label, id, product number, project and keyword', async () => {
      const list = async (q: string) => ((await call(e, `/projects/-/devices?organization=organizations/${C.organizationId}&${q}`)).body.devices as DtDevice[]).map((d) => d.labels.name);
      expect(await list('device_types=temperature')).toEqual(['Meeting room Fjord', 'Server room rack 2', 'Freezer 1', 'Virtual test sensor']);
      expect((await list('device_types=ccon&device_types=co2')).sort()).toEqual(['Cloud Connector floor 3', 'Open office air quality', 'Warehouse Cloud Connector']);
      expect((await list('deviceTypes=ccon,co2')).length).toBe(3);
      expect(await list('label_filters=name=Freezer%201')).toEqual(['Freezer 1']);
      expect(await list('label_filters=critical&label_filters=floor=3')).toEqual(['Kitchen sink leak']);
      expect(await list('label_filters=critical=')).toEqual(['Server room rack 2', 'Kitchen sink leak', 'Fire exit door']);
      const fjord = e.deviceIds()[0];
      expect(await list(`device_ids=${fjord}`)).toEqual(['Meeting room Fjord']);
      expect(await list('product_numbers=100011')).toEqual(['Cloud Connector floor 3', 'Warehouse Cloud Connector']);
      expect((await list(`projects=projects/${PB}`)).length).toBe(6);
      expect(await list('query=freezer')).toEqual(['Freezer 1']);
      expect((await call(e, `/projects/${PA}/devices?device_types=toaster`)).status).toBe(400);
    });

    it('orders by a field of the device, descending with a minus', async () => {
      const res = await call(e, `/projects/-/devices?organization=organizations/${C.organizationId}&device_types=temperature&order_by=-reported.temperature.value`);
      const values = (res.body.devices as DtDevice[]).map((d) => (d.reported.temperature as Json).value as number);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      const byName = await call(e, `/projects/${PB}/devices?order_by=labels.name`);
      const names = (byName.body.devices as DtDevice[]).map((d) => d.labels.name);
      expect(names).toEqual([...names].sort());
    });

    it('gets a device by project or by the - wildcard', async () => {
      const id = e.deviceIds(PB)[0];
      const one = await call(e, `/projects/${PB}/devices/${id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(e.getDevice(id));
      expect((await call(e, `/projects/-/devices/${id}`)).body.name).toBe(`projects/${PB}/devices/${id}`);
      expect((await call(e, `/projects/${PA}/devices/${id}`)).status).toBe(404);
      expect((await call(e, `/projects/${PA}/devices/nope`)).status).toBe(404);
    });

    it('adds and removes labels in a batch, reports per-device errors, and emits labelsChanged', async () => {
      const [a, b] = e.deviceIds(PA);
      const seen: EmittedEvent[] = [];
      const off = e.onEvent((x) => seen.push(x));
      const res = await call(e, `/projects/${PA}/devices:batchUpdate`, {
        method: 'POST',
        body: { devices: [`projects/${PA}/devices/${a}`, `projects/${PA}/devices/${b}`, `projects/${PA}/devices/missing`], addLabels: { group: 'favorite', floor: '4' }, removeLabels: ['zone'] },
      });
      off();
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ batchErrors: [{ device: `projects/${PA}/devices/missing`, status: { code: 'NOT_FOUND', message: 'resource not found' } }] });
      expect(e.getDevice(a)!.labels).toEqual({ name: 'Meeting room Fjord', floor: '4', room: 'fjord', group: 'favorite' });
      const changed = seen.find((s) => s.event.targetName.endsWith(a))!.event;
      expect(changed.eventType).toBe('labelsChanged');
      expect(changed.data).toEqual({ added: { group: 'favorite' }, modified: { floor: '4' }, removed: ['zone'] });
      const back = await call(e, `/projects/${PA}/devices:batchUpdate`, { method: 'POST', body: { devices: [`projects/${PA}/devices/${a}`], addLabels: { floor: '3', zone: 'meeting-rooms' }, removeLabels: ['group'] } });
      expect(back.body).toEqual({ batchErrors: [] });
      expect((await call(e, `/projects/${PA}/devices:batchUpdate`, { method: 'POST', body: { devices: [`projects/${PA}/devices/${a}`] } })).status).toBe(400);
      expect((await call(e, '/projects/nope/devices:batchUpdate', { method: 'POST', body: { devices: [], addLabels: { x: 'y' } } })).status).toBe(404);
    });

    it('creates, updates and deletes single labels', async () => {
      const id = e.deviceIds(PB)[1];
      const base = `/projects/${PB}/devices/${id}/labels`;
      const created = await call(e, base, { method: 'POST', body: { key: 'owner', value: 'ops' } });
      expect(created.body).toEqual({ name: `projects/${PB}/devices/${id}/labels/owner`, value: 'ops' });
      expect((await call(e, base, { method: 'POST', body: { key: 'owner', value: 'x' } })).body).toEqual({ error: 'already exists', code: 409, help: 'https://docs.d21s.com/error/#409' });
      expect((await call(e, `${base}/owner`, { method: 'PATCH', body: { value: 'facilities' } })).body.value).toBe('facilities');
      expect((await call(e, `${base}/owner`, { method: 'DELETE' })).body).toEqual({});
      expect((await call(e, `${base}/owner`, { method: 'DELETE' })).status).toBe(404);
      expect(e.getDevice(id)!.labels.owner).toBeUndefined();
    });

    it('transfers devices between projects and reports the ones it could not move', async () => {
      const id = e.deviceIds(PA)[3];
      const res = await call(e, `/projects/${PB}/devices:transfer`, { method: 'POST', body: { devices: [`projects/${PA}/devices/${id}`, `projects/${PA}/devices/missing`] } });
      expect(res.body).toEqual({ transferredDevices: [`projects/${PA}/devices/${id}`], transferErrors: [{ device: `projects/${PA}/devices/missing`, status: { code: 'NOT_FOUND', message: 'resource not found' } }] });
      expect(e.getDevice(id)!.name).toBe(`projects/${PB}/devices/${id}`);
      expect((await call(e, `/projects/${PB}`)).body.sensorCount).toBe(6);
      const events = await call(e, `/projects/${PB}/devices/${id}/events?page_size=1`);
      expect((events.body.events as DtEvent[])[0].targetName).toBe(`projects/${PB}/devices/${id}`);
      await call(e, `/projects/${PA}/devices:transfer`, { method: 'POST', body: { devices: [`projects/${PB}/devices/${id}`] } });
      expect(e.deviceIds(PA)[3]).toBe(id);
      expect((await call(e, '/projects/nope/devices:transfer', { method: 'POST', body: { devices: [] } })).status).toBe(404);
    });
  });

  describe('event history', () => {
    const fjord = () => e.deviceIds(PA)[0];

    it('defaults to the last 24 hours, oldest first, 100 per page', async () => {
      const res = await call(e, `/projects/${PA}/devices/${fjord()}/events`);
      const events = res.body.events as DtEvent[];
      expect(events.length).toBe(100);
      expect(res.body.nextPageToken).not.toBe('');
      const times = events.map((x) => Date.parse(x.timestamp));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]).toBeGreaterThanOrEqual(e.clock() - 24 * 3600_000 - 5_000);
      for (const x of events) {
        expect(Object.keys(x)).toEqual(['eventId', 'targetName', 'eventType', 'data', 'timestamp']);
        expect(x.timestamp).toMatch(ISO6);
        expect((x.data[x.eventType] as Json).updateTime).toBe(x.timestamp);
        expect(x.eventId).toMatch(/^[0-9a-v]{20}$/);
      }
    });

    it('pages a whole week with page_size 1000 (the maximum), each event once', async () => {
      const startTime = new Date(NOW - 8 * 86_400_000).toISOString();
      const { items, pages } = await pageAll<DtEvent>(e, `/projects/${PA}/devices/${fjord()}/events?start_time=${startTime}&page_size=5000`, 'events');
      const all = e.events(fjord());
      expect(items.length).toBe(all.length);
      expect(pages).toBe(Math.ceil(all.length / 1000));
      expect(new Set(items.map((x) => x.eventId)).size).toBe(items.length);
      expect(items.map((x) => x.eventId)).toEqual(all.map((x) => x.eventId));
      expect(new Set(items.map((x) => x.eventType))).toEqual(new Set(['temperature', 'networkStatus', 'batteryStatus']));
      expect(Date.parse(items[0].timestamp)).toBeGreaterThanOrEqual(NOW - 7 * 86_400_000);
    });

    it('filters by event type and time range, pages filtered results', async () => {
      const co2 = e.deviceIds(PA)[5];
      const startTime = new Date(NOW - 2 * 86_400_000).toISOString();
      const endTime = new Date(NOW - 86_400_000).toISOString();
      const { items } = await pageAll<DtEvent>(e, `/projects/-/devices/${co2}/events?event_types=co2&eventTypes=pressure&start_time=${startTime}&end_time=${endTime}&page_size=50`, 'events');
      expect(items.length).toBeGreaterThan(150);
      expect(new Set(items.map((x) => x.eventType))).toEqual(new Set(['co2', 'pressure']));
      for (const x of items) {
        expect(Date.parse(x.timestamp)).toBeGreaterThanOrEqual(NOW - 2 * 86_400_000);
        expect(Date.parse(x.timestamp)).toBeLessThan(NOW - 86_400_000);
      }
      const expected = e.events(co2).filter((x) => ['co2', 'pressure'].includes(x.eventType) && Date.parse(x.timestamp) >= NOW - 2 * 86_400_000 && Date.parse(x.timestamp) < NOW - 86_400_000);
      expect(items.map((x) => x.eventId)).toEqual(expected.map((x) => x.eventId));
    });

    it('rejects unreadable times and unknown event types', async () => {
      expect((await call(e, `/projects/${PA}/devices/${fjord()}/events?start_time=yesterday`)).status).toBe(400);
      expect((await call(e, `/projects/${PA}/devices/${fjord()}/events?event_types=smell`)).status).toBe(400);
      expect((await call(e, `/projects/${PA}/devices/nope/events`)).status).toBe(404);
    });
  });

  describe('Emulator API', () => {
    it('creates a virtual device, publishes to it and sees history and reported state change', async () => {
      const created = await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices`, { method: 'POST', body: { type: 'temperature', labels: { name: 'my-emulated-sensor', 'group-number': '99' } } });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ name: expect.stringMatching(new RegExp(`^projects/${PB}/devices/emu[0-9a-v]{20}$`)), type: 'temperature', productNumber: expect.any(String), labels: { name: 'my-emulated-sensor', 'group-number': '99', 'virtual-sensor': '' } });
      const id = idOf(created.body.name as string);
      const fresh = await call(e, `/projects/${PB}/devices/${id}`);
      expect(fresh.body.reported).toEqual({ networkStatus: null, batteryStatus: null, temperature: null, touch: null });

      const published = await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices/${id}:publish`, { method: 'POST', body: { temperature: { value: 22.3 } } });
      expect(published.status).toBe(200);
      expect(published.body).toEqual({});
      const device = (await call(e, `/projects/${PB}/devices/${id}`)).body as unknown as DtDevice;
      expect(device.reported.temperature).toEqual({ value: 22.3, updateTime: expect.stringMatching(ISO6), samples: [{ value: 22.3, sampleTime: expect.stringMatching(ISO6) }], isBackfilled: false });
      await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices/${id}:publish`, { method: 'POST', body: { networkStatus: { signalStrength: 80, rssi: -60 } } });
      const events = (await call(e, `/projects/${PB}/devices/${id}/events`)).body.events as DtEvent[];
      expect(events.map((x) => x.eventType)).toEqual(['temperature', 'networkStatus']);
      expect(events[1].data.networkStatus).toEqual({ signalStrength: 80, rssi: -60, updateTime: events[1].timestamp, cloudConnectors: [{ id: 'emulated-ccon', signalStrength: 80, rssi: -60 }], transmissionMode: 'LOW_POWER_STANDARD_MODE' });

      const bad = [{ co2: { ppm: 500 } }, { labelsChanged: {} }, { temperature: { value: 1 }, touch: {} }, { temperature: { value: 'warm' } }, {}];
      for (const body of bad) expect((await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices/${id}:publish`, { method: 'POST', body })).status).toBe(400);

      const listed = await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices`);
      expect((listed.body.devices as Json[]).map((d) => idOf(d.name as string))).toContain(id);
      expect(listed.body.nextPageToken).toBe('');
      const put = await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices/${id}`, { method: 'PUT', body: { labels: { name: 'renamed' } } });
      expect(put.body.labels).toEqual({ name: 'renamed', 'virtual-sensor': '' });

      expect((await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices/${id}`, { method: 'DELETE' })).body).toEqual({});
      expect((await call(e, `/projects/${PB}/devices/${id}`)).status).toBe(404);
      expect((await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices/${id}`)).status).toBe(404);
    });

    it('refuses unknown types, unknown projects and real sensors', async () => {
      expect((await call(e, `${e.emulatorBaseUrl}/projects/${PB}/devices`, { method: 'POST', body: { type: 'THERMOMETER' } })).status).toBe(400);
      expect((await call(e, `${e.emulatorBaseUrl}/projects/nope/devices`, { method: 'POST', body: { type: 'touch' } })).status).toBe(404);
      const real = e.deviceIds(PA)[0];
      expect((await call(e, `${e.emulatorBaseUrl}/projects/${PA}/devices/${real}:publish`, { method: 'POST', body: { touch: {} } })).status).toBe(404);
      expect((await call(e, `${e.emulatorBaseUrl}/projects/${PA}/devices`, { headers: {} })).status).toBe(401);
    });

    it('publishes in-process to any device', () => {
      const id = e.deviceIds(PA)[3];
      const event = e.publish(id, { touch: {} });
      expect(event.eventType).toBe('touch');
      expect(e.getDevice(id)!.reported.touch).toEqual({ updateTime: event.timestamp });
      expect(e.events(id).at(-1)!.eventId).toBe(event.eventId);
      expect(() => e.publish(id, { temperature: { value: 3 } })).toThrow();
      expect(() => e.publish('nope', { touch: {} })).toThrow();
    });
  });

  describe('data connectors', () => {
    const dcBody = { displayName: 'my-new-dcon', type: 'HTTP_PUSH', status: 'ACTIVE', events: ['touch', 'temperature'], labels: ['name', 'floor'], httpConfig: { url: 'https://example.com/api/endpoint', signatureSecret: 'some-very-good-secret', headers: { 'some-header': 'abc123' } } };

    it('creates, reads, updates with update_mask and deletes', async () => {
      const created = await call(e, `/projects/${PA}/dataconnectors`, { method: 'POST', body: dcBody });
      expect(created.status).toBe(200);
      const { name, ...rest } = created.body;
      expect(name).toMatch(new RegExp(`^projects/${PA}/dataconnectors/[0-9a-v]{20}$`));
      expect(rest).toEqual(dcBody);
      const id = idOf(name as string);
      expect((await call(e, `/projects/${PA}/dataconnectors/${id}`)).body).toEqual(created.body);
      expect((await call(e, `/projects/${PA}/dataconnectors`)).body).toEqual({ dataConnectors: [created.body], nextPageToken: '' });
      expect((await call(e, `/projects/${PB}/dataconnectors`)).body).toEqual({ dataConnectors: [], nextPageToken: '' });

      const patched = await call(e, `/projects/${PA}/dataconnectors/${id}?update_mask=status,httpConfig.url`, {
        method: 'PATCH',
        body: { status: 'USER_DISABLED', displayName: 'ignored', httpConfig: { url: 'https://example.com/v2' } },
      });
      expect(patched.body).toEqual({ ...created.body, status: 'USER_DISABLED', httpConfig: { ...dcBody.httpConfig, url: 'https://example.com/v2' } });
      expect((await call(e, `/projects/${PA}/dataconnectors/${id}`, { method: 'PATCH', body: { displayName: 'renamed' } })).body.displayName).toBe('renamed');
      expect((await call(e, `/projects/${PA}/dataconnectors/${id}?update_mask=name`, { method: 'PATCH', body: {} })).status).toBe(400);
      expect((await call(e, `/projects/${PA}/dataconnectors/${id}:metrics`)).body).toEqual({ metrics: { successCount: 0, errorCount: 0, latency99p: '0s' } });

      expect((await call(e, `/projects/${PA}/dataconnectors/${id}`, { method: 'DELETE' })).body).toEqual({});
      expect((await call(e, `/projects/${PA}/dataconnectors/${id}`)).status).toBe(404);
    });

    it('validates type, url and events', async () => {
      const post = (body: Json) => call(e, `/projects/${PA}/dataconnectors`, { method: 'POST', body });
      expect((await post({ ...dcBody, type: 'SMOKE_SIGNAL' })).status).toBe(400);
      expect((await post({ ...dcBody, httpConfig: { url: 'http://example.com/hook' } })).status).toBe(400);
      expect((await post({ ...dcBody, events: ['smell'] })).status).toBe(400);
      expect((await post({ ...dcBody, status: 'SYSTEM_DISABLED' })).status).toBe(400);
      const local = await post({ type: 'HTTP_PUSH', httpConfig: { url: 'http://127.0.0.1:9/hook' } });
      expect(local.body).toEqual({ name: expect.any(String), displayName: '', type: 'HTTP_PUSH', status: 'ACTIVE', events: [], labels: [], httpConfig: { url: 'http://127.0.0.1:9/hook', signatureSecret: '', headers: {} } });
      await call(e, `/${local.body.name as string}`, { method: 'DELETE' });
    });

    it('hands matching events to the delivery hook, with chosen labels and metadata, and replays on :sync', async () => {
      const created = await call(e, `/projects/${PA}/dataconnectors`, { method: 'POST', body: dcBody });
      const pushes: DataConnectorPush[] = [];
      const off = e.onDataConnectorPush((p) => pushes.push(p));
      const fjord = e.deviceIds(PA)[0];
      e.publish(fjord, { temperature: { value: 19.5 } });
      e.publish(fjord, { batteryStatus: { percentage: 80 } });
      e.publish(e.deviceIds(PB)[0], { temperature: { value: -20 } });
      expect(pushes.length).toBe(1);
      expect(pushes[0].body).toEqual({
        event: expect.objectContaining({ eventType: 'temperature', targetName: `projects/${PA}/devices/${fjord}` }),
        labels: { name: 'Meeting room Fjord', floor: '3' },
        metadata: { deviceId: fjord, projectId: PA, deviceType: 'temperature', productNumber: expect.any(String) },
      });
      pushes.length = 0;
      const id = idOf(created.body.name as string);
      expect((await call(e, `/projects/${PA}/dataconnectors/${id}:sync`, { method: 'POST' })).body).toEqual({});
      expect(pushes.length).toBeGreaterThan(3);
      expect(new Set(pushes.map((p) => p.body.event.eventType))).toEqual(new Set(['touch', 'temperature']));
      pushes.length = 0;
      await call(e, `/projects/${PA}/dataconnectors/${id}`, { method: 'PATCH', body: { status: 'USER_DISABLED' } });
      e.publish(fjord, { temperature: { value: 19.7 } });
      expect(pushes.length).toBe(0);
      off();
      await call(e, `/projects/${PA}/dataconnectors/${id}`, { method: 'DELETE' });
    });
  });

  describe('wire details', () => {
    it('answers unknown paths with 404 and wrong methods with 405, in the vendor body', async () => {
      expect((await call(e, '/nothing/here')).body).toEqual(errorBody(404));
      const wrong = await call(e, `/projects/${PA}`, { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.body).toEqual(errorBody(405));
    });
  });

  describe('seed', () => {
    it('is identical across starts with the same now, and keeps ids when now changes', async () => {
      const a = await start({ now: NOW, rateLimit: false });
      const b = await start({ now: NOW, rateLimit: false });
      const c = await start({ now: NOW + 86_400_000, rateLimit: false });
      const listA = await call(a, `/projects/-/devices?organization=organizations/${C.organizationId}`);
      const listB = await call(b, `/projects/-/devices?organization=organizations/${C.organizationId}`);
      expect(listA.body).toEqual(listB.body);
      const id = a.deviceIds()[5];
      expect(a.events(id)).toEqual(b.events(id));
      expect(c.deviceIds()).toEqual(a.deviceIds());
      expect(a.credentials).toEqual({ ...C, projectIds: [...C.projectIds] });
    });

    // What is seeded is checked here; how fast, by `npm run bench` (the seed line), never by a timed test.
    it('seeds 10,000 devices, the demo devices unchanged', async () => {
      const big = await start({ now: NOW, rateLimit: false, deviceCount: 10_000 });
      expect(big.deviceIds().length).toBe(10_000);
      const demo = await start({ now: NOW, rateLimit: false });
      for (const id of demo.deviceIds()) expect(big.getDevice(id)).toEqual(demo.getDevice(id));
      const last = big.deviceIds().at(-1)!;
      expect(big.getDevice(last)!.reported.networkStatus).not.toBeNull();
      const page = await call(big, `/projects/${PB}/devices?page_size=100&device_types=humidity`);
      expect((page.body.devices as DtDevice[]).length).toBe(100);
    });
  });
});
