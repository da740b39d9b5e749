import type { BlynkEmulator } from '@devicegate/emulators/blynk';
import { startGatewayPair, type GatewayPair, type PairInstance } from '../support/gateway-pair.js';
import { pageThrough, startSandboxGateway, streamsConnected, type ListPageBody, type RunningSandbox } from '../support/gateway-harness.js';
import { describeWith } from '../support/tools.js';
import { START_LIMIT_MS } from '../support/start-limit.js';
import { openEventStream, type SseClient, type SseEvent } from './support.js';

/**
 * Blynk pushes nothing: in pull mode devicegate samples its devices' datastream values and records what changed.
 * Through the gateway that is a readings series, events on `/v1/events`, a stream state, and (with Redis) one
 * sampling instance. Limits are generous: they catch a value that never comes or comes twice, not a slow machine.
 */
type StreamView = { mode: string; state: string; reconnects: number; last_error: string | null };
interface Reading {
  id: string;
  device_id: string;
  name: string;
  value: unknown;
  unit: string | null;
  at: string;
  message_id: string | null;
}

const DEVICE = 'sandbox-blynk:1001';
const waitFor = async (what: string, check: () => Promise<boolean> | boolean, limitMs = 60_000) => {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

function client(url: string, headers: Record<string, string>) {
  const get = async <T = ListPageBody>(path: string, query: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(query)}`, { headers });
    return { status: res.status, body: (await res.json()) as T };
  };
  const readings = async (query: Record<string, string> = {}) => (await get<ListPageBody<Reading>>(`/v1/devices/${DEVICE}/readings`, { name: 'temperature', limit: '1000', ...query })).body.data;
  return {
    get,
    readings,
    stream: async () => (await get<{ stream: StreamView }>('/v1/connections/sandbox-blynk')).body.stream,
    /** A datastream write through devicegate (`set_datastream`): the device's value changes at the vendor. */
    write: async (value: number) => {
      const res = await fetch(`${url}/v1/devices/${DEVICE}/commands`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'set_datastream', params: { datastream_id: 1, value } }),
      });
      expect(res.status).toBe(202);
    },
    /** The whole series and a walk with `limit`/`after` give the same ids (walked again if a sample landed in between). */
    pagesExactly: async (limit: number) => {
      for (let attempt = 0; ; attempt++) {
        const whole = (await readings()).map((r) => r.id);
        const walked = await pageThrough((q) => get(`/v1/devices/${DEVICE}/readings`, q), { name: 'temperature', limit: String(limit) });
        const after = (await readings()).map((r) => r.id);
        if (JSON.stringify(whole) === JSON.stringify(after) || attempt === 3) {
          expect(walked).toEqual(whole);
          return whole;
        }
      }
    },
  };
}

describe('Blynk in pull mode in the sandbox: its datastream values sampled', () => {
  let gw: RunningSandbox;
  let sse: SseClient;
  let blynk: BlynkEmulator;
  let api: ReturnType<typeof client>;
  const message = (event: SseEvent) => event.data.data as { device_id: string; type: string; native_type: string; readings?: Reading[] };

  beforeAll(async () => {
    // Live as `npm start` runs it: a Blynk device writes a drifted temperature every few seconds.
    gw = await startSandboxGateway({ providers: ['blynk'], liveEveryMs: 4000 });
    blynk = gw.sandbox.emulators.find((e) => e.provider === 'blynk')!.server as unknown as BlynkEmulator;
    sse = await openEventStream(`${gw.url}/v1/events?last_event_id=0`, 'sandbox');
    api = client(gw.url, { authorization: 'Bearer sandbox' });
  }, START_LIMIT_MS + 60_000);

  afterAll(async () => {
    sse?.close();
    await gw?.close();
  }, START_LIMIT_MS + 60_000);

  it('gives a Blynk device a temperature series within a minute, newest first, paged exactly, each sample an event', async () => {
    expect(await api.stream()).toMatchObject({ mode: 'pull', state: 'connected', last_error: null });
    await waitFor('two sampled temperatures', async () => (await api.readings()).filter((r) => r.message_id !== null).length >= 2);
    const series = await api.readings();
    const times = series.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(series.map((r) => r.value)).size).toBeGreaterThanOrEqual(2);
    expect(series.every((r) => r.device_id === DEVICE && r.name === 'temperature' && r.unit === 'Cel')).toBe(true);
    for (const limit of [2, 3]) await api.pagesExactly(limit);
    // Each recorded value reached /v1/events as a `data` message carrying its reading.
    for (const reading of series.filter((r) => r.message_id !== null)) {
      const event = await sse.next((e) => e.data.id === reading.message_id, 20_000);
      expect(message(event)).toMatchObject({ device_id: DEVICE, type: 'data', native_type: 'datastream', readings: [expect.objectContaining({ id: reading.id, value: reading.value, at: reading.at })] });
    }
  }, 120_000);

  it("backs off on the vendor's 429, then samples on from what it had seen: a value written meanwhile arrives, nothing twice", async () => {
    const before = (await api.stream()).reconnects;
    blynk.setRateLimit(0);
    try {
      await waitFor('the sampling to fail', async () => {
        const view = await api.stream();
        return view.state === 'reconnecting' && view.last_error !== null;
      });
    } finally {
      blynk.setRateLimit(false);
    }
    await api.write(31.25);
    await streamsConnected(gw.url, ['sandbox-blynk'], { authorization: 'Bearer sandbox' }, 60_000);
    expect((await api.stream()).reconnects).toBeGreaterThan(before);
    await sse.next((e) => message(e).device_id === DEVICE && message(e).readings?.[0]?.value === 31.25, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ids = sse.events.map((e) => String(e.data.id));
    expect(new Set(ids).size).toBe(ids.length);
  }, 120_000);
});

describeWith('redis-server')('Blynk sampling on two instances sharing Redis', () => {
  let pair: GatewayPair;
  let blynk: BlynkEmulator;
  const api = (instance: PairInstance) => client(instance.url, pair.headers);
  const deviceLists = () => blynk.requests().filter((r) => r.path === '/api/v1/organization/devices').length;

  beforeAll(async () => {
    pair = await startGatewayPair({ providers: ['blynk'], connection: () => ({ push: { mode: 'pull' }, sample_interval_seconds: 1 }) });
    blynk = pair.emulator('blynk');
  }, START_LIMIT_MS + 60_000);
  afterAll(async () => {
    await pair?.close();
  }, START_LIMIT_MS + 60_000);

  it('lets one instance sample, shares the series through Redis, and another takes over after a SIGKILL', async () => {
    await waitFor('one sampler', async () => [(await api(pair.a).stream()).state, (await api(pair.b).stream()).state].sort().join() === 'connected,standby');
    const [holder, standby] = (await api(pair.a).stream()).state === 'connected' ? [pair.a, pair.b] : [pair.b, pair.a];
    // One instance lists the devices once a second at most: two samplers would list about twice as often.
    const listed = deviceLists();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(deviceLists() - listed).toBeLessThanOrEqual(6);

    await api(holder).write(12.5);
    await waitFor('the sample on the stand-by', async () => (await api(standby).readings()).some((r) => r.value === 12.5 && r.message_id !== null));
    await holder.kill();
    await waitFor('the take-over', async () => (await api(standby).stream()).state === 'connected');
    await api(standby).write(13.5);
    await waitFor('the new holder\'s sample', async () => (await api(standby).readings()).some((r) => r.value === 13.5 && r.message_id !== null));
    const series = await api(standby).pagesExactly(2);
    const recorded = (await api(standby).readings()).filter((r) => r.message_id !== null);
    // The new holder recorded the current values again on its first sample: the same ids, stored once.
    expect(new Set(series).size).toBe(series.length);
    expect(recorded.map((r) => r.value).slice(0, 2)).toEqual([13.5, 12.5]);
  }, START_LIMIT_MS + 120_000);
});
