import request from 'supertest';
import { startBlynkEmulator } from '@devicegate/emulators/blynk';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { sha256hex, startGateway, type RunningGateway } from './support/gateway-harness.js';

const AUTH = { Authorization: 'Bearer budget-key' };
const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('vendor reads: coalescing and bounded, cancellable work', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;
  const devicePaths = () => emulator.requests().filter((r) => r.method === 'GET' && /\/devices(\/|$)/.test(r.path));

  beforeAll(async () => {
    emulator = await startHardwarioEmulator({ deviceCount: 3_000 });
    const base = { provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey }, rate_limit: 1000 };
    gw = await startGateway({
      clients: [
        { name: 'budget', key_sha256: sha256hex('budget-key'), scopes: ['read', 'write', 'passthrough'] },
        { name: 'narrow', key_sha256: sha256hex('narrow-key'), scopes: ['read'], connections: ['hw'] },
      ],
      connections: [
        { id: 'hw', ...base, cache: { ttl_seconds: 0 } },
        { id: 'hw-short', ...base, retries: 0, timeout_ms: 4000, cache: { ttl_seconds: 0 } },
        { id: 'hw-retry', ...base, retries: 5, cache: { ttl_seconds: 0 } },
        { id: 'hw-cached', ...base, cache: { ttl_seconds: 60 }, push: { secret: 'push-secret-1' } },
      ],
    });
    emulator.setPushTarget({ url: `${gw.url}/v1/hooks/hw-cached`, headers: { authorization: 'Bearer push-secret-1' } });
  });
  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.resetStats();
    emulator.clearFaults();
    emulator.setLatency(0);
  });

  it('makes 50 identical concurrent reads one vendor call, counted on the vendor', async () => {
    // The vendor's answer waits until all 50 requests are in the gateway (it runs in this process, so once the
    // server has seen them and a timer turn has passed, each has reached its vendor read): however slow the
    // machine, they all overlap the one call in flight.
    const release = emulator.hold();
    const server = gw.app.getHttpServer();
    let arrived = 0;
    const arrive = () => (arrived += 1);
    server.on('request', arrive);
    const path = `/v1/devices/hw:${emulator.demoDeviceIds()[0]}`;
    const pending = Promise.all(Array.from({ length: 50 }, () => request(gw.url).get(path).set(AUTH).then((res) => res)));
    try {
      await until(() => arrived >= 50 && devicePaths().length >= 1, 'the 50 requests at the gateway and its vendor call');
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      server.off('request', arrive);
      release();
    }
    const answers = await pending;
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(devicePaths()).toHaveLength(1);
  });

  describe('identical lists in flight', () => {
    /** Sends `count` GETs of `path` with `auth` while the vendor holds its answers, so that all of them are in flight together. */
    const together = async (calls: Array<{ path: string; auth: Record<string, string> }>) => {
      const release = emulator.hold();
      const server = gw.app.getHttpServer();
      let arrived = 0;
      const arrive = () => (arrived += 1);
      server.on('request', arrive);
      const pending = Promise.all(calls.map(({ path, auth }) => request(gw.url).get(path).set(auth).then((res) => res)));
      try {
        await until(() => arrived >= calls.length && devicePaths().length >= 1, 'the requests at the gateway and a vendor call');
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        server.off('request', arrive);
        release();
      }
      return pending;
    };

    it('answers every caller the same list, each with its own request id, and says the answer was shared', async () => {
      const path = '/v1/devices?connection_id=hw&limit=5';
      const answers = await together(Array.from({ length: 20 }, () => ({ path, auth: AUTH })));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
      expect(answers[0].body.data).toHaveLength(5);
      expect(new Set(answers.map((a) => a.headers['x-request-id'])).size).toBe(20);
      const statuses = answers.map((a) => a.headers['cache-status']);
      expect(statuses.filter((v) => v === 'devicegate; fwd=miss; collapsed; detail="hw"')).toHaveLength(19);
      expect(statuses.filter((v) => v === 'devicegate; fwd=miss; detail="hw"')).toHaveLength(1);
      expect(devicePaths()).toHaveLength(1);
    });

    it('never shares a list between keys that may see different connections', async () => {
      const path = '/v1/devices?limit=3&order=DESC';
      const answers = await together([
        { path, auth: AUTH },
        { path, auth: { Authorization: 'Bearer narrow-key' } },
        { path, auth: AUTH },
        { path, auth: { Authorization: 'Bearer narrow-key' } },
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      const connections = answers.map((a) => [...new Set(a.body.data.map((d: { connection_id: string }) => d.connection_id))]);
      // DESC starts at the last connection id: the budget key's list, the narrow key's only one.
      expect(connections).toEqual([['hw-short'], ['hw'], ['hw-short'], ['hw']]);
    });

    it('lets no later request join a list begun before a write through devicegate', async () => {
      const device = emulator.demoDeviceIds()[2];
      const renamed = `shared-${Date.now()}`;
      const path = `/v1/devices?connection_id=hw-short&name=${renamed}`;
      // The first list's vendor read never answers (until the connection's 4 s timeout).
      emulator.injectFault({ fault: { kind: 'hang' }, path: '/devices$', times: 1 });
      const first = request(gw.url).get(path).set(AUTH).then((res) => res);
      await until(() => devicePaths().length >= 1, 'the first list at the vendor');
      expect((await request(gw.url).patch(`/v1/devices/hw-short:${device}`).set(AUTH).send({ name: renamed })).status).toBe(200);
      const started = Date.now();
      const second = await request(gw.url).get(path).set(AUTH);
      expect(second.status).toBe(200);
      expect(second.body.data.map((d: { id: string }) => d.id)).toEqual([`hw-short:${device}`]);
      expect(second.headers['cache-status']).toBe('devicegate; fwd=miss; detail="hw-short"');
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await first).status).toBe(504);
    });
  });

  it('bounds the scan for an after it does not know: a capped number of vendor calls, then a clear 400', async () => {
    const answer = await request(gw.url).get('/v1/devices?connection_id=hw&limit=2&after=hw:00000000-0000-0000-0000-000000000000').set(AUTH);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: 'validation_error', fields: [{ name: 'after' }] });
    // 3,000 devices in the provider's largest pages (100): reading them all would take 30 calls; the scan stops at 20.
    expect(devicePaths().length).toBe(20);
    expect(devicePaths().every((r) => new URLSearchParams(r.query).get('limit') === '100')).toBe(true);
  });

  it('stops vendor calls when the client hangs up mid-scan', async () => {
    emulator.setLatency(300);
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/devices?connection_id=hw&limit=2&after=hw:00000000-0000-0000-0000-000000000000`, { headers: AUTH, signal: controller.signal }).catch(() => undefined);
    await until(() => devicePaths().length >= 2, 'the scan to reach the vendor twice');
    controller.abort();
    await pending;
    const atHangUp = devicePaths().length;
    await new Promise((r) => setTimeout(r, 1500));
    // The call in flight at the hang-up may still have reached the vendor; nothing after it.
    expect(devicePaths().length).toBeLessThanOrEqual(atHangUp + 1);
  });

  it('stops retrying once the client has gone', async () => {
    emulator.injectFault({ fault: { kind: 'status', status: 503, body: 'down' }, times: 100 });
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/devices/hw-retry:${emulator.demoDeviceIds()[0]}`, { headers: AUTH, signal: controller.signal }).catch(() => undefined);
    await until(() => emulator.requestCount() >= 1, 'the first vendor call');
    controller.abort();
    await pending;
    const atHangUp = emulator.requestCount();
    await new Promise((r) => setTimeout(r, 1500));
    expect(emulator.requestCount()).toBeLessThanOrEqual(atHangUp + 1);
  });

  describe('read cache', () => {
    const device = () => emulator.demoDeviceIds()[1];
    const get = (path: string, headers: Record<string, string> = {}) => request(gw.url).get(path).set({ ...AUTH, ...headers });

    it('answers a repeated read from the cache and says so with Age and Cache-Status; no-cache asks the vendor', async () => {
      const path = `/v1/devices/hw-cached:${device()}`;
      await get(path, { 'cache-control': 'no-cache' });
      emulator.resetStats();
      const first = await get(path);
      const second = await get(path);
      expect(first.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(second.headers['cache-status']).toMatch(/^devicegate; hit; ttl=\d+; detail="hw-cached"$/);
      expect(Number(second.headers.age)).toBeGreaterThanOrEqual(0);
      expect(devicePaths()).toHaveLength(0);

      const live = await get(path, { 'cache-control': 'no-cache' });
      expect(live.status).toBe(200);
      expect(live.headers['cache-status']).toBe('devicegate; fwd=request; detail="hw-cached"');
      expect(live.headers.age).toBeUndefined();
      expect(devicePaths()).toHaveLength(1);
    });

    it('never answers a caller its own write stale: an update through devicegate invalidates the reads', async () => {
      const path = `/v1/devices/hw-cached:${device()}`;
      const before = await get(path);
      expect(before.status).toBe(200);
      const renamed = `renamed-${Date.now()}`;
      expect((await request(gw.url).patch(path).set(AUTH).send({ name: renamed })).status).toBe(200);
      const after = await get(path);
      expect(after.body.name).toBe(renamed);
      expect(after.headers['cache-status']).toBe('devicegate; fwd=miss; detail="hw-cached"');
      const list = await get(`/v1/devices?connection_id=hw-cached&name=${renamed}`);
      expect(list.body.data.map((d: { id: string }) => d.id)).toEqual([`hw-cached:${device()}`]);
    });

    it('keeps the reads across a passthrough read, which asks the vendor itself; a passthrough write invalidates them', async () => {
      const path = `/v1/devices/hw-cached:${device()}`;
      const raw = `/v1/connections/hw-cached/passthrough/v2/spaces/${emulator.spaceId}/devices/${device()}`;
      await get(path);
      expect((await get(path)).headers['cache-status']).toMatch(/hit/);
      emulator.resetStats();
      const read = await get(raw);
      expect(read.status).toBe(200);
      expect(read.headers['cache-status']).toBeUndefined();
      expect(devicePaths()).toHaveLength(1);
      expect((await get(path)).headers['cache-status']).toMatch(/hit/);

      const renamed = `raw-${Date.now()}`;
      const written = await request(gw.url).put(raw).set(AUTH).send({ name: renamed });
      expect(written.status).toBe(200);
      const after = await get(path);
      expect(after.headers['cache-status']).toBe('devicegate; fwd=miss; detail="hw-cached"');
      expect(after.body.name).toBe(renamed);
    });

    it('invalidates the reads of a connection when the vendor pushes an event', async () => {
      const path = `/v1/devices/hw-cached:${device()}/messages?limit=2`;
      const before = await get(path);
      expect(before.status).toBe(200);
      expect((await get(path)).headers['cache-status']).toMatch(/hit/);
      const message = emulator.addUplink(device(), { temperature: 99.5 });
      // The push reaches the gateway asynchronously; the newest message then shows at once.
      let after = await get(path);
      for (let i = 0; i < 400 && after.body.data[0]?.id !== `hw-cached:${message.id}`; i++) {
        await new Promise((r) => setTimeout(r, 25));
        after = await get(path);
      }
      expect(after.body.data[0].id).toBe(`hw-cached:${message.id}`);
      expect(after.headers['cache-status']).toMatch(/fwd=miss/);
    });
  });
});

