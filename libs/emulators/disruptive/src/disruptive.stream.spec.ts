import { DISRUPTIVE_SANDBOX_CREDENTIALS, startDisruptiveEmulator, type DisruptiveEmulator } from './index.js';

const C = DISRUPTIVE_SANDBOX_CREDENTIALS;
const basic = { authorization: `Basic ${Buffer.from(`${C.keyId}:${C.secret}`).toString('base64')}` };

type Line = { result?: { event: { eventId: string; eventType: string; targetName: string; data: unknown } }; error?: { code: number; message: string } };

/** Reads a stream's body as it arrives: `next()` waits for the next complete line (or frame). */
function lineReader(res: Response, sse = false) {
  const reader = res.body!.getReader();
  let buffer = '';
  const separator = sse ? '\n\n' : '\n';
  return {
    async next(): Promise<Line | undefined> {
      for (;;) {
        const at = buffer.indexOf(separator);
        if (at >= 0) {
          const chunk = buffer.slice(0, at);
          buffer = buffer.slice(at + separator.length);
          return JSON.parse(sse ? chunk.replace(/^data: /, '') : chunk) as Line;
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += Buffer.from(value).toString('utf8');
      }
    },
    cancel: () => reader.cancel().catch(() => undefined),
  };
}

describe('DT emulator: devices:stream (reference §7)', () => {
  let e: DisruptiveEmulator;
  let project: string;
  let sensor: string;
  let other: string;
  beforeAll(async () => {
    e = await startDisruptiveEmulator({ rateLimit: false });
    project = e.projectIds[0];
    const ids = e.deviceIds(project);
    sensor = ids.find((id) => e.getDevice(id)!.type === 'temperature')!;
    other = ids.find((id) => id !== sensor && e.getDevice(id)!.type === 'temperature') ?? ids.find((id) => id !== sensor)!;
  });
  afterAll(() => e.close());

  const open = (query = '', headers: Record<string, string> = {}) => fetch(`${e.baseUrl}/projects/${project}/devices:stream${query}`, { headers: { ...basic, ...headers } });

  it('streams published events as NDJSON lines of {"result":{"event"}}, with pings at ping_interval', async () => {
    const res = await open('?ping_interval=0.2s');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const lines = lineReader(res);
    const published = e.publish(sensor, { temperature: { value: 4.5 } });
    const first = await lines.next();
    expect(first?.result?.event).toEqual(published);
    let ping: Line | undefined;
    do ping = await lines.next();
    while (ping?.result?.event.eventType !== 'ping');
    expect(ping.result!.event).toMatchObject({ targetName: `projects/${project}`, data: null });
    await lines.cancel();
  });

  it('answers text/event-stream with data: frames when asked for it', async () => {
    const res = await open('', { accept: 'text/event-stream' });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const frames = lineReader(res, true);
    const published = e.publish(sensor, { temperature: { value: 5 } });
    expect((await frames.next())?.result?.event.eventId).toBe(published.eventId);
    await frames.cancel();
  });

  it('applies device_ids and event_types, and a device stream sees only its device', async () => {
    const filtered = lineReader(await open(`?device_ids=${other}&event_types=temperature`));
    const single = lineReader(await fetch(`${e.baseUrl}/projects/${project}/devices/${sensor}:stream`, { headers: basic }));
    e.publish(sensor, { temperature: { value: 6 } });
    const mine = e.publish(other, { temperature: { value: 7 } });
    expect((await filtered.next())?.result?.event.eventId).toBe(mine.eventId);
    expect((await single.next())?.result?.event.targetName).toBe(`projects/${project}/devices/${sensor}`);
    await filtered.cancel();
    await single.cancel();
  });

  it('refuses a malformed ping_interval and an unknown project', async () => {
    expect((await open('?ping_interval=often')).status).toBe(400);
    expect((await fetch(`${e.baseUrl}/projects/nope/devices:stream`, { headers: basic })).status).toBe(404);
    expect((await fetch(`${e.baseUrl}/projects/${project}/devices:stream`)).status).toBe(401);
  });

  it('ends a stream with an in-stream error, status 200 kept', async () => {
    const lines = lineReader(await open());
    // The stream is registered once its headers are out; the error then reaches it.
    expect(e.failStreams(503, 'service restarting')).toBeGreaterThanOrEqual(1);
    expect(await lines.next()).toEqual({ error: { code: 503, message: 'service restarting' } });
    expect(await lines.next()).toBeUndefined();
  });

  it('can be dropped mid-way like a network failure (control: DELETE /_emulator/streams)', async () => {
    const lines = lineReader(await open());
    const dropped = await fetch(`${e.url}/_emulator/streams`, { method: 'DELETE' });
    expect(((await dropped.json()) as { dropped: number }).dropped).toBeGreaterThanOrEqual(1);
    await expect(lines.next()).rejects.toThrow();
  });
});
