import { PAIR_PUSH_SECRET, startGatewayPair, type GatewayPair, type PairInstance } from '../support/gateway-pair.js';
import { describeWith } from '../support/tools.js';
import { START_LIMIT_MS } from '../support/start-limit.js';
import { openEventStream, startSubscriber, waitFor, type SseClient } from './support.js';

const hwJob = (n: number) => ({
  message: { id: `018f2a6c-2222-7000-8000-${String(n).padStart(12, '0')}`, type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { thermometer: { temperature: 20 + n / 10 } } },
  device: { id: '018a1535-fd39-7293-bd36-52df3e62e962' },
});

interface Delivery {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  attempt_log: Array<{ status: number | null; error: string | null }>;
}

/**
 * Two instances on one real Redis behave as one gateway on the real-time side: one event log in one
 * order, ids either instance resumes from, webhooks any instance manages, each delivery made by one
 * instance, and a delivery whose instance dies completed by the other.
 */
describeWith('redis-server')('two instances share events and webhooks through Redis', () => {
  let pair: GatewayPair;
  const streams: SseClient[] = [];
  const connection = () => pair.connectionId('hardwario');
  const push = (instance: PairInstance, n: number) =>
    fetch(`${instance.url}/v1/hooks/${connection()}`, { method: 'POST', headers: { authorization: `Bearer ${PAIR_PUSH_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(hwJob(n)) });
  const eventId = (n: number) => `${connection()}:${hwJob(n).message.id}`;
  const api = async (instance: PairInstance, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${instance.url}${path}`, { method, headers: { ...pair.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { data: Array<Record<string, unknown>> } };
  };
  const stream = async (instance: PairInstance, headers: Record<string, string> = {}) => {
    const opened = await openEventStream(`${instance.url}/v1/events`, 'pair-key', headers);
    streams.push(opened);
    expect(opened.status).toBe(200);
    return opened;
  };
  const deliveriesOf = async (instance: PairInstance, webhookId: string) => (await api(instance, 'GET', `/v1/webhooks/${webhookId}/deliveries`)).body.data as unknown as Delivery[];

  beforeAll(async () => {
    pair = await startGatewayPair();
  }, START_LIMIT_MS + 60_000);
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('shows a push accepted by either instance to the stream clients of both, in one order, with ids either resumes from', async () => {
    const onA = await stream(pair.a);
    const onB = await stream(pair.b);
    const pushedAt = Date.now();
    expect((await push(pair.a, 1)).status).toBe(202);
    const first = await onB.next((e) => e.data.id === eventId(1), 60_000);
    // Reported, not judged against the clock: the 1 s target is met by a blocking read, not by speed.
    process.stdout.write(`push into A seen by a stream on B after ${first.at - pushedAt} ms\n`);

    for (let n = 2; n <= 6; n++) expect((await push(n % 2 === 0 ? pair.b : pair.a, n)).status).toBe(202);
    await onA.next((e) => e.data.id === eventId(6), 60_000);
    await onB.next((e) => e.data.id === eventId(6), 60_000);
    const order = (s: SseClient) => s.events.map((e) => [e.id, e.data.id, e.data.sequence]);
    expect(order(onA)).toEqual(order(onB));
    expect(onA.events.map((e) => e.data.id)).toEqual([1, 2, 3, 4, 5, 6].map(eventId));
    const sequences = onA.events.map((e) => Number(e.data.sequence));
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    expect(new Set(onA.events.map((e) => e.id!.split('-')[0])).size).toBe(1);

    // A repeat of a push, to the other instance, is stored once.
    expect(await (await push(pair.b, 1)).json()).toMatchObject({ received: 1, accepted: 0 });

    // Resumed on the other instance from the id of the third event: the fourth to the sixth, nothing else.
    const resumed = await stream(pair.a, { 'last-event-id': onB.events[2].id! });
    await resumed.next((e) => e.data.id === eventId(6), 60_000);
    expect(resumed.events.map((e) => e.data.id)).toEqual([4, 5, 6].map(eventId));
  }, START_LIMIT_MS + 60_000);

  it('tells a client whose Last-Event-ID the shared log never issued, and replays every event kept', async () => {
    for (const id of ['0123456789-3', `${'f'.repeat(10)}-1`, 'not-an-id', '999999999']) {
      const s = await stream(pair.a, { 'last-event-id': id });
      const notice = await s.next((e) => e.event === 'stream.notice');
      expect(notice).toMatchObject({ id: undefined, data: { object: 'stream_notice', code: 'unknown_last_event_id', last_event_id: id, oldest_sequence: expect.any(Number) } });
      await s.next((e) => e.data.id === eventId(6), 60_000);
      expect(s.events.slice(1).map((e) => e.data.id)).toEqual([1, 2, 3, 4, 5, 6].map(eventId));
      s.close();
    }
  }, START_LIMIT_MS + 60_000);

  it('lets any instance list, fetch, delete and show the deliveries of a webhook created on one, and delivers each event once', async () => {
    const subscriber = await startSubscriber();
    try {
      const created = await api(pair.a, 'POST', '/v1/webhooks', { url: subscriber.url, description: 'shared' });
      expect(created.status).toBe(201);
      const id = String(created.body.id);
      expect((await api(pair.b, 'GET', '/v1/webhooks')).body.data.map((w) => w.id)).toEqual([id]);
      expect((await api(pair.b, 'GET', `/v1/webhooks/${id}`)).body).toMatchObject({ id, url: subscriber.url, description: 'shared' });

      for (let n = 10; n < 20; n++) expect((await push(n % 2 === 0 ? pair.a : pair.b, n)).status).toBe(202);
      const wanted = Array.from({ length: 10 }, (_, i) => eventId(10 + i));
      await waitFor(() => wanted.every((e) => subscriber.received.some((r) => r.headers['devicegate-event-id'] === e)), 60_000, 'every event delivered');
      // Both instances were running and heard of every event; each delivery was still made by one.
      await new Promise((r) => setTimeout(r, 1500));
      expect(subscriber.received.map((r) => r.headers['devicegate-event-id']).sort()).toEqual([...wanted].sort());

      for (const instance of [pair.a, pair.b]) {
        const deliveries = await deliveriesOf(instance, id);
        expect(deliveries.map((d) => [d.event_id, d.status, d.attempts])).toEqual([...wanted].reverse().map((e) => [e, 'succeeded', 1]));
      }
      expect((await api(pair.b, 'DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
      expect((await api(pair.a, 'GET', `/v1/webhooks/${id}`)).status).toBe(404);
      expect((await api(pair.a, 'GET', '/v1/webhooks')).body.data).toEqual([]);
    } finally {
      await subscriber.close();
    }
  }, START_LIMIT_MS + 60_000);

  it('completes on the other instance a delivery whose instance was SIGKILLed while sending it', async () => {
    // The first request is held unanswered: the instance sending it is killed before it has an answer.
    let holding = true;
    const held: Array<() => void> = [];
    const subscriber = await startSubscriber();
    subscriber.server.removeAllListeners('request');
    subscriber.server.on('request', (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        subscriber.received.push({ headers: req.headers, body });
        if (holding) held.push(() => res.destroy());
        else res.writeHead(200).end();
      });
    });
    try {
      // Only A runs when the event arrives, so A claims the delivery.
      await pair.b.kill();
      const created = await api(pair.a, 'POST', '/v1/webhooks', { url: subscriber.url });
      expect(created.status).toBe(201);
      expect((await push(pair.a, 30)).status).toBe(202);
      await waitFor(() => subscriber.received.length === 1, 60_000, 'the attempt of A');
      // A dies while its attempt waits, before B starts: B's start-up time (tens of seconds on a loaded machine)
      // must not let A's attempt reach its own 10 s timeout and be recorded as a failed attempt.
      await pair.a.kill();
      holding = false;
      for (const drop of held) drop();
      await pair.b.start();

      await waitFor(() => subscriber.received.length >= 2, 90_000, 'the attempt of B after the lease of A ended');
      expect(subscriber.received.map((r) => r.headers['devicegate-event-id'])).toEqual([eventId(30), eventId(30)]);
      expect(subscriber.received[1].headers['devicegate-delivery-id']).toBe(subscriber.received[0].headers['devicegate-delivery-id']);
      expect(JSON.parse(subscriber.received[1].body)).toMatchObject({ id: eventId(30) });
      let delivery: Delivery | undefined;
      for (let tries = 0; tries < 600 && delivery?.status !== 'succeeded'; tries++) {
        if (tries > 0) await new Promise((r) => setTimeout(r, 100));
        [delivery] = await deliveriesOf(pair.b, String(created.body.id));
      }
      expect(delivery).toMatchObject({ event_id: eventId(30), status: 'succeeded', attempts: 1, attempt_log: [{ status: 200, error: null }] });
    } finally {
      await subscriber.close();
      if (!pair.a.child) await pair.a.start();
    }
  }, 2 * START_LIMIT_MS + 180_000);
});
