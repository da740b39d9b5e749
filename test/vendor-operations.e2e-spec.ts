import request from 'supertest';
import { startSandboxGateway, type RunningSandbox } from './support/gateway-harness.js';

const AUTH = { Authorization: 'Bearer sandbox' };

describe('every Blynk device operation is reachable through devicegate', () => {
  let gw: RunningSandbox;
  const P = '/v1/connections/sandbox-blynk/passthrough';

  beforeAll(async () => {
    gw = await startSandboxGateway({ providers: ['blynk'], vendorRateLimits: false });
  });
  afterAll(() => gw?.close());

  /** Method and path of every call the emulator received. */
  const reached = () => new Set(gw.sandbox.emulators[0].server.requests().map((r) => `${r.method} ${r.path}`));

  it('calls all 21 operations of the vendor page (unified where API.md has a form, otherwise passthrough)', async () => {
    const ok = (res: request.Response, status = 200) => {
      expect([res.status, res.request.method, res.request.url]).toEqual([status, res.request.method, res.request.url]);
      return res;
    };
    const ids: string[] = (await request(gw.url).get('/v1/devices?provider=blynk&limit=100').set(AUTH)).body.data.map((d: { id: string }) => d.id);
    const [d1, d2, d3, d4, d5] = ids;
    const n = (id: string) => id.split(':')[1];

    ok(await request(gw.url).get('/v1/devices?provider=blynk').set(AUTH));
    ok(await request(gw.url).get('/v1/devices?provider=blynk&name=Lobby Climate').set(AUTH));
    ok(await request(gw.url).get(`/v1/devices/${d1}`).set(AUTH));
    ok(await request(gw.url).get(`/v1/devices/${d1}/status`).set(AUTH));
    ok(await request(gw.url).get(`/v1/devices/${d1}/messages`).set(AUTH));
    ok(await request(gw.url).patch(`/v1/devices/${d2}`).set(AUTH).send({ name: 'Renamed Through Gateway' }));
    const created = ok(await request(gw.url).post('/v1/devices').set(AUTH).send({ connection_id: 'sandbox-blynk', name: 'Made Through Gateway', type: 'TMPL4bXq7RzKc' }), 201);
    ok(await request(gw.url).delete(`/v1/devices/${created.body.id}`).set(AUTH), 204);
    ok(await request(gw.url).post(`/v1/devices/${d3}/transfer`).set(AUTH).send({ owner_user_id: '202' }));
    ok(await request(gw.url).post(`/v1/devices/${d4}/transfer`).set(AUTH).send({ project_id: 'sandbox-blynk:102' }));
    ok(await request(gw.url).post(`/v1/devices/${d1}/commands`).set(AUTH).send({ name: 'trigger_event', params: { event_code: 'high_temperature', description: 'gateway test' } }), 202);
    ok(await request(gw.url).post(`/v1/devices/${d1}/commands`).set(AUTH).send({ name: 'set_datastream', params: { datastream_id: 1, value: 21.5 } }), 202);

    ok(await request(gw.url).get(`${P}/api/v1/organization/device/baseInfo?deviceId=${n(d1)}`).set(AUTH));
    ok(await request(gw.url).get(`${P}/api/v1/organization/device/logs?deviceId=${n(d1)}&page=0&size=10`).set(AUTH));
    ok(await request(gw.url).get(`${P}/api/v1/organization/device/metafield?deviceId=${n(d1)}`).set(AUTH));
    ok(await request(gw.url).post(`${P}/api/v1/organization/device/metafield`).set(AUTH).send({ deviceId: Number(n(d1)), metaFieldId: 1, newValue: 'Updated Through Gateway' }), 204);
    ok(await request(gw.url).get(`${P}/api/v1/organization/device/by-owner?ownerEmail=${encodeURIComponent('maria.keller@acme-facilities.example')}&page=0&size=10`).set(AUTH));
    ok(await request(gw.url).get(`${P}/api/v1/organization/device/by-user-org?userEmail=${encodeURIComponent('maria.keller@acme-facilities.example')}&page=0&size=10`).set(AUTH));
    ok(await request(gw.url).get(`${P}/api/v1/organization/device/last-activated?orgId=101&minutes=60`).set(AUTH));
    ok(await request(gw.url).delete(`${P}/api/v1/organization/device/owner?deviceId=${n(d5)}`).set(AUTH), 204);
    ok(await request(gw.url).delete(`${P}/api/v1/organization/device/clear?deviceId=${n(d5)}`).set(AUTH), 204);

    const operations = [
      'GET /api/v1/organization/devices',
      'GET /api/v1/organization/search/devices',
      'GET /api/v1/organization/device',
      'GET /api/v1/organization/device/tags',
      'GET /api/v1/organization/device/online',
      'GET /api/v1/organization/device/timeline',
      'PUT /api/v1/organization/device',
      'POST /api/v1/organization/device/create',
      'DELETE /api/v1/organization/device',
      'POST /api/v1/organization/device/transfer/to-owner',
      'POST /api/v1/organization/device/transfer/to-organization',
      'POST /api/v1/organization/device/trigger-event',
      'GET /api/v1/organization/device/baseInfo',
      'GET /api/v1/organization/device/logs',
      'GET /api/v1/organization/device/metafield',
      'POST /api/v1/organization/device/metafield',
      'GET /api/v1/organization/device/by-owner',
      'GET /api/v1/organization/device/by-user-org',
      'GET /api/v1/organization/device/last-activated',
      'DELETE /api/v1/organization/device/owner',
      'DELETE /api/v1/organization/device/clear',
    ];
    expect(operations).toHaveLength(21);
    const seen = reached();
    expect(operations.filter((op) => !seen.has(op))).toEqual([]);
    expect(seen.has('POST /api/v1/organization/device/datastream')).toBe(true);
  });
});

describe('iottly licenses through passthrough', () => {
  let gw: RunningSandbox;

  beforeAll(async () => {
    gw = await startSandboxGateway({ providers: ['iottly'] });
  });
  afterAll(() => gw?.close());

  it('reads all licenses and one license of the project', async () => {
    const project = gw.sandbox.emulators[0].credentials.project_id;
    const all = await request(gw.url).get(`/v1/connections/sandbox-iottly/passthrough/project/${project}/license`).set(AUTH);
    expect(all.status).toBe(200);
    const tokens = Object.keys(all.body);
    expect(tokens.length).toBeGreaterThanOrEqual(12);
    const one = await request(gw.url).get(`/v1/connections/sandbox-iottly/passthrough/project/${project}/license/${tokens[0]}`).set(AUTH);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body)).toEqual([tokens[0]]);
    expect(JSON.stringify(one.headers)).not.toContain(String(gw.sandbox.emulators[0].credentials.api_key));
  });
});
