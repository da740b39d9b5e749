/**
 * What reaches the vendor and what comes back from it (issue 19, lows): native ids that are dot segments
 * never reach a vendor path, credentials inside vendor objects are shown to `passthrough` keys only,
 * passthrough answers keep devicegate's own headers, and passthrough failures do not open the circuit.
 */
import { Pool } from 'undici';
import type { ProviderId } from '@devicegate/core';
import { AUTH, startTestGateway, type TestGateway } from './support.js';

const PROVIDERS: ProviderId[] = ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk'];
const READER = { authorization: 'Bearer reader-key' };

let gw: TestGateway;
let pool: Pool;

beforeAll(async () => {
  gw = await startTestGateway({ providers: PROVIDERS, connection: { rate_limit: 100_000, retries: 0 }, clients: [{ name: 'reader', key: 'reader-key', scopes: ['read', 'write'] }] });
  pool = new Pool(gw.url, { connections: 4 });
}, 30_000);
afterAll(async () => {
  await pool?.close();
  await gw?.close();
});

/** Sends a request exactly as written (no client-side normalisation of `..`). */
async function send(method: string, path: string, headers: Record<string, string> = AUTH, body?: unknown) {
  const res = await pool.request({ method: method as 'GET', path, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const emulatorOf = (provider: ProviderId) => gw.sandbox.emulators.find((e) => e.provider === provider)!;

describe.each(PROVIDERS)('native ids of %s', (provider) => {
  it('refuses `.` and `..` in every spelling with 400, and calls nobody', async () => {
    const emulator = emulatorOf(provider);
    emulator.server.resetStats();
    const wrong: string[] = [];
    for (const nativeId of ['..', '.', '%2e%2e', '%2E%2e', '.%2e', '%252e%252e']) {
      const id = `sandbox-${provider}:${nativeId}`;
      for (const [method, path, body] of [
        ['GET', `/v1/devices/${id}`],
        ['DELETE', `/v1/devices/${id}`],
        ['PATCH', `/v1/devices/${id}`, { name: 'x' }],
        ['GET', `/v1/devices/${id}/messages`],
        ['GET', `/v1/projects/${id}`],
      ] as const) {
        const res = await send(method, path, AUTH, body);
        if (res.status !== 400 || res.body.type !== 'validation_error') wrong.push(`${method} ${path} → ${res.status} ${String(res.body.type)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(emulator.server.requests().map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });
});

describe('include=native', () => {
  it.each(['blynk', 'iottly'] as const)('shows %s device tokens to passthrough keys only', async (provider) => {
    const path = `/v1/devices?connection_id=sandbox-${provider}&include=native&limit=20`;
    const reader = await send('GET', path, READER);
    const full = await send('GET', path, AUTH);
    const tokens = (body: Record<string, unknown>) => (body.data as Array<{ native: { token?: unknown } }>).map((d) => d.native.token);
    expect(tokens(full.body).length).toBeGreaterThan(0);
    for (const token of tokens(full.body)) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(tokens(reader.body)).toEqual(tokens(full.body).map(() => '[redacted]'));
    expect(JSON.stringify(reader.body)).not.toContain(String(tokens(full.body)[0]));
  });

  it.each(['blynk', 'iottly'] as const)('on getDeviceStatus shows the vendor objects read, %s device tokens to passthrough keys only', async (provider) => {
    const [device] = (await send('GET', `/v1/devices?connection_id=sandbox-${provider}&limit=2`)).body.data as Array<{ id: string }>;
    const path = `/v1/devices/${device.id}/status`;
    const full = await send('GET', `${path}?include=native`, AUTH);
    const reader = await send('GET', `${path}?include=native`, READER);
    expect(full.status).toBe(200);
    const token = (full.body.native as { device: { token?: unknown } }).device.token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((reader.body.native as { device: { token?: unknown } }).device.token).toBe('[redacted]');
    expect(JSON.stringify(reader.body)).not.toContain(String(token));
    expect('native' in (await send('GET', path, AUTH)).body).toBe(false);
    expect((await send('GET', `${path}?include=readings`, AUTH)).status).toBe(400);
  });

  it.each(['hardwario', 'disruptive', 'izuma'] as const)('on getDeviceStatus shows the %s device object read', async (provider) => {
    const [device] = (await send('GET', `/v1/devices?connection_id=sandbox-${provider}&limit=2`)).body.data as Array<{ id: string }>;
    const status = await send('GET', `/v1/devices/${device.id}/status?include=native`, AUTH);
    expect(status.status).toBe(200);
    expect(status.body.native).toMatchObject({ device: expect.any(Object) });
  });
});

describe('passthrough answers', () => {
  it("keep devicegate's own headers and pass the vendor's as Vendor-*", async () => {
    const emulator = emulatorOf('hardwario');
    emulator.server.injectFault({
      fault: { kind: 'status', status: 201, body: { ok: true }, headers: { location: '/v2/elsewhere', 'x-request-id': 'vendor-id', 'x-ratelimit-remaining': '3', 'access-control-allow-origin': '*', 'x-api-key': 'echoed-key' } },
      path: '/v2/',
    });
    const res = await send('GET', `/v1/connections/sandbox-hardwario/passthrough/v2/spaces/${String(emulator.credentials.space_id)}/devices`, { ...AUTH, 'x-request-id': 'caller-id' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ok: true });
    expect(res.headers).toMatchObject({ 'x-request-id': 'caller-id', 'vendor-x-request-id': 'vendor-id', 'vendor-location': '/v2/elsewhere', 'vendor-x-ratelimit-remaining': '3', 'x-content-type-options': 'nosniff' });
    expect(res.headers['x-ratelimit-remaining']).not.toBe('3');
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    // The header that authenticated the call (HARDWARIO's X-Api-Key), echoed by the vendor, is not handed on in any form.
    expect(res.headers['vendor-x-api-key']).toBeUndefined();
    expect(res.headers['x-api-key']).toBeUndefined();
  });

  it('that fail do not open the circuit for translated calls', async () => {
    const emulator = emulatorOf('izuma');
    for (let i = 0; i < 8; i++) {
      emulator.server.injectFault({ fault: { kind: 'status', status: 503, body: { message: 'down' } }, path: '/v3/' });
      expect((await send('GET', '/v1/connections/sandbox-izuma/passthrough/v3/devices?limit=2')).status).toBe(503);
    }
    const connection = await send('GET', '/v1/connections/sandbox-izuma', READER);
    expect(connection.body.circuit).toMatchObject({ state: 'closed' });
    expect((await send('GET', '/v1/devices?connection_id=sandbox-izuma&limit=2', READER)).status).toBe(200);
  });
});
