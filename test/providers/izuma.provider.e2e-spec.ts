import { Ajv } from 'ajv';
import { backgroundContext, type ConnectionConfig, type Device, type Filter, type ListQuery, type ListSource, type Message, type ProviderConnection, type VendorCursor } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { HttpClient, type HttpRequest, type HttpResponse } from '@devicegate/http-client';
import { izumaProvider } from '@devicegate/providers/izuma';
import { startIzumaEmulator, validateRecordedRequest, validateResponseAgainstSpec, type IzumaEmulator } from '@devicegate/emulators/izuma';

/** The provider against the Izuma emulator over loopback HTTP; every exchange is checked against the vendor's spec. */

const CONNECTION_ID = 'izuma-e2e';

interface Exchange {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: Buffer;
}

/** An HttpClient that keeps every answer, so each can be checked against the vendor's spec afterwards. */
class RecordingHttpClient extends HttpClient {
  readonly exchanges: Exchange[] = [];

  override async request(req: HttpRequest, ctx: Parameters<HttpClient['request']>[1]): Promise<HttpResponse> {
    const res = await super.request(req, ctx);
    const url = new URL(req.path, this.baseUrl);
    this.exchanges.push({ method: req.method, path: url.pathname, status: res.status, contentType: res.headers['content-type'] ?? '', body: res.body });
    return res;
  }
}

const f = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });
const query = (filters: Filter[] = [], pageSize = 50, order: ListQuery['order'] = 'ASC', includeTotal = false): ListQuery => ({ filters, order, pageSize, includeTotal });

interface ReadResult<T> {
  items: T[];
  pages: number;
  calls: number;
  total?: number;
}

