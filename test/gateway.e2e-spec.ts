import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { sha256hex, startGateway, type RunningGateway } from './support/gateway-harness.js';

const SCOPES = ['read', 'write', 'commands', 'passthrough'] as const;
type Scope = (typeof SCOPES)[number];
const HEX32 = /^[0-9a-f]{32}$/;

/** Every /v1 route with the scope it needs; ids are filled in once the emulator runs. */
interface Route {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  scope: Scope;
  body?: Record<string, unknown>;
  /** Whether the route names a connection (so a key without it gets 404). */
  connectionBound: boolean;
}

describe('gateway contract over HTTP (HARDWARIO emulator)', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;
  let deviceA: string;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    const clients = [
      { name: 'full', key: 'key-full', scopes: [...SCOPES], connections: ['*'] },
      { name: 'only-b', key: 'key-only-b', scopes: [...SCOPES], connections: ['hw-b'] },
      ...SCOPES.map((missing) => ({ name: `no-${missing}`, key: `key-no-${missing}`, scopes: SCOPES.filter((s) => s !== missing), connections: ['*'] })),
    ];
    for (const c of clients) keys[c.name] = c.key;
    const hw = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      provider: 'hardwario',
      base_url: emulator.baseUrl,
      space_id: emulator.spaceId,
      credentials: { api_key: '${HW_KEY}' },
      // Faults and vendor timing are per call: no answer here comes from the read cache.
      cache: { ttl_seconds: 0 },
      ...extra,
    });
    gw = await startGateway(
      {
        // The contract checks send every route a missing, a malformed and an unknown key.
        server: { failed_auth_limit: { per_second: 1000, burst: 1000 } },
        clients: clients.map((c) => ({ name: c.name, key_sha256: sha256hex(c.key), scopes: c.scopes, connections: c.connections })),
        connections: [
          hw('hw-a'),
          hw('hw-b'),
          hw('hw-fragile', { retries: 0, timeout_ms: 300 }),
          { ...hw('hw-badkey'), credentials: { api_key: 'not-the-key' } },
          hw('hw-down', { base_url: 'http://127.0.0.1:9', retries: 0 }),
        ],
      },
      { HW_KEY: emulator.credentials.apiKey },
    );
    deviceA = `hw-a:${emulator.demoDeviceIds()[0]}`;
  });

  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

  afterEach(() => emulator.clearFaults());

  const auth = (name: string) => ({ Authorization: `Bearer ${keys[name]}` });

  const routes = (): Route[] => [
    { method: 'get', path: '/v1/connections', scope: 'read', connectionBound: false },
    { method: 'get', path: '/v1/connections/hw-a', scope: 'read', connectionBound: true },
    { method: 'get', path: '/v1/projects', scope: 'read', connectionBound: false },
    { method: 'get', path: `/v1/projects/hw-a:${emulator.spaceId}`, scope: 'read', connectionBound: true },
    { method: 'get', path: '/v1/devices', scope: 'read', connectionBound: false },
    { method: 'get', path: `/v1/devices/${deviceA}`, scope: 'read', connectionBound: true },
    { method: 'post', path: '/v1/devices', scope: 'write', connectionBound: true, body: { connection_id: 'hw-a', name: 'scope-check', serial_number: '999000111', params: { token: 'x' } } },
    { method: 'patch', path: `/v1/devices/${deviceA}`, scope: 'write', connectionBound: true, body: { name: 'scope-check' } },
    { method: 'delete', path: `/v1/devices/${deviceA}`, scope: 'write', connectionBound: true },
    { method: 'get', path: `/v1/devices/${deviceA}/status`, scope: 'read', connectionBound: true },
    { method: 'get', path: `/v1/devices/${deviceA}/messages`, scope: 'read', connectionBound: true },
    { method: 'post', path: `/v1/devices/${deviceA}/commands`, scope: 'commands', connectionBound: true, body: { name: 'downlink', params: { relay: true } } },
    { method: 'get', path: `/v1/devices/${deviceA}/commands/hw-a:0190f3c2-0000-7000-8000-000000000000`, scope: 'read', connectionBound: true },
    { method: 'post', path: `/v1/devices/${deviceA}/transfer`, scope: 'write', connectionBound: true, body: { project_id: 'hw-a:x' } },
    { method: 'get', path: '/v1/connections/hw-a/passthrough/v2/spaces', scope: 'passthrough', connectionBound: true },
    { method: 'post', path: '/v1/connections/hw-a/passthrough/v2/spaces/x/tags', scope: 'passthrough', connectionBound: true, body: { name: 'x' } },
  ];

  const send = (route: Route, headers: Record<string, string>) => {
    const req = request(gw.url)[route.method](route.path).set(headers);
    return route.body ? req.send(route.body) : req;
  };

  describe('authentication, scopes and connection scoping on every route', () => {
    it('answers 401 invalid_auth without a key, and 401 invalid_apikey with an unknown key', async () => {
      for (const route of routes()) {
        const none = await send(route, {});
        expect([route.path, none.status, none.body.type]).toEqual([route.path, 401, 'invalid_auth']);
        const malformed = await send(route, { Authorization: 'Basic a2V5OmtleQ==' });
        expect([route.path, malformed.status, malformed.body.type]).toEqual([route.path, 401, 'invalid_auth']);
        const unknown = await send(route, { Authorization: 'Bearer not-a-configured-key' });
        expect([route.path, unknown.status, unknown.body.type]).toEqual([route.path, 401, 'invalid_apikey']);
      }
    });

    it('answers 403 access_denied to a key without the scope, before any vendor call', async () => {
      emulator.resetStats();
      for (const route of routes()) {
        const res = await send(route, auth(`no-${route.scope}`));
        expect([route.method, route.path, res.status, res.body.type]).toEqual([route.method, route.path, 403, 'access_denied']);
      }
      expect(emulator.requestCount()).toBe(0);
    });

    it('answers 404 not_found to a key without the connection, exactly as for a missing one, before any vendor call', async () => {
      emulator.resetStats();
      for (const route of routes().filter((r) => r.connectionBound)) {
        const res = await send(route, auth('only-b'));
        expect([route.method, route.path, res.status, res.body.type]).toEqual([route.method, route.path, 404, 'not_found']);
        const missing = await send({ ...route, path: route.path.replace(/hw-a/g, 'hw-zz'), body: route.body ? JSON.parse(JSON.stringify(route.body).replace(/hw-a/g, 'hw-zz')) : undefined }, auth('full'));
        expect(missing.status).toBe(404);
        expect(missing.body.message).toBe(res.body.message.replace(/hw-a/g, 'hw-zz'));
      }
      expect(emulator.requestCount()).toBe(0);
    });

    it('leaves connections a key may not reach out of lists, and 404s a filter that names one', async () => {
      const connections = await request(gw.url).get('/v1/connections').set(auth('only-b'));
      expect(connections.body.data.map((c: { id: string }) => c.id)).toEqual(['hw-b']);
      const devices = await request(gw.url).get('/v1/devices?limit=1000').set(auth('only-b'));
      expect(devices.status).toBe(200);
      expect(new Set(devices.body.data.map((d: { connection_id: string }) => d.connection_id))).toEqual(new Set(['hw-b']));
      for (const query of ['connection_id=hw-a', 'connection_id__in=hw-b,hw-a', `id=${deviceA}`, 'connection_id=hw-nope']) {
        const res = await request(gw.url).get(`/v1/devices?${query}`).set(auth('only-b'));
        expect([query, res.status, res.body.type]).toEqual([query, 404, 'not_found']);
      }
    });
  });

  describe('list options', () => {
    it('include=total_count counts exactly, include=native adds the vendor object, and only then', async () => {
      const all = await request(gw.url).get('/v1/devices?connection_id=hw-a&limit=1000').set(auth('full'));
      const counted = await request(gw.url).get('/v1/devices?connection_id=hw-a&limit=3&include=total_count,native').set(auth('full'));
      expect(counted.status).toBe(200);
      expect(counted.body.total_count).toBe(all.body.data.length);
      expect(all.body.total_count).toBeUndefined();
      expect(counted.body.data[0].native).toMatchObject({ id: counted.body.data[0].id.split(':')[1] });
      expect(all.body.data[0]).not.toHaveProperty('native');
      expect(JSON.stringify(counted.body)).not.toContain(emulator.credentials.apiKey);
    });

    it('partial=true lists what it can and names the unreachable connection; without it the list fails', async () => {
      const strict = await request(gw.url).get('/v1/devices?connection_id__in=hw-a,hw-down').set(auth('full'));
      expect(strict.status).toBe(503);
      expect(strict.body).toMatchObject({ type: 'upstream_unavailable', connection_id: 'hw-down' });
      const partial = await request(gw.url).get('/v1/devices?connection_id__in=hw-a,hw-down&partial=true&limit=1000').set(auth('full'));
      expect(partial.status).toBe(200);
      expect(partial.body.data.length).toBeGreaterThanOrEqual(12);
      expect(partial.body.unreachable).toEqual([{ connection_id: 'hw-down', type: 'upstream_unavailable', message: expect.any(String) }]);
    });
  });

  describe('request ids', () => {
    it('generates 32 lowercase hex characters on every answer, errors and unknown routes included', async () => {
      const answers = await Promise.all([
        request(gw.url).get('/v1/connections').set(auth('full')),
        request(gw.url).get('/v1/connections'),
        request(gw.url).get('/no/such/route'),
        request(gw.url).delete('/v1/connections'),
        request(gw.url).get('/healthz'),
        request(gw.url).get('/v1/devices?limit=1').set(auth('full')),
      ]);
      for (const res of answers) {
        expect(res.headers['x-request-id']).toMatch(HEX32);
        if (res.status >= 400) expect(res.body.request_id).toBe(res.headers['x-request-id']);
      }
      expect(answers.map((r) => r.status)).toEqual([200, 401, 404, 405, 200, 400]);
    });

    it('keeps a valid caller id, replaces an invalid one, and sends it on to the vendor', async () => {
      const kept = await request(gw.url).get(`/v1/devices/${deviceA}`).set(auth('full')).set('X-Request-ID', 'Trace.id_42-x');
      expect(kept.status).toBe(200);
      expect(kept.headers['x-request-id']).toBe('Trace.id_42-x');
      expect(emulator.requests().some((r) => r.headers['x-request-id'] === 'Trace.id_42-x')).toBe(true);
      for (const bad of ['has space', 'a'.repeat(33), 'semi;colon', '']) {
        const res = await request(gw.url).get('/v1/nothing').set('X-Request-ID', bad);
        expect(res.headers['x-request-id']).toMatch(HEX32);
        expect(res.body.request_id).toBe(res.headers['x-request-id']);
      }
    });

    it('adds Server-Timing with the total and the vendor time to /v1 answers', async () => {
      const res = await request(gw.url).get(`/v1/devices/${deviceA}`).set(auth('full'));
      expect(res.headers['server-timing']).toMatch(/^total;dur=\d+(\.\d)?, upstream;dur=\d+(\.\d)?;desc="1 call"$/);
    });
  });

  describe('error objects', () => {
    const expectError = (res: request.Response, status: number, type: string) => {
      expect({ status: res.status, type: res.body.type }).toEqual({ status, type });
      expect(res.body).toMatchObject({ object: 'error', code: status, request_id: res.headers['x-request-id'] });
      expect(typeof res.body.message).toBe('string');
      expect(typeof res.body.retryable).toBe('boolean');
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
      expect(JSON.stringify(res.body)).not.toContain(emulator.credentials.apiKey);
    };

    it('bad_request for malformed JSON, 415 for a body that is not JSON, 413 over 1 MiB', async () => {
      const post = () => request(gw.url).post('/v1/devices').set(auth('full'));
      expectError(await post().set('Content-Type', 'application/json').send('{"connection_id": '), 400, 'bad_request');
      expectError(await post().set('Content-Type', 'text/plain').send('connection_id=hw-a'), 415, 'unsupported_media_type');
      expectError(await post().set('Content-Type', 'application/x-www-form-urlencoded').send('connection_id=hw-a'), 415, 'unsupported_media_type');
      expectError(await post().send({ connection_id: 'hw-a', name: 'x'.repeat(1024 * 1024) }), 413, 'payload_too_large');
    });

    it('validation_error names every bad parameter or field', async () => {
      const list = await request(gw.url).get('/v1/devices?limit=1&order=sideways&colour=red&online__gte=true').set(auth('full'));
      expectError(list, 400, 'validation_error');
      expect(list.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['colour', 'limit', 'online__gte', 'order']);
      const body = await request(gw.url).post('/v1/devices').set(auth('full')).send({ connection_id: 'Not A Connection', tags: 'x', surprise: 1 });
      expectError(body, 400, 'validation_error');
      expect(body.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['connection_id', 'surprise', 'tags']);
      const notObject = await request(gw.url).patch(`/v1/devices/${deviceA}`).set(auth('full')).send([1, 2]);
      expectError(notObject, 400, 'validation_error');
      const messages = await request(gw.url).get(`/v1/devices/${deviceA}/messages?created_at__gte=yesterday&name=x`).set(auth('full'));
      expectError(messages, 400, 'validation_error');
      expect(messages.body.fields.map((f: { name: string }) => f.name).sort()).toEqual(['created_at__gte', 'name']);
      const after = await request(gw.url).get(`/v1/devices?after=hw-a:not-a-device`).set(auth('full'));
      expectError(after, 400, 'validation_error');
      expect(after.body.fields).toEqual([{ name: 'after', message: expect.any(String) }]);
    });

    it('not_found, unrecognized_request and method_not_supported', async () => {
      expectError(await request(gw.url).get('/v1/devices/hw-a:01900000-0000-7000-8000-000000000000').set(auth('full')), 404, 'not_found');
      expectError(await request(gw.url).get('/v1/devices/no-colon').set(auth('full')), 404, 'not_found');
      expectError(await request(gw.url).get('/v2/devices').set(auth('full')), 404, 'unrecognized_request');
      expectError(await request(gw.url).put(`/v1/devices/${deviceA}`).set(auth('full')).send({}), 405, 'method_not_supported');
      expectError(await request(gw.url).post('/v1/projects').set(auth('full')).send({}), 405, 'method_not_supported');
    });

    it('not_supported for an operation the provider lacks', async () => {
      const res = await request(gw.url).post(`/v1/devices/${deviceA}/transfer`).set(auth('full')).send({ project_id: 'hw-a:x' });
      expectError(res, 501, 'not_supported');
      expect(res.body.connection_id).toBe('hw-a');
    });

    it('maps vendor failures: 5xx, timeout, unreachable, rejected credentials, 429, 409, 400', async () => {
      const id = deviceA.replace('hw-a:', 'hw-fragile:');
      // The first read of a device also reads its latest uplink (its type); from then on one vendor call, the one faults hit.
      expect((await request(gw.url).get(`/v1/devices/${id}`).set(auth('full'))).status).toBe(200);
      emulator.injectFault({ fault: { kind: 'status', status: 500, body: { message: 'boom' } } });
      const upstream = await request(gw.url).get(`/v1/devices/${id}`).set(auth('full'));
      expectError(upstream, 502, 'upstream_error');
      expect(upstream.body).toMatchObject({ connection_id: 'hw-fragile', provider: 'hardwario', upstream_status: 500, retryable: true });

      emulator.injectFault({ fault: { kind: 'hang' } });
      const timeout = await request(gw.url).get(`/v1/devices/${id}`).set(auth('full'));
      expectError(timeout, 504, 'upstream_timeout');
      expect(timeout.body.retryable).toBe(true);

      const down = await request(gw.url).get(`/v1/devices/${deviceA.replace('hw-a:', 'hw-down:')}`).set(auth('full'));
      expectError(down, 503, 'upstream_unavailable');

      const badKey = await request(gw.url).get(`/v1/devices/${deviceA.replace('hw-a:', 'hw-badkey:')}`).set(auth('full'));
      expectError(badKey, 502, 'upstream_auth_failed');
      expect(JSON.stringify(badKey.body)).not.toContain('not-the-key');

      // The vendor's Retry-After pauses the connection: the last read below waits that second out.
      emulator.injectFault({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: 'slow down' } });
      const limited = await request(gw.url).get(`/v1/devices/${id}`).set(auth('full'));
      expectError(limited, 429, 'upstream_rate_limited');
      expect(limited.headers['retry-after']).toBe('1');

      const serial = emulator.device(emulator.demoDeviceIds()[1])!.serial_number;
      const duplicate = await request(gw.url).post('/v1/devices').set(auth('full')).send({ connection_id: 'hw-a', name: 'dup-claim', serial_number: serial, params: { token: 'a'.repeat(32) } });
      expectError(duplicate, 409, 'conflict');

      const badName = await request(gw.url).patch(`/v1/devices/${deviceA}`).set(auth('full')).send({ name: 'Not A Valid Name!' });
      expectError(badName, 400, 'validation_error');

      const after = await request(gw.url).get(`/v1/devices/${id}`).set(auth('full'));
      expect(after.status).toBe(200);
    });
  });

  describe('client rate limit', () => {
    it('answers 429 rate_limited with Retry-After once a key is over its budget', async () => {
      const limited = await startGateway(
        {
          server: { rate_limit: { per_second: 1, burst: 3 } },
          clients: [{ name: 'tiny', key_sha256: sha256hex('tiny'), scopes: ['read'] }],
          connections: [{ id: 'hw-a', provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey } }],
        },
        {},
      );
      try {
        const statuses: number[] = [];
        let last: request.Response | undefined;
        for (let i = 0; i < 5; i++) {
          last = await request(limited.url).get('/v1/connections').set('Authorization', 'Bearer tiny');
          statuses.push(last.status);
        }
        expect(statuses).toEqual([200, 200, 200, 429, 429]);
        expect(last!.body).toMatchObject({ object: 'error', code: 429, type: 'rate_limited', retryable: true, request_id: last!.headers['x-request-id'] });
        expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
        expect((await request(limited.url).get('/healthz')).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });
});

describe('circuit breaker and vendor budget', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;
  const AUTH = { Authorization: 'Bearer circuit-key' };

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    const base = { provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey }, retries: 0, cache: { ttl_seconds: 0 } };
    gw = await startGateway({
      clients: [{ name: 'c', key_sha256: sha256hex('circuit-key'), scopes: ['read'] }],
      connections: [
        { id: 'hw-circuit', ...base, circuit: { failure_threshold: 3, open_seconds: 3 } },
        { id: 'hw-budget', ...base, rate_limit: { requests: 3, per_seconds: 10 } },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

  it('opens after repeated failures, answers 503 without calling the vendor, then lets one probe through', async () => {
    const device = `/v1/devices/hw-circuit:${emulator.demoDeviceIds()[0]}`;
    // The first read of a device also reads its latest uplink (its type); from then on one vendor call per read.
    expect((await request(gw.url).get(device).set(AUTH)).status).toBe(200);
    emulator.injectFault({ fault: { kind: 'status', status: 503, body: 'down' }, times: 3 });
    for (let i = 0; i < 3; i++) expect((await request(gw.url).get(device).set(AUTH)).status).toBe(503);
    const state = await request(gw.url).get('/v1/connections/hw-circuit').set(AUTH);
    expect(state.body).toMatchObject({ status: 'unavailable', circuit: { state: 'open', consecutive_failures: 3 } });
    emulator.resetStats();
    const held = await request(gw.url).get(device).set(AUTH);
    expect(held.status).toBe(503);
    expect(held.body).toMatchObject({ type: 'upstream_unavailable', connection_id: 'hw-circuit', retryable: true });
    expect(Number(held.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(emulator.requestCount()).toBe(0);
    // Wait for the pause to end as the connection reports it, not for a fixed time.
    for (let i = 0; i < 300; i++) {
      const now = await request(gw.url).get('/v1/connections/hw-circuit').set(AUTH);
      if (now.body.circuit.state !== 'open') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await request(gw.url).get(device).set(AUTH)).status).toBe(200);
    expect(emulator.requestCount()).toBe(1);
    const closed = await request(gw.url).get('/v1/connections/hw-circuit').set(AUTH);
    expect(closed.body.circuit).toMatchObject({ state: 'closed', consecutive_failures: 0 });
  });

  it("answers 429 upstream_rate_limited before the vendor account's budget would be exceeded", async () => {
    emulator.resetStats();
    const device = `/v1/devices/hw-budget:${emulator.demoDeviceIds()[0]}`;
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await request(gw.url).get(device).set(AUTH));
    // Three calls fit: the first read of the device costs two (the device and its latest uplink, for its type), the next one.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429, 429]);
    expect(answers[2].body).toMatchObject({ type: 'upstream_rate_limited', connection_id: 'hw-budget' });
    expect(Number(answers[2].headers['retry-after'])).toBeGreaterThanOrEqual(3);
    expect(emulator.requestCount()).toBe(3);
  });
});
