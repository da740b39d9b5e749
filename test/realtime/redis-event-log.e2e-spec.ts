import { Redis } from 'ioredis';
import { DROPPED_ERROR, type StoredEvent } from '../../apps/gateway/src/realtime/event-log.js';
import { RedisEventLog } from '../../apps/gateway/src/realtime/redis-event-log.js';
import { createLogger } from '../../apps/gateway/src/ops/logger.js';
import { eventMessage as message, testWebhook as webhook } from '../support/events.js';
import { startRedis } from '../support/redis-server.js';
import { describeWith } from '../support/tools.js';
import { waitFor } from './support.js';

/** The Redis adapter of the event log on a real redis-server, two adapters standing for two instances. */
describeWith('redis-server')('RedisEventLog', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const clients: Redis[] = [];
  const logs: RedisEventLog[] = [];
  const open = (options: Partial<{ maxPending: number; leaseMs: number }> = {}) => {
    const client = new Redis(redis.url);
    clients.push(client);
    const log = new RedisEventLog(client, createLogger('silent'), { maxPending: 1000, retentionHours: 1, leaseMs: 60_000, ...options });
    logs.push(log);
    return log;
  };

  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const log of logs.splice(0)) await log.close();
    for (const client of clients.splice(0)) client.disconnect();
    await redis.stop();
  });

  it('numbers events in one order for every instance, stores each id once, without the vendor object, and tells every instance', async () => {
    const [a, b] = [open(), open()];
    const heard: StoredEvent[] = [];
    b.onAppend((events) => heard.push(...events));
    // B hears what is appended once it follows the log: probes until it has heard one.
    for (let probe = 0; heard.length === 0; probe++) {
      if (probe === 100) throw new Error('B never heard an event');
      await a.append([message(`probe-${probe}`)], 'hw');
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = (await a.position()).last;
    await waitFor(() => heard.some((e) => e.seq === base), 5000, 'the last probe heard');
    heard.length = 0;
    expect((await a.append([message('1'), message('2'), message('1')], 'hw')).map((e) => e.seq)).toEqual([base + 1, base + 2]);
    expect((await b.append([message('2'), message('3')], 'hw')).map((e) => [e.seq, e.id])).toEqual([[base + 3, 'hw:3']]);
    await waitFor(() => heard.length === 3, 5000, 'every event heard by the other instance');
    expect(heard.map((e) => [e.seq, e.id])).toEqual([[base + 1, 'hw:1'], [base + 2, 'hw:2'], [base + 3, 'hw:3']]);
    expect((await a.eventsAfter(base + 1, 10)).map((e) => e.id)).toEqual(['hw:2', 'hw:3']);
    expect((await a.eventsAfter(0, 10))[0].message).not.toHaveProperty('native');
    const position = await a.position();
    expect(position).toEqual({ storeId: expect.stringMatching(/^[0-9a-f]{10}$/), last: base + 3, oldest: 1 });
    expect((await b.position()).storeId).toBe(position.storeId);
  });

  it('caps webhooks per owner, queues deliveries up to the pending limit and stores the rest as dropped, leases each to one claimer', async () => {
    const [a, b] = [open({ maxPending: 2 }), open({ maxPending: 2 })];
    expect(await a.createWebhook(webhook('whk_1'), 2)).toBe(true);
    expect(await b.createWebhook(webhook('whk_2'), 2)).toBe(true);
    expect(await a.createWebhook(webhook('whk_3'), 2)).toBe(false);
    expect(await a.createWebhook(webhook('whk_3', 'other'), 2)).toBe(true);
    a.setMatcher((w) => w.owner === 'a');
    await a.append([message('1'), message('2')], 'hw', 1000);
    const listed = [...(await b.listDeliveries('whk_1', null, 10)), ...(await b.listDeliveries('whk_2', null, 10))];
    expect(listed.map((d) => d.status).sort()).toEqual(['failed', 'failed', 'pending', 'pending']);
    expect(listed.filter((d) => d.status === 'failed').every((d) => d.lastError === DROPPED_ERROR)).toBe(true);
    expect(await b.listDeliveries('whk_3', null, 10)).toEqual([]);

    const first = await a.claimDue(1000, 10, new Set());
    expect(first.map((c) => [c.webhook.id, c.event.id, c.event.seq])).toHaveLength(2);
    expect(await b.claimDue(2000, 10, new Set())).toEqual([]);
    expect(await b.nextDueAt()).toBe(61_000);
    // The lease over, the other instance may take them.
    expect(await b.claimDue(61_000, 10, new Set())).toHaveLength(2);

    const [done, retry] = first;
    await a.recordAttempt(done.delivery, { attempt: 1, at: 1500, status: 200, error: null, durationMs: 3 }, { status: 'succeeded', nextAttemptAt: null });
    await a.recordAttempt(retry.delivery, { attempt: 1, at: 1500, status: null, error: 'no answer', durationMs: 3 }, { status: 'pending', nextAttemptAt: 5000 });
    expect(await b.attempts(done.delivery.id)).toEqual([{ attempt: 1, at: 1500, status: 200, error: null, durationMs: 3 }]);
    expect(await b.nextDueAt()).toBe(5000);
    expect((await b.claimDue(5000, 10, new Set())).map((c) => c.delivery.id)).toEqual([retry.delivery.id]);

    expect(await b.deleteWebhook(retry.webhook.id)).toBe(true);
    expect(await a.webhook(retry.webhook.id)).toBeUndefined();
    expect(await a.listDeliveries(retry.webhook.id, null, 10)).toEqual([]);
    expect(await a.deleteWebhook(retry.webhook.id)).toBe(false);
  });

  it('prunes events and finished deliveries older than the retention, and keeps what is younger or still pending', async () => {
    const a = open();
    await a.createWebhook(webhook('whk_1'), 10);
    await a.append([message('old-1'), message('old-2')], 'hw', 1_000);
    await a.append([message('new')], 'hw', 9_000);
    const claimed = await a.claimDue(9_000, 10, new Set());
    const byEvent = new Map(claimed.map((c) => [c.event.id, c.delivery]));
    await a.recordAttempt(byEvent.get('hw:old-1')!, { attempt: 1, at: 1_500, status: 200, error: null, durationMs: 1 }, { status: 'succeeded', nextAttemptAt: null });
    await a.recordAttempt(byEvent.get('hw:old-2')!, { attempt: 1, at: 1_500, status: 500, error: 'answered 5xx', durationMs: 1 }, { status: 'pending', nextAttemptAt: 20_000 });

    expect(await a.prune(5_000)).toEqual({ events: 2, deliveries: 1 });
    expect((await a.eventsAfter(0, 10)).map((e) => e.id)).toEqual(['hw:new']);
    expect((await a.position()).oldest).toBe(3);
    expect(await a.attempts(byEvent.get('hw:old-1')!.id)).toEqual([]);
    // The pending delivery keeps its own copy of the event and is still attempted.
    const [pending] = await a.claimDue(20_000, 10, new Set());
    expect(pending.event).toMatchObject({ seq: 2, id: 'hw:old-2', message: { data: { n: 'old-2' } } });
    expect(await a.prune(100_000)).toEqual({ events: 1, deliveries: 0 });
    expect((await a.append([message('next')], 'hw', 200_000))[0].seq).toBe(4);
  });

  it("reads one device's events newest first below a sequence, and forgets the pruned ones", async () => {
    const a = open();
    const of = (device: string, id: string) => message(id, { device_id: device });
    await a.append([of('hw:d1', 'x1'), of('hw:d2', 'y1'), of('hw:d1', 'x2')], 'hw', 1_000);
    await a.append([of('hw:d1', 'x3'), of('hw:d1', 'x2')], 'hw', 9_000);
    const ids = async (before: number, limit: number) => (await a.deviceEvents('hw:d1', before, limit)).map((e) => [e.seq, e.id]);
    expect(await ids(Number.MAX_SAFE_INTEGER, 10)).toEqual([[4, 'hw:x3'], [3, 'hw:x2'], [1, 'hw:x1']]);
    expect(await ids(4, 1)).toEqual([[3, 'hw:x2']]);
    expect((await a.deviceEvents('hw:d2', Number.MAX_SAFE_INTEGER, 10)).map((e) => e.message.data)).toEqual([{ n: 'y1' }]);
    expect(await a.deviceEvents('hw:none', Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    await a.prune(5_000);
    expect(await ids(Number.MAX_SAFE_INTEGER, 10)).toEqual([[4, 'hw:x3']]);
    expect(await clients[0].zrange('dg:events:device:hw:d1', '0', '-1')).toEqual(['4']);
    expect(await clients[0].exists('dg:events:device:hw:d2')).toBe(0);
  });
});
