import { EventRetention } from '../../apps/gateway/src/realtime/event-retention.js';
import { sha256hex, startGateway, type RunningGateway } from '../support/gateway-harness.js';
import { openEventStream, type SseClient } from './support.js';

const SECRET = 'hw-stale-push-secret';
const DOCUMENT = {
  clients: [{ name: 'ops', key_sha256: sha256hex('ops-key'), scopes: ['read'] }],
  connections: [{ id: 'hw', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, push: { secret: SECRET }, base_url: 'http://127.0.0.1:9' }],
};
const messageId = (n: number) => `018f2a6c-3333-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * The embedded store (`:memory:` here, as in the sandbox) never lets a Last-Event-ID it did not issue
 * skip events: after a restart on a fresh store, an id of the old one gets a notice and every event kept.
 */
describe('GET /v1/events with a Last-Event-ID the store did not issue', () => {
  let gw: RunningGateway | undefined;
  const opened: SseClient[] = [];
  const push = (n: number) =>
    fetch(`${gw!.url}/v1/hooks/hw`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: { id: messageId(n), type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { n } }, device: { id: 'd1' } }),
    });
  const stream = async (lastEventId: string) => {
    const s = await openEventStream(`${gw!.url}/v1/events`, 'ops-key', { 'last-event-id': lastEventId });
    opened.push(s);
    expect(s.status).toBe(200);
    return s;
  };
  const ids = (s: SseClient) => s.events.filter((e) => e.event === 'message.created').map((e) => e.data.id);

  afterEach(async () => {
    for (const s of opened.splice(0)) s.close();
    await gw?.close();
    gw = undefined;
  });

  it('after a restart on a fresh store, an id of the old store gets a notice and every event of the new one', async () => {
    gw = await startGateway(DOCUMENT);
    const live = await openEventStream(`${gw.url}/v1/events`, 'ops-key');
    opened.push(live);
    for (let n = 1; n <= 5; n++) expect((await push(n)).status).toBe(202);
    const last = await live.next((e) => e.data.id === `hw:${messageId(5)}`);
    await gw.close();

    gw = await startGateway(DOCUMENT);
    // Fewer events than before, and then more than before: the old id names neither position of the new store.
    for (let n = 101; n <= 103; n++) expect((await push(n)).status).toBe(202);
    const few = await stream(last.id!);
    await few.next((e) => e.data.id === `hw:${messageId(103)}`);
    expect(few.events[0]).toMatchObject({ event: 'stream.notice', id: undefined, data: { code: 'unknown_last_event_id', last_event_id: last.id, oldest_sequence: 1 } });
    expect(ids(few)).toEqual([101, 102, 103].map((n) => `hw:${messageId(n)}`));

    for (let n = 104; n <= 110; n++) expect((await push(n)).status).toBe(202);
    const many = await stream(last.id!);
    await many.next((e) => e.data.id === `hw:${messageId(110)}`);
    expect(many.events[0].data.code).toBe('unknown_last_event_id');
    expect(ids(many)).toHaveLength(10);

    // The bare sequence of the old id is newer than any event only while the new store is shorter.
    expect(Number(last.id!.split('-')[1])).toBe(5);
    const bare = await stream('11');
    await bare.next((e) => e.data.id === `hw:${messageId(110)}`);
    expect(bare.events[0].data.code).toBe('unknown_last_event_id');
    expect(ids(bare)).toHaveLength(10);

    // An id of this store resumes after it without a notice, and new events follow live.
    const own = await stream(many.events[3].id!);
    expect((await push(111)).status).toBe(202);
    await own.next((e) => e.data.id === `hw:${messageId(111)}`);
    expect(own.events.every((e) => e.event === 'message.created')).toBe(true);
    expect(ids(own)).toEqual([104, 105, 106, 107, 108, 109, 110, 111].map((n) => `hw:${messageId(n)}`));
  }, 30_000);

  it('a malformed id gets the notice too, and an id whose successors the retention removed says they expired', async () => {
    gw = await startGateway(DOCUMENT);
    for (let n = 1; n <= 3; n++) expect((await push(n)).status).toBe(202);
    const malformed = await stream('yesterday');
    await malformed.next((e) => e.data.id === `hw:${messageId(3)}`);
    expect(malformed.events[0].data).toMatchObject({ object: 'stream_notice', code: 'unknown_last_event_id', last_event_id: 'yesterday' });
    expect(ids(malformed)).toHaveLength(3);
    const first = malformed.events[1].id!;

    // Pruned as a year from now would: everything so far goes; then one event arrives.
    expect(await gw.app.get(EventRetention).prune(Date.now() + 365 * 24 * 3_600_000)).toEqual({ events: 3, deliveries: 0 });
    expect((await push(4)).status).toBe(202);
    const expired = await stream(first);
    await expired.next((e) => e.data.id === `hw:${messageId(4)}`);
    expect(expired.events[0].data).toMatchObject({ code: 'events_expired', last_event_id: first, oldest_sequence: 4 });
    expect(ids(expired)).toEqual([`hw:${messageId(4)}`]);
  }, 30_000);
});
