import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { DisruptiveEmulator } from '@devicegate/emulators/disruptive';
import type { HardwarioEmulator } from '@devicegate/emulators/hardwario';
import type { IottlyEmulator } from '@devicegate/emulators/iottly';
import type { IzumaEmulator } from '@devicegate/emulators/izuma';
import { startSandboxGateway, type RunningSandbox } from '../support/gateway-harness.js';
import { openEventStream, type SseClient, type SseEvent } from './support.js';

/**
 * Sandbox mode end to end: an emulator creates a message, pushes it in its vendor's format to the
 * gateway's hook (or, for DT and Izuma, sends it down the stream devicegate holds), and an SSE client of
 * `GET /v1/events` sees it. The limits below are generous on
 * purpose: they catch an event that never comes, not a slow machine (push latency is for the benchmark).
 */
describe('sandbox: live events from every emulator with push', () => {
  let gw: RunningSandbox;
  let sse: SseClient;
  const emulator = <T>(provider: string): T => gw.sandbox.emulators.find((e) => e.provider === provider)!.server as unknown as T;
  const get = async (path: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer sandbox' } });
    return { status: res.status, body: (await res.json()) as { data: Array<{ id: string }> } };
  };
  /** Waits for the event of a message created at `createdAt`, which cannot arrive before it was created. */
  const seen = async (match: (event: SseEvent) => boolean, createdAt: number): Promise<SseEvent> => {
    const event = await sse.next(match, 20_000);
    expect(event.at).toBeGreaterThanOrEqual(createdAt);
    return event;
  };
  const message = (event: SseEvent) => event.data.data as Record<string, unknown>;

  beforeAll(async () => {
    gw = await startSandboxGateway();
    sse = await openEventStream(`${gw.url}/v1/events`, 'sandbox');
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });

  afterAll(async () => {
    // Shutting down ends open streams, so the server can close while a client still listens: a stream
    // left open would keep close() pending until this hook's limit.
    await gw?.close();
    sse?.close();
  }, 60_000);

  it('publishes the new operations in the OpenAPI document that Swagger UI shows', async () => {
    const spec = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>> };
    expect(spec.paths['/v1/events'].get.responses['200'].content).toHaveProperty(['text/event-stream']);
    expect(spec.paths['/v1/hooks/{connection_id}'].post.operationId).toBe('receivePush');
    expect(Object.keys(spec.paths['/v1/webhooks']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(spec.paths['/v1/webhooks/{webhook_id}']).sort()).toEqual(['delete', 'get']);
    expect(spec.paths['/v1/webhooks/{webhook_id}/deliveries'].get.operationId).toBe('listWebhookDeliveries');
    expect((await fetch(`${gw.url}/docs`)).status).toBe(200);
  });

  it('hardwario: a new uplink arrives as an event whose id is the message id the messages list shows', async () => {
    const hw = emulator<HardwarioEmulator>('hardwario');
    const deviceId = hw.demoDeviceIds()[0];
    const createdAt = Date.now();
    const uplink = hw.addUplink(deviceId, { thermometer: { temperature: 23.25 } });
    const event = await seen((e) => e.data.id === `sandbox-hardwario:${uplink.id}`, createdAt);
    expect(event.event).toBe('message.created');
    expect(event.data).toMatchObject({ object: 'event', type: 'message.created', connection_id: 'sandbox-hardwario' });
    expect(message(event)).toMatchObject({ object: 'message', device_id: `sandbox-hardwario:${deviceId}`, provider: 'hardwario', type: 'data', direction: 'uplink', data: { thermometer: { temperature: 23.25 } } });
    const listed = await get(`/v1/devices/sandbox-hardwario:${deviceId}/messages?limit=5`);
    expect(listed.body.data.map((m) => m.id)).toContain(event.data.id);
  });

  it('disruptive: a published event arrives through the devices:stream devicegate holds (pull mode)', async () => {
    const dt = emulator<DisruptiveEmulator>('disruptive');
    const deviceId = dt.deviceIds().find((id) => dt.getDevice(id)?.type === 'temperature')!;
    const createdAt = Date.now();
    const published = dt.publish(deviceId, { temperature: { value: 4.5 } });
    const event = await seen((e) => e.data.id === `sandbox-disruptive:${published.eventId}`, createdAt);
    expect(message(event)).toMatchObject({ device_id: `sandbox-disruptive:${deviceId}`, native_type: 'temperature', type: 'data' });
    expect((message(event).data as { temperature: { value: number } }).temperature.value).toBe(4.5);
    // Pulled, not pushed: the sandbox sets up no data connector.
    expect(dt.dataConnectors()).toEqual([]);
  });

  it('disruptive: pushes to a pull-mode connection are refused, a forged Dt-Asymmetric-Signature among them', async () => {
    const dt = emulator<DisruptiveEmulator>('disruptive');
    const jwks = (await (await fetch(`${dt.pushIssuer}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const body = JSON.stringify({ event: { eventId: 'forged00000000000000', targetName: `projects/${dt.projectIds[0]}/devices/${dt.deviceIds()[0]}`, eventType: 'touch', data: { touch: { updateTime: new Date().toISOString() } }, timestamp: new Date().toISOString() }, labels: {}, metadata: {} });
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = (kid: string) => {
      const iat = Math.floor(Date.now() / 1000);
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${part({ alg: 'ES256', typ: 'JWT', kid })}.${part({ iss: dt.pushIssuer, sub: dt.organizationId, iat, exp: iat + 3600, checksum_sha256: createHash('sha256').update(body).digest('hex') })}`;
      return `${unsigned}.${sign('sha256', Buffer.from(unsigned), { key: forger.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };
    const attempts: Array<Record<string, string>> = [{ 'dt-asymmetric-signature': token(jwks.keys[0].kid) }, { 'dt-asymmetric-signature': token('unknown-kid') }, {}];
    for (const headers of attempts) {
      const res = await fetch(`${gw.url}/v1/hooks/sandbox-disruptive`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(res.status).toBe(401);
    }
  });

  it('iottly: a new device message arrives through the project webhook, with the id the messages list derives', async () => {
    const iottly = emulator<IottlyEmulator>('iottly');
    const deviceId = iottly.deviceIds()[0];
    const createdAt = Date.now();
    iottly.addMessage(deviceId, { payload: { probe: { temperature: 19.75 } } });
    const event = await seen((e) => message(e).device_id === `sandbox-iottly:${deviceId}` && JSON.stringify(message(e).data).includes('19.75'), createdAt);
    expect(message(event)).toMatchObject({ provider: 'iottly', native_type: 'userdefined' });
    const listed = await get(`/v1/devices/sandbox-iottly:${deviceId}/messages?limit=5`);
    expect(listed.body.data.map((m) => m.id)).toContain(event.data.id);
  });

  it('izuma: a resource notification arrives through the WebSocket channel devicegate holds (pull mode)', async () => {
    const izuma = emulator<IzumaEmulator>('izuma');
    const deviceId = izuma.deviceIds().find((id) => izuma.device(id)?.state === 'registered' && izuma.resourceValue(id, '/3303/0/5700') !== undefined)!;
    const createdAt = Date.now();
    izuma.notifyResource(deviceId, '/3303/0/5700', '5.25');
    const event = await seen((e) => message(e).device_id === `sandbox-izuma:${deviceId}` && message(e).native_type === 'notification', createdAt);
    expect(message(event)).toMatchObject({ type: 'data', data: { path: '/3303/0/5700', value: '5.25' } });
  });

  it('resumes with Last-Event-ID: a second client replays what came after the id it names', async () => {
    // The first event of the two connections resumed (the Blynk connection's samples arrive in between).
    const first = sse.events.find((e) => ['sandbox-hardwario', 'sandbox-disruptive'].includes(String(e.data.connection_id)))!;
    const [store, seq] = first.id!.split('-');
    const resumed = await openEventStream(`${gw.url}/v1/events?connection_id__in=sandbox-hardwario,sandbox-disruptive`, 'sandbox', { 'last-event-id': `${store}-${Number(seq) - 1}` });
    try {
      const replayed = await resumed.next((e) => e.id === first.id);
      expect(replayed.data).toEqual(first.data);
      const disruptive = await resumed.next((e) => e.data.connection_id === 'sandbox-disruptive');
      expect(Number(disruptive.id!.split('-')[1])).toBeGreaterThan(Number(seq));
      expect(disruptive.id!.split('-')[0]).toBe(store);
      expect(resumed.events.every((e) => ['sandbox-hardwario', 'sandbox-disruptive'].includes(String(e.data.connection_id)))).toBe(true);
    } finally {
      resumed.close();
    }
  });
});
