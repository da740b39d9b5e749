/**
 * What one key can learn or cost (issue 19): lists, cursors and totals stay within the key's reach, the
 * public endpoints name nothing by default, the key is checked before the body is read, and idempotency
 * records belong to authenticated clients and count against their rate limit.
 */
import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';

const ADMIN = { Authorization: 'Bearer admin-key' };
const NARROW = { Authorization: 'Bearer narrow-key' };

let emulator: HardwarioEmulator;

beforeAll(async () => {
  emulator = await startHardwarioEmulator();
});
afterAll(async () => {
  await emulator?.close();
});

const hw = (id: string, baseUrl = emulator.baseUrl) => ({ id, provider: 'hardwario', base_url: baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey }, rate_limit: 1000 });

describe('a key sees only its own connections', () => {
  let gw: RunningGateway;

  beforeAll(async () => {
    const withUserinfo = emulator.baseUrl.replace('://', '://ops:hunter2-secret@');
    gw = await startGateway({
      server: { rate_limit: { per_second: 1000, burst: 1000 } },
      clients: [
        { name: 'admin', key_sha256: sha256hex('admin-key'), scopes: ['read'] },
        { name: 'narrow', key_sha256: sha256hex('narrow-key'), scopes: ['read'], connections: ['hw-a'] },
      ],
      connections: [hw('hw-a'), hw('hw-b'), hw('hw-c', withUserinfo)],
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('does not resume another key\'s page of connections: an `after` outside its reach is not in its list', async () => {
    const first = await request(gw.url).get('/v1/connections?limit=2').set(ADMIN);
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual(['hw-a', 'hw-b']);
    expect(first.body.has_more).toBe(true);
    const resumed = await request(gw.url).get('/v1/connections?limit=2&after=hw-b').set(NARROW);
    expect(resumed.status).toBe(400);
    expect(resumed.body).toMatchObject({ type: 'validation_error', fields: [{ name: 'after' }] });
    expect(JSON.stringify(resumed.body)).not.toContain('hw-c');
  });

  it('counts only the connections the key may reach, whoever counted first', async () => {
    const all = await request(gw.url).get('/v1/connections?include=total_count').set(ADMIN);
    expect(all.body.total_count).toBe(3);
    const narrow = await request(gw.url).get('/v1/connections?include=total_count').set(NARROW);
    expect(narrow.body.data.map((c: { id: string }) => c.id)).toEqual(['hw-a']);
    expect(narrow.body.total_count).toBe(1);
  });

  it('never shows the userinfo of a base URL', async () => {
    const one = await request(gw.url).get('/v1/connections/hw-c').set(ADMIN);
    expect(one.body.base_url).toBe(emulator.baseUrl);
    const list = await request(gw.url).get('/v1/connections').set(ADMIN);
    expect(JSON.stringify(list.body)).not.toMatch(/ops|hunter2/);
  });

  it('names no connection or client on /readyz and /metrics unless configured', async () => {
    await request(gw.url).get('/v1/devices').set(NARROW).expect(200);
    const ready = await request(gw.url).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', connection_count: 3 });
    expect(Object.values(ready.body.connection_statuses as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(3);
    const metrics = await request(gw.url).get('/metrics');
    expect(metrics.text).toContain('devicegate_vendor_calls_total{connection="*",provider="hardwario"');
    for (const text of [JSON.stringify(ready.body), metrics.text]) expect(text).not.toMatch(/hw-a|hw-b|hw-c|narrow|admin/);
  });
});

describe('the key is checked before the body is read', () => {
  let gw: RunningGateway;
  let commands: string;

  beforeAll(async () => {
    gw = await startGateway({
      server: { rate_limit: { per_second: 1000, burst: 1000 } },
      clients: [{ name: 'k', key_sha256: sha256hex('admin-key'), scopes: ['read', 'write', 'commands'] }],
      connections: [{ ...hw('hw'), push: { secret: 'push-secret-1' } }],
    });
    commands = `/v1/devices/hw:${emulator.demoDeviceIds()[0]}/commands`;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers an unknown key 401 without parsing what it posts', async () => {
    const res = await request(gw.url).post('/v1/devices').set({ Authorization: 'Bearer wrong', 'content-type': 'application/json' }).send('{"not json');
    expect(res.status).toBe(401);
    expect(res.body.type).toBe('invalid_apikey');
  });

  it('answers deeply nested bodies 400, on authenticated and public routes alike', async () => {
    // Valid JSON of a valid shape, whose one field nests 20,000 levels deep.
    const deep = `{"name":"downlink","params":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    for (const [path, headers] of [
      ['/v1/devices', ADMIN],
      [commands, ADMIN],
      ['/v1/hooks/hw', { Authorization: 'Bearer push-secret-1' }],
    ] as const) {
      const res = await request(gw.url).post(path).set({ ...headers, 'content-type': 'application/json' }).send(deep);
      expect([path, res.status, res.body.type, res.body.fields?.[0]?.name]).toEqual([path, 400, 'validation_error', 'body']);
    }
    const shallow = await request(gw.url).post(commands).set(ADMIN).send({ name: 'downlink', params: { a: { b: { c: [1, [2, [3]]] } } } });
    expect(shallow.status).toBe(202);
  });

  it('never stores or replays a 401 for an Idempotency-Key', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await request(gw.url).post(commands).set({ Authorization: 'Bearer wrong' }).set('Idempotency-Key', 'refused').send({ name: 'downlink', params: { relay: true } });
      expect(res.status).toBe(401);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
    }
    const good = await request(gw.url).post(commands).set(ADMIN).set('Idempotency-Key', 'refused').send({ name: 'downlink', params: { relay: true } });
    expect(good.status).toBe(202);
  });

  // Last of this gateway: afterwards this address is refused for a while.
  it('refuses an address after repeated failed authentications, with Retry-After, before looking at keys', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await request(gw.url).get('/v1/devices').set({ Authorization: `Bearer guess-${i}` })).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(-5)).toEqual(Array(5).fill(429));
    const refused = await request(gw.url).get('/v1/devices').set({ Authorization: 'Bearer guess-again' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ object: 'error', type: 'rate_limited', retryable: true });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Operational endpoints and vendor pushes are not behind it.
    expect((await request(gw.url).get('/healthz')).status).toBe(200);
  });
});

describe('Idempotency-Key replays count against the key\'s rate limit', () => {
  let gw: RunningGateway;

  beforeAll(async () => {
    gw = await startGateway({
      server: { rate_limit: { per_second: 0.01, burst: 4 } },
      clients: [{ name: 'k', key_sha256: sha256hex('admin-key'), scopes: ['read', 'commands'] }],
      connections: [hw('hw')],
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 429 once replays have used the burst', async () => {
    const commands = `/v1/devices/hw:${emulator.demoDeviceIds()[0]}/commands`;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(gw.url).post(commands).set(ADMIN).set('Idempotency-Key', 'same').send({ name: 'downlink', params: { relay: true } })).status);
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
  });
});
