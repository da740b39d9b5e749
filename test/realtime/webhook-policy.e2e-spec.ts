import { createServer } from 'node:net';
import { EventLog } from '../../apps/gateway/src/realtime/event-log.js';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';
import { startSubscriber, waitFor } from './support.js';

const PUSH_SECRET = 'hw-policy-push-secret';
const CONNECTION = { id: 'hw', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, push: { secret: PUSH_SECRET }, base_url: 'http://127.0.0.1:9' };
const CLIENTS = [{ name: 'ops', key_sha256: sha256hex('ops-key'), scopes: ['read', 'write'] }];

const job = (n: number) =>
  JSON.stringify({
    message: { id: `018eebbe-0000-7000-8000-${String(n).padStart(12, '0')}`, type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { n } },
    device: { id: '018a1535-fd39-7293-bd36-52df3e62e962', name: 'meteo', serial_number: '2159020389' },
  });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Delivery {
  status: string;
  last_status: number | null;
  last_error: string | null;
  attempt_log: Array<{ status: number | null; error: string | null; duration_ms: number | null }>;
}

describe('webhook network policy, limits and what failed deliveries tell', () => {
  let gw: RunningGateway;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: 'Bearer ops-key', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { data: Delivery[] } };
  };
  const push = (n: number) => fetch(`${gw.url}/v1/hooks/hw`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${PUSH_SECRET}` }, body: job(n) });

  afterEach(() => gw?.close());

  it('accepts public addresses only by default, judging IPv6 forms of IPv4 addresses as the address they reach', async () => {
    gw = await startGateway({ clients: CLIENTS, connections: [CONNECTION] });
    for (const url of [
      'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
      'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://[2002:a9fe:a9fe::]/latest/meta-data/',
      'http://127.0.0.1:8080/hook',
      'http://[::ffff:127.0.0.1]:8080/hook',
      'http://2130706433:8080/hook',
      'http://localhost:8080/hook',
      'http://[::1]:8080/hook',
      'http://10.0.0.1/hook',
      'http://192.168.1.1/hook',
      'http://100.64.0.1/hook',
    ]) {
      const refused = await api('POST', '/v1/webhooks', { url });
      expect([url, refused.status, refused.body.type]).toEqual([url, 400, 'validation_error']);
      expect([url, refused.body.fields]).toEqual([url, [{ name: 'url', message: expect.stringMatching(/only public addresses are accepted|must be an http or https URL/) }]]);
    }
  });

  it('checks IP literals again before every delivery, and never sends where the policy refuses', async () => {
    gw = await startGateway({ clients: CLIENTS, connections: [CONNECTION] });
    const subscriber = await startSubscriber();
    try {
      // A webhook stored before the policy refused it: loopback spelled as an IPv4-mapped IPv6 address.
      const { port } = new URL(subscriber.url);
      await gw.app.get(EventLog).createWebhook({ id: 'whk_legacy', owner: 'ops', url: `http://[::ffff:7f00:1]:${port}/hook`, description: null, secret: 'whsec_x', filterParams: {}, filters: [], createdAt: Date.now() }, 50);
      expect((await push(1)).status).toBe(202);
      let delivery: Delivery | undefined;
      for (let tries = 0; tries < 100 && delivery?.status !== 'failed'; tries++) {
        await new Promise((r) => setTimeout(r, 50));
        [delivery] = (await api('GET', '/v1/webhooks/whk_legacy/deliveries')).body.data;
      }
      expect(delivery).toMatchObject({ status: 'failed', last_status: null, last_error: expect.stringMatching(/^refused: the url address ::ffff:7f00:1 is loopback/) });
      expect(subscriber.received).toHaveLength(0);
    } finally {
      await subscriber.close();
    }
  });

  it('tells a failed delivery only as "no answer" or the class of the answer, and caps webhooks and pending deliveries', async () => {
    gw = await startGateway({ server: { webhook_allowed_hosts: ['127.0.0.1'], max_webhooks_per_key: 2, max_pending_deliveries: 3 }, clients: CLIENTS, connections: [CONNECTION] });
    const subscriber = await startSubscriber(() => 404);
    try {
      const answering = await api('POST', '/v1/webhooks', { url: subscriber.url });
      const silent = await api('POST', '/v1/webhooks', { url: `http://127.0.0.1:${await closedPort()}/hook` });
      expect([answering.status, silent.status]).toEqual([201, 201]);
      const third = await api('POST', '/v1/webhooks', { url: subscriber.url });
      expect(third.status).toBe(409);
      expect(third.body).toMatchObject({ type: 'conflict', message: expect.stringContaining('server.max_webhooks_per_key') });

      // Two webhooks, two events: four deliveries, one more than may wait.
      expect((await push(1)).status).toBe(202);
      expect((await push(2)).status).toBe(202);
      const deliveriesOf = async (id: unknown) => (await api('GET', `/v1/webhooks/${String(id)}/deliveries`)).body.data;
      await waitFor(() => subscriber.received.length >= 1, 5000, 'an attempt to the answering subscriber');
      let all: Delivery[] = [];
      for (let tries = 0; tries < 100; tries++) {
        all = [...(await deliveriesOf(answering.body.id)), ...(await deliveriesOf(silent.body.id))];
        if (all.filter((d) => d.attempt_log.length > 0).length >= 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(all).toHaveLength(4);
      const dropped = all.filter((d) => d.last_error?.startsWith('dropped'));
      expect(dropped).toEqual([expect.objectContaining({ status: 'failed', last_error: 'dropped: the delivery queue was full (server.max_pending_deliveries)', attempt_log: [] })]);
      const attempts = all.flatMap((d) => d.attempt_log.slice(0, 1));
      expect(attempts).toHaveLength(3);
      for (const attempt of attempts) {
        expect([attempt.status, attempt.error, attempt.duration_ms === null]).toEqual(attempt.error === 'no answer' ? [null, 'no answer', true] : [null, 'answered 4xx', false]);
      }
      expect(new Set(attempts.map((a) => a.error))).toEqual(new Set(['no answer', 'answered 4xx']));
    } finally {
      await subscriber.close();
    }
  });
});
