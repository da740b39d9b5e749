import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';

const AUTH = { Authorization: 'Bearer idem-key' };

describe('Idempotency-Key on POST', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;
  let commands: string;

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    gw = await startGateway({
      server: { rate_limit: { per_second: 1000, burst: 1000 } },
      clients: [
        { name: 'k', key_sha256: sha256hex('idem-key'), scopes: ['read', 'write', 'commands'] },
        { name: 'other', key_sha256: sha256hex('other-key'), scopes: ['read', 'write', 'commands'] },
      ],
      connections: [{ id: 'hw', provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey }, rate_limit: 1000 }],
    });
    commands = `/v1/devices/hw:${emulator.demoDeviceIds()[0]}/commands`;
  });
  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

  const downlinks = () => emulator.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/downlinks')).length;

  it('reaches the vendor once for a retried command, and replays the first answer', async () => {
    emulator.resetStats();
    const body = { name: 'downlink', params: { relay: true } };
    const first = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'retry-1').send(body);
    const second = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'retry-1').send(body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(downlinks()).toBe(1);
    const fresh = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'retry-2').send(body);
    expect(fresh.status).toBe(202);
    expect(fresh.body.id).not.toBe(first.body.id);
    expect(downlinks()).toBe(2);
  });

  it('makes concurrent duplicates wait for the first and reach the vendor once', async () => {
    emulator.resetStats();
    emulator.setLatency(150);
    try {
      const body = { name: 'downlink', params: { relay: false } };
      const answers = await Promise.all(Array.from({ length: 6 }, () => request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'burst-1').send(body)));
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202, 202]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(downlinks()).toBe(1);
    } finally {
      emulator.setLatency(0);
    }
  });

  it('answers 409 for the same key with another body, and keeps keys of different callers apart', async () => {
    const a = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'mixed').send({ name: 'downlink', params: { a: 1 } });
    expect(a.status).toBe(202);
    const b = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'mixed').send({ name: 'downlink', params: { a: 2 } });
    expect(b.status).toBe(409);
    expect(b.body).toMatchObject({ object: 'error', type: 'conflict', retryable: false, request_id: b.headers['x-request-id'] });
    const other = await request(gw.url).post(commands).set({ Authorization: 'Bearer other-key' }).set('Idempotency-Key', 'mixed').send({ name: 'downlink', params: { a: 2 } });
    expect(other.status).toBe(202);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does not keep a failed vendor answer, so a retry runs again', async () => {
    emulator.resetStats();
    emulator.injectFault({ fault: { kind: 'status', status: 503, body: 'down' }, path: '/downlinks$' });
    const body = { name: 'downlink', params: { retry: true } };
    const failed = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'after-failure').send(body);
    expect(failed.status).toBe(503);
    const retried = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'after-failure').send(body);
    expect(retried.status).toBe(202);
    expect(downlinks()).toBe(2);
  });

  it('refuses a key longer than 255 characters', async () => {
    const res = await request(gw.url).post(commands).set(AUTH).set('Idempotency-Key', 'k'.repeat(256)).send({ name: 'downlink', params: {} });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'validation_error', fields: [{ name: 'Idempotency-Key', message: expect.any(String) }] });
  });
});
