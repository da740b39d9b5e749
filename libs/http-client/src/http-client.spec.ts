import { backgroundContext } from '@devicegate/core';
import { Router, startEmulatorServer, type EmulatorServer } from '@devicegate/emulators/kit';
import { HttpClient, splitTarget, type VendorCallEvent } from './http-client.js';
import { MemoryReadCache } from './read-cache.js';

describe('HttpClient', () => {
  let server: EmulatorServer;
  const calls: VendorCallEvent[] = [];

  beforeAll(async () => {
    const router = new Router()
      .get('/ok', () => ({ status: 200, body: { ok: true } }))
      .post('/ok', () => ({ status: 201, body: { ok: true } }))
      .get('/nested', () => ({ status: 200, body: { device: { labels: { a: '1' }, tags: ['x', { y: 2 }] } } }))
      .get('/deep', () => ({ status: 200, body: `${'['.repeat(20_000)}${']'.repeat(20_000)}`, headers: { 'content-type': 'application/json' } }));
    server = await startEmulatorServer({ name: 'http-client-test', router, notFound: () => ({ status: 404, body: 'not found' }) });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.resetStats();
    server.clearFaults();
    calls.length = 0;
  });

  // A timeout no loopback answer comes near, even on a loaded machine; the timeout tests set their own.
  const client = (extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) =>
    new HttpClient({ baseUrl: server.url, timeoutMs: 10_000, retries: 2, backoffMs: 5, connectionId: 'c-1', provider: 'test', onCall: (e) => calls.push(e), ...extra });

  it('retries an idempotent call after a 503 and a reset, and sends the request id each time', async () => {
    server.injectFault({ fault: { kind: 'status', status: 503 } });
    server.injectFault({ fault: { kind: 'reset' } });
    const res = await client().request({ method: 'GET', path: '/ok' }, backgroundContext('req-42'));
    expect(res.status).toBe(200);
    expect(server.requestCount()).toBe(3);
    expect(server.requests().map((r) => r.headers['x-request-id'])).toEqual(['req-42', 'req-42', 'req-42']);
    expect(calls.map((c) => [c.attempt, c.status ?? c.error])).toEqual([
      [0, 503],
      [1, 'upstream_unavailable'],
      [2, 200],
    ]);
  });

  it('does not repeat a GET the vendor answers 501, and keeps calls that do not count out of the circuit', async () => {
    server.injectFault({ fault: { kind: 'status', status: 501 } });
    expect((await client().request({ method: 'GET', path: '/ok' }, backgroundContext())).status).toBe(501);
    expect(server.requestCount()).toBe(1);

    const fragile = client({ retries: 0, circuit: { failureThreshold: 2, openMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      server.injectFault({ fault: { kind: 'status', status: 503 } });
      expect((await fragile.request({ method: 'GET', path: '/ok', circuit: false, shared: false }, backgroundContext())).status).toBe(503);
    }
    expect(fragile.circuitSnapshot()).toMatchObject({ state: 'closed', consecutive_failures: 0 });
    for (let i = 0; i < 2; i++) {
      server.injectFault({ fault: { kind: 'status', status: 503 } });
      await fragile.request({ method: 'GET', path: '/ok' }, backgroundContext());
    }
    expect(fragile.circuitSnapshot().state).toBe('open');
  });

  it('never repeats a call that is not idempotent', async () => {
    server.injectFault({ fault: { kind: 'status', status: 503 } });
    const res = await client().request({ method: 'POST', path: '/ok', json: {} }, backgroundContext());
    expect(res.status).toBe(503);
    expect(server.requestCount()).toBe(1);
  });

  it('honours Retry-After, but not past the request deadline', async () => {
    server.injectFault({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    const started = Date.now();
    const waited = await client().request({ method: 'GET', path: '/ok' }, backgroundContext());
    expect(waited.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);

    server.injectFault({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '30' } } });
    const ctx = { ...backgroundContext(), deadline: Date.now() + 2000 };
    const gaveUp = await client().request({ method: 'GET', path: '/ok' }, ctx);
    expect(gaveUp.status).toBe(429);
    expect(server.requestCount()).toBe(3);
  });

  it("pauses the whole connection for a vendor 429's Retry-After, not just the call that got it", async () => {
    const paced = client({ retries: 0, budget: { requests: 100, windowMs: 1000 } });
    server.injectFault({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    expect((await paced.request({ method: 'GET', path: '/ok' }, backgroundContext())).status).toBe(429);
    const started = Date.now();
    const other = await paced.request({ method: 'POST', path: '/ok', json: {} }, backgroundContext());
    expect(other.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.requestCount()).toBe(2);
  });

  it('holds the connection back while rate-limit headers report the window spent, or until a 429 reset', async () => {
    // Nothing may wait for the budget: a held-back call is refused at once, with how long the pause lasts.
    const paced = client({ retries: 0, budget: { requests: 100, windowMs: 1000 }, maxBudgetWaitMs: 0 });
    const get = () => paced.request({ method: 'GET', path: '/ok' }, backgroundContext());
    server.injectFault({ fault: { kind: 'status', status: 200, body: { ok: true }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '30' } } });
    expect((await get()).status).toBe(200);
    await expect(get()).rejects.toMatchObject({ type: 'upstream_rate_limited', retryAfter: 30 });

    const after429 = client({ retries: 0, budget: { requests: 100, windowMs: 1000 }, maxBudgetWaitMs: 0 });
    server.injectFault({ fault: { kind: 'status', status: 429, headers: { ratelimit: 'limit=100, remaining=0, reset=20' } } });
    expect((await after429.request({ method: 'GET', path: '/ok' }, backgroundContext())).status).toBe(429);
    await expect(after429.request({ method: 'GET', path: '/ok' }, backgroundContext())).rejects.toMatchObject({ type: 'upstream_rate_limited', retryAfter: 20 });

    // Headers that leave calls in the window hold nothing back.
    const free = client({ retries: 0, budget: { requests: 100, windowMs: 1000 }, maxBudgetWaitMs: 0 });
    server.injectFault({ fault: { kind: 'status', status: 200, body: { ok: true }, headers: { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '30' } } });
    expect((await free.request({ method: 'GET', path: '/ok' }, backgroundContext())).status).toBe(200);
    expect((await free.request({ method: 'GET', path: '/ok' }, backgroundContext())).status).toBe(200);
    expect(server.requestCount()).toBe(4);
  });

  it('stops retrying once the caller has gone', async () => {
    server.injectFault({ fault: { kind: 'status', status: 503 }, times: 10 });
    const controller = new AbortController();
    const ctx = { ...backgroundContext(), signal: controller.signal };
    const call = client({ retries: 5, backoffMs: 200 }).request({ method: 'GET', path: '/ok' }, ctx);
    while (server.requestCount() === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('caller gone'));
    await expect(call).rejects.toThrow('caller gone');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.requestCount()).toBe(1);
  });

  it('makes identical reads in flight one vendor call, cancelled only when every caller has gone', async () => {
    server.setLatency(200);
    try {
      const shared = client();
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => shared.request({ method: 'GET', path: '/ok', query: { a: 1 } }, backgroundContext(`r-${i}`))));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(server.requestCount()).toBe(1);
      expect(server.requests()[0].headers['x-request-id']).toBe('r-0');

      server.resetStats();
      const first = new AbortController();
      const second = new AbortController();
      const a = shared.request({ method: 'GET', path: '/ok' }, { ...backgroundContext(), signal: first.signal });
      const b = shared.request({ method: 'GET', path: '/ok' }, { ...backgroundContext(), signal: second.signal });
      first.abort(new Error('first gone'));
      await expect(a).rejects.toThrow('first gone');
      expect((await b).status).toBe(200);

      const c = shared.request({ method: 'GET', path: '/ok' }, { ...backgroundContext(), signal: first.signal });
      await expect(c).rejects.toThrow('first gone');
      const d = new AbortController();
      const e = shared.request({ method: 'GET', path: '/ok', query: { b: 1 } }, { ...backgroundContext(), signal: d.signal });
      while (server.requestCount() < 2) await new Promise((r) => setTimeout(r, 5));
      d.abort(new Error('d gone'));
      await expect(e).rejects.toThrow('d gone');
      expect(calls.at(-1)).toMatchObject({ error: 'upstream_timeout' });
    } finally {
      server.setLatency(0);
    }
  });

  it('parses an answer once: the callers of a shared read get one deep-frozen value, a cache hit its own', async () => {
    type Nested = { device: { labels: Record<string, string>; tags: Array<string | { y: number }> } };
    server.setLatency(100);
    try {
      const shared = client();
      const [a, b] = await Promise.all([0, 1].map((i) => shared.request({ method: 'GET', path: '/nested' }, backgroundContext(`r-${i}`))));
      expect(server.requestCount()).toBe(1);
      const value = a.json<Nested>();
      expect(b.json<Nested>()).toBe(value);
      expect(value).toEqual({ device: { labels: { a: '1' }, tags: ['x', { y: 2 }] } });
      // Nothing in it can change, at any depth: a provider that tried would fail here, not under load only.
      for (const part of [value, value.device, value.device.labels, value.device.tags, value.device.tags[1]]) expect(Object.isFrozen(part)).toBe(true);
      expect(() => (value.device.tags as unknown[]).push('z')).toThrow(TypeError);
      expect(() => {
        value.device.labels.a = '2';
      }).toThrow(TypeError);
    } finally {
      server.setLatency(0);
    }

    // The cache keeps the answer, not a parse of it: each hit parses for its own callers, so no parsed body
    // outlives its request in a cache that counts body bytes only.
    server.resetStats();
    const store = new MemoryReadCache();
    const kept: unknown[] = [];
    const set = store.set.bind(store);
    store.set = (...args) => {
      kept.push(args[2].response);
      set(...args);
    };
    const cached = client({ cache: { ttlMs: 60_000, store } });
    const miss = await cached.request({ method: 'GET', path: '/nested' }, backgroundContext());
    miss.json();
    const hit = await cached.request({ method: 'GET', path: '/nested' }, backgroundContext());
    const again = await cached.request({ method: 'GET', path: '/nested' }, backgroundContext());
    expect(server.requestCount()).toBe(1);
    expect(kept).toHaveLength(1);
    expect(kept[0]).not.toBe(miss);
    const parses = [miss, hit, again].map((r) => r.json<Nested>());
    expect(parses[1]).toEqual(parses[0]);
    expect(new Set(parses).size).toBe(3);

    // However deep the vendor nests its answer, reading it never overflows the stack.
    let deepest = (await cached.request({ method: 'GET', path: '/deep' }, backgroundContext())).json<unknown[]>();
    let depth = 1;
    let unfrozen = 0;
    for (; deepest.length > 0; depth++) {
      if (!Object.isFrozen(deepest)) unfrozen += 1;
      deepest = deepest[0] as unknown[];
    }
    expect(depth).toBe(20_000);
    expect(unfrozen).toBe(0);
  });

  it('times out a hanging vendor and a body that trickles past the timeout', async () => {
    server.injectFault({ fault: { kind: 'hang' } });
    await expect(client({ retries: 0, timeoutMs: 300 }).request({ method: 'GET', path: '/ok' }, backgroundContext())).rejects.toMatchObject({ type: 'upstream_timeout', connectionId: 'c-1' });
    server.injectFault({ fault: { kind: 'trickle', chunkDelayMs: 500, chunks: 5 } });
    await expect(client({ retries: 0, timeoutMs: 300 }).request({ method: 'GET', path: '/ok' }, backgroundContext())).rejects.toMatchObject({ type: 'upstream_timeout' });
  });

  it('refuses an answer larger than the limit', async () => {
    server.injectFault({ fault: { kind: 'huge', bytes: 3 * 1024 * 1024 } });
    // Streamed (no Content-Length): refused by counting, well within a timeout no machine comes near.
    await expect(client({ retries: 0, maxResponseBytes: 1024 * 1024, timeoutMs: 60_000 }).request({ method: 'GET', path: '/ok' }, backgroundContext())).rejects.toMatchObject({
      type: 'upstream_error',
    });
  });
});