describe('izuma provider against the emulator', () => {
  let em: IzumaEmulator;
  let http: RecordingHttpClient;
  let provider: ProviderConnection;
  const ctx = backgroundContext('0123456789abcdef0123456789abcdef');
  /** Calls that send the vendor invalid input on purpose (to see its validation error mapped) carry this request id. */
  const invalidOnPurpose = backgroundContext('invalid-on-purpose');

  const connection = (apiKey: string, baseUrl: string): ConnectionConfig => ({
    id: CONNECTION_ID,
    provider: 'izuma',
    display_name: 'Izuma e2e',
    base_url: baseUrl,
    timeout_ms: 5000,
    retries: 0,
    rate_limit: izumaProvider.defaultRateLimit,
    circuit: { failure_threshold: 5, open_seconds: 30 },
    settings: {},
    credentials: { api_key: apiKey },
  });

  /** Every page of a list, counting the vendor calls it cost. */
  async function readAll<T extends { id: string }>(source: ListSource<T>, q: ListQuery): Promise<ReadResult<T>> {
    const before = em.requestCount();
    const items: T[] = [];
    let cursor: VendorCursor | null = null;
    let pages = 0;
    let total: number | undefined;
    do {
      const page = await source.fetchPage(q, cursor, ctx);
      pages += 1;
      if (pages === 1) total = page.total;
      items.push(...page.items);
      cursor = page.next;
      // A cursor must survive the resume cache.
      cursor = cursor === null ? null : JSON.parse(JSON.stringify(cursor));
      expect(pages).toBeLessThan(10_000);
    } while (cursor !== null);
    return { items, pages, calls: em.requestCount() - before, total };
  }

  const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

  async function expectGatewayError(promise: Promise<unknown>, type: string): Promise<GatewayError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).type).toBe(type);
      return error as GatewayError;
    }
    throw new Error(`expected a ${type} error`);
  }

  beforeAll(async () => {
    em = await startIzumaEmulator({ port: 0, now: Date.now(), deviceCount: 16 });
    http = new RecordingHttpClient({ baseUrl: em.baseUrl, timeoutMs: 5000, retries: 0, connectionId: CONNECTION_ID, provider: 'izuma', secretHeaders: ['authorization'] });
    provider = izumaProvider.create(connection(em.credentials.apiKey, em.baseUrl), { http });
  });

  afterAll(async () => {
    await http?.close();
    await em?.close();
  });

  describe('definition', () => {
    it('declares the contract defaults and a connection schema ajv accepts', () => {
      expect(izumaProvider).toMatchObject({ id: 'izuma', defaultBaseUrl: 'https://api.us-east-1.mbedcloud.com' });
      expect(izumaProvider.capabilities['devices.transfer']).toBe(false);
      const validate = new Ajv({ allErrors: true, strict: false }).compile(izumaProvider.connectionSchema);
      expect(validate({ credentials: { api_key: 'ak_123' } })).toBe(true);
      expect(validate({ credentials: {} })).toBe(false);
      expect(validate({ credentials: { api_key: 'secret' } })).toBe(false);
      expect(validate({ credentials: { api_key: 'ak_1' }, space_id: 'x' })).toBe(false);
    });

    it('authenticates raw calls with the bearer key', async () => {
      expect(await provider.authHeaders(ctx)).toEqual({ authorization: `Bearer ${em.credentials.apiKey}` });
    });
  });

  describe('projects', () => {
    it('lists the account of the key as the one project', async () => {
      const result = await readAll(provider.projects, query([], 50, 'ASC', true));
      expect(result.items).toHaveLength(1);
      expect(result.total).toBe(1);
      expect(result.items[0]).toMatchObject({ object: 'project', id: `${CONNECTION_ID}:${em.accountId}`, kind: 'account', provider: 'izuma', device_count: 16 });
      expect(result.items[0].created_at === null || /\.\d{3}Z$/.test(result.items[0].created_at)).toBe(true);
    });

    it('gets the account and refuses any other project id', async () => {
      expect((await provider.getProject(em.accountId, ctx)).id).toBe(`${CONNECTION_ID}:${em.accountId}`);
      await expectGatewayError(provider.getProject('0000000000000000000000000000dead', ctx), 'not_found');
    });
  });

  describe('devices', () => {
    let all: Device[];

    beforeAll(async () => {
      all = (await readAll(provider.devices, query([], 1000))).items;
    });

    it('maps every device with unified ids', () => {
      expect(all).toHaveLength(16);
      for (const device of all) {
        expect(device.id.startsWith(`${CONNECTION_ID}:`)).toBe(true);
        expect(device.project_id).toBe(`${CONNECTION_ID}:${em.accountId}`);
        expect(device.tags).toEqual([]);
        expect(typeof device.online).toBe('boolean');
        expect(device.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(device.native).toBeDefined();
      }
      expect(all.filter((device) => device.online)).toHaveLength(8);
    });

    it.each([2, 3, 5, 7, 16, 1000])('pages through all devices with page size %i, each exactly once, in a stable order', async (size) => {
      const result = await readAll(provider.devices, query([], size, 'ASC', true));
      expect(ids(result.items)).toEqual(ids(all));
      expect(new Set(ids(result.items)).size).toBe(all.length);
      expect(result.calls).toBe(result.pages);
      expect(result.total).toBe(16);
      expect(provider.devices.plan(query([], size, 'ASC', true))).toEqual({ order: 'ASC', exactTotal: true });
    });

    it('yields DESC natively', async () => {
      expect(provider.devices.plan(query([], 4, 'DESC'))).toEqual({ order: 'DESC', exactTotal: true });
      const result = await readAll(provider.devices, query([], 4, 'DESC'));
      expect(ids(result.items)).toEqual(ids(all).reverse());
    });

    describe('push-down', () => {
      /** What the gateway's own evaluation of these filters keeps from the full list. */
      function expected(filters: Filter[]): Device[] {
        return all.filter((device) =>
          filters.every((filter) => {
            const actual = filter.field.startsWith('labels.') ? device.labels[filter.field.slice(7)] : (device as unknown as Record<string, unknown>)[filter.field];
            const values = Array.isArray(filter.value) ? filter.value : [filter.value];
            if (filter.field.endsWith('_at')) {
              const ms = typeof actual === 'string' ? Date.parse(actual) : undefined;
              if (ms === undefined) return false;
              return filter.op === 'gte' ? ms >= (filter.value as number) : ms <= (filter.value as number);
            }
            const present = actual !== null && actual !== undefined;
            switch (filter.op) {
              case 'eq':
                return present && actual === filter.value;
              case 'neq':
                return !present || actual !== filter.value;
              case 'in':
                return present && values.includes(actual as string);
              case 'nin':
                return !present || !values.includes(actual as string);
              default:
                return false;
            }
          }),
        );
      }

      async function checkPushDown(filters: Filter[]): Promise<void> {
        const want = ids(expected(filters));
        expect(provider.devices.plan(query(filters)).exactTotal).toBe(true);
        for (const size of [2, 3, 1000]) {
          const result = await readAll(provider.devices, query(filters, size, 'ASC', true));
          expect(ids(result.items)).toEqual(want);
          // Everything is evaluated by Izuma: one vendor call per page, and an exact total.
          expect(result.calls).toBe(result.pages);
          expect(result.pages).toBeLessThanOrEqual(Math.ceil(want.length / Math.max(2, size)) + 1);
          expect(result.total).toBe(want.length);
        }
      }

      it('online → state__eq/__neq=registered', async () => {
        await checkPushDown([f('online', 'eq', true)]);
        await checkPushDown([f('online', 'eq', false)]);
        await checkPushDown([f('online', 'neq', true)]);
      });

      it('id eq/neq/in/nin, values of other connections never matching', async () => {
        await checkPushDown([f('id', 'eq', all[3].id)]);
        await checkPushDown([f('id', 'in', [all[1].id, all[5].id, 'other-conn:abc'])]);
        await checkPushDown([f('id', 'nin', [all[0].id, all[2].id, 'other-conn:abc'])]);
        await checkPushDown([f('id', 'neq', all[4].id)]);
        const before = em.requestCount();
        const page = await provider.devices.fetchPage(query([f('id', 'eq', `other-conn:${all[0].id.split(':')[1]}`)], 10, 'ASC', true), null, ctx);
        expect(page).toEqual({ items: [], next: null, total: 0 });
        expect(em.requestCount()).toBe(before);
      });

      it('name, serial_number and type', async () => {
        const named = all.find((device) => device.name !== null)!;
        await checkPushDown([f('name', 'eq', named.name!)]);
        await checkPushDown([f('name', 'nin', [named.name!])]);
        const serial = all.find((device) => device.serial_number !== null)!;
        await checkPushDown([f('serial_number', 'in', [serial.serial_number!])]);
        const typed = all.find((device) => device.type !== null)!;
        await checkPushDown([f('type', 'eq', typed.type!)]);
        await checkPushDown([f('type', 'neq', typed.type!)]);
      });

      it('created_at and updated_at bounds, inclusive at the millisecond', async () => {
        const middle = all[Math.floor(all.length / 2)];
        const at = Date.parse(middle.created_at!);
        await checkPushDown([f('created_at', 'gte', at)]);
        await checkPushDown([f('created_at', 'lte', at)]);
        await checkPushDown([f('created_at', 'gte', at), f('created_at', 'lte', at)]);
        expect(ids(expected([f('created_at', 'gte', at), f('created_at', 'lte', at)]))).toContain(middle.id);
        await checkPushDown([f('updated_at', 'lte', Date.parse(middle.updated_at!))]);
      });

      it('labels.<key> eq → custom_attributes in filter=, combined with other filters', async () => {
        const labelled = all.find((device) => Object.keys(device.labels).length > 0)!;
        const [key, value] = Object.entries(labelled.labels)[0];
        await checkPushDown([f(`labels.${key}`, 'eq', value)]);
        await checkPushDown([f(`labels.${key}`, 'eq', value), f('online', 'eq', labelled.online!)]);
      });

      it('project_id', async () => {
        await checkPushDown([f('project_id', 'eq', `${CONNECTION_ID}:${em.accountId}`)]);
        expect((await provider.devices.fetchPage(query([f('project_id', 'eq', 'other:acc')]), null, ctx)).items).toEqual([]);
      });

      it('leaves what Izuma cannot evaluate to the gateway and says the total is not exact', async () => {
        const filters = [f('labels.zone', 'neq', 'x')];
        expect(provider.devices.plan(query(filters)).exactTotal).toBe(false);
        const result = await readAll(provider.devices, query(filters, 5));
        expect(ids(result.items)).toEqual(ids(all));
      });
    });

    it('gets a device and its status', async () => {
      const online = all.find((device) => device.online)!;
      const native = online.id.split(':')[1];
      expect(await provider.getDevice(native, ctx)).toEqual(online);
      const status = await provider.getDeviceStatus(native, ctx);
      // Device Echo gives the last reported values and their time; the directory has no last-contact time.
      expect(status).toMatchObject({ object: 'device_status', device_id: online.id, online: true });
      expect(status.last_seen_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(status.details.state).toBe('registered');
    });

    it('answers not_found for an unknown device', async () => {
      await expectGatewayError(provider.getDevice('0000000000000000000000000000dead', ctx), 'not_found');
      await expectGatewayError(provider.getDeviceStatus('0000000000000000000000000000dead', ctx), 'not_found');
    });
  });

  describe('create, update, delete', () => {
    it('creates a device (201), updates name and labels with merge semantics, deletes it (204)', async () => {
      const created = await provider.createDevice!({ name: 'e2e-sensor', type: 'e2e-class', serial_number: 'SN-E2E-1', labels: { site: 'lab', floor: '3' }, params: { endpoint_name: 'e2e-ep-001', description: 'made by the e2e test' } }, ctx);
      expect(created).toMatchObject({ name: 'e2e-sensor', type: 'e2e-class', serial_number: 'SN-E2E-1', labels: { site: 'lab', floor: '3' }, project_id: `${CONNECTION_ID}:${em.accountId}` });
      const native = created.id.split(':')[1];
      expect(em.device(native)).toBeDefined();

      const renamed = await provider.updateDevice!(native, { name: 'e2e-renamed' }, ctx);
      expect(renamed).toMatchObject({ name: 'e2e-renamed', labels: { site: 'lab', floor: '3' } });

      const relabelled = await provider.updateDevice!(native, { labels: { floor: null, room: 'r1' } }, ctx);
      expect(relabelled.labels).toEqual({ site: 'lab', room: 'r1' });
      expect((await provider.getDevice(native, ctx)).labels).toEqual({ site: 'lab', room: 'r1' });

      await provider.deleteDevice!(native, ctx);
      await expectGatewayError(provider.getDevice(native, ctx), 'not_found');
      await expectGatewayError(provider.deleteDevice!(native, ctx), 'not_found');
      await expectGatewayError(provider.updateDevice!(native, { name: 'x' }, ctx), 'not_found');
    });

    it('checks the project of a new device', async () => {
      const created = await provider.createDevice!({ name: 'e2e-in-project', project_id: em.accountId }, ctx);
      await provider.deleteDevice!(created.id.split(':')[1], ctx);
      const error = await expectGatewayError(provider.createDevice!({ name: 'x', project_id: '0000000000000000000000000000dead' }, ctx), 'validation_error');
      expect(error.fields).toEqual([expect.objectContaining({ name: 'project_id' })]);
    });

    it('carries over the vendor validation error on a field the caller sent', async () => {
      const error = await expectGatewayError(provider.createDevice!({ name: 'x'.repeat(129) }, invalidOnPurpose), 'validation_error');
      expect(error.fields?.map((field) => field.name)).toEqual(['name']);
      expect(error.upstreamStatus).toBe(400);
      const labels = await expectGatewayError(provider.createDevice!({ name: 'ok', labels: { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' } }, invalidOnPurpose), 'validation_error');
      expect(labels.fields?.map((field) => field.name)).toEqual(['labels']);
    });

    it('refuses tags, which Izuma devices do not have', async () => {
      await expectGatewayError(provider.createDevice!({ name: 'x', tags: ['t'] }, ctx), 'not_supported');
      await expectGatewayError(provider.updateDevice!('0000000000000000000000000000dead', { tags: ['t'] }, ctx), 'not_supported');
    });

    it('answers conflict when Izuma refuses to delete a production-certificate device', async () => {
      const production = em.deviceIds().find((id) => em.device(id)?.device_execution_mode === 5);
      expect(production).toBeDefined();
      await expectGatewayError(provider.deleteDevice!(production!, ctx), 'conflict');
      expect(em.device(production!)).toBeDefined();
    });
  });

  describe('messages', () => {
    let deviceId: string;
    let all: Message[];

    beforeAll(async () => {
      // The device with the longest event log.
      let best = { id: '', count: -1 };
      for (const id of em.deviceIds()) {
        const page = await provider.messages(id).fetchPage(query([], 1000, 'DESC', true), null, ctx);
        if (page.items.length > best.count) best = { id, count: page.items.length };
      }
      deviceId = best.id;
      all = (await readAll(provider.messages(deviceId), query([], 1000, 'DESC'))).items;
    });

    it('maps the events of the device newest first', () => {
      expect(all.length).toBeGreaterThan(5);
      for (const message of all) {
        expect(message).toMatchObject({ object: 'message', device_id: `${CONNECTION_ID}:${deviceId}`, direction: 'uplink', provider: 'izuma' });
        expect(['status', 'event']).toContain(message.type);
        expect(message.native_type).not.toBeNull();
      }
      const times = all.map((message) => Date.parse(message.created_at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it.each([2, 3, 5])('pages through all events with page size %i, each exactly once', async (size) => {
      const result = await readAll(provider.messages(deviceId), query([], size, 'DESC', true));
      expect(ids(result.items)).toEqual(ids(all));
      expect(result.calls).toBe(result.pages);
      expect(result.total).toBe(all.length);
    });

    it('yields ASC natively', async () => {
      expect(provider.messages(deviceId).plan(query([], 3, 'ASC'))).toEqual({ order: 'ASC', exactTotal: true });
      const result = await readAll(provider.messages(deviceId), query([], 3, 'ASC'));
      expect(ids(result.items)).toEqual(ids(all).reverse());
    });

    it('pushes down created_at bounds, native_type and type with one call per page', async () => {
      const from = Date.parse(all[all.length - 2].created_at);
      const to = Date.parse(all[1].created_at);
      const nativeType = all[0].native_type!;
      const cases: Array<{ filters: Filter[]; keep: (message: Message) => boolean }> = [
        { filters: [f('created_at', 'gte', from), f('created_at', 'lte', to)], keep: (m) => Date.parse(m.created_at) >= from && Date.parse(m.created_at) <= to },
        { filters: [f('native_type', 'eq', nativeType)], keep: (m) => m.native_type === nativeType },
        { filters: [f('native_type', 'nin', [nativeType])], keep: (m) => m.native_type !== nativeType },
        { filters: [f('type', 'eq', 'status')], keep: (m) => m.type === 'status' },
        { filters: [f('type', 'neq', 'status'), f('direction', 'eq', 'uplink')], keep: (m) => m.type !== 'status' },
      ];
      for (const { filters, keep } of cases) {
        const want = ids(all.filter(keep));
        expect(provider.messages(deviceId).plan(query(filters)).exactTotal).toBe(true);
        const result = await readAll(provider.messages(deviceId), query(filters, 2, 'DESC', true));
        expect(ids(result.items)).toEqual(want);
        expect(result.total).toBe(want.length);
        expect(result.calls).toBe(result.pages + (want.length === 0 ? 1 : 0));
      }
    });

    it('answers not_found for an unknown device, also when no event could match', async () => {
      await expectGatewayError(provider.messages('0000000000000000000000000000dead').fetchPage(query([], 10, 'DESC'), null, ctx), 'not_found');
      await expectGatewayError(provider.messages('0000000000000000000000000000dead').fetchPage(query([f('type', 'eq', 'data')], 10, 'DESC'), null, ctx), 'not_found');
      const page = await provider.messages(deviceId).fetchPage(query([f('type', 'eq', 'data')], 10, 'DESC'), null, ctx);
      expect(page.items).toEqual([]);
    });
  });

  describe('commands', () => {
    /** A resource the device registered, read from its resource tree (`GET /v2/endpoints/{device-id}`). */
    async function resourceOf(device: string): Promise<string> {
      const res = await http.request({ method: 'GET', path: `/v2/endpoints/${device}`, headers: await provider.authHeaders(ctx) }, ctx);
      const resources = res.json<Array<{ uri: string }>>();
      return resources[resources.length - 1].uri;
    }

    it('queues a device request with the command id as async-id and the payload in base64', async () => {
      const device = em.deviceIds().find((id) => em.device(id)?.state === 'registered')!;
      const uri = await resourceOf(device);
      const command = await provider.sendCommand!(device, { id: 'cmd-e2e-1', name: 'PUT', params: { uri, payload: '1:2:3:4', content_type: 'text/plain' } }, ctx);
      expect(command).toMatchObject({ object: 'command', id: `${CONNECTION_ID}:cmd-e2e-1`, device_id: `${CONNECTION_ID}:${device}`, name: 'PUT', status: 'queued' });
      const recorded = em.deviceRequests().find((request) => JSON.stringify(request).includes('cmd-e2e-1'));
      expect(recorded).toBeDefined();
      expect(JSON.stringify(recorded)).toContain('MToyOjM6NA==');
      // No vendor call reads a device request back: its result comes as an async-response on the channel.
      expect('getCommand' in provider).toBe(false);
    });

    it('sends GET, POST and DELETE too', async () => {
      const device = em.deviceIds().find((id) => em.device(id)?.state === 'registered')!;
      for (const [i, name] of (['GET', 'POST', 'DELETE'] as const).entries()) {
        const command = await provider.sendCommand!(device, { id: `cmd-e2e-m${i}`, name, params: { uri: await resourceOf(device) } }, ctx);
        expect(command.status).toBe('queued');
      }
    });

    it('maps the Connect errors: unknown device, unknown resource, invalid input', async () => {
      await expectGatewayError(provider.sendCommand!('0000000000000000000000000000dead', { id: 'cmd-e2e-2', name: 'GET', params: { uri: '/3/0/0' } }, ctx), 'not_found');
      const device = em.deviceIds().find((id) => em.device(id)?.state === 'registered')!;
      const missing = await expectGatewayError(provider.sendCommand!(device, { id: 'cmd-e2e-3', name: 'GET', params: { uri: '/9999/0/1' } }, ctx), 'validation_error');
      expect(missing.fields).toEqual([expect.objectContaining({ name: 'params.uri' })]);
      const before = em.requestCount();
      await expectGatewayError(provider.sendCommand!(device, { id: 'cmd-e2e-4', name: 'FETCH', params: {} }, ctx), 'validation_error');
      expect(em.requestCount()).toBe(before);
    });
  });

  describe('auth', () => {
    it('maps a rejected key to upstream_auth_failed without leaking it', async () => {
      const wrong = izumaProvider.create(connection('ak_notAKnownKey123', em.baseUrl), { http });
      const error = await expectGatewayError(wrong.devices.fetchPage(query(), null, ctx), 'upstream_auth_failed');
      expect(error.message).not.toContain('ak_notAKnownKey123');
      expect(error.upstreamStatus).toBe(401);
      await expectGatewayError(wrong.getProject(em.accountId, ctx), 'upstream_auth_failed');
    });
  });

  it('sent only requests, and received only answers, that fit the vendor spec', () => {
    const recorded = em.requests();
    expect(recorded.length).toBeGreaterThan(50);
    const checked = recorded.filter((request) => request.headers['x-request-id'] !== invalidOnPurpose.requestId);
    expect(recorded.length - checked.length).toBe(2);
    const requestIssues = checked.map((request) => ({ request, check: validateRecordedRequest(request) })).filter(({ check }) => !check.ok);
    expect(requestIssues).toEqual([]);

    expect(http.exchanges.length).toBe(recorded.length);
    const answerIssues = http.exchanges
      .map((exchange) => {
        const text = exchange.body.toString('utf8');
        const body: unknown = exchange.contentType.includes('json') && text !== '' ? JSON.parse(text) : text === '' ? undefined : text;
        return { exchange: { ...exchange, body: text.slice(0, 200) }, check: validateResponseAgainstSpec(exchange.method, exchange.path, exchange.status, body) };
      })
      .filter(({ check }) => !check.ok);
    expect(answerIssues).toEqual([]);
    // The check bites: a page without its list envelope is refused.
    expect(validateResponseAgainstSpec('GET', '/v3/devices/', 200, { object: 'list', data: 'none' }).ok).toBe(false);
  });
});
