import type { DisruptiveEmulator } from '@devicegate/emulators/disruptive';
import type { IzumaEmulator } from '@devicegate/emulators/izuma';
import { startGatewayPair, type GatewayPair } from '../support/gateway-pair.js';
import { startSandboxGateway, streamsConnected, type RunningSandbox } from '../support/gateway-harness.js';
import { describeWith } from '../support/tools.js';
import { START_LIMIT_MS } from '../support/start-limit.js';
import { openEventStream, type SseClient, type SseEvent } from './support.js';

/**
 * Push mode `pull`: devicegate holds DT's `devices:stream` and Izuma's WebSocket channel itself. The
 * emulators cut their streams mid-way (as a network failure would) while events keep coming: every event
 * must reach `/v1/events` exactly once. Limits are generous: they catch an event that never comes or
 * comes twice, not a slow machine.
 */
type StreamView = { mode: string; state: string; connected_since: string | null; reconnects: number; last_event_at: string | null; last_error: string | null };

const TEMPERATURE = '/3303/0/5700';
const waitFor = async (what: string | (() => string), check: () => Promise<boolean> | boolean, limitMs = 30_000) => {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('pull mode in the sandbox: DT devices:stream and the Izuma WebSocket', () => {
  let gw: RunningSandbox;
  let sse: SseClient;
  let dt: DisruptiveEmulator;
  let izuma: IzumaEmulator;
  let dtDevices: string[];
  let izumaDevice: string;
  const stream = async (connectionId: string): Promise<StreamView> => {
    const res = await fetch(`${gw.url}/v1/connections/${connectionId}`, { headers: { authorization: 'Bearer sandbox' } });
    return ((await res.json()) as { stream: StreamView }).stream;
  };
  const message = (event: SseEvent) => event.data.data as Record<string, unknown>;
  /** How many times each id reached the stream. */
  const counts = () => {
    const seen = new Map<string, number>();
    for (const event of sse.events) seen.set(String(event.data.id), (seen.get(String(event.data.id)) ?? 0) + 1);
    return seen;
  };

  beforeAll(async () => {
    gw = await startSandboxGateway({ providers: ['disruptive', 'izuma'] });
    sse = await openEventStream(`${gw.url}/v1/events`, 'sandbox');
    dt = gw.sandbox.emulators.find((e) => e.provider === 'disruptive')!.server as unknown as DisruptiveEmulator;
    izuma = gw.sandbox.emulators.find((e) => e.provider === 'izuma')!.server as unknown as IzumaEmulator;
    dtDevices = dt.deviceIds().filter((id) => dt.getDevice(id)?.type === 'temperature');
    izumaDevice = izuma.deviceIds().find((id) => izuma.device(id)?.state === 'registered' && izuma.resourceValue(id, TEMPERATURE) !== undefined)!;
  }, START_LIMIT_MS + 60_000);

  afterAll(async () => {
    await gw?.close();
    sse?.close();
  }, START_LIMIT_MS + 60_000);

  it('reports each pulled stream on GET /v1/connections/{id}: one DT stream per project, one Izuma socket', async () => {
    for (const id of ['sandbox-disruptive', 'sandbox-izuma']) {
      expect(await stream(id)).toMatchObject({ mode: 'pull', state: 'connected', connected_since: expect.any(String), reconnects: 0, last_error: null });
    }
    // One stream per DT project, one socket for Izuma.
    expect(dt.openStreams()).toBe(dt.projectIds.length);
    expect(izuma.openStreams()).toBe(1);
  });

  it('delivers a DT event and an Izuma resource notification to /v1/events', async () => {
    const published = dt.publish(dtDevices[0], { temperature: { value: 12.5 } });
    const dtEvent = await sse.next((e) => e.data.id === `sandbox-disruptive:${published.eventId}`, 20_000);
    expect(message(dtEvent)).toMatchObject({ device_id: `sandbox-disruptive:${dtDevices[0]}`, native_type: 'temperature', data: { temperature: { value: 12.5 } } });
    izuma.notifyResource(izumaDevice, TEMPERATURE, '7.25');
    const izumaEvent = await sse.next((e) => message(e).device_id === `sandbox-izuma:${izumaDevice}` && (message(e).data as { value?: string }).value === '7.25', 20_000);
    expect(message(izumaEvent)).toMatchObject({ type: 'data', native_type: 'notification', data: { path: TEMPERATURE } });
    expect((await stream('sandbox-disruptive')).last_event_at).not.toBeNull();
  });

  it('loses nothing and repeats nothing when the emulators cut their streams mid-way, events coming during the outage too', async () => {
    const before = { dt: (await stream('sandbox-disruptive')).reconnects, izuma: (await stream('sandbox-izuma')).reconnects };
    const dtIds: string[] = [];
    const izumaValues: string[] = [];
    const publishRound = (round: number) => {
      for (const [i, device] of dtDevices.slice(0, 3).entries()) dtIds.push(dt.publish(device, { temperature: { value: round * 10 + i } }).eventId);
      for (let i = 0; i < 3; i++) {
        const value = `${round}.${i}5`;
        izuma.notifyResource(izumaDevice, TEMPERATURE, value);
        izumaValues.push(value);
      }
    };
    publishRound(1);
    await waitFor('the first round', () => dtIds.every((id) => counts().has(`sandbox-disruptive:${id}`)));
    expect(dt.dropStreams()).toBe(dt.projectIds.length);
    expect(izuma.dropStreams()).toBe(1);
    // While nothing is connected: DT keeps them only in its history, Izuma in the channel's queue.
    publishRound(2);
    await waitFor('both streams to reconnect', async () => (await stream('sandbox-disruptive')).reconnects > before.dt && (await stream('sandbox-izuma')).reconnects > before.izuma);
    publishRound(3);
    const izumaSeen = () => sse.events.filter((e) => message(e).device_id === `sandbox-izuma:${izumaDevice}`).map((e) => String((message(e).data as { value?: string }).value));
    await waitFor(() => `every event (DT missing ${JSON.stringify(dtIds.filter((id) => !counts().has(`sandbox-disruptive:${id}`)))}, Izuma seen ${JSON.stringify(izumaValues.filter((v) => izumaSeen().includes(v)))})`, () => dtIds.every((id) => counts().has(`sandbox-disruptive:${id}`)) && izumaValues.every((v) => izumaSeen().includes(v)));
    // A moment more for anything arriving twice (the history read overlaps what the stream carried).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const id of dtIds) expect(counts().get(`sandbox-disruptive:${id}`)).toBe(1);
    expect(izumaValues.map((v) => izumaSeen().filter((seen) => seen === v).length)).toEqual(izumaValues.map(() => 1));
    expect(await stream('sandbox-disruptive')).toMatchObject({ state: 'connected', last_error: null });
  }, START_LIMIT_MS + 60_000);

  it('reconnects after an in-stream error and after the stream token expires, filling the gap from the history', async () => {
    const before = (await stream('sandbox-disruptive')).reconnects;
    expect(dt.failStreams(503, 'service restarting')).toBe(dt.projectIds.length);
    const during = dt.publish(dtDevices[1], { temperature: { value: 33.5 } });
    await sse.next((e) => e.data.id === `sandbox-disruptive:${during.eventId}`, 30_000);
    await waitFor('a reconnect', async () => (await stream('sandbox-disruptive')).state === 'connected' && (await stream('sandbox-disruptive')).reconnects > before);
    // DT ends a stream whose token expired with an in-stream 401 on its next line; the next holding gets a fresh token.
    dt.expireTokens();
    const first = dt.publish(dtDevices[2], { temperature: { value: 34.5 } });
    await sse.next((e) => e.data.id === `sandbox-disruptive:${first.eventId}`, 30_000);
    expect(counts().get(`sandbox-disruptive:${first.eventId}`)).toBe(1);
  }, START_LIMIT_MS + 60_000);
});

/** With Redis, one instance holds each stream; the other stands by and takes over when the holder dies. */
describeWith('redis-server')('pull mode on two instances sharing Redis', () => {
  let pair: GatewayPair;
  let dt: DisruptiveEmulator;
  const view = async (url: string): Promise<StreamView> => {
    const res = await fetch(`${url}/v1/connections/sandbox-disruptive`, { headers: pair.headers });
    return ((await res.json()) as { stream: StreamView }).stream;
  };

  beforeAll(async () => {
    pair = await startGatewayPair({ providers: ['disruptive'], connection: () => ({ push: { mode: 'pull' } }) });
    dt = pair.emulator('disruptive');
  }, START_LIMIT_MS + 60_000);
  afterAll(async () => {
    await pair?.close();
  }, START_LIMIT_MS + 60_000);

  it('lets one instance hold the stream and the other take over after a SIGKILL, with the gap filled', async () => {
    await waitFor('one holder', async () => [(await view(pair.a.url)).state, (await view(pair.b.url)).state].sort().join() === 'connected,standby');
    // Only one instance opened streams: one per project, not two.
    expect(dt.openStreams()).toBe(dt.projectIds.length);
    const [holder, standby] = (await view(pair.a.url)).state === 'connected' ? [pair.a, pair.b] : [pair.b, pair.a];
    const device = dt.deviceIds().find((id) => dt.getDevice(id)?.type === 'temperature')!;
    // Listening first: with the event log in Redis the stand-by's stream also shows what the holder stored.
    const sse = await openEventStream(`${standby.url}/v1/events`, 'pair-key');
    const before = dt.publish(device, { temperature: { value: 1.5 } });
    try {
      await holder.kill();
      const during = dt.publish(device, { temperature: { value: 2.5 } });
      await waitFor('the take-over', async () => (await view(standby.url)).state === 'connected', 40_000);
      await streamsConnected(standby.url, ['sandbox-disruptive'], pair.headers);
      const after = dt.publish(device, { temperature: { value: 3.5 } });
      // The new holder reads the history from where the old one got to (its resume point in Redis): the
      // event made while nobody held the stream arrives, and the one just before the kill arrives once
      // (from the old holder, or from the gap read if the old holder died before storing it).
      for (const id of [before.eventId, during.eventId, after.eventId]) await sse.next((e) => e.data.id === `sandbox-disruptive:${id}`, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect([before, during, after].map(({ eventId }) => sse.events.filter((e) => e.data.id === `sandbox-disruptive:${eventId}`).length)).toEqual([1, 1, 1]);
      expect(dt.openStreams()).toBe(dt.projectIds.length);
    } finally {
      sse.close();
    }
  }, START_LIMIT_MS + 90_000);
});
