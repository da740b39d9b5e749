/**
 * Lists are provider calls like any other: their vendor failures reach the connection's health
 * (`/readyz`, the connection's `status`), as single reads always did.
 */
import { API_PATH, AUTH, startTestGateway, type TestGateway } from './support.js';

interface ReadyConnection {
  id: string;
  status: string;
  last_ok_at: string | null;
  last_failure_at: string | null;
  last_failure_type: string | null;
}

let gw: TestGateway;

beforeAll(async () => {
  // Each list must be a vendor call: no retries, no read cache.
  gw = await startTestGateway({ providers: ['hardwario'], connection: { retries: 0, cache: { ttl_seconds: 0 } }, server: { expose_names: true } });
}, 30_000);

afterAll(async () => {
  await gw?.close();
});

const emulator = () => gw.sandbox.emulators[0];

async function health(): Promise<ReadyConnection> {
  const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { connections: ReadyConnection[] };
  return ready.connections[0];
}

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(gw.url + path, { headers: AUTH });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

afterEach(() => emulator().server.clearFaults());

it('a list the vendor answers 503 shows on /readyz and in the connection status', async () => {
  expect(await health()).toMatchObject({ id: 'sandbox-hardwario', status: 'unknown', last_failure_at: null });

  emulator().server.injectFault({ fault: { kind: 'status', status: 503, body: { message: 'maintenance' } }, times: 1000, path: API_PATH.hardwario });
  const failed = await get('/v1/devices?limit=5');
  expect(failed.status).toBe(503);
  expect(failed.body).toMatchObject({ type: 'upstream_unavailable', connection_id: 'sandbox-hardwario' });

  const after = await health();
  expect(after.last_failure_at).not.toBeNull();
  expect(after.last_failure_type).toBe('upstream_unavailable');
  expect(after.status).toBe('degraded');
  expect((await get('/v1/connections/sandbox-hardwario')).body.status).toBe('degraded');
});

it('a partial list names the failing connection and counts its failure too', async () => {
  emulator().server.clearFaults();
  expect((await get('/v1/projects')).status).toBe(200);
  const ok = await health();
  expect(ok).toMatchObject({ status: 'ok' });
  expect(ok.last_ok_at).not.toBeNull();

  emulator().server.injectFault({ fault: { kind: 'status', status: 500, body: { message: 'boom' } }, times: 1000, path: API_PATH.hardwario });
  const partial = await get('/v1/projects?partial=true');
  expect(partial.status).toBe(200);
  expect(partial.body.unreachable).toEqual([expect.objectContaining({ connection_id: 'sandbox-hardwario', type: 'upstream_error' })]);
  expect(await health()).toMatchObject({ status: 'degraded', last_failure_type: 'upstream_error' });
});

it('a device\'s message list failing counts as well, and the next good list clears it', async () => {
  const { body } = await get('/v1/devices?limit=2');
  const deviceId = (body.data as Array<{ id: string }>)[0].id;
  emulator().server.injectFault({ fault: { kind: 'status', status: 503, body: { message: 'maintenance' } }, times: 1000, path: '/messages' });
  const failed = await get(`/v1/devices/${encodeURIComponent(deviceId)}/messages?limit=5`);
  expect(failed.status).toBe(503);
  expect(await health()).toMatchObject({ status: 'degraded', last_failure_type: 'upstream_unavailable' });

  emulator().server.clearFaults();
  expect((await get(`/v1/devices/${encodeURIComponent(deviceId)}/messages?limit=5`)).status).toBe(200);
  expect(await health()).toMatchObject({ status: 'ok' });
});
