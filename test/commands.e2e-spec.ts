import { startSandboxGateway, type RunningSandbox } from './support/gateway-harness.js';

interface CommandBody {
  id: string;
  status: string;
  updated_at: string | null;
  result: { status: number | null; error: string | null; payload: string | null; payload_b64: string | null; content_type: string | null } | null;
}

/** Izuma reports each device request's result once, on the notification channel; the sandbox's channel is devicegate's webhook. */
describe('Izuma device requests: the pushed result settles the command', () => {
  let gw: RunningSandbox;
  const device = 'sandbox-izuma:018ab7c55ce10000000000010010bdec';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: 'Bearer sandbox', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as CommandBody };
  };
  /** Reads the command until it leaves `queued` (the emulated device answers after a short delay). */
  const settled = async (id: string): Promise<CommandBody> => {
    for (let i = 0; i < 200; i++) {
      const read = await call('GET', `/v1/devices/${device}/commands/${id}`);
      expect(read.status).toBe(200);
      if (read.body.status !== 'queued') return read.body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`command ${id} stayed queued`);
  };

  beforeAll(async () => {
    gw = await startSandboxGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('queued → delivered with the device answer (status 200 and the value read)', async () => {
    const sent = await call('POST', `/v1/devices/${device}/commands`, { name: 'GET', params: { uri: '/3303/0/5700' } });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: 'queued', result: null });
    const read = await settled(sent.body.id);
    expect(read.status).toBe('delivered');
    expect(read.result).toMatchObject({ status: 200, error: null });
    expect(Number(read.result!.payload)).toEqual(expect.any(Number));
    expect(Buffer.from(read.result!.payload_b64!, 'base64').toString('utf8')).toBe(read.result!.payload);
    expect(Date.parse(read.updated_at!)).toBeGreaterThanOrEqual(Date.parse(sent.body.updated_at!));
  });

  it('queued → failed with the status the device answered (400: a sensor value cannot be written)', async () => {
    const sent = await call('POST', `/v1/devices/${device}/commands`, { name: 'PUT', params: { uri: '/3303/0/5700', payload: '99', content_type: 'text/plain' } });
    expect(sent.status).toBe(202);
    const read = await settled(sent.body.id);
    expect(read).toMatchObject({ status: 'failed', result: { status: 400, payload: null } });
  });
});
