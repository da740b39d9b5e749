import type { ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EventLog } from '../../apps/gateway/src/realtime/event-log.js';
import { eventMessage } from '../support/events.js';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';
import { openEventStream, waitFor, type SseClient } from './support.js';

const EVENTS = 20_000;

/** A message of about a kilobyte, so the stored events are some 20 MB of frames. */
const message = (n: number) => eventMessage(`evt-${n}`, { device_id: 'hw:d1', data: { n, padding: 'x'.repeat(1000) } });

const stalled: Socket[] = [];

/** A client that asks for the whole stored stream and never reads a byte of the answer. */
function stalledStream(url: string, key: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
      socket.write(`GET /v1/events?last_event_id=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      stalled.push(socket);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('GET /v1/events under load: backpressure and stream limits', () => {
  let gw: RunningGateway;
  const responses: ServerResponse[] = [];
  const api = (path: string, key: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    gw = await startGateway({
      server: { max_event_streams: 4, max_event_streams_per_key: 2 },
      clients: ['a', 'b', 'c', 'd'].map((name) => ({ name, key_sha256: sha256hex(`key-${name}`), scopes: ['read'] })),
      connections: [{ id: 'hw', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:9' }],
    });
    const store = gw.app.get(EventLog);
    for (let from = 0; from < EVENTS; from += 1000) await store.append(Array.from({ length: 1000 }, (_, i) => message(from + i)), 'hw');
    gw.app.getHttpServer().on('request', (request: { url?: string }, response: ServerResponse) => {
      if (request.url?.startsWith('/v1/events')) responses.push(response);
    });
  }, 60_000);

  // A test that failed half-way must not leave its streams holding places the next test counts on.
  afterEach(async () => {
    for (const socket of stalled.splice(0)) socket.destroy();
    await waitFor(() => responses.every((r) => r.destroyed || r.writableFinished), 30_000, 'the streams of the test to end');
  });

  afterAll(() => gw.close());

  it('replays at the pace the client reads: a client that never reads holds about one socket buffer, then gets every event when it reads', async () => {
    const socket = await stalledStream(gw.url, 'key-a');
    await waitFor(() => responses.length === 1, 30_000, 'the stream to open');
    const response = responses[0];
    // The socket fills however fast the machine is; then a writer that ignored backpressure would queue the whole replay.
    await waitFor(() => response.writableNeedDrain, 20_000, 'the socket buffer to fill');
    await new Promise((r) => setTimeout(r, 500));
    expect(response.writableNeedDrain).toBe(true);
    expect(response.writableLength).toBeLessThan(1024 * 1024);

    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.resume();
    await waitFor(() => received.includes(`-${EVENTS}\nevent:`), 120_000, 'the last stored event');
    expect(received.match(/^id: [0-9a-f]{10}-\d+$/gm)).toHaveLength(EVENTS);
    socket.destroy();
    await waitFor(() => response.destroyed, 30_000, 'the stream to end');
  }, 240_000);

  it('caps streams per key and in all, with 429 rate_limited, and frees the place when a stream ends', async () => {
    const open: SseClient[] = [];
    const url = `${gw.url}/v1/events`;
    open.push(await openEventStream(url, 'key-b'), await openEventStream(url, 'key-b'));
    expect(open.map((s) => s.status)).toEqual([200, 200]);

    const third = await api('/v1/events', 'key-b');
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('10');
    expect(await third.json()).toMatchObject({ type: 'rate_limited', message: expect.stringContaining('server.max_event_streams_per_key') });

    open.push(await openEventStream(url, 'key-c'), await openEventStream(url, 'key-c'));
    expect(open.map((s) => s.status)).toEqual([200, 200, 200, 200]);
    const fifth = await api('/v1/events', 'key-d');
    expect(fifth.status).toBe(429);
    expect(await fifth.json()).toMatchObject({ type: 'rate_limited', message: expect.stringContaining('server.max_event_streams') });

    open[0].close();
    let again: SseClient | undefined;
    for (let tries = 0; tries < 50 && again?.status !== 200; tries++) {
      again?.close();
      again = await openEventStream(url, 'key-d');
      if (again.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(again?.status).toBe(200);
    for (const stream of [...open, again!]) stream.close();
  });
});
