import { Redis } from 'ioredis';
import { startGatewayPair, type GatewayPair, type PairInstance } from './support/gateway-pair.js';
import { describeWith } from './support/tools.js';
import { START_LIMIT_MS } from './support/start-limit.js';

/** Vendor calls and vendor 429 answers, as the emulator counted them. */
async function vendorStats(baseUrl: string): Promise<{ requests: number; rate_limited: number }> {
  return (await (await fetch(`${baseUrl}/_emulator/stats`)).json()) as { requests: number; rate_limited: number };
}

/** Two instances on one Redis spend one vendor budget and resume each other's list pages. */
describeWith('redis-server')('two instances, one vendor account', () => {
  let pair: GatewayPair;
  const get = (instance: PairInstance, path: string) => fetch(`${instance.url}${path}`, { headers: pair.headers });

  beforeAll(async () => {
    pair = await startGatewayPair({
      providers: ['disruptive', 'hardwario'],
      emulators: { deviceCount: 60 },
      // The list test counts what the resume cache saves, so the read cache stays out of it.
      connection: (e) => (e.provider === 'hardwario' ? { cache: { ttl_seconds: 0 } } : {}),
    });
  }, START_LIMIT_MS + 60_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('make the vendor answer 429 zero times under a burst: 60 different-device reads on one DT account, half through each', async () => {
    const dt = pair.emulator('disruptive');
    const stats = () => vendorStats(dt.url);
    const devices = dt.deviceIds().slice(0, 60);
    expect(devices).toHaveLength(60);
    await fetch(`${dt.url}/_emulator/stats`, { method: 'DELETE' });
    const answers = await Promise.all(
      devices.map(async (id, i) => {
        const res = await get(i % 2 === 0 ? pair.a : pair.b, `/v1/devices/${pair.connectionId('disruptive')}:${id}`);
        return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 0), body: (await res.json()) as { type?: string } };
      }),
    );
    const { requests, rate_limited } = await stats();
    expect(rate_limited).toBe(0);
    // DT allows 25 calls in any 5 s: the callers past what a 5 s wait allows get devicegate's own 429, not the vendor's.
    const refused = answers.filter((a) => a.status !== 200);
    for (const answer of refused) expect(answer).toMatchObject({ status: 429, body: { type: 'upstream_rate_limited' } });
    const ok = answers.length - refused.length;
    // How many fit depends on how fast the vendor answers (a place is held until a window after its answer), so
    // only that some went out.
    expect(ok).toBeGreaterThan(0);
    expect(requests).toBeGreaterThanOrEqual(ok);
    // No place is lost: once the refusals' Retry-After has passed, each instance gets a place again.
    const wait = Math.max(0, ...refused.map((a) => a.retryAfter));
    expect(refused.every((a) => a.retryAfter > 0)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    for (const instance of [pair.a, pair.b]) {
      const res = await get(instance, `/v1/devices/${pair.connectionId('disruptive')}:${devices[0]}`);
      expect(res.status).toBe(200);
    }
    expect((await stats()).rate_limited).toBe(0);
  }, START_LIMIT_MS + 60_000);

  it('alternating list pages between the instances cost at most 1.1 × the vendor calls of one, and visit every item once', async () => {
    const hw = pair.emulator('hardwario');
    const connection = pair.connectionId('hardwario');
    const listCalls = () => hw.requests().filter((r) => r.method === 'GET' && /\/devices$/.test(r.path)).length;
    const redis = new Redis(pair.redisUrl);
    const page = async (alternate: boolean) => {
      // Each walk starts with nothing remembered, as a fresh deployment would.
      const remembered = await redis.keys('dg:list:*');
      if (remembered.length > 0) await redis.del(...remembered);
      hw.resetStats();
      const ids: string[] = [];
      let after: string | undefined;
      for (let n = 0; n < 200; n++) {
        const instance = alternate && n % 2 === 1 ? pair.b : pair.a;
        const res = await get(instance, `/v1/devices?connection_id=${connection}&limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { data: Array<{ id: string }>; has_more: boolean };
        ids.push(...body.data.map((d) => d.id));
        if (!body.has_more) return { ids, calls: listCalls() };
        after = ids[ids.length - 1];
      }
      throw new Error('paging did not end');
    };
    try {
      const one = await page(false);
      const two = await page(true);
      expect(one.ids).toHaveLength(60);
      expect(two.ids).toEqual(one.ids);
      expect(new Set(two.ids).size).toBe(60);
      expect(two.calls).toBeLessThanOrEqual(Math.floor(one.calls * 1.1));
    } finally {
      await redis.quit();
    }
  }, START_LIMIT_MS + 60_000);
});
