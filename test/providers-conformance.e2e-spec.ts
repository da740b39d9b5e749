import request from 'supertest';
import type { Capability } from '@devicegate/core';
import { createProviderRegistry } from '../apps/gateway/src/providers.js';
import { pageThrough, startSandboxGateway, type ListPageBody, type RunningSandbox } from './support/gateway-harness.js';

const AUTH = { Authorization: 'Bearer sandbox' };

/** What each provider needs to exercise its operations; ids are native (of the sandbox emulators). */
interface Fixture {
  /** A filter that keeps some devices and drops others. */
  deviceFilter: (devices: Array<Record<string, unknown>>) => Record<string, string>;
  create?: () => Record<string, unknown>;
  update: (device: Record<string, unknown>) => Record<string, unknown>;
  command?: Record<string, unknown>;
  transfer?: (projects: string[], device: Record<string, unknown>) => Record<string, unknown>;
}

const byName = (devices: Array<Record<string, unknown>>) => ({ name__neq: String(devices[0].name) });

const FIXTURES: Record<string, Fixture> = {
  hardwario: {
    deviceFilter: () => ({ tags: 'outdoor' }),
    create: () => ({ name: 'claimed-by-test', serial_number: '2159099001', params: { token: 'ab'.repeat(16) } }),
    update: () => ({ name: 'renamed-by-test', labels: { room: 'lab' }, tags: ['outdoor'] }),
    command: { name: 'config', params: { lines: ['app config interval-report 1800'] } },
  },
  disruptive: {
    deviceFilter: () => ({ type__in: 'temperature,humidity' }),
    update: () => ({ name: 'Renamed by test', labels: { room: 'lab' } }),
    transfer: (projects, device) => ({ project_id: projects.find((p) => p !== device.project_id)! }),
  },
  izuma: {
    deviceFilter: () => ({ online: 'true' }),
    create: () => ({ name: 'created-by-test', labels: { site: 'test' }, params: { endpoint_name: 'created-by-test-001' } }),
    update: () => ({ name: 'renamed-by-test', labels: { room: 'lab' } }),
    command: { name: 'GET', params: { uri: '/3/0/0' } },
  },
  blynk: {
    deviceFilter: byName,
    create: () => ({ name: 'Created by test', type: 'TMPL4bXq7RzKc' }),
    update: () => ({ name: 'Renamed by test' }),
    command: { name: 'trigger_event', params: { event_code: 'high_temperature', description: 'from the conformance test' } },
    transfer: () => ({ owner_user_id: '202' }),
  },
  iottly: {
    deviceFilter: byName,
    update: () => ({ name: 'renamed-by-test' }),
    command: { name: 'echo', params: { content: 'ping' } },
  },
};

const providers = createProviderRegistry().ids();

