import { closingWith, composeRouter, livePayload, Router, runningClock, SeededRandom, startEmulatorServer, startLive, Webhook, type EmulatorServer, type LiveTurn } from './index.js';

describe('emulator kit', () => {
  let server: EmulatorServer;

  beforeAll(async () => {
    const router = new Router()
      .get('/items/:id', (req) => ({ status: 200, body: { id: req.params.id, q: req.query.get('q') } }))
      .post('/items', (req) => ({ status: req.bodyInvalid ? 400 : 201, body: { got: req.body ?? null } }));
    server = await startEmulatorServer({ name: 'test', router, notFound: () => ({ status: 404, body: 'not found' }) });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.resetStats();
    server.clearFaults();
  });

  it('routes with path parameters, query and JSON bodies, and counts requests', async () => {
    const a = await fetch(`${server.url}/items/a%20b?q=1`);
    expect(await a.json()).toEqual({ id: 'a b', q: '1' });
    const b = await fetch(`${server.url}/items`, { method: 'POST', body: '{"x":1}' });
    expect(b.status).toBe(201);
    expect(await b.json()).toEqual({ got: { x: 1 } });
    const c = await fetch(`${server.url}/nope`);
    expect(c.status).toBe(404);
    expect(await c.text()).toBe('not found');
    expect(server.requestCount()).toBe(3);
    expect(server.requests().map((r) => r.status)).toEqual([200, 201, 404]);
  });

  it('answers an injected fault once, then normally again', async () => {
    server.injectFault({ fault: { kind: 'status', status: 503, body: { error: 'down' } }, path: '^/items/' });
    expect((await fetch(`${server.url}/items/1`)).status).toBe(503);
    expect((await fetch(`${server.url}/items/1`)).status).toBe(200);
  });

  it('gives a fault to the next request to arrive, not to one still in its latency from before', async () => {
    server.setLatency(300);
    try {
      const earlier = fetch(`${server.url}/items/1`);
      while (server.requestCount() < 1) await new Promise((r) => setTimeout(r, 5));
      server.injectFault({ fault: { kind: 'status', status: 503 } });
      const next = fetch(`${server.url}/items/2`);
      expect([(await earlier).status, (await next).status]).toEqual([200, 503]);
    } finally {
      server.setLatency(0);
    }
  });

  it('takes faults over its control path too', async () => {
    const set = await fetch(`${server.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ fault: { kind: 'malformed-json' } }) });
    expect(set.status).toBe(201);
    const res = await fetch(`${server.url}/items/1`);
    await expect(res.json()).rejects.toThrow();
    expect(server.requestCount()).toBe(1);
  });

  it('draws the same values from the same seed', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    expect([a.int(0, 1000), a.uuid4(), a.uuid7(1713352107917)]).toEqual([b.int(0, 1000), b.uuid4(), b.uuid7(1713352107917)]);
    expect(new SeededRandom(1).uuid7(1713352107917)).toMatch(/^018eebbe-678d-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('livePayload', () => {
  const seeded = {
    message: { timestamp: 1_700_000_000 },
    thermometer: { temperature: 21.5 },
    hygro: { temperature: { measurements: [{ timestamp: 1_699_999_400, avg: 20 }] } },
    system: { voltage_rest: 3.6 },
    battery_level: 90,
    counter: 7,
    label: 'x',
  };

  it('drifts temperatures a few tenths, drains batteries each turn, keeps the rest and moves timestamps', () => {
    const turns = [1, 2, 10, 40].map((turn) => livePayload(seeded, turn, 600));
    for (const live of turns) {
      expect(Math.abs(live.thermometer.temperature - 21.5)).toBeLessThanOrEqual(0.4);
      expect(Math.abs(live.hygro.temperature.measurements[0].avg - 20)).toBeLessThanOrEqual(0.4);
      expect(live).toMatchObject({ message: { timestamp: 1_700_000_600 }, counter: 7, label: 'x' });
      expect(live.hygro.temperature.measurements[0].timestamp).toBe(1_700_000_000);
    }
    expect(turns[0].thermometer.temperature).not.toBe(21.5);
    expect(new Set(turns.map((t) => t.thermometer.temperature)).size).toBe(4);
    const voltages = turns.map((t) => t.system.voltage_rest);
    expect(voltages).toEqual([...voltages].sort((a, b) => b - a));
    expect(voltages[0]).toBeLessThan(3.6);
    expect(turns[3].battery_level).toBeLessThan(turns[0].battery_level);
    expect(livePayload(seeded, 100_000).system.voltage_rest).toBeCloseTo(3.6 * 0.8, 3);
    expect(seeded.thermometer.temperature).toBe(21.5);
  });
});


describe('shared emulator plumbing', () => {
  it('lets devices take turns, seeding each once and skipping those without a seed', async () => {
    const seeded: string[] = [];
    const turns: Array<[string, number, LiveTurn]> = [];
    await new Promise<void>((resolve) => {
      const ticker = startLive(
        1,
        () => ['a', 'b', 'c'],
        (device) => {
          seeded.push(device);
          return device === 'b' ? undefined : device.charCodeAt(0);
        },
        (device, seed, turn) => {
          turns.push([device, seed, turn]);
          if (turns.length === 4) {
            ticker?.close();
            resolve();
          }
        },
      );
    });
    expect(seeded).toEqual(['a', 'b', 'c']);
    expect(turns.map(([device, seed, { index, round }]) => [device, seed, index, round])).toEqual([
      ['a', 97, 0, 1],
      ['c', 99, 2, 1],
      ['a', 97, 0, 2],
      ['c', 99, 2, 2],
    ]);
    expect(turns[2][2].phase).toBeCloseTo(1 / 6);
    expect(startLive(undefined, () => ['a'], () => 1, () => undefined)).toBeUndefined();
    expect(startLive(5, () => [], () => 1, () => undefined)).toBeUndefined();
  });

  it('posts webhook JSON with the target headers only while a target is set, and closes the server last', async () => {
    const receiver = await startEmulatorServer({ name: 'receiver', router: new Router().post('/hook', () => ({ status: 204 })), notFound: () => ({ status: 404 }) });
    const webhook = new Webhook({ retryDelaysMs: [] });
    webhook.post({ lost: true });
    webhook.set({ url: `${receiver.url}/hook`, headers: { authorization: 'Bearer s' } });
    expect(webhook.active).toBe(true);
    webhook.post({ n: 1 });
    const { setPushTarget, pushesSettled } = webhook.controls();
    await pushesSettled();
    setPushTarget(null);
    webhook.post({ n: 2 });
    await pushesSettled();
    const sent = receiver.requests();
    expect(sent.map((r) => [r.body, r.headers.authorization, r.headers['content-type']])).toEqual([['{"n":1}', 'Bearer s', 'application/json']]);
    const order: string[] = [];
    const closing = closingWith({ ...receiver, close: async () => { await receiver.close(); order.push('server'); } }, { close: () => order.push('ticker') }, undefined);
    await closing.close();
    expect(order).toEqual(['ticker', 'server']);
  });

  it('composes resource route groups in order, so the first matching group answers', () => {
    const router = composeRouter(
      'ctx',
      (r, ctx) => r.get('/things/special', () => ({ status: 200, body: `special ${ctx}` })),
      (r) => r.get('/things/:id', () => ({ status: 200 })),
    );
    // Matched by the first group: the second would have taken `special` as an id.
    expect(router.match('GET', '/things/special').params).toEqual({});
    expect(router.match('GET', '/things/7').params).toEqual({ id: '7' });
  });

  it('runs the emulator clock on from its anchor', () => {
    const clock = runningClock(1_000);
    expect(clock()).toBeGreaterThanOrEqual(1_000);
    expect(clock()).toBeLessThan(Date.now());
  });
});
