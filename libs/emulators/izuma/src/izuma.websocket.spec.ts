import WebSocket from 'ws';
import { IZUMA_SANDBOX_CREDENTIALS, startIzumaEmulator, type IzumaEmulator } from './index.js';

const KEY = IZUMA_SANDBOX_CREDENTIALS.apiKey;
const KEY2 = IZUMA_SANDBOX_CREDENTIALS.secondaryApiKey;
const TEMPERATURE = '/3303/0/5700';

type Frame = Record<string, Array<Record<string, unknown>>>;

/** A socket whose frames queue up until a test takes them. */
function connect(em: IzumaEmulator, options: { key?: string; protocol?: boolean; origin?: boolean } = {}) {
  const key = options.key ?? KEY;
  const url = `${em.baseUrl.replace(/^http/, 'ws')}/v2/notification/websocket-connect`;
  const socket = options.protocol
    ? new WebSocket(url, ['wss', `pelion_${key}`], { origin: options.origin === false ? undefined : em.baseUrl })
    : new WebSocket(url, { headers: { authorization: `Bearer ${key}` }, origin: options.origin === false ? undefined : em.baseUrl });
  const frames: Frame[] = [];
  const waiting: Array<(frame: Frame) => void> = [];
  socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(String(data)) as Frame;
    const waiter = waiting.shift();
    if (waiter) waiter(frame);
    else frames.push(frame);
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code: number) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    socket.on('open', () => resolve());
    socket.on('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    socket.on('error', reject);
  });
  return { socket, opened, closed, next: () => new Promise<Frame>((resolve) => (frames.length ? resolve(frames.shift()!) : waiting.push(resolve))) };
}

const channel = (em: IzumaEmulator, method: string, key = KEY, body?: unknown) =>
  fetch(`${em.baseUrl}/v2/notification/websocket`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

describe('Izuma emulator: WebSocket notification channel (reference §6.4)', () => {
  let em: IzumaEmulator;
  let device: string;
  beforeAll(async () => {
    em = await startIzumaEmulator({});
    device = em.deviceIds().find((id) => em.resourceValue(id, TEMPERATURE) !== undefined)!;
  });
  afterAll(() => em.close());

  it('registers once per key (201, then 200), reports it, deletes it (204, then 404)', async () => {
    const created = await channel(em, 'PUT', KEY2, { serialization: { type: 'v2', cfg: { include_uid: 'true' } } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ status: 'unknown', queue_size: -1, serialization: { cfg: { include_uid: true, include_timestamp: false } } });
    expect((await channel(em, 'PUT', KEY2, {})).status).toBe(200);
    expect((await channel(em, 'GET', KEY2)).status).toBe(200);
    expect((await channel(em, 'DELETE', KEY2)).status).toBe(204);
    expect((await channel(em, 'GET', KEY2)).status).toBe(404);
    expect((await channel(em, 'DELETE', KEY2)).status).toBe(404);
  });

  it('closes a socket with 1011 when the key has no channel, and refuses bad keys and missing Origin', async () => {
    const orphan = connect(em, { key: KEY2 });
    await orphan.opened;
    expect(await orphan.closed).toBe(1011);
    await expect(connect(em, { key: 'ak_wrong' }).opened).rejects.toThrow('status 401');
    await expect(connect(em, { origin: false }).opened).rejects.toThrow('status 400');
    expect((await fetch(`${em.baseUrl}/v2/notification/websocket-connect`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(426);
  });

  it('delivers notifications with uid and timestamp; the key may come as a pelion_ sub-protocol', async () => {
    expect((await channel(em, 'PUT', KEY, { serialization: { type: 'v2', cfg: { include_uid: true, include_timestamp: true, deregistrations_as_object: true } } })).status).toBe(201);
    const ws = connect(em, { protocol: true });
    await ws.opened;
    expect(ws.socket.protocol).toBe('wss');
    em.notifyResource(device, TEMPERATURE, '22.5');
    const frame = await ws.next();
    expect(frame.notifications[0]).toMatchObject({ ep: device, path: TEMPERATURE, payload: Buffer.from('22.5').toString('base64'), uid: expect.any(String), timestamp: expect.any(Number) });
    em.setDeviceState(device, 'deregistered');
    expect((await ws.next())['de-registrations'][0]).toMatchObject({ ep: device, uid: expect.any(String) });
    em.setDeviceState(device, 'registered');
    expect((await ws.next()).registrations[0]).toMatchObject({ ep: device });
    ws.socket.close();
    await ws.closed;
  });

  it('queues while no socket is open and flushes on the next one; a newer socket replaces the older (1001)', async () => {
    const first = connect(em);
    await first.opened;
    const second = connect(em);
    await second.opened;
    expect(await first.closed).toBe(1001);
    expect(em.dropStreams()).toBeGreaterThanOrEqual(1);
    expect(await second.closed).toBe(1006);
    em.notifyResource(device, TEMPERATURE, '23.5');
    em.notifyResource(device, TEMPERATURE, '24.5');
    const third = connect(em);
    await third.opened;
    const values: string[] = [];
    while (values.length < 2) values.push(...(await third.next()).notifications.map((n) => Buffer.from(String(n.payload), 'base64').toString()));
    expect(values).toEqual(['23.5', '24.5']);
    expect((await channel(em, 'DELETE')).status).toBe(204);
    expect(await third.closed).toBe(1000);
  });

  it('refuses a WebSocket channel while a callback channel exists', async () => {
    await em.setPushTarget({ url: 'http://127.0.0.1:9/unused' });
    expect((await channel(em, 'PUT', KEY, {})).status).toBe(400);
    await em.setPushTarget(null);
  });
});