describe('vendor error messages', () => {
  it('cut out every form of a connection secret the vendor echoes', async () => {
    const { redactSecrets, sanitizeVendorMessage } = await import('./upstream-errors.js');
    const secret = 'client:s3cr3t/value';
    const echoed = `bad ${secret} ${encodeURIComponent(secret)} ${Buffer.from(secret).toString('base64')} Bearer eyJa.b.c`;
    expect(redactSecrets(echoed, [secret])).toBe('bad [redacted] [redacted] [redacted] Bearer eyJa.b.c');
    expect(sanitizeVendorMessage(echoed, [secret])).toBe('bad [redacted] [redacted] [redacted] [redacted]');
  });
});

describe('splitTarget', () => {
  const parsed = (url: string) => {
    const { origin, pathname, search } = new URL(url);
    return { origin, path: `${pathname}${search}` };
  };

  it('splits every URL exactly as the URL parser does', () => {
    const origins = ['http://127.0.0.1:4010', 'https://api.example.com'];
    const tricky = ['/a?', '/a?#x', '/a/%2e%2E/b', '/a/.%2e/b', '/a/..?x', '/./a', '/a/.', "/a?q='x", "/a'b", '/a b', '/a"b', '/a<b>', '/a%zz', '/a//b', '/a;b=c@d:e', '/a?x=/../y', '/%7e~', '/a\\b', '/é', '/a?x=é', '/a{b}|c^`d', '/.well-known/x', '/a.b/c..d'];
    // And many random targets over an alphabet of every character class the parser treats differently.
    const alphabet = ['a', 'Z', '0', '-', '_', '.', '..', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', ':', '@', '/', '?', '%', '%2e', '%2F', '#', ' ', '"', '<', '>', '\\', '^', '`', '{', '|', '}', 'é', '\t'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const random = Array.from({ length: 5000 }, () => `/${Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('')}`);
    for (const origin of origins) {
      for (const path of [...tricky, ...random]) expect([path, splitTarget(`${origin}${path}`, origin)]).toEqual([path, parsed(`${origin}${path}`)]);
      // URLs on another origin (token endpoints), and origins written differently from their normal form.
      for (const url of ['https://login.example.com/oauth/token?x=1', `${origin.replace(/:\d+$/, '')}:${origin.startsWith('https') ? 443 : 80}/a`, 'HTTP://API.EXAMPLE.COM/a']) expect(splitTarget(url, origin)).toEqual(parsed(url));
    }
  });

  it('splits the plain targets devicegate builds itself by hand', () => {
    // The same answer whichever way, so this checks the fast path is taken where it should be.
    const noParse = (url: string) => {
      const original = globalThis.URL;
      globalThis.URL = class extends original {
        constructor(...args: ConstructorParameters<typeof URL>) {
          super(...args);
          throw new Error(`parsed ${String(args[0])}`);
        }
      } as typeof URL;
      try {
        return splitTarget(url, 'http://127.0.0.1:4010');
      } finally {
        globalThis.URL = original;
      }
    };
    expect(noParse('http://127.0.0.1:4010/v2/spaces/s-1/devices/d.1?limit=50&offset=a%20b')).toEqual({ origin: 'http://127.0.0.1:4010', path: '/v2/spaces/s-1/devices/d.1?limit=50&offset=a%20b' });
    expect(() => noParse('http://127.0.0.1:4010/v2/../x')).toThrow('parsed');
  });
});
