import { backgroundContext, type ConnectionConfig, type ListQuery, type Message, type ProviderConnection, type PullSession, type RateLimit } from '@devicegate/core';
import { startBlynkEmulator, type BlynkEmulator } from '@devicegate/emulators/blynk';
import { HttpClient } from '@devicegate/http-client';
import { blynkProvider, type BlynkSampleBody, type BlynkSettings } from '@devicegate/providers/blynk';

/**
 * Push mode `pull` for Blynk: the sampler reads each device's current datastream values every interval and
 * delivers only what changed, within its share of the connection's budget, and keeps what it saw across a
 * failed holding. Rounds are awaited through `seen` (one per round), never by the clock.
 */

const clients: HttpClient[] = [];
let emu: BlynkEmulator;

function connect(id: string, rateLimit: RateLimit, maxBudgetWaitMs = 5000): ProviderConnection {
  const config: ConnectionConfig<BlynkSettings> = {
    id,
    provider: 'blynk',
    display_name: id,
    base_url: emu.baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: rateLimit,
    circuit: { failure_threshold: 50, open_seconds: 30 },
    settings: { org_id: String(emu.orgId), include_sub_orgs: true, sample_interval_seconds: 1 },
    credentials: { client_id: emu.credentials.clientId, client_secret: emu.credentials.clientSecret },
  };
  const http = new HttpClient({ baseUrl: emu.baseUrl, timeoutMs: 5000, retries: 0, connectionId: id, provider: 'blynk', budget: rateLimit, maxBudgetWaitMs });
  clients.push(http);
  return blynkProvider.create(config, { http });
}

/** One holding of the sampler: what it delivered, round by round, until `stop`. */
function hold(connection: ProviderConnection) {
  const controller = new AbortController();
  const rounds: BlynkSampleBody[][] = [[]];
  const waiters: Array<() => void> = [];
  const session: PullSession = {
    signal: controller.signal,
    opened: () => undefined,
    deliver: (body) => rounds[rounds.length - 1].push(body as BlynkSampleBody),
    seen: () => {
      rounds.push([]);
      waiters.splice(0).forEach((wake) => wake());
    },
  };
  const ctx = { ...backgroundContext('sampler-test'), signal: controller.signal, noCache: true };
  const holding = connection.pull!.hold(session, ctx);
  holding.catch(() => undefined);
  return {
    rounds,
    holding,
    /** Resolves once `count` more rounds have ended. */
    more: async (count: number) => {
      const target = rounds.length + count;
      while (rounds.length < target) await Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), holding.then(() => undefined)]);
    },
    stop: async () => {
      controller.abort();
      await holding.catch(() => undefined);
    },
  };
}

const parse = (connectionId: string, bodies: readonly BlynkSampleBody[]): Message[] => bodies.flatMap((body) => blynkProvider.push!.parse(body, connectionId, Date.now()));
const numericOrText = (value: unknown) => typeof value === 'number' || typeof value === 'string';
const ctx = () => backgroundContext('sampler-caller');

beforeAll(async () => {
  emu = await startBlynkEmulator({ rateLimitPerMinute: false });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await emu.close();
});

it('delivers every current value on the first sample, then only the values a device wrote since', async () => {
  const connection = connect('bl-changes', blynkProvider.defaultRateLimit);
  const sampler = hold(connection);
  try {
    await sampler.more(1);
    const first = parse('bl-changes', sampler.rounds[0]);
    const expected = emu.deviceIds().flatMap((id) => emu.device(id)!.dataStreamValues.filter((v) => v.updatedAt !== undefined && numericOrText(v.value)).map((v) => `bl-changes:ds-${id}-${v.pin}-${v.updatedAt}`));
    expect(first.map((m) => m.id).sort()).toEqual(expected.sort());
    // A round in which nothing was written delivers nothing.
    await sampler.more(1);
    expect(sampler.rounds[1]).toEqual([]);

    await connection.sendCommand!('1001', { id: 'write-1', name: 'set_datastream', params: { datastream_id: 1, value: 30.5 } }, ctx());
    const written = emu.device(1001)!.dataStreamValues.find((v) => v.dataStreamId === 1)!;
    const from = sampler.rounds.length;
    await sampler.more(2);
    const changed = parse('bl-changes', sampler.rounds.slice(from - 1).flat());
    expect(changed).toEqual([
      expect.objectContaining({
        id: `bl-changes:ds-1001-v0-${written.updatedAt}`,
        device_id: 'bl-changes:1001',
        type: 'data',
        native_type: 'datastream',
        created_at: new Date(written.updatedAt!).toISOString(),
        data: { datastream_id: 1, pin: 'v0', label: 'Temperature', value: 30.5, units: 'Cel' },
        readings: [expect.objectContaining({ name: 'temperature', native_name: 'v0', value: 30.5, unit: 'Cel', at: new Date(written.updatedAt!).toISOString(), message_id: `bl-changes:ds-1001-v0-${written.updatedAt}` })],
      }),
    ]);
  } finally {
    await sampler.stop();
  }
}, 60_000);

