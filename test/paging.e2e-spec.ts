import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { pageThrough, sha256hex, startGateway, type ListPageBody, type RunningGateway } from './support/gateway-harness.js';

const AUTH = { Authorization: 'Bearer paging-key' };

async function gatewayFor(emulator: HardwarioEmulator, ids: string[]): Promise<RunningGateway> {
  return startGateway({
    server: { rate_limit: { per_second: 100000, burst: 100000 } },
    clients: [{ name: 'pager', key_sha256: sha256hex('paging-key'), scopes: ['read'] }],
    connections: ids.map((id) => ({ id, provider: 'hardwario', rate_limit: 100000, base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey } })),
  });
}

const getter = (gw: RunningGateway, path: string) => async (query: Record<string, string>) => {
  const res = await request(gw.url).get(path).query(query).set(AUTH);
  return { status: res.status, body: res.body as ListPageBody };
};

describe('paging exactness over HTTP (HARDWARIO emulator, two connections)', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    gw = await gatewayFor(emulator, ['hw-one', 'hw-two']);
  });
  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

  const deviceFilters: Array<Record<string, string>> = [{}, { tags: 'outdoor' }, { online: 'true', 'labels.site__neq': 'brno-hq' }, { name__nin: 'x,y' }];

  for (const filters of deviceFilters) {
    for (const order of ['ASC', 'DESC']) {
      it(`devices: every limit from 2 to 7 visits each item once, in one-page order (${order}, ${JSON.stringify(filters)})`, async () => {
        const get = getter(gw, '/v1/devices');
        const whole = await get({ ...filters, order, limit: '1000' });
        expect(whole.body.has_more).toBe(false);
        const reference = whole.body.data.map((d) => String(d.id));
        expect(reference.length).toBeGreaterThanOrEqual(Object.keys(filters).length === 0 ? 28 : 2);
        expect(new Set(reference).size).toBe(reference.length);
        for (let limit = 2; limit <= 7; limit++) {
          expect(await pageThrough(get, { ...filters, order, limit: String(limit) })).toEqual(reference);
        }
      });
    }
  }

  it('devices: filters give the same answer as filtering the whole list', async () => {
    const all = (await getter(gw, '/v1/devices')({ limit: '1000' })).body.data as Array<{ id: string; tags: string[]; online: boolean; labels: Record<string, string> }>;
    const outdoor = (await getter(gw, '/v1/devices')({ tags: 'outdoor', limit: '1000' })).body.data.map((d) => d.id);
    expect(outdoor).toEqual(all.filter((d) => d.tags.includes('outdoor')).map((d) => d.id));
    const onlineNotBrno = (await getter(gw, '/v1/devices')({ online: 'true', 'labels.site__neq': 'brno-hq', limit: '1000' })).body.data.map((d) => d.id);
    expect(onlineNotBrno).toEqual(all.filter((d) => d.online === true && d.labels.site !== 'brno-hq').map((d) => d.id));
    expect(onlineNotBrno.length).toBeGreaterThan(0);
    expect(onlineNotBrno.length).toBeLessThan(all.length);
  });

  const messageFilters = (now: number): Array<Record<string, string>> => [
    {},
    { type: 'data' },
    { created_at__gte: new Date(now - 3 * 86_400_000).toISOString(), type__nin: 'config' },
  ];

  for (const order of ['DESC', 'ASC']) {
    it(`messages: every limit from 2 to 7 visits each item once, in one-page order (${order}, with and without filters)`, async () => {
      const device = `hw-one:${emulator.demoDeviceIds()[0]}`;
      const get = getter(gw, `/v1/devices/${device}/messages`);
      for (const filters of messageFilters(emulator.now())) {
        const whole = await get({ ...filters, order, limit: '1000' });
        expect(whole.status).toBe(200);
        const reference = whole.body.data.map((m) => String(m.id));
        expect(reference.length).toBeGreaterThan(20);
        const times = whole.body.data.map((m) => Date.parse(String(m.created_at)));
        const sorted = [...times].sort((a, b) => (order === 'ASC' ? a - b : b - a));
        expect(times).toEqual(sorted);
        for (let limit = 2; limit <= 7; limit++) {
          expect(await pageThrough(get, { ...filters, order, limit: String(limit) })).toEqual(reference);
        }
      }
    });
  }

  const readingFilters = (now: number): Array<Record<string, string>> => [
    { at__gte: new Date(now - 2 * 86_400_000).toISOString() },
    { name: 'temperature', at__gte: new Date(now - 3 * 86_400_000).toISOString() },
    { name__in: 'humidity,battery_voltage', native_name__neq: 'x', at__lte: new Date(now - 86_400_000).toISOString(), at__gte: new Date(now - 2 * 86_400_000).toISOString() },
  ];

  for (const order of ['DESC', 'ASC']) {
    it(`readings: every limit from 2 to 7 visits each item once, in one-page order (${order}, with filters)`, async () => {
      const device = `hw-one:${emulator.demoDeviceIds()[0]}`;
      const get = getter(gw, `/v1/devices/${device}/readings`);
      for (const filters of readingFilters(emulator.now())) {
        const whole = await get({ ...filters, order, limit: '1000' });
        expect(whole.status).toBe(200);
        expect(whole.body.has_more).toBe(false);
        const reference = whole.body.data.map((r) => String(r.id));
        expect(reference.length).toBeGreaterThan(10);
        expect(new Set(reference).size).toBe(reference.length);
        for (const reading of whole.body.data) {
          if (filters.name) expect(reading.name).toBe(filters.name);
          if (filters.at__gte) expect(Date.parse(String(reading.at))).toBeGreaterThanOrEqual(Date.parse(filters.at__gte));
          if (filters.at__lte) expect(Date.parse(String(reading.at))).toBeLessThanOrEqual(Date.parse(filters.at__lte));
        }
        for (let limit = 2; limit <= 7; limit++) {
          expect(await pageThrough(get, { ...filters, order, limit: String(limit) })).toEqual(reference);
        }
      }
    });
  }

  it('readings: paging them costs no more vendor calls than paging the messages they come from', async () => {
    const device = `hw-one:${emulator.demoDeviceIds()[0]}`;
    const since = { created_at__gte: new Date(emulator.now() - 2 * 86_400_000).toISOString() };
    emulator.resetStats();
    const messages = await pageThrough(getter(gw, `/v1/devices/${device}/messages`), { ...since, limit: '5' });
    const messageCalls = emulator.requestCount();
    emulator.resetStats();
    const readings = await pageThrough(getter(gw, `/v1/devices/${device}/readings`), { at__gte: since.created_at__gte, name: 'temperature', limit: '5' });
    expect(messages.length).toBeGreaterThan(5);
    expect(readings.length).toBeGreaterThan(5);
    expect(emulator.requestCount()).toBeLessThanOrEqual(messageCalls);
  });
});

describe('vendor calls while paging 1,000 devices', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;

  beforeAll(async () => {
    emulator = await startHardwarioEmulator({ deviceCount: 1000 });
    gw = await gatewayFor(emulator, ['hw-big']);
  });
  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

  it('cost no more vendor calls than a client paging the vendor directly at the same page size', async () => {
    emulator.resetStats();
    let direct = 0;
    let offset: string | undefined;
    const seen: string[] = [];
    for (;;) {
      const url = `${emulator.baseUrl}/v2/spaces/${emulator.spaceId}/devices?limit=50${offset ? `&offset=${offset}` : ''}`;
      const page = (await (await fetch(url, { headers: { 'X-Api-Key': emulator.credentials.apiKey } })).json()) as Array<{ id: string }>;
      direct += 1;
      if (page.length === 0) break;
      seen.push(...page.map((d) => d.id));
      offset = page[page.length - 1].id;
    }
    expect(seen).toHaveLength(1000);

    emulator.resetStats();
    const ids = await pageThrough(getter(gw, '/v1/devices'), { limit: '50' });
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    expect(ids).toEqual(seen.map((id) => `hw-big:${id}`));
    expect(emulator.requestCount()).toBeLessThanOrEqual(direct);
  });
});
