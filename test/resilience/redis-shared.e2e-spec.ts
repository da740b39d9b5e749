import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { startIottlyEmulator, type IottlyEmulator } from '@devicegate/emulators/iottly';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';
import { startRedis } from '../support/redis-server.js';
import { describeWith } from '../support/tools.js';

describeWith('redis-server')('two gateway instances on one Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let emulator: HardwarioEmulator;
  let iottly: IottlyEmulator;
  let a: RunningGateway;
  let b: RunningGateway;

  beforeAll(async () => {
    redis = await startRedis();
    emulator = await startHardwarioEmulator();
    iottly = await startIottlyEmulator();
    const document = {
      server: { rate_limit: { per_second: 0.5, burst: 6 }, redis_url: '${REDIS_URL}' },
      clients: [{ name: 'shared', key_sha256: sha256hex('shared-key'), scopes: ['read', 'commands'] }],
      connections: [
        { id: 'hw', provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey }, rate_limit: 1000 },
        { id: 'io', provider: 'iottly', base_url: iottly.baseUrl, project_id: iottly.projectId, credentials: { api_key: iottly.credentials.apiKey }, rate_limit: 1000 },
      ],
    };
    a = await startGateway(document, { REDIS_URL: redis.url });
    b = await startGateway(document, { REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await iottly?.close();
    await redis?.stop();
  });

  it('holds the per-key rate limit across both instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const gw = i % 2 === 0 ? a : b;
      statuses.push((await request(gw.url).get('/v1/connections').set('Authorization', 'Bearer shared-key')).status);
    }
    // A burst of 6 in all: each instance alone would have let 4 of its own 4 through.
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it('replays an Idempotency-Key answered by the other instance, reaching the vendor once', async () => {
    await new Promise((r) => setTimeout(r, 4000));
    emulator.resetStats();
    const path = `/v1/devices/hw:${emulator.demoDeviceIds()[0]}/commands`;
    const body = { name: 'downlink', params: { shared: true } };
    const first = await request(a.url).post(path).set('Authorization', 'Bearer shared-key').set('Idempotency-Key', 'across').send(body);
    const second = await request(b.url).post(path).set('Authorization', 'Bearer shared-key').set('Idempotency-Key', 'across').send(body);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(emulator.requests().filter((r) => r.method === 'POST').length).toBe(1);
  }, 15_000);

  it('reads a command sent through one instance from the other (iottly keeps no record of commands: the gateway does)', async () => {
    // Three requests within the shared key's limit (0.5/s), whatever the tests before spent.
    await new Promise((r) => setTimeout(r, 6500));
    const device = `io:${[...iottly.deviceIds()][0]}`;
    const sent = await request(a.url).post(`/v1/devices/${device}/commands`).set('Authorization', 'Bearer shared-key').send({ name: 'LED_control', params: { state: 'on' } });
    expect(sent.status).toBe(202);
    const read = await request(b.url).get(`/v1/devices/${device}/commands/${sent.body.id}`).set('Authorization', 'Bearer shared-key');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(sent.body);
    const elsewhere = await request(b.url).get(`/v1/devices/io:${[...iottly.deviceIds()][1]}/commands/${sent.body.id}`).set('Authorization', 'Bearer shared-key');
    expect(elsewhere.status).toBe(404);
  }, 20_000);
});