it('reads no more devices per interval than its share of the budget allows, in turn, every call counted against the budget', async () => {
  // 60 a minute, a tenth of it for sampling every second: one device read per round (plus the device list).
  const limit = { requests: 60, windowMs: 60_000 };
  const connection = connect('bl-share', limit, 0);
  const start = emu.requests().length;
  const sampler = hold(connection);
  let spent: number;
  try {
    await sampler.more(4);
  } finally {
    await sampler.stop();
    spent = emu.requests().length - start;
  }
  const calls = emu.requests().slice(start);
  const deviceReads = calls.filter((r) => r.path === '/api/v1/organization/device').map((r) => new URLSearchParams(r.query).get('deviceId'));
  const lists = calls.filter((r) => r.path === '/api/v1/organization/devices').length;
  // Each round lists the devices once and reads one device, the next in turn.
  expect(deviceReads.length).toBeLessThanOrEqual(lists);
  expect(deviceReads.length).toBeGreaterThanOrEqual(4);
  expect(deviceReads.slice(0, 4)).toEqual(emu.deviceIds().slice(0, 4).map(String));
  // Every call the sampler made (token and template reads included) came out of the connection's budget: a caller gets the rest.
  const page: ListQuery = { filters: [], order: 'ASC', pageSize: 2, includeTotal: false };
  let served = 0;
  for (;;) {
    try {
      await connection.devices.fetchPage(page, null, ctx());
      served += 1;
    } catch (error) {
      expect(error).toMatchObject({ type: 'upstream_rate_limited' });
      break;
    }
  }
  expect(served).toBe(limit.requests - spent);
}, 60_000);

it('ends a holding on a 429 and the next holding resumes from what was seen: nothing repeated, nothing lost', async () => {
  const connection = connect('bl-429', blynkProvider.defaultRateLimit);
  const first = hold(connection);
  await first.more(1);
  expect(first.rounds[0].length).toBeGreaterThan(0);
  emu.setRateLimit(0);
  try {
    await expect(first.holding).rejects.toMatchObject({ type: 'upstream_rate_limited' });
  } finally {
    emu.setRateLimit(false);
  }
  // A value written while nobody sampled: the next holding delivers it, and only it.
  await connection.sendCommand!('1002', { id: 'write-2', name: 'set_datastream', params: { datastream_id: 1, value: 19.25 } }, ctx());
  const written = emu.device(1002)!.dataStreamValues.find((v) => v.dataStreamId === 1)!;
  const second = hold(connection);
  try {
    await second.more(1);
    expect(parse('bl-429', second.rounds[0]).map((m) => m.id)).toEqual([`bl-429:ds-1002-v0-${written.updatedAt}`]);
  } finally {
    await second.stop();
  }
}, 60_000);

it('turns away a body that is not a sample, and proves no push (Blynk sends none)', () => {
  expect(() => blynkProvider.push!.parse({ foo: 1 }, 'bl', Date.now())).toThrow(expect.objectContaining({ type: 'validation_error' }));
  const push = { method: 'POST', headers: { authorization: 'Bearer anything' }, rawBody: Buffer.from('{}'), body: {} };
  expect(blynkProvider.push!.verify(push, { secret: 'anything', settings: {}, now: Date.now(), fetchJson: async () => ({}) })).toBe(false);
});