describe.each(providers)('provider %s through the gateway (sandbox emulator)', (provider) => {
  const connection = `sandbox-${provider}`;
  const fixture = FIXTURES[provider];
  let gw: RunningSandbox;
  let capabilities: Record<Capability, boolean>;
  let devices: Array<Record<string, unknown>>;

  const get = (path: string) => async (query: Record<string, string>) => {
    const res = await request(gw.url).get(path).query(query).set(AUTH);
    return { status: res.status, body: res.body as ListPageBody };
  };

  beforeAll(async () => {
    gw = await startSandboxGateway({ providers: [provider], vendorRateLimits: false });
    const conn = await request(gw.url).get(`/v1/connections/${connection}`).set(AUTH);
    expect(conn.status).toBe(200);
    capabilities = conn.body.capabilities;
    const list = await request(gw.url).get('/v1/devices').query({ limit: '1000', provider }).set(AUTH);
    expect(list.status).toBe(200);
    devices = list.body.data;
  });
  afterAll(() => gw?.close());

  it('lists at least 12 emulated devices, all of this connection', () => {
    expect(devices.length).toBeGreaterThanOrEqual(12);
    for (const device of devices) expect(device).toMatchObject({ object: 'device', connection_id: connection, provider, id: expect.stringMatching(new RegExp(`^${connection}:.+`)) });
  });

  for (const order of ['ASC', 'DESC']) {
    it(`pages devices exactly with every limit from 2 to 7, with and without a filter (${order})`, async () => {
      for (const filters of [{}, fixture.deviceFilter(devices)]) {
        const whole = await get('/v1/devices')({ ...filters, provider, order, limit: '1000' });
        const reference = whole.body.data.map((d) => String(d.id));
        if (Object.keys(filters).length > 0) expect(reference.length).toBeLessThan(devices.length);
        expect(reference.length).toBeGreaterThan(1);
        for (let limit = 2; limit <= 7; limit++) {
          expect(await pageThrough(get('/v1/devices'), { ...filters, provider, order, limit: String(limit) })).toEqual(reference);
        }
      }
    }, 120_000);
  }

  it('pages messages exactly with every limit from 2 to 7, both orders, with and without a filter', async () => {
    // The device with the fewest messages (but some) keeps the unfiltered passes short.
    const counts = await Promise.all(
      devices.slice(0, 12).map(async (d) => ({ id: String(d.id), n: (await get(`/v1/devices/${String(d.id)}/messages`)({ limit: '1000' })).body.data.length })),
    );
    const candidates = counts.filter((c) => c.n >= 8).sort((a, b) => a.n - b.n);
    expect(candidates.length).toBeGreaterThan(0);
    const device = candidates[0].id;
    const path = `/v1/devices/${device}/messages`;
    const all = (await get(path)({ limit: '1000' })).body.data;
    const middle = String(all[Math.floor(all.length / 2)].created_at);
    for (const order of ['DESC', 'ASC']) {
      for (const filters of [{}, { created_at__gte: middle }] as Array<Record<string, string>>) {
        const whole = await get(path)({ ...filters, order, limit: '1000' });
        expect(whole.status).toBe(200);
        const reference = whole.body.data.map((m) => String(m.id));
        expect(reference.length).toBeGreaterThan(2);
        const times = whole.body.data.map((m) => Date.parse(String(m.created_at)));
        expect(times).toEqual([...times].sort((a, b) => (order === 'ASC' ? a - b : b - a)));
        for (let limit = 2; limit <= 7; limit++) {
          expect(await pageThrough(get(path), { ...filters, order, limit: String(limit) })).toEqual(reference);
        }
      }
    }
    // Hundreds of sequential page reads: generous, since a loaded machine takes well over the default.
  }, 180_000);

  it('filters messages by type and time', async () => {
    const device = String(devices[0].id);
    const all = (await get(`/v1/devices/${device}/messages`)({ limit: '1000' })).body.data as Array<{ type: string; created_at: string }>;
    const types = [...new Set(all.map((m) => m.type))];
    const since = all.length > 0 ? all[Math.floor(all.length / 3)].created_at : new Date(0).toISOString();
    const filtered = (await get(`/v1/devices/${device}/messages`)({ limit: '1000', type__in: types[0] ?? 'data', created_at__gte: since })).body.data as Array<{ type: string; created_at: string }>;
    expect(filtered).toEqual(all.filter((m) => m.type === (types[0] ?? 'data') && Date.parse(m.created_at) >= Date.parse(since)));
  });

  it('reads projects, devices and device status', async () => {
    const projects = await request(gw.url).get('/v1/projects').query({ provider }).set(AUTH);
    expect(projects.status).toBe(200);
    expect(projects.body.data.length).toBeGreaterThan(0);
    const project = await request(gw.url).get(`/v1/projects/${projects.body.data[0].id}`).set(AUTH);
    expect(project.status).toBe(200);
    expect(project.body).toMatchObject({ object: 'project', id: projects.body.data[0].id, connection_id: connection });
    const device = await request(gw.url).get(`/v1/devices/${String(devices[0].id)}`).set(AUTH);
    expect(device.status).toBe(200);
    expect(device.body).toMatchObject({ object: 'device', id: devices[0].id });
    expect(Array.isArray(device.body.tags)).toBe(true);
    const status = await request(gw.url).get(`/v1/devices/${String(devices[0].id)}/status`).set(AUTH);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ object: 'device_status', device_id: devices[0].id, checked_at: expect.any(String) });
  });

  it('updates a device, and reads the change back', async () => {
    const target = devices[devices.length - 1];
    const body = fixture.update(target);
    const res = await request(gw.url).patch(`/v1/devices/${String(target.id)}`).set(AUTH).send(body);
    if (!capabilities['devices.update']) {
      expect([res.status, res.body.type]).toEqual([501, 'not_supported']);
      return;
    }
    expect([res.status, res.body.object]).toEqual([200, 'device']);
    expect(res.body.name).toBe(body.name);
    const again = await request(gw.url).get(`/v1/devices/${String(target.id)}`).set(AUTH);
    expect(again.body.name).toBe(body.name);
    if (body.labels) expect(again.body.labels).toMatchObject(body.labels as Record<string, string>);
  });

  it('creates and deletes a device where the provider can, else answers 501', async () => {
    const create = await request(gw.url)
      .post('/v1/devices')
      .set(AUTH)
      .send({ connection_id: connection, ...(fixture.create?.() ?? { name: 'not-supported' }) });
    if (!capabilities['devices.create']) {
      expect([create.status, create.body.type]).toEqual([501, 'not_supported']);
    } else {
      expect(create.status).toBe(201);
      expect(create.body.id).toMatch(new RegExp(`^${connection}:`));
      const seen = await request(gw.url).get(`/v1/devices/${create.body.id}`).set(AUTH);
      expect(seen.status).toBe(200);
    }
    const victim = capabilities['devices.create'] ? create.body.id : String(devices[1].id);
    const del = await request(gw.url).delete(`/v1/devices/${victim}`).set(AUTH);
    if (!capabilities['devices.delete']) {
      expect([del.status, del.body.type]).toEqual([501, 'not_supported']);
      return;
    }
    expect(del.status).toBe(204);
    expect((await request(gw.url).get(`/v1/devices/${victim}`).set(AUTH)).status).toBe(404);
  });

  it('sends a command and reads it back where the provider can, else answers 501', async () => {
    const device = String(devices[0].id);
    const sent = await request(gw.url).post(`/v1/devices/${device}/commands`).set(AUTH).send(fixture.command ?? { name: 'any', params: {} });
    if (!capabilities['commands.send']) {
      expect([sent.status, sent.body.type]).toEqual([501, 'not_supported']);
      return;
    }
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ object: 'command', device_id: device, name: fixture.command!.name, status: expect.stringMatching(/^(queued|sent|delivered)$/) });
    const read = await request(gw.url).get(`/v1/devices/${device}/commands/${sent.body.id}`).set(AUTH);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(sent.body.id);
  });

  it('transfers a device where the provider can, else answers 501', async () => {
    const projects = (await request(gw.url).get('/v1/projects').query({ provider, limit: '1000' }).set(AUTH)).body.data.map((p: { id: string }) => p.id);
    const device = devices[2];
    const res = await request(gw.url).post(`/v1/devices/${String(device.id)}/transfer`).set(AUTH).send(fixture.transfer?.(projects, device) ?? { project_id: `${connection}:x` });
    if (!capabilities['devices.transfer']) {
      expect([res.status, res.body.type]).toEqual([501, 'not_supported']);
      return;
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'device', id: device.id });
  });

  it('reaches the vendor API through passthrough with the connection credentials', async () => {
    const res = await request(gw.url).get(`/v1/connections/${connection}/passthrough/does/not/exist`).set(AUTH);
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const escape = await request(gw.url).get(`/v1/connections/${connection}/passthrough/..%2F..%2Fetc`).set(AUTH);
    expect([escape.status, escape.body.type]).toEqual([400, 'validation_error']);
  });
});
