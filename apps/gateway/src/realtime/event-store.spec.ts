import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from './event-store.js';
import { retryDelayMs, signDelivery } from './webhook-dispatcher.js';
import { eventMessage as message, testWebhook } from '../../../../test/support/events.js';

describe('EventStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'devicegate-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores each event id once, in sequence, without the vendor object, and keeps it across reopening', () => {
    const store = new EventStore(dir);
    const seen: string[] = [];
    store.onAppend((events) => seen.push(...events.map((e) => e.id)));
    expect(store.append([message('a'), message('b'), message('a')], 'hw').map((e) => e.seq)).toEqual([1, 2]);
    expect(store.append([message('b')], 'hw')).toEqual([]);
    expect(seen).toEqual(['hw:a', 'hw:b']);
    store.close();
    const reopened = new EventStore(dir);
    expect(reopened.eventsAfter(0, 10).map((e) => [e.seq, e.id])).toEqual([[1, 'hw:a'], [2, 'hw:b']]);
    expect(reopened.eventsAfter(1, 10)[0].message).not.toHaveProperty('native');
    expect(reopened.append([message('c')], 'hw')[0].seq).toBe(3);
    reopened.close();
  });

  it('queues a delivery per matching webhook in the same transaction, and keeps it pending across reopening', () => {
    const store = new EventStore(dir, (webhook, event) => webhook.filterParams.type !== 'status' && event.connectionId === 'hw');
    store.createWebhook(testWebhook('whk_1'));
    store.createWebhook(testWebhook('whk_2', 'a', { url: 'http://127.0.0.1:1/y', filterParams: { type: 'status' } }));
    store.append([message('a')], 'hw', 1000);
    store.close();
    const reopened = new EventStore(dir);
    const due = reopened.dueDeliveries(1000, 10, new Set());
    expect(due.map((d) => [d.webhookId, d.eventId, d.status, d.attempts])).toEqual([['whk_1', 'hw:a', 'pending', 0]]);
    reopened.recordAttempt(due[0], { attempt: 1, at: 1000, status: 500, error: 'answered 500', durationMs: 3 }, { status: 'pending', nextAttemptAt: 3000 });
    expect(reopened.dueDeliveries(2000, 10, new Set())).toEqual([]);
    expect(reopened.nextDueAt()).toBe(3000);
    expect(reopened.attempts(due[0].id)).toEqual([{ attempt: 1, at: 1000, status: 500, error: 'answered 500', durationMs: 3 }]);
    expect(reopened.deleteWebhook('whk_1')).toBe(true);
    expect(reopened.nextDueAt()).toBeUndefined();
    reopened.close();
  });
});

describe('EventStore retention', () => {
  const webhook = testWebhook('whk_1');

  it('forgets old events with their finished deliveries, and keeps those a webhook still waits for', () => {
    const store = new EventStore(':memory:');
    store.createWebhook(webhook);
    store.append([message('old-done'), message('old-pending')], 'hw', 1_000);
    store.append([message('new')], 'hw', 9_000);
    const [done, pending] = store.dueDeliveries(1_000, 10, new Set());
    store.recordAttempt(done, { attempt: 1, at: 1_500, status: 200, error: null, durationMs: 2 }, { status: 'succeeded', nextAttemptAt: null });
    store.recordAttempt(pending, { attempt: 1, at: 1_500, status: 500, error: 'answered 500', durationMs: 2 }, { status: 'pending', nextAttemptAt: 20_000 });

    expect(store.prune(5_000)).toEqual({ events: 1, deliveries: 1 });
    expect(store.eventsAfter(0, 10).map((e) => e.id)).toEqual(['hw:old-pending', 'hw:new']);
    expect(store.delivery(done.id)).toBeUndefined();
    expect(store.attempts(done.id)).toEqual([]);
    expect(store.delivery(pending.id)?.status).toBe('pending');

    // Once its delivery has ended, the old event goes too; sequence numbers are never reused.
    store.recordAttempt(pending, { attempt: 2, at: 20_000, status: 500, error: 'answered 500', durationMs: 2 }, { status: 'failed', nextAttemptAt: null });
    expect(store.prune(5_000)).toEqual({ events: 1, deliveries: 1 });
    expect(store.prune(10_000)).toEqual({ events: 0, deliveries: 0 });
    const [fresh] = store.dueDeliveries(9_000, 10, new Set());
    store.recordAttempt(fresh, { attempt: 1, at: 9_500, status: 204, error: null, durationMs: 2 }, { status: 'succeeded', nextAttemptAt: null });
    expect(store.prune(10_000)).toEqual({ events: 1, deliveries: 1 });
    expect(store.eventsAfter(0, 10)).toEqual([]);
    expect(store.lastSeq()).toBe(3);
    expect(store.append([message('next')], 'hw', 11_000)[0].seq).toBe(4);
    store.close();
  });

  it("reads one device's events newest first below a sequence", () => {
    const store = new EventStore(':memory:');
    const of = (device: string, id: string) => message(id, { device_id: device });
    store.append([of('hw:d1', 'x1'), of('hw:d2', 'y1'), of('hw:d1', 'x2'), of('hw:d1', 'x3')], 'hw', 1_000);
    expect(store.deviceEvents('hw:d1', Number.MAX_SAFE_INTEGER, 10).map((e) => [e.seq, e.id])).toEqual([[4, 'hw:x3'], [3, 'hw:x2'], [1, 'hw:x1']]);
    expect(store.deviceEvents('hw:d1', 4, 1).map((e) => e.id)).toEqual(['hw:x2']);
    expect(store.deviceEvents('hw:none', 100, 10)).toEqual([]);
    // The device's events are found through an index, not by reading every event.
    const plan = store.db.prepare("EXPLAIN QUERY PLAN SELECT * FROM events WHERE json_extract(message, '$.device_id') = ? AND seq < ? ORDER BY seq DESC LIMIT ?").all('hw:d1', 5, 10) as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join(' ')).toContain('events_of_device');
    store.close();
  });
});

describe('webhook signatures and backoff', () => {
  it('signs "<t>.<body>" with HMAC-SHA256', () => {
    const expected = createHmac('sha256', 'whsec_x').update('1700000000.{"a":1}').digest('hex');
    expect(signDelivery('whsec_x', '{"a":1}', 1700000000)).toBe(`t=1700000000,v1=${expected}`);
    expect(signDelivery('whsec_x', '{"a":2}', 1700000000)).not.toBe(`t=1700000000,v1=${expected}`);
  });

  it('doubles the delay after each failure, within ±20 %, up to an hour', () => {
    expect(retryDelayMs(1, 0.5)).toBe(1000);
    expect(retryDelayMs(2, 0.5)).toBe(2000);
    expect(retryDelayMs(4, 0)).toBe(6400);
    expect(retryDelayMs(30, 1)).toBe(4_320_000);
  });
});