describe('Blynk: one budget per organization', () => {
  it('makes connections of one organization share its budget, so together they never exceed the vendor limit', async () => {
    // The vendor counts 12 calls a minute per organization; each connection is configured with the same 12.
    const emulator = await startBlynkEmulator({ rateLimitPerMinute: 12 });
    const connection = (id: string) => ({
      id,
      provider: 'blynk',
      base_url: emulator.baseUrl,
      org_id: emulator.orgId,
      credentials: { client_id: emulator.credentials.clientId, client_secret: emulator.credentials.clientSecret },
      rate_limit: { requests: 12, per_seconds: 60 },
      retries: 0,
      cache: { ttl_seconds: 0 },
    });
    const gw = await startGateway({
      clients: [{ name: 'budget', key_sha256: sha256hex('budget-key'), scopes: ['read'] }],
      connections: [connection('blynk-one'), connection('blynk-two')],
    });
    try {
      const devices = emulator.deviceIds().slice(0, 8);
      const answers = await Promise.all(devices.map((id, i) => request(gw.url).get(`/v1/devices/${i % 2 ? 'blynk-two' : 'blynk-one'}:${id}`).set(AUTH)));
      const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as { rate_limited: number };
      expect(stats.rate_limited).toBe(0);
      // Both connections were served from the one budget, and what it could not hold was refused by devicegate.
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
      for (const answer of answers) if (answer.status !== 200) expect(answer.body.type).toBe('upstream_rate_limited');
      expect(answers.some((a) => a.status === 429)).toBe(true);
    } finally {
      await gw.close();
      await emulator.close();
    }
  }, 30_000);
});
