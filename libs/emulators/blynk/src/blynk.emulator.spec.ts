import { BLYNK_SANDBOX_CREDENTIALS, startBlynkEmulator, type BlynkEmulator, type BlynkTimelineEvent } from './index.js';

// A fixed anchor a month back: both starts of the determinism test share it, and nothing seeded is "recent".
const NOW = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 86_400_000;
const API = '/api/v1/organization';

interface Answer {
  status: number;
  text: string;
  json: unknown;
  headers: Headers;
}

interface DevicePage {
  content: Array<{ id: number; name: string; orgId: number; ownerUserId?: number; token: string; templateId: number }>;
  totalElements: number;
}

interface EventPage {
  content: BlynkTimelineEvent[];
  totalElements: number;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

async function fetchToken(e: BlynkEmulator, id: string = e.credentials.clientId, secret: string = e.credentials.clientSecret): Promise<string> {
  const answer = await send(`${e.baseUrl}/oauth2/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: basic(id, secret) } });
  expect(answer.status).toBe(200);
  return (answer.json as { access_token: string }).access_token;
}

function client(e: BlynkEmulator, token: string) {
  return (method: string, path: string, body?: unknown): Promise<Answer> =>
    send(`${e.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
}

const errorOf = (answer: Answer) => (answer.json as { error: { message: string } }).error.message;

async function allPages(call: ReturnType<typeof client>, path: string, size: number): Promise<{ ids: number[]; pages: number; total: number }> {
  const ids: number[] = [];
  let pages = 0;
  let total: number;
  for (let page = 0; ; page++) {
    const answer = await call('GET', `${path}${path.includes('?') ? '&' : '?'}page=${page}&size=${size}`);
    expect(answer.status).toBe(200);
    const body = answer.json as DevicePage;
    total = body.totalElements;
    pages += 1;
    ids.push(...body.content.map((d) => d.id));
    if (body.content.length < size) break;
  }
  return { ids, pages, total };
}

describe('Blynk.Cloud emulator', () => {
  let e: BlynkEmulator;
  let call: ReturnType<typeof client>;

  beforeAll(async () => {
    e = await startBlynkEmulator({ port: 0, host: '127.0.0.1', now: NOW });
    call = client(e, await fetchToken(e));
  });
  afterAll(() => e.close());

  describe('OAuth2 token endpoint', () => {
    it('issues a bearer token for HTTP Basic client credentials and counts the requests', async () => {
      const before = e.tokenRequestCount();
      const answer = await send(`${e.baseUrl}/oauth2/token?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: basic(BLYNK_SANDBOX_CREDENTIALS.clientId, BLYNK_SANDBOX_CREDENTIALS.clientSecret) },
      });
      expect(answer.status).toBe(200);
      const token = answer.json as Record<string, unknown>;
      expect(token).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9_-]{40}$/), token_type: 'Bearer', expires_in: 86400, refresh_token: expect.any(String) });
      expect(e.tokenRequestCount()).toBe(before + 1);
    });

    it('takes the grant and credentials from a form body or the query too', async () => {
      const form = await send(`${e.baseUrl}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: basic(e.credentials.clientId, e.credentials.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(form.status).toBe(200);
      const query = await send(
        `${e.baseUrl}/oauth2/token?grant_type=client_credentials&client_id=${encodeURIComponent(e.credentials.clientId)}&client_secret=${encodeURIComponent(e.credentials.clientSecret)}`,
        { method: 'POST' },
      );
      expect(query.status).toBe(200);
    });

    it('answers OAuth2 errors with 400 and error/error_description', async () => {
      const wrong = await send(`${e.baseUrl}/oauth2/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: basic(e.credentials.clientId, 'nope') } });
      expect(wrong.status).toBe(400);
      expect(wrong.json).toEqual({ error: 'invalid_client', error_description: 'Client ID is not found or password is wrong.' });
      const noGrant = await send(`${e.baseUrl}/oauth2/token`, { method: 'POST', headers: { authorization: basic(e.credentials.clientId, e.credentials.clientSecret) } });
      expect(noGrant.status).toBe(400);
      expect((noGrant.json as { error: string }).error).toBe('invalid_request');
      const odd = await send(`${e.baseUrl}/oauth2/token?grant_type=password`, { method: 'POST', headers: { authorization: basic(e.credentials.clientId, e.credentials.clientSecret) } });
      expect((odd.json as { error: string }).error).toBe('unsupported_grant_type');
    });

    it('accepts each refresh token once', async () => {
      const auth = { authorization: basic(e.credentials.clientId, e.credentials.clientSecret) };
      const first = (await send(`${e.baseUrl}/oauth2/token?grant_type=client_credentials`, { method: 'POST', headers: auth })).json as { refresh_token: string };
      const url = `${e.baseUrl}/oauth2/token?grant_type=refresh_token&refresh_token=${first.refresh_token}`;
      const refreshed = await send(url, { method: 'POST', headers: auth });
      expect(refreshed.status).toBe(200);
      const again = await send(url, { method: 'POST', headers: auth });
      expect(again.status).toBe(400);
      expect((again.json as { error: string }).error).toBe('invalid_grant');
    });
  });

  describe('bearer authentication', () => {
    it('rejects a missing or unknown token with 401 and the error body', async () => {
      const missing = await send(`${e.baseUrl}${API}/devices`);
      expect(missing.status).toBe(401);
      expect(errorOf(missing)).toMatch(/Bearer/);
      const unknown = await client(e, 'x'.repeat(40))('GET', `${API}/devices`);
      expect(unknown.status).toBe(401);
      expect(unknown.json).toEqual({ error: { message: 'Invalid access token.' } });
    });

    it('rejects an expired token', async () => {
      const short = await startBlynkEmulator({ now: NOW, tokenTtlSeconds: 1 });
      try {
        const call2 = client(short, await fetchToken(short));
        expect((await call2('GET', `${API}/devices`)).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const expired = await call2('GET', `${API}/devices`);
        expect(expired.status).toBe(401);
        expect(expired.json).toEqual({ error: { message: 'Access token is expired.' } });
        const fresh = client(short, await fetchToken(short));
        short.expireTokens();
        expect((await fresh('GET', `${API}/devices`)).status).toBe(401);
      } finally {
        await short.close();
      }
    });

    it('answers 403 for a client without the Platform API scope', async () => {
      const token = await fetchToken(e, e.credentials.noScopeClientId, e.credentials.noScopeClientSecret);
      const answer = await client(e, token)('GET', `${API}/devices`);
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({ error: { message: 'Platform API scope is not enabled for this oauth client.' } });
    });
  });

  describe('listing devices', () => {
    it('lists the organization with the default page size of 50 and the {content,totalElements} wrapper', async () => {
      const answer = await call('GET', `${API}/devices`);
      expect(answer.status).toBe(200);
      const page = answer.json as DevicePage;
      expect(Object.keys(page).sort()).toEqual(['content', 'totalElements']);
      expect(page.totalElements).toBe(10);
      expect(page.content.every((d) => d.orgId === e.orgId)).toBe(true);
      expect(page.content.map((d) => d.id)).toEqual([...page.content.map((d) => d.id)].sort((a, b) => a - b));
      const first = page.content[0];
      expect(first).toEqual({
        id: 1001,
        name: 'Lobby Climate',
        templateId: 3501,
        originalTemplateId: 3501,
        orgId: 101,
        token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        activatedAt: expect.any(Number),
        ownerUserId: 202,
        hardwareInfo: { version: '2.3.1', fwType: 'TMPL4bXq7RzKc', blynkVersion: '1.3.2', boardType: 'ESP32', build: expect.any(String), templateId: 'TMPL4bXq7RzKc' },
      });
    });

    it('adds sub-organization devices with includeSubOrgDevices and scopes by orgId', async () => {
      const all = (await call('GET', `${API}/devices?includeSubOrgDevices=true`)).json as DevicePage;
      expect(all.totalElements).toBe(15);
      expect(all.content.map((d) => d.id)).toEqual(e.deviceIds());
      const sub = (await call('GET', `${API}/devices?orgId=${e.subOrgId}`)).json as DevicePage;
      expect(sub.totalElements).toBe(5);
      expect(sub.content.every((d) => d.orgId === e.subOrgId)).toBe(true);
      const foreign = await call('GET', `${API}/devices?orgId=900`);
      expect(foreign.status).toBe(404);
      expect(errorOf(foreign)).toBe("Organization is not found or you don't have access to it.");
    });

    it('pages every device exactly once and answers an empty page past the end', async () => {
      const walk = await allPages(call, `${API}/devices?includeSubOrgDevices=true`, 4);
      expect(walk.pages).toBe(4);
      expect(walk.total).toBe(15);
      expect(walk.ids).toEqual(e.deviceIds());
      const past = (await call('GET', `${API}/devices?includeSubOrgDevices=true&page=9&size=4`)).json as DevicePage;
      expect(past).toEqual({ content: [], totalElements: 15 });
    });

    it('refuses page sizes over 1000 and below 1', async () => {
      expect((await call('GET', `${API}/devices?size=1000`)).status).toBe(200);
      const big = await call('GET', `${API}/devices?size=1001`);
      expect(big.status).toBe(400);
      expect(big.json).toEqual({ error: { message: 'requested page size is too big' } });
      expect((await call('GET', `${API}/devices?size=0`)).status).toBe(400);
      expect((await call('GET', `${API}/devices?page=-1`)).status).toBe(400);
    });

    it('seeds the same devices at every start', async () => {
      const other = await startBlynkEmulator({ now: NOW });
      try {
        const otherCall = client(other, await fetchToken(other));
        const a = await call('GET', `${API}/devices?includeSubOrgDevices=true`);
        const b = await otherCall('GET', `${API}/devices?includeSubOrgDevices=true`);
        expect(b.text).toBe(a.text);
        const ta = await call('GET', `${API}/device/timeline?deviceId=1003&size=1000`);
        const tb = await otherCall('GET', `${API}/device/timeline?deviceId=1003&size=1000`);
        expect(tb.text).toBe(ta.text);
      } finally {
        await other.close();
      }
    });

    // What is seeded is checked here; how fast, by `npm run bench` (the seed line), never by a timed test.
    it('seeds 10,000 devices and pages them with size 1000', async () => {
      const big = await startBlynkEmulator({ now: NOW, deviceCount: 10_000 });
      try {
        const bigCall = client(big, await fetchToken(big));
        const walk = await allPages(bigCall, `${API}/devices?includeSubOrgDevices=true`, 1000);
        expect(walk.total).toBe(10_000);
        expect(new Set(walk.ids).size).toBe(10_000);
        expect(walk.ids).toEqual(big.deviceIds());
        expect(walk.pages).toBe(11);
      } finally {
        await big.close();
      }
    });
  });

  describe('search', () => {
    it('matches names across the organization tree and sorts on request', async () => {
      const answer = await call('GET', `${API}/search/devices?query=climate&sortBy=Name&sortOrder=DESC`);
      expect(answer.status).toBe(200);
      const page = answer.json as DevicePage;
      expect(page.content.map((d) => d.name)).toEqual(['Warehouse Climate 2', 'Warehouse Climate 1', 'Server Room Climate', 'Lobby Climate']);
      expect(page.totalElements).toBe(4);
      const paged = (await call('GET', `${API}/search/devices?query=relay&size=2&page=1`)).json as DevicePage;
      expect(paged.totalElements).toBe(4);
      expect(paged.content.map((d) => d.id)).toEqual([1010, 1015]);
    });

    it('requires a query and known sort fields', async () => {
      expect((await call('GET', `${API}/search/devices`)).status).toBe(400);
      expect((await call('GET', `${API}/search/devices?query=${'a'.repeat(256)}`)).status).toBe(400);
      expect((await call('GET', `${API}/search/devices?query=a&sortBy=Colour`)).status).toBe(400);
      expect((await call('GET', `${API}/search/devices?query=a&sortOrder=UP`)).status).toBe(400);
    });
  });

  describe('single device reads', () => {
    it('returns the full device with datastream and metafield values', async () => {
      const answer = await call('GET', `${API}/device?deviceId=1007`);
      expect(answer.status).toBe(200);
      const device = answer.json as Record<string, unknown> & { dataStreamValues: Array<Record<string, unknown>>; metaFieldValues: Array<Record<string, unknown>> };
      expect(device).toMatchObject({ id: 1007, name: 'Main Water Meter', templateId: 3503, orgId: 101, isLocked: false, lifecycleStatus: { name: 'Online' } });
      const location = device.dataStreamValues.find((v) => v.dataStreamLabel === 'Location');
      expect(location).toMatchObject({ dataStreamId: 5, pin: 'v4', dataStreamAlias: 'Location', value: [expect.any(Number), expect.any(Number)], updatedAt: expect.any(Number) });
      expect(device.metaFieldValues[0]).toEqual({ id: 1, name: 'Device Name', value: { type: 'DeviceName', value: 'Main Water Meter' } });
      const base = (await call('GET', `${API}/device/baseInfo?deviceId=1007`)).json as Record<string, unknown>;
      expect(base).not.toHaveProperty('dataStreamValues');
      expect(base).not.toHaveProperty('metaFieldValues');
      expect(base.token).toBe(device.token);
    });

    it('answers 400 for a bad device id and the vendor 404 for missing or foreign devices', async () => {
      expect((await call('GET', `${API}/device`)).status).toBe(400);
      expect((await call('GET', `${API}/device?deviceId=abc`)).status).toBe(400);
      const missing = await call('GET', `${API}/device?deviceId=424242`);
      expect(missing.status).toBe(404);
      expect(missing.json).toEqual({ error: { message: 'Device with identifier 424242 is not found or belong to another organization.' } });
      const foreign = await call('GET', `${API}/device/online?deviceId=${e.foreignDeviceId}`);
      expect(foreign.status).toBe(404);
    });

    it('reports online state and tags', async () => {
      expect((await call('GET', `${API}/device/online?deviceId=1001`)).json).toEqual({ connected: true });
      expect((await call('GET', `${API}/device/online?deviceId=1003`)).json).toEqual({ connected: false });
      expect((await call('GET', `${API}/device/tags?deviceId=1011`)).json).toEqual([
        { id: 7, name: 'North Site', tagOwnerOrgId: 102 },
        { id: 8, name: 'Loading Dock', tagOwnerOrgId: 102 },
        { id: 4, name: 'Cold Chain', tagOwnerOrgId: 101 },
      ]);
    });

    it("reads a template's events (with their codes) and datastreams (with units and integer pins) by numeric template id", async () => {
      const events = (await call('GET', `${API}/template/events?templateId=3501`)).json as Array<Record<string, unknown>>;
      expect(events).toContainEqual({ id: 3, name: 'High Temperature', eventCode: 'high_temperature', type: 'WARNING' });
      const streams = (await call('GET', `${API}/template/datastreams?templateId=3501`)).json as Array<Record<string, unknown>>;
      expect(streams[0]).toMatchObject({ id: 1, label: 'Temperature', alias: 'Temperature', units: 'Celsius', type: 'DOUBLE', pin: 0, pinType: 'VIRTUAL' });
      expect((await call('GET', `${API}/template/events?templateId=3901`)).status).toBe(404);
      expect((await call('GET', `${API}/template/datastreams?templateId=x`)).status).toBe(400);
    });

    it('pages a week of timeline events, newest first, with type and time filters', async () => {
      const first = (await call('GET', `${API}/device/timeline?deviceId=1002`)).json as EventPage;
      expect(first.content).toHaveLength(50);
      expect(first.totalElements).toBeGreaterThan(20);
      const all = (await call('GET', `${API}/device/timeline?deviceId=1002&size=1000`)).json as EventPage;
      const ts = all.content.map((ev) => ev.ts);
      expect(ts).toEqual([...ts].sort((a, b) => b - a));
      expect(Math.min(...ts)).toBeGreaterThanOrEqual(NOW - 7 * 86_400_000);
      expect(Math.max(...ts)).toBeLessThan(NOW);
      const types = new Set(all.content.map((ev) => ev.eventType));
      expect(types.has('ONLINE') && types.has('OFFLINE') && types.has('INFORMATION')).toBe(true);
      const ids: number[] = [];
      for (let page = 0; page * 7 < all.totalElements; page++) {
        ids.push(...((await call('GET', `${API}/device/timeline?deviceId=1002&size=7&page=${page}`)).json as EventPage).content.map((ev) => ev.id));
      }
      expect(ids).toEqual(all.content.map((ev) => ev.id));
      const warnings = (await call('GET', `${API}/device/timeline?deviceId=1002&eventType=WARNING&size=1000`)).json as EventPage;
      expect(warnings.content.every((ev) => ev.eventType === 'WARNING')).toBe(true);
      expect(warnings.totalElements).toBe(all.content.filter((ev) => ev.eventType === 'WARNING').length);
      const from = NOW - 86_400_000;
      const lastDay = (await call('GET', `${API}/device/timeline?deviceId=1002&from=${from}&to=${NOW}&size=1000`)).json as EventPage;
      expect(lastDay.totalElements).toBe(all.content.filter((ev) => ev.ts >= from).length);
      expect((await call('GET', `${API}/device/timeline?deviceId=1002&eventType=SOMETHING`)).status).toBe(400);
    });

    it('pages the actions log', async () => {
      const logs = (await call('GET', `${API}/device/logs?deviceId=1005&size=2`)).json as { content: Array<Record<string, unknown>>; totalElements: number };
      expect(logs.content).toHaveLength(2);
      expect(logs.totalElements).toBeGreaterThanOrEqual(4);
      expect(logs.content[0]).toEqual({
        triggerUserEmail: expect.stringContaining('@'),
        value: expect.anything(),
        pin: expect.any(Number),
        pinType: 'VIRTUAL',
        isOnline: expect.any(Boolean),
        createdAt: expect.any(Number),
      });
    });

    it('reads metafields with their flags', async () => {
      const fields = (await call('GET', `${API}/device/metafield?deviceId=1001`)).json as Array<Record<string, unknown>>;
      expect(fields.find((f) => f.id === 3)).toEqual({ id: 3, name: 'Location', isMandatory: false, includeInProvision: true, value: { type: 'Text', value: 'Main Lobby' } });
      expect(fields.find((f) => f.id === 2)).toMatchObject({ value: { type: 'DeviceOwner', value: 'maria.keller@acme-facilities.example' } });
    });

    it('finds devices by owner e-mail and by a user organization', async () => {
      const maria = (await call('GET', `${API}/device/by-owner?ownerEmail=maria.keller%40acme-facilities.example`)).json as DevicePage;
      expect(maria.content.map((d) => d.id)).toEqual([1001, 1002, 1004, 1010]);
      const unknown = await call('GET', `${API}/device/by-owner?ownerEmail=nobody%40example.com`);
      expect(unknown.status).toBe(404);
      expect(errorOf(unknown)).toBe("User is not found or you don't have access to him.");
      expect((await call('GET', `${API}/device/by-owner?ownerEmail=not-an-email`)).status).toBe(400);
      const lenaOrg = (await call('GET', `${API}/device/by-user-org?userEmail=lena.berg%40acme-north.example&size=3`)).json as DevicePage;
      expect(lenaOrg.totalElements).toBe(5);
      expect(lenaOrg.content.every((d) => d.orgId === 102)).toBe(true);
    });

    it('lists recently activated devices of one organization', async () => {
      const shortly = await startBlynkEmulator();
      try {
        const c = client(shortly, await fetchToken(shortly));
        const recent = (await c('GET', `${API}/device/last-activated`)).json as Array<Record<string, unknown>>;
        expect(recent).toEqual([{ id: 1010, orgId: 101, templateId: 3502, ownerUserId: 202, activationTime: expect.any(Number) }]);
        const sub = (await c('GET', `${API}/device/last-activated?orgId=102&minutes=10`)).json as Array<Record<string, unknown>>;
        expect(sub.map((d) => d.id)).toEqual([1015]);
        expect((await c('GET', `${API}/device/last-activated?orgId=900`)).status).toBe(404);
      } finally {
        await shortly.close();
      }
      // Seeded relative to a `now` long past, nothing is recent any more.
      expect((await call('GET', `${API}/device/last-activated?minutes=60`)).json).toEqual([]);
    });
  });

  describe('writes', () => {
    it('creates a device from a string template id, 201 with a fresh token, and lists it', async () => {
      const created = await call('POST', `${API}/device/create`, { templateId: 'TMPL8RITg_f9Q', orgId: 102, name: "Dock 4 Heater's Relay", ownerId: 205 });
      expect(created.status).toBe(201);
      const device = created.json as Record<string, unknown>;
      expect(device).toMatchObject({ templateId: 3502, orgId: 102, name: "Dock 4 Heater's Relay", ownerUserId: 205, firstConnectTime: 0, connectTime: 0 });
      expect(device.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(device).toHaveProperty('dataStreamValues');
      const listed = (await call('GET', `${API}/devices?orgId=102`)).json as DevicePage;
      expect(listed.content.map((d) => d.id)).toContain(device.id);
      expect((await call('GET', `${API}/device/online?deviceId=${String(device.id)}`)).json).toEqual({ connected: false });

      const base = await call('POST', `${API}/device/create?baseInfo=true`, { templateId: 'TMPL4bXq7RzKc', name: 'Spare Sensor' });
      expect(base.status).toBe(201);
      expect(base.json).toMatchObject({ orgId: 101 });
      expect(base.json).not.toHaveProperty('dataStreamValues');
      expect(base.json).not.toHaveProperty('ownerUserId');
    });

    it('refuses bad create requests with the vendor messages', async () => {
      const badName = await call('POST', `${API}/device/create`, { templateId: 'TMPL8RITg_f9Q', name: 'Relay #5!' });
      expect(badName.status).toBe(400);
      expect(errorOf(badName)).toMatch(/letters, digits, spaces, apostrophes, underscores and hyphens/);
      const noTemplate = await call('POST', `${API}/device/create`, { templateId: 'TMPLdoesnotex', name: 'X' });
      expect(noTemplate.status).toBe(404);
      expect(errorOf(noTemplate)).toBe('Template is not found.');
      expect((await call('POST', `${API}/device/create`, { templateId: 'TMPLgLbX0x9Qa', name: 'X' })).status).toBe(404);
      const badOwner = await call('POST', `${API}/device/create`, { templateId: 'TMPL8RITg_f9Q', name: 'X', ownerId: 901 });
      expect(badOwner.status).toBe(404);
      expect(errorOf(badOwner)).toBe("User is not found or you don't have access to him.");
      const badOrg = await call('POST', `${API}/device/create`, { templateId: 'TMPL8RITg_f9Q', name: 'X', orgId: 900 });
      expect(errorOf(badOrg)).toBe("Organization is not found or you don't have access to it.");
      expect((await call('POST', `${API}/device/create`, '{not json')).status).toBe(400);
    });

    it('renames with the name rule and answers the updated device', async () => {
      const ok = await call('PUT', `${API}/device?deviceId=1004`, { name: "Maria's Desk_Sensor-2" });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ id: 1004, name: "Maria's Desk_Sensor-2", orgId: 101, ownerUserId: 202 });
      expect(e.device(1004)?.name).toBe("Maria's Desk_Sensor-2");
      const bad = await call('PUT', `${API}/device?deviceId=1004`, { name: 'Desk/Sensor' });
      expect(bad.status).toBe(400);
      expect(errorOf(bad)).toBe('Device name may contain only letters, digits, spaces, apostrophes, underscores and hyphens.');
      expect((await call('PUT', `${API}/device?deviceId=1004`, { name: 'x'.repeat(51) })).status).toBe(400);
      expect((await call('PUT', `${API}/device?deviceId=1004`, { name: '' })).status).toBe(400);
      expect((await call('PUT', `${API}/device?deviceId=999999`, { name: 'Fine' })).status).toBe(404);
    });

    it('deletes with 204 and an empty body', async () => {
      const created = (await call('POST', `${API}/device/create`, { templateId: 'TMPL8RITg_f9Q', name: 'Short Lived' })).json as { id: number };
      const deleted = await call('DELETE', `${API}/device?deviceId=${created.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await call('GET', `${API}/device?deviceId=${created.id}`)).status).toBe(404);
      expect((await call('DELETE', `${API}/device?deviceId=${created.id}`)).status).toBe(404);
    });

    it('transfers to an owner (moving to the owner organization) and to an organization', async () => {
      const same = await call('POST', `${API}/device/transfer/to-owner`, { deviceId: 1005, newUserId: 203 });
      expect(same.status).toBe(400);
      expect(errorOf(same)).toBe("Can't transfer to the same owner");
      expect((await call('POST', `${API}/device/transfer/to-owner`, { deviceId: 1005, newUserId: 206 })).status).toBe(400);
      expect((await call('POST', `${API}/device/transfer/to-owner`, { deviceId: 1005, newUserId: 901 })).status).toBe(404);
      expect((await call('POST', `${API}/device/transfer/to-owner`, { deviceId: 1005 })).status).toBe(400);
      const moved = await call('POST', `${API}/device/transfer/to-owner`, { deviceId: 1005, newUserId: 204 });
      expect(moved.status).toBe(204);
      expect(moved.text).toBe('');
      expect(e.device(1005)).toMatchObject({ ownerUserId: 204, orgId: 102 });

      const back = await call('POST', `${API}/device/transfer/to-organization`, { deviceId: 1005, newOrgId: 101 });
      expect(back.status).toBe(204);
      expect(e.device(1005)?.orgId).toBe(101);
      expect(e.device(1005)).not.toHaveProperty('ownerUserId');
      const foreign = await call('POST', `${API}/device/transfer/to-organization`, { deviceId: 1005, newOrgId: 900 });
      expect(foreign.status).toBe(404);
      expect(errorOf(foreign)).toBe("Destination organization is not found or you don't have access to it.");
    });

    it('removes the owner and clears device data with 204', async () => {
      expect((await call('DELETE', `${API}/device/owner?deviceId=1006`)).status).toBe(204);
      expect(e.device(1006)).not.toHaveProperty('ownerUserId');
      const cleared = await call('DELETE', `${API}/device/clear?deviceId=1006`);
      expect(cleared.status).toBe(204);
      expect(((await call('GET', `${API}/device/timeline?deviceId=1006`)).json as EventPage).totalElements).toBe(0);
      expect(((await call('GET', `${API}/device/logs?deviceId=1006`)).json as EventPage).totalElements).toBe(0);
      expect(e.device(1006)?.dataStreamValues.every((v) => v.value === undefined)).toBe(true);
    });

    it('triggers template events into the timeline', async () => {
      const triggered = await call('POST', `${API}/device/trigger-event`, { deviceId: 1001, eventCode: 'high_temperature', eventDescription: 'Temperature exceeded 22.0C threshold' });
      expect(triggered.status).toBe(204);
      const latest = ((await call('GET', `${API}/device/timeline?deviceId=1001&size=1`)).json as EventPage).content[0];
      expect(latest).toMatchObject({ eventId: 3, eventType: 'WARNING', description: 'Temperature exceeded 22.0C threshold', isResolved: false, orgId: 101 });
      const unknown = await call('POST', `${API}/device/trigger-event`, { deviceId: 1001, eventCode: 'no_such_event' });
      expect(unknown.status).toBe(404);
      expect(errorOf(unknown)).toBe('Event with provided code is not found.');
      expect((await call('POST', `${API}/device/trigger-event`, { deviceId: 1001 })).status).toBe(400);
      expect((await call('POST', `${API}/device/trigger-event`, { deviceId: 1001, eventCode: 'low_battery', eventDescription: 'x'.repeat(301) })).status).toBe(400);
    });

    it('adds timeline events from tests, and online/offline events move the connection state', () => {
      const event = e.addTimelineEvent(1012, { code: 'offline', ts: Date.now() });
      expect(event).toMatchObject({ eventType: 'OFFLINE', eventId: 2 });
      expect(e.device(1012)?.disconnectTime).toBe(event.ts);
      return call('GET', `${API}/device/online?deviceId=1012`).then((answer) => expect(answer.json).toEqual({ connected: false }));
    });

    it('updates metafields by type', async () => {
      expect((await call('POST', `${API}/device/metafield`, { deviceId: 1002, metaFieldId: 3, newValue: 'Warehouse Aisle 3' })).status).toBe(204);
      expect((await call('POST', `${API}/device/metafield`, { deviceId: 1002, metaFieldId: 6, newValue: 45 })).status).toBe(204);
      const fields = (await call('GET', `${API}/device/metafield?deviceId=1002`)).json as Array<{ id: number; value: { value: unknown } }>;
      expect(fields.find((f) => f.id === 3)?.value.value).toBe('Warehouse Aisle 3');
      expect(fields.find((f) => f.id === 6)?.value.value).toBe(45);
      const badZone = await call('POST', `${API}/device/metafield`, { deviceId: 1002, metaFieldId: 5, newValue: 'Mars' });
      expect(badZone.status).toBe(400);
      expect(errorOf(badZone)).toBe('The provided value for metafield is invalid.');
      const unknown = await call('POST', `${API}/device/metafield`, { deviceId: 1002, metaFieldId: 77, newValue: 'x' });
      expect(unknown.status).toBe(404);
      expect(errorOf(unknown)).toBe('Meta field is not found.');
      expect((await call('POST', `${API}/device/metafield`, { deviceId: 1002, metaFieldId: 1, newValue: 'Server Room East' })).status).toBe(204);
      expect(e.device(1002)?.name).toBe('Server Room East');
    });

    it('sets datastream values one at a time or several at once', async () => {
      expect((await call('POST', `${API}/device/datastream`, { deviceId: 1008, dataStreamId: 4, value: 2.5 })).status).toBe(204);
      expect(e.device(1008)?.dataStreamValues.find((v) => v.dataStreamId === 4)?.value).toBe(2.5);
      const wrongType = await call('POST', `${API}/device/datastream`, { deviceId: 1008, dataStreamId: 4, value: 'cold' });
      expect(wrongType.status).toBe(400);
      expect(errorOf(wrongType)).toBe("Value doesn't match the Datastream data type.");
      const missing = await call('POST', `${API}/device/datastream`, { deviceId: 1008, dataStreamId: 40, value: 1 });
      expect(missing.status).toBe(404);
      expect(errorOf(missing)).toBe('Data stream with identifier 40 is not found!');
      expect((await call('POST', `${API}/device/datastreams`, { deviceId: 1008, values: { '2': 1, '3': 'defrost' } })).status).toBe(204);
      const values = e.device(1008)?.dataStreamValues ?? [];
      expect(values.find((v) => v.dataStreamId === 2)?.value).toBe(1);
      expect(values.find((v) => v.dataStreamId === 3)?.value).toBe('defrost');
    });
  });

  describe('limits and unknown routes', () => {
    it('answers 429 over the per-organization rate limit, which can be switched off', async () => {
      const limited = await startBlynkEmulator({ now: NOW, rateLimitPerMinute: 3 });
      try {
        const c = client(limited, await fetchToken(limited));
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await c('GET', `${API}/device/online?deviceId=1001`)).status);
        expect(statuses).toEqual([200, 200, 200, 429]);
        const over = await c('GET', `${API}/devices`);
        expect(over.json).toEqual({ error: { message: 'Too many requests.' } });
        limited.setRateLimit(false);
        expect((await c('GET', `${API}/devices`)).status).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('answers unknown paths with 404 and the error body', async () => {
      const answer = await call('GET', `${API}/gadgets`);
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({ error: { message: 'Not found.' } });
      expect((await call('PATCH', `${API}/device?deviceId=1001`)).status).toBe(405);
    });
  });
});

describe('live Blynk emulator', () => {
  it('has its online devices with a temperature datastream write a drifted temperature in turn, other values untouched', async () => {
    const live = await startBlynkEmulator({ port: 0, host: '127.0.0.1', liveEveryMs: 5 });
    try {
      const value = (id: number, stream: number) => live.device(id)!.dataStreamValues.find((v) => v.dataStreamId === stream)!;
      const seeded = { temperature: value(1001, 1), humidity: value(1001, 2) };
      // An offline device (Rooftop Air Quality) and one without a temperature datastream (a relay) never write.
      expect([1003, 1005].map((id) => [live.device(id)!.name, live.device(id)!.lifecycleStatus?.name])).toEqual([['Rooftop Air Quality', 'Offline'], ['Kitchen Fridge Relay', 'Online']]);
      const quiet = [1003, 1005].map((id) => live.device(id)!.dataStreamValues);
      const writes: Array<{ value?: unknown; updatedAt?: number }> = [];
      for (let i = 0; i < 1500 && writes.length < 2; i++) {
        const now = value(1001, 1);
        if (now.updatedAt !== (writes.at(-1) ?? seeded.temperature).updatedAt) writes.push(now);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(writes).toHaveLength(2);
      for (const write of writes) expect(Math.abs((write.value as number) - (seeded.temperature.value as number))).toBeLessThanOrEqual(0.4);
      expect(writes[0].value).not.toBe(seeded.temperature.value);
      expect(writes[1].updatedAt!).toBeGreaterThan(writes[0].updatedAt!);
      expect(value(1001, 2)).toEqual(seeded.humidity);
      expect([1003, 1005].map((id) => live.device(id)!.dataStreamValues)).toEqual(quiet);
    } finally {
      await live.close();
    }
  }, 30_000);
});
