import { Redis } from 'ioredis';
import { SeededRandom } from '@devicegate/emulators/kit';
import { backgroundContext, type ListPlan, type ListQuery, type ListSource, type VendorCursor, type VendorPage } from '@devicegate/core';
import { Router, startEmulatorServer, type EmulatorServer } from '@devicegate/emulators/kit';
import { HttpClient, RedisBudgetWindow, RedisReadCache, VendorBudget, type ReadCacheStore } from '@devicegate/http-client';
import { SharedVendorState } from '../apps/gateway/src/connections/vendor-accounts.js';
import { DEVICE_FIELDS, ListingEngine, RedisResumeStore, parseListArgs } from '@devicegate/listing';
import { startRedis } from './support/redis-server.js';
import { describeWith } from './support/tools.js';

/*
 * The state instances share through Redis, each piece against a real redis-server: two "instances" are
 * two objects on their own ioredis clients, as two processes would hold them.
 */
describeWith('redis-server')('state shared through Redis', () => {
  let server: { url: string; stop: () => Promise<void> };
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 2 });
    clients.push(redis);
    return redis;
  };
  const who = { connectionId: 'dt', provider: 'disruptive' };
  /** Polls until `check` holds; the limit is generous, only a check that never holds reaches it. */
  const eventually = async (check: () => boolean | Promise<boolean>, what: string) => {
    for (let i = 0; i < 1000; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
    await server?.stop();
  });

  describe('vendor budget', () => {
    it('two instances never let the vendor see more than the limit in any window, whatever the latency of each call', async () => {
      const limit = { requests: 5, windowMs: 400 };
      const random = new SeededRandom(11);
      const instances = [0, 1].map(() => new VendorBudget(limit, who, {}, new RedisBudgetWindow(client(), 'two-instances', limit, { maxCallMs: 1000 })));
      const calls: Array<{ left: number; answered: number }> = [];
      const call = async (budget: VendorBudget) => {
        const place = budget.acquire('k', 60_000);
        if (place !== true) await place;
        const left = performance.now();
        await new Promise((r) => setTimeout(r, random.int(0, 60)));
        calls.push({ left, answered: performance.now() });
        budget.release();
      };
      await Promise.all(Array.from({ length: 30 }, (_, i) => call(instances[i % 2])));
      expect(calls).toHaveLength(30);
      // The vendor counts a call somewhere between its departure and its answer: both ends stay within the limit
      // (1 ms less than the window for Redis's whole-millisecond clock).
      for (const end of ['left', 'answered'] as const) {
        const times = calls.map((c) => c[end]).sort((x, y) => x - y);
        for (const start of times) expect(times.filter((t) => t >= start && t < start + limit.windowMs - 1).length).toBeLessThanOrEqual(limit.requests);
      }
      // Both instances were served, not one starved.
      const span = Math.max(...calls.map((c) => c.answered)) - Math.min(...calls.map((c) => c.left));
      expect(span).toBeGreaterThanOrEqual(((30 / limit.requests) - 1) * limit.windowMs - 10);
    }, 60_000);

    it("a vendor's Retry-After on one instance holds the other back as well", async () => {
      const limit = { requests: 100, windowMs: 1000 };
      const redis = client();
      const a = new VendorBudget(limit, who, {}, new RedisBudgetWindow(redis, 'paused', limit, { maxCallMs: 1000 }));
      const b = new VendorBudget(limit, who, {}, new RedisBudgetWindow(client(), 'paused', limit, { maxCallMs: 1000 }));
      a.pause(1500);
      // A pauses in the background: B asks once the pause is in Redis, however long that took on a busy machine.
      await eventually(async () => (await redis.pttl('dg:budget:{paused}:pause')) > 0, 'the pause in Redis');
      // What is left of the pause is read after B starts waiting, so B must wait at least that long.
      const asked = performance.now();
      const left = await redis.pttl('dg:budget:{paused}:pause');
      const place = b.acquire('k', 5000);
      if (place !== true) await place;
      expect(left).toBeGreaterThan(0);
      expect(performance.now() - asked).toBeGreaterThanOrEqual(left - 2);
      b.release();
    });

    it('places an instance reserved and no caller used go back to the others', async () => {
      const limit = { requests: 3, windowMs: 60_000 };
      const redis = client();
      const a = new VendorBudget(limit, who, {}, new RedisBudgetWindow(redis, 'unused', limit, { maxCallMs: 1000 }));
      // Three callers who give up at once: their places were reserved, never used.
      const gone = new AbortController();
      const waits = Array.from({ length: 3 }, () => a.acquire('k', 5000, gone.signal));
      gone.abort(new Error('gone'));
      await Promise.all(waits.map((w) => (w === true ? undefined : w.catch(() => undefined))));
      await new Promise((r) => setTimeout(r, 300));
      const b = new VendorBudget(limit, who, {}, new RedisBudgetWindow(client(), 'unused', limit, { maxCallMs: 1000 }));
      for (let i = 0; i < 3; i++) {
        const place = b.acquire('k', 2000);
        if (place !== true) await place;
      }
      expect(await redis.zcard('dg:budget:{unused}:held')).toBe(3);
    });

    it("an instance that dies holding places gives them back after the call's longest time", async () => {
      const limit = { requests: 2, windowMs: 100 };
      const dead = new VendorBudget(limit, who, {}, new RedisBudgetWindow(client(), 'dies', limit, { maxCallMs: 200 }));
      for (let i = 0; i < 2; i++) {
        const place = dead.acquire('k', 2000);
        if (place !== true) await place;
      }
      // Never released: the process is gone. The reservations lapse after 200 ms + margin (5 s), not never.
      const other = new VendorBudget(limit, who, {}, new RedisBudgetWindow(client(), 'dies', limit, { maxCallMs: 200 }));
      const asked = performance.now();
      const place = other.acquire('k', 15_000);
      if (place !== true) await place;
      expect(performance.now() - asked).toBeGreaterThan(4000);
    }, 30_000);
  });

  describe('list resume cache', () => {
    type Item = { id: string; name: string };
    /** A vendor list read 3 items a call through a cursor, counting its calls. */
    class Source implements ListSource<Item> {
      calls = 0;
      readonly items = Array.from({ length: 20 }, (_, i) => ({ id: `c:${String(i).padStart(2, '0')}`, name: `n${i}` }));
      plan(query: ListQuery): ListPlan {
        return { order: query.order, exactTotal: false };
      }
      async fetchPage(_query: ListQuery, cursor: VendorCursor | null): Promise<VendorPage<Item>> {
        this.calls += 1;
        const start = cursor === null ? 0 : Number(cursor);
        return { items: this.items.slice(start, start + 3), next: start + 3 < this.items.length ? start + 3 : null };
      }
    }

    it('lets pages alternate between instances at the vendor cost of one, each item once', async () => {
      const source = new Source();
      const engines = [0, 1].map(() => new ListingEngine({ shared: new RedisResumeStore(client()) }));
      const ids: string[] = [];
      let after: string | undefined;
      for (let n = 0; ; n++) {
        const args = parseListArgs({ limit: '2', ...(after ? { after } : {}) }, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });
        const page = await engines[n % 2].list({ kind: 'devices', reach: '*', segments: [{ connectionId: 'c', provider: 'hardwario', source }], args, fields: DEVICE_FIELDS }, backgroundContext());
        ids.push(...page.items.map((i) => i.id));
        if (!page.hasMore) break;
        after = ids[ids.length - 1];
      }
      expect(ids).toEqual(source.items.map((i) => i.id));
      // 20 items, 3 a call: 7 calls, as one instance alone needs; rescanning on every other page would take dozens.
      expect(source.calls).toBe(7);
    });

    it('keeps an entry for its time to live only, and none larger than 1 MiB', async () => {
      const store = new RedisResumeStore(client());
      // Long enough to be read back on a busy machine; that it then goes is awaited, not timed.
      await store.set('short', { at: 1 }, 2000);
      expect(await store.get('short')).toEqual({ at: 1 });
      await store.set('huge', 'x'.repeat(1024 * 1024 + 1), 60_000);
      expect(await store.get('huge')).toBeUndefined();
      await eventually(async () => (await store.get('short')) === undefined, 'the entry to expire');
    });
  });

  describe('read cache and notices between instances', () => {
    let vendor: EmulatorServer;
    let probe: Redis;
    const states: SharedVendorState[] = [];
    beforeAll(async () => {
      probe = client();
      const router = new Router().get('/thing', () => ({ status: 200, body: { at: performance.now() } })).post('/thing', () => ({ status: 200, body: {} }));
      vendor = await startEmulatorServer({ name: 'redis-state-vendor', router, notFound: () => ({ status: 404, body: 'not found' }) });
    });
    afterAll(async () => {
      await Promise.all(states.map((s) => s.close()));
      await vendor?.close();
    });
    beforeEach(() => vendor.resetStats());

    /** One "instance": its own Redis client, shared state and HTTP client of connection `conn`. */
    const instance = (conn: string, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) => {
      const state = new SharedVendorState(client());
      states.push(state);
      const http = new HttpClient({
        baseUrl: vendor.url,
        timeoutMs: 2000,
        retries: 0,
        connectionId: conn,
        provider: 'test',
        cache: { ttlMs: 60_000, store: state.readCache },
        circuit: { failureThreshold: 1, openMs: 60_000, onChange: state.circuitChanged(conn) },
        ...extra,
      });
      state.listen((id) => (id === conn ? http : undefined), [conn]);
      return http;
    };
    const read = (http: HttpClient) => http.request({ method: 'GET', path: '/thing' }, backgroundContext());
    /** Every instance made so far follows the notices (its subscription is made in the background). */
    const listening = () => eventually(async () => ((await probe.pubsub('NUMSUB', 'dg:circuit:changed')) as [string, number])[1] >= states.length, 'the subscriptions');

    it('answers a read kept by one instance on the other, and a write on either forgets it everywhere', async () => {
      const a = instance('cache-1');
      const b = instance('cache-1');
      const first = await read(a);
      // A keeps the read in the background: B reads once it is in Redis.
      await eventually(async () => (await probe.keys('dg:cache:{cache-1}:*:*')).length > 0, 'the read in Redis');
      const again = await read(b);
      expect(again.json()).toEqual(first.json());
      expect(vendor.requestCount()).toBe(1);
      await b.request({ method: 'POST', path: '/thing', json: {} }, backgroundContext());
      const fresh = await read(a);
      expect(fresh.json()).not.toEqual(first.json());
      expect(vendor.requestCount()).toBe(3);
    });

    it('keeps no read that started before an invalidation on another instance', async () => {
      const store: ReadCacheStore = new RedisReadCache(client(), 'one');
      const other: ReadCacheStore = new RedisReadCache(client(), 'two');
      const { generation } = await store.get('cache-2', 'k');
      await other.invalidate('cache-2');
      const kept = { response: await read(instance('cache-2-reader')), storedAt: Date.now() };
      await store.set('cache-2', 'k', kept, generation, 60_000);
      expect((await other.get('cache-2', 'k')).read).toBeUndefined();
      const now = await other.get('cache-2', 'k');
      await store.set('cache-2', 'k', kept, now.generation, 60_000);
      expect((await other.get('cache-2', 'k')).read?.response.json()).toEqual(kept.response.json());
    });

    it('keeps a read for its TTL only, and none whose body is over the bound', async () => {
      const store = new RedisReadCache(client(), 'one', 10);
      const response = await read(instance('cache-3-reader'));
      const { generation } = await store.get('cache-3', 'k');
      await store.set('cache-3', 'small', { response: { ...response, body: Buffer.from('{}') }, storedAt: Date.now() }, generation, 2000);
      await store.set('cache-3', 'big', { response: { ...response, body: Buffer.from('{"x":"0123456789"}') }, storedAt: Date.now() }, generation, 60_000);
      expect((await store.get('cache-3', 'small')).read?.response.text()).toBe('{}');
      expect((await store.get('cache-3', 'big')).read).toBeUndefined();
      await eventually(async () => (await store.get('cache-3', 'small')).read === undefined, 'the read to expire');
    });

    it('opens the circuit of the other instance when one finds the vendor failing', async () => {
      const a = instance('circuit-1', { cache: undefined });
      const b = instance('circuit-1', { cache: undefined });
      await listening();
      vendor.injectFault({ fault: { kind: 'status', status: 503 } });
      expect((await read(a)).status).toBe(503);
      await eventually(() => b.circuitSnapshot().state === 'open', "B's circuit to open");
      await expect(read(b)).rejects.toMatchObject({ type: 'upstream_unavailable' });
      expect(vendor.requestCount()).toBe(1);
      expect(b.circuitSnapshot().retry_at).not.toBeNull();
    });

    it('holds calls back on an instance that starts while another holds the circuit open', async () => {
      const a = instance('circuit-2', { cache: undefined });
      vendor.injectFault({ fault: { kind: 'status', status: 503 } });
      expect((await read(a)).status).toBe(503);
      await eventually(async () => (await probe.pttl('dg:circuit:{circuit-2}')) > 0, 'the open circuit in Redis');
      // B starts after the notice went out: it learns the circuit from Redis, not from the notice.
      const b = instance('circuit-2', { cache: undefined });
      await eventually(() => b.circuitSnapshot().state === 'open', "the new instance's circuit to open");
      await expect(read(b)).rejects.toMatchObject({ type: 'upstream_unavailable' });
      expect(vendor.requestCount()).toBe(1);
      // Its probe falls due when A's does, not a whole open period after B started.
      expect(Date.parse(b.circuitSnapshot().retry_at!)).toBeLessThanOrEqual(Date.parse(a.circuitSnapshot().retry_at!) + 1000);
    });
  });
});
