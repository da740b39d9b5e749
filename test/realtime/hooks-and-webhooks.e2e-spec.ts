import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { signPush } from '@devicegate/emulators/disruptive';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';
import { openEventStream, startSubscriber, waitFor } from './support.js';

const SECRETS = { hw: 'hw-push-secret-1', dt: 'dt-signature-secret', io: 'iottly-push-secret', iz: 'izuma-push-secret' };

const hwJob = (id: string) => ({
  message: { id, type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { thermometer: { temperature: 22.43 } } },
  device: { id: '018a1535-fd39-7293-bd36-52df3e62e962', name: 'meteo', serial_number: '2159020389' },
  connector: { id: 'c1' },
});
const dtPush = (eventId: string) =>
  JSON.stringify({
    event: { eventId, targetName: 'projects/p1/devices/d1', eventType: 'temperature', data: { temperature: { value: 21, updateTime: '2024-05-29T10:34:03.970415Z' } }, timestamp: '2024-05-29T10:34:03.970415Z' },
    labels: {},
    metadata: { deviceId: 'd1', projectId: 'p1', deviceType: 'temperature', productNumber: '' },
  });

describe('vendor pushes in, events and webhooks out', () => {
  let gw: RunningGateway;
  let dir: string;
  const post = (path: string, body: string, headers: Record<string, string> = {}, method = 'POST') =>
    fetch(`${gw.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body });
  const api = async (method: string, path: string, key = 'key-all', body?: unknown) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { data: Array<Record<string, unknown>> } };
  };
  const storedEvents = () => {
    const db = new Database(join(dir, 'devicegate.db'), { readonly: true });
    try {
      return (db.prepare('SELECT id FROM events ORDER BY seq').all() as Array<{ id: string }>).map((r) => r.id);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'devicegate-hooks-'));
    gw = await startGateway({
      server: { data_dir: dir, webhook_allowed_hosts: ['127.0.0.1'] },
      clients: [
        { name: 'all', key_sha256: sha256hex('key-all'), scopes: ['read', 'write'] },
        { name: 'iottly-only', key_sha256: sha256hex('key-io'), scopes: ['read', 'write'], connections: ['io'] },
        { name: 'reader', key_sha256: sha256hex('key-read'), scopes: ['read'] },
      ],
      connections: [
        { id: 'hw', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, push: { secret: SECRETS.hw }, base_url: 'http://127.0.0.1:9' },
        { id: 'dt', provider: 'disruptive', auth: 'basic', organization_id: 'c0md3mm0c7pi7cghrn40', credentials: { key_id: 'k', secret: 's' }, push: { secret: SECRETS.dt }, base_url: 'http://127.0.0.1:9' },
        { id: 'io', provider: 'iottly', project_id: '59c19cacecc01400075f3bc9', credentials: { api_key: 'k' }, push: { secret: SECRETS.io }, base_url: 'http://127.0.0.1:9' },
        { id: 'iz', provider: 'izuma', credentials: { api_key: 'ak_x' }, push: { secret: SECRETS.iz }, base_url: 'http://127.0.0.1:9' },
        { id: 'bl', provider: 'blynk', org_id: 1, credentials: { client_id: 'c', client_secret: 's' }, base_url: 'http://127.0.0.1:9' },
        { id: 'hw-nopush', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:9' },
      ],
    });
  });

  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses forged and unsigned pushes with 401 and stores nothing of them', async () => {
    const body = dtPush('forged0000000000000a');
    const tampered = JSON.stringify({ ...JSON.parse(body), labels: { name: 'changed' } });
    const expired = signPush(body, SECRETS.dt, Date.now() - 2 * 3600_000);
    const refused = [
      post('/v1/hooks/dt', body),
      post('/v1/hooks/dt', body, { 'x-dt-signature': signPush(body, 'another-secret') }),
      post('/v1/hooks/dt', tampered, { 'x-dt-signature': signPush(body, SECRETS.dt) }),
      post('/v1/hooks/dt', body, { 'x-dt-signature': expired }),
      post('/v1/hooks/dt', body, { 'x-dt-signature': 'not.a.jwt' }),
      post('/v1/hooks/hw', JSON.stringify(hwJob('forged-hw')), {}),
      post('/v1/hooks/hw', JSON.stringify(hwJob('forged-hw')), { authorization: 'Bearer wrong-secret' }),
      post('/v1/hooks/hw', JSON.stringify(hwJob('forged-hw')), { authorization: `Bearer ${SECRETS.dt}` }),
      post('/v1/hooks/io', JSON.stringify({ msg: { from: 'dev1', timestamp: '2024-04-17T11:08:27', payload: {} } }), { authorization: 'Bearer nope' }),
      post('/v1/hooks/iz', JSON.stringify({ notifications: [{ ep: 'e1', path: '/1/0/1', payload: 'MQ==', uid: 'u-forged' }] }), { authorization: 'nope' }, 'PUT'),
      post('/v1/hooks/bl', JSON.stringify({ any: 'thing' }), { authorization: 'Bearer x' }),
      post('/v1/hooks/hw-nopush', JSON.stringify(hwJob('forged-hw2')), { authorization: `Bearer ${SECRETS.hw}` }),
      post('/v1/hooks/nosuch', JSON.stringify(hwJob('forged-hw3')), { authorization: `Bearer ${SECRETS.hw}` }),
    ];
    for (const res of await Promise.all(refused)) {
      expect(res.status).toBe(401);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(await res.json()).toMatchObject({ object: 'error', code: 401, type: 'invalid_auth' });
    }
    expect(storedEvents()).toEqual([]);
    const replay = await openEventStream(`${gw.url}/v1/events`, 'key-all', { 'last-event-id': '0' });
    await new Promise((r) => setTimeout(r, 200));
    expect(replay.events).toEqual([]);
    replay.close();
  });

  it('accepts each vendor format with its proof, stores each message once, and answers a malformed body 400', async () => {
    const body = dtPush('c0dtevent00000000001');
    const dt = await post('/v1/hooks/dt', body, { 'X-Dt-Signature': signPush(body, SECRETS.dt) });
    expect(dt.status).toBe(202);
    expect(await dt.json()).toEqual({ object: 'push_receipt', connection_id: 'dt', received: 1, accepted: 1 });
    const hw = await post('/v1/hooks/hw', JSON.stringify(hwJob('018eebbe-678d-7c60-b4ef-d141f48378e8')), { authorization: `Bearer ${SECRETS.hw}` });
    expect(hw.status).toBe(202);
    const again = await post('/v1/hooks/hw', JSON.stringify(hwJob('018eebbe-678d-7c60-b4ef-d141f48378e8')), { authorization: `Bearer ${SECRETS.hw}` });
    expect(await again.json()).toMatchObject({ received: 1, accepted: 0 });
    const io = await post('/v1/hooks/io', JSON.stringify({ msg: { from: 'dev1', to: '59c19cacecc01400075f3bc9', timestamp: '2024-04-17T11:08:27.5', devicetimestamp: '2024-04-17T11:08:27', type: 'userdefined', payload: { t: 1 } } }), { 'x-devicegate-secret': SECRETS.io });
    expect(io.status).toBe(202);
    const iz = await post('/v1/hooks/iz', JSON.stringify({ notifications: [{ ep: 'e1', path: '/3303/0/5700', ct: 'text/plain', payload: 'MjEuNQ==', uid: 'u-1', timestamp: 1614180566644 }], 'de-registrations': ['e2'] }), { authorization: SECRETS.iz }, 'PUT');
    expect(iz.status).toBe(200);
    expect(await iz.json()).toMatchObject({ received: 2, accepted: 2 });
    const bad = await post('/v1/hooks/hw', JSON.stringify({ hello: 'world' }), { authorization: `Bearer ${SECRETS.hw}` });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'validation_error', fields: [{ name: 'body' }] });
    expect(storedEvents()).toEqual(['dt:c0dtevent00000000001', 'hw:018eebbe-678d-7c60-b4ef-d141f48378e8', expect.stringMatching(/^io:\d+-[0-9a-f]{16}$/), 'iz:u-1', expect.stringMatching(/^iz:de-registration-/)]);
  });

  it('replays with filters and connection scoping; a filter naming an unreachable connection is 404', async () => {
    const all = await openEventStream(`${gw.url}/v1/events?type=data`, 'key-all', { 'last-event-id': '0' });
    const scoped = await openEventStream(`${gw.url}/v1/events?last_event_id=0`, 'key-io');
    try {
      await all.next((e) => e.data.connection_id === 'iz');
      expect(all.events.map((e) => e.data.connection_id)).toEqual(['dt', 'hw', 'io', 'iz']);
      await scoped.next((e) => e.data.connection_id === 'io');
      await new Promise((r) => setTimeout(r, 100));
      expect(scoped.events.map((e) => e.data.connection_id)).toEqual(['io']);
    } finally {
      all.close();
      scoped.close();
    }
    expect((await api('GET', '/v1/events?connection_id=hw', 'key-io')).status).toBe(404);
    // A malformed last_event_id is not a parameter error: the stream itself says so (stale-last-event-id spec).
    const badFilters = await api('GET', '/v1/events?limit=5&colour=red&last_event_id=x');
    expect(badFilters.status).toBe(400);
    expect((badFilters.body.fields as Array<{ name: string }>).map((f) => f.name).sort()).toEqual(['colour', 'limit']);
    expect((await fetch(`${gw.url}/v1/events`)).status).toBe(401);
  });

  it('manages webhooks and delivers signed events to them, with every attempt visible', async () => {
    let fail = true;
    const subscriber = await startSubscriber(() => (fail ? 500 : 204));
    try {
      const invalidUrl = await api('POST', '/v1/webhooks', 'key-all', { url: 'ftp://nope', colour: 'red' });
      expect(invalidUrl.status).toBe(400);
      expect((invalidUrl.body.fields as Array<{ name: string }>).map((f) => f.name).sort()).toEqual(['colour', 'url']);
      const invalidFilters = await api('POST', '/v1/webhooks', 'key-all', { url: subscriber.url, filters: { colour: 'red', type__in: '' } });
      expect(invalidFilters.status).toBe(400);
      expect(invalidFilters.body.type).toBe('validation_error');
      expect((invalidFilters.body.fields as Array<{ name: string }>).map((f) => f.name).sort()).toEqual(['filters.colour', 'filters.type__in']);
      for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://[fe80::1]/x']) {
        const metadata = await api('POST', '/v1/webhooks', 'key-all', { url });
        expect(metadata.status).toBe(400);
        expect(metadata.body.type).toBe('validation_error');
        expect((metadata.body.fields as Array<{ name: string }>).map((f) => f.name)).toEqual(['url']);
      }
      expect((await api('POST', '/v1/webhooks', 'key-read', { url: subscriber.url })).status).toBe(403);
      expect((await api('POST', '/v1/webhooks', 'key-io', { url: subscriber.url, filters: { connection_id: 'hw' } })).status).toBe(404);

      const created = await api('POST', '/v1/webhooks', 'key-all', { url: subscriber.url, description: 'test', filters: { connection_id__in: 'hw,dt' } });
      expect(created.status).toBe(201);
      const webhook = created.body as unknown as { id: string; secret: string };
      expect(webhook).toMatchObject({ object: 'webhook', url: subscriber.url, filters: { connection_id__in: 'hw,dt' } });
      expect(webhook.secret).toMatch(/^whsec_/);
      const fetched = await api('GET', `/v1/webhooks/${webhook.id}`);
      expect(fetched.body).not.toHaveProperty('secret');
      expect((await api('GET', `/v1/webhooks/${webhook.id}`, 'key-io')).status).toBe(404);
      expect((await api('GET', '/v1/webhooks')).body.data.map((w) => w.id)).toEqual([webhook.id]);
      expect((await api('GET', '/v1/webhooks', 'key-io')).body.data).toEqual([]);

      const ignored = await post('/v1/hooks/io', JSON.stringify({ msg: { from: 'dev9', timestamp: '2024-04-18T00:00:00', payload: {} } }), { authorization: `Bearer ${SECRETS.io}` });
      expect(ignored.status).toBe(202);
      const pushed = await post('/v1/hooks/hw', JSON.stringify(hwJob('018eebbe-0000-7000-8000-000000000001')), { authorization: `Bearer ${SECRETS.hw}` });
      expect(pushed.status).toBe(202);
      await waitFor(() => subscriber.received.length >= 1, 5000, 'first attempt');
      fail = false;
      await waitFor(() => subscriber.received.length >= 2, 8000, 'the retry');

      for (const received of subscriber.received) {
        expect(received.headers['devicegate-event-id']).toBe('hw:018eebbe-0000-7000-8000-000000000001');
        const [t, v1] = String(received.headers['devicegate-signature']).split(',');
        const stamp = t.replace('t=', '');
        expect(v1).toBe(`v1=${createHmac('sha256', webhook.secret).update(`${stamp}.${received.body}`).digest('hex')}`);
        expect(JSON.parse(received.body)).toMatchObject({ object: 'event', id: 'hw:018eebbe-0000-7000-8000-000000000001', data: { object: 'message', device_id: 'hw:018a1535-fd39-7293-bd36-52df3e62e962' } });
      }
      const deliveries = await api('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      expect(deliveries.status).toBe(200);
      const [delivery] = deliveries.body.data as Array<Record<string, unknown>>;
      expect(deliveries.body.data).toHaveLength(1);
      expect(delivery).toMatchObject({ object: 'webhook_delivery', webhook_id: webhook.id, event_id: 'hw:018eebbe-0000-7000-8000-000000000001', status: 'succeeded', attempts: 2, last_status: 204 });
      expect((delivery.attempt_log as Array<{ status: number | null; error: string | null }>).map((a) => [a.status, a.error])).toEqual([
        [null, 'answered 5xx'],
        [204, null],
      ]);
      expect((await api('GET', `/v1/webhooks/${webhook.id}/deliveries?limit=1&after=dlv_nosuch`)).status).toBe(400);

      expect((await api('DELETE', `/v1/webhooks/${webhook.id}`, 'key-io')).status).toBe(404);
      expect((await api('DELETE', `/v1/webhooks/${webhook.id}`)).status).toBe(204);
      expect((await api('GET', `/v1/webhooks/${webhook.id}`)).status).toBe(404);
    } finally {
      await subscriber.close();
    }
  });
});
