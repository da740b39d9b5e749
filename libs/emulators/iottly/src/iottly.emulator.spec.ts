import { DAY, HOUR } from '@devicegate/emulators/kit';
import { IOTTLY_SANDBOX_CREDENTIALS as CREDS, startIottlyEmulator, type IottlyEmulator } from './index.js';

const NOW = Date.UTC(2024, 3, 17, 11, 8, 27, 917);
const AUTH = { Authentication: `bearer ${CREDS.apiKey}` };

interface DeviceBody {
  ID: string;
  name: string;
  operatingstatus: string;
  token: string;
  macaddress: string;
}
interface PageMessage {
  from: string;
  to: string;
  timestamp: string;
  devicetimestamp: string;
  type: string;
  payload: Record<string, unknown>;
}
interface HistoryMessage {
  _id: { $oid: string };
  from: string;
  to: string;
  timestamp: { $date: string };
  devicetimestamp: { $date: string };
  type: string;
  payload: Record<string, unknown>;
}

describe('iottly emulator', () => {
  let emu: IottlyEmulator;
  let base: string;
  let project: string;

  const get = (path: string, headers: Record<string, string> = AUTH) => fetch(`${base}${path}`, { headers });
  const send = (method: string, path: string, body: unknown, headers: Record<string, string> = AUTH) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const page = async (deviceId: string, query: string) => {
    const res = await get(`/project/${project}/device/${deviceId}/messages/paginated?${query}`);
    return { status: res.status, body: (await res.json()) as { messages?: PageMessage[]; error?: string } };
  };
  const history = async (deviceId: string, query = '') => {
    const res = await get(`/project/${project}/messages/${deviceId}${query}`);
    return { status: res.status, body: (await res.json()) as { status?: number; messages?: HistoryMessage[]; error?: string } };
  };
  const connectedDevice = () => emu.deviceIds().find((id) => emu.device(id)?.operatingstatus === 'connected' && !emu.device(id)?.installing) as string;

  beforeAll(async () => {
    emu = await startIottlyEmulator({ port: 0, host: '127.0.0.1', now: NOW });
    base = emu.baseUrl;
    project = emu.projectId;
  });
  afterAll(() => emu.close());

  describe('authentication', () => {
    it('answers ping with pong for a valid key, also with a capitalised scheme', async () => {
      const res = await get('/project/ping');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'pong' });
      expect((await get('/project/ping', { Authentication: `Bearer ${CREDS.apiKey}` })).status).toBe(200);
      expect((await get('/project/ping', { Authentication: `bearer ${CREDS.otherApiKey}` })).status).toBe(200);
    });

    it.each([
      ['no header', {}],
      ['Authorization instead of Authentication', { Authorization: `bearer ${CREDS.apiKey}` }],
      ['unknown key', { Authentication: 'bearer 00000000000000000000000000000000' }],
      ['trailing text', { Authentication: `bearer ${CREDS.apiKey} x` }],
      ['two spaces', { Authentication: `bearer  ${CREDS.apiKey}` }],
      ['no scheme', { Authentication: CREDS.apiKey }],
    ])('rejects %s with 401 and an error body', async (_label, headers) => {
      for (const path of ['/project/ping', `/project/${project}/inspect`, `/project/${project}/devices/props`]) {
        const res = await get(path, headers as Record<string, string>);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ error: expect.any(String) });
      }
    });

    it('answers 403 when a valid key is used on another project', async () => {
      const a = await get(`/project/${CREDS.otherProjectId}/inspect`);
      expect(a.status).toBe(403);
      expect(await a.json()).toEqual({ error: expect.stringContaining('project') });
      const b = await get(`/project/${project}/devices/props`, { Authentication: `bearer ${CREDS.otherApiKey}` });
      expect(b.status).toBe(403);
      const c = await get(`/project/aaaaaaaaaaaaaaaaaaaaaaaa/license`);
      expect(c.status).toBe(403);
    });

    it('answers unknown paths, non-ObjectId project ids and wrong methods like Tornado does, before auth', async () => {
      const a = await fetch(`${base}/project/${project}/nope`);
      expect(a.status).toBe(404);
      expect(a.headers.get('content-type')).toContain('text/html');
      expect(await a.text()).toContain('404: Not Found');
      expect((await get('/project/not-an-object-id/inspect')).status).toBe(404);
      expect((await fetch(`${emu.url}/project/${project}/inspect`, { headers: AUTH })).status).toBe(404);
      const d = await send('DELETE', `/project/${project}/device/${emu.deviceIds()[0]}/props`, {});
      expect(d.status).toBe(405);
    });
  });

  describe('project and devices', () => {
    it('inspects the project', async () => {
      const res = await get(`/project/${project}/inspect`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({
        id: CREDS.projectId,
        name: 'Smart Farm Lab',
        projectgetagenturl: `https://api.cloud.iottly.com/v1.0/project/${CREDS.projectId}/getagent`,
        agentfile: 'iottlyagent_1.7.4_linux_ARMv6.tar.gz',
        agentapihost: 'api.cloud.iottly.com',
        board: 'Linux ARMv6',
      });
      expect(Object.values(body).every((v) => typeof v === 'string')).toBe(true);
    });

    it('lists every device with the ten documented fields, on both list paths', async () => {
      const res = await get(`/project/${project}/devices/props`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { count: number; errors: null; devices: Array<Record<string, unknown>> };
      expect(body.errors).toBeNull();
      expect(body.count).toBe(body.devices.length);
      expect(body.count).toBeGreaterThanOrEqual(12);
      expect(body.devices.map((d) => d.ID)).toEqual(emu.deviceIds());
      for (const d of body.devices) {
        expect(Object.keys(d).sort()).toEqual(
          ['ID', 'agent_version', 'deploymentgroup', 'fwsyncstatus', 'installing', 'macaddress', 'name', 'operatingstatus', 'pair_code', 'token'].sort(),
        );
        expect(d.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(d.token).toMatch(/^[0-9a-f]{32}$/);
        expect(d.macaddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect(['connected', 'disconnected']).toContain(d.operatingstatus);
      }
      const statuses = new Set(body.devices.map((d) => d.operatingstatus));
      expect(statuses).toEqual(new Set(['connected', 'disconnected']));
      expect(new Set(body.devices.map((d) => d.name)).size).toBe(body.count);
      const alias = await get(`/project/${project}/devices`);
      expect(await alias.json()).toEqual(body);
    });

    it('reads one device unwrapped, and answers 403 for a device outside the project', async () => {
      const id = emu.deviceIds()[2];
      const res = await get(`/project/${project}/device/${id}/props`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(emu.device(id));
      const foreign = emu.deviceIds(CREDS.otherProjectId)[0];
      const a = await get(`/project/${project}/device/${foreign}/props`);
      expect(a.status).toBe(403);
      expect(await a.json()).toEqual({ error: expect.any(String) });
      expect((await get(`/project/${project}/device/3781de91-d446-4c64-825d-756dd60f2dab/props`)).status).toBe(403);
    });

    it('renames a device with PUT and shows the new name everywhere', async () => {
      const id = emu.deviceIds()[1];
      const before = emu.device(id) as DeviceBody;
      const res = await send('PUT', `/project/${project}/device/${id}/props`, { name: 'my-sensor-01' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ...before, name: 'my-sensor-01' });
      const again = (await (await get(`/project/${project}/device/${id}/props`)).json()) as DeviceBody;
      expect(again.name).toBe('my-sensor-01');
      const licenses = (await (await get(`/project/${project}/license/${before.token}`)).json()) as Record<string, { board: { name: string } }>;
      expect(licenses[before.token].board.name).toBe('my-sensor-01');
      await send('PUT', `/project/${project}/device/${id}/props`, { name: before.name });
    });

    it.each([
      ['not JSON', '{"name": '],
      ['an array', '[]'],
      ['a missing name', '{}'],
      ['an empty name', '{"name": "  "}'],
      ['a number name', '{"name": 5}'],
      ['a field other than name', '{"name": "x", "macaddress": "00:00:00:00:00:00"}'],
    ])('refuses a PUT with %s with 400 and an error key', async (_label, body) => {
      const id = emu.deviceIds()[0];
      const res = await send('PUT', `/project/${project}/device/${id}/props`, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String) });
      expect(emu.device(id)?.name).toBe('Greenhouse North');
    });
  });

  describe('licenses', () => {
    it('lists licenses as a map keyed by token, paired and available', async () => {
      const res = await get(`/project/${project}/license`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, { status: string; board: Record<string, unknown> }>;
      expect(Object.keys(body)).toEqual(emu.licenseTokens());
      const paired = Object.entries(body).filter(([, v]) => v.status === 'paired');
      const free = Object.entries(body).filter(([, v]) => v.status === 'available');
      expect(paired).toHaveLength(emu.deviceIds().length);
      expect(free.length).toBeGreaterThan(0);
      for (const [, v] of free) expect(v.board).toEqual({});
      const [token, entry] = paired[0];
      const device = emu.device(entry.board.id as string) as DeviceBody;
      expect(device.token).toBe(token);
      expect(entry.board).toEqual({ macaddress: device.macaddress, operatingstatus: device.operatingstatus, id: device.ID, name: device.name });
      expect(await (await get(`/project/${project}/license/`)).json()).toEqual(body);
    });

    it('reads one license as a one-entry map; an unknown token is 403', async () => {
      const token = emu.licenseTokens().at(-1) as string;
      const res = await get(`/project/${project}/license/${token}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ [token]: { status: 'available', board: {} } });
      const bad = await get(`/project/${project}/license/ffffffffffffffffffffffffffffffff`);
      expect(bad.status).toBe(403);
      expect(await bad.json()).toEqual({ error: expect.any(String) });
    });
  });

  describe('commands', () => {
    beforeEach(() => emu.clearCommands());

    it('accepts an echo command, records what the device gets, and the device echoes it back', async () => {
      const id = connectedDevice();
      const res = await send('POST', `/project/${project}/device/${id}/command`, { cmd_type: 'echo', values: { 'echo.content': 'hi there!' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 200 });
      expect(emu.commands()).toEqual([
        { projectId: project, deviceId: id, cmdType: 'echo', values: { 'echo.content': 'hi there!' }, delivered: { echo: { content: 'hi there!' } }, receivedAt: expect.any(Number) },
      ]);
      const { body } = await history(id, '?numMessages=1');
      expect(body.messages?.[0].payload).toEqual({ ECHO: { echo: { content: 'hi there!' } } });
    });

    it('applies values to the template of a custom command, keeping placeholders for missing ones', async () => {
      const id = connectedDevice();
      const a = await send('POST', `/project/${project}/device/${id}/command`, { cmd_type: 'LED_control', values: { 'LED_control.state': 'on' } });
      expect(a.status).toBe(200);
      const b = await send('POST', `/project/${project}/device/${id}/command`, { cmd_type: 'setpoints', values: { 'setpoints.temperature': 21.5, 'setpoints.humidity': '' } });
      expect(b.status).toBe(200);
      expect(emu.commands().map((c) => c.delivered)).toEqual([{ LED_control: { state: 'on' } }, { setpoints: { temperature: 21.5, humidity: '<humidity>' } }]);
    });

    it('does not echo from a disconnected device but still accepts the command', async () => {
      const id = emu.deviceIds().find((d) => emu.device(d)?.operatingstatus === 'disconnected') as string;
      const before = emu.messageCount(id);
      const res = await send('POST', `/project/${project}/device/${id}/command`, { cmd_type: 'echo', values: {} });
      expect(res.status).toBe(200);
      expect(emu.messageCount(id)).toBe(before);
      expect(emu.commands()[0].delivered).toEqual({ echo: { content: 'IOTTLY hello world!!!!' } });
    });

    it.each([
      ['an unknown command type', { cmd_type: 'reboot', values: {} }],
      ['an event type', { cmd_type: 'button_pressed', values: { 'button_pressed.GPIO': 12 } }],
      ['a missing cmd_type', { values: {} }],
      ['values that are not an object', { cmd_type: 'echo', values: ['x'] }],
      ['a key without the prefix', { cmd_type: 'echo', values: { content: 'x' } }],
      ['a key with another prefix', { cmd_type: 'echo', values: { 'LED_control.state': 'on' } }],
      ['an unknown keyword', { cmd_type: 'LED_control', values: { 'LED_control.colour': 'red' } }],
      ['a body that is not JSON', '{"cmd_type": '],
    ])('refuses %s with 400 and an error key', async (_label, body) => {
      const res = await send('POST', `/project/${project}/device/${connectedDevice()}/command`, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.any(String) });
      expect(emu.commands()).toEqual([]);
    });

    it('answers 403 for a device of another project and 401 without a key', async () => {
      const foreign = emu.deviceIds(CREDS.otherProjectId)[0];
      expect((await send('POST', `/project/${project}/device/${foreign}/command`, { cmd_type: 'echo', values: {} })).status).toBe(403);
      expect((await send('POST', `/project/${project}/device/${connectedDevice()}/command`, { cmd_type: 'echo', values: {} }, {})).status).toBe(401);
      expect(emu.commands()).toEqual([]);
    });
  });

  describe('message history API', () => {
    it('returns the newest 10 messages by default, oldest first, in Mongo extended JSON', async () => {
      const id = emu.deviceIds()[7];
      const { status, body } = await history(id);
      expect(status).toBe(200);
      expect(body.status).toBe(200);
      const messages = body.messages as HistoryMessage[];
      expect(messages).toHaveLength(10);
      const times = messages.map((m) => Date.parse(m.timestamp.$date));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      for (const m of messages) {
        expect(m._id.$oid).toMatch(/^[0-9a-f]{24}$/);
        expect(m.timestamp.$date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(m.devicetimestamp.$date).toMatch(/\.000Z$/);
        expect(m.from).toBe(id);
        expect(m.to).toBe(project);
      }
      // They are the newest: the first page of the paginated API (desc) ends with the same message.
      const newest = (await page(id, 'l=1')).body.messages?.[0] as PageMessage;
      expect(`${newest.timestamp}`).toBe(messages[9].timestamp.$date.replace(/Z$/, '').replace(/\.000$/, ''));
      expect(NOW - times[9]).toBeLessThan(25 * 60_000);
      expect(NOW - times[9]).toBeGreaterThan(0);
    });

    it('takes numMessages between 1 and 100 and refuses anything else', async () => {
      const id = emu.deviceIds()[0];
      expect((await history(id, '?numMessages=100')).body.messages).toHaveLength(100);
      expect((await history(id, '?numMessages=1')).body.messages).toHaveLength(1);
      for (const bad of ['0', '101', 'abc', '2.5', '-1']) {
        const { status, body } = await history(id, `?numMessages=${bad}`);
        expect(status).toBe(400);
        expect(body).toEqual({ error: expect.any(String) });
      }
    });

    it('filters with queryJson and never leaves the device scope', async () => {
      const id = emu.deviceIds()[0];
      const q = (filter: unknown, n = 100) => history(id, `?numMessages=${n}&queryJson=${encodeURIComponent(JSON.stringify(filter))}`);
      const agent = await q({ type: 'iottlyagent' });
      expect(agent.status).toBe(200);
      expect(agent.body.messages?.length).toBeGreaterThan(0);
      expect(agent.body.messages?.every((m) => m.type === 'iottlyagent')).toBe(true);
      const connected = await q({ 'payload.connectionstatus': { $exists: true }, $or: [{ 'payload.connectionstatus': 'connected' }] });
      expect(connected.body.messages?.every((m) => m.payload.connectionstatus === 'connected')).toBe(true);
      const warm = await q({ 'payload.greenhouse.temperature': { $gte: 25 } });
      expect(warm.body.messages?.length).toBeGreaterThan(0);
      expect(warm.body.messages?.every((m) => (m.payload.greenhouse as { temperature: number }).temperature >= 25)).toBe(true);
      const other = await q({ from: emu.deviceIds()[1] });
      expect(other).toEqual({ status: 200, body: { status: 200, messages: [] } });
      // Plain JSON: an extended-JSON date is a sub-document, which never matches a stored date.
      const dated = await q({ timestamp: { $gte: { $date: '2000-01-01T00:00:00Z' } } });
      expect(dated.body.messages).toEqual([]);
    });

    it('refuses an unreadable queryJson, an unknown operator and a foreign device', async () => {
      const id = emu.deviceIds()[0];
      for (const query of ['{"type":', '[1]', '{"type": {"$foo": 1}}']) {
        const { status, body } = await history(id, `?queryJson=${encodeURIComponent(query)}`);
        expect(status).toBe(400);
        expect(body).toEqual({ error: expect.any(String) });
      }
      expect((await history(emu.deviceIds(CREDS.otherProjectId)[0])).status).toBe(403);
    });
  });

  describe('paginated messages API', () => {
    it('defaults to 50 messages, newest first, with zone-less ISO strings and only a messages member', async () => {
      const id = emu.deviceIds()[0];
      const { status, body } = await page(id, '');
      expect(status).toBe(200);
      expect(Object.keys(body)).toEqual(['messages']);
      const messages = body.messages as PageMessage[];
      expect(messages).toHaveLength(50);
      for (const m of messages) {
        expect(Object.keys(m).sort()).toEqual(['devicetimestamp', 'from', 'payload', 'timestamp', 'to', 'type']);
        expect(m.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?$/);
        expect(m.devicetimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
        expect(m.to).toBe(project);
      }
      const times = messages.map((m) => Date.parse(`${m.timestamp}Z`));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(await page(id, 'p=1&l=50&sort=desc&type=all')).toEqual({ status, body });
    });

    it.each(['asc', 'desc'])('pages through more than 100 messages, every one exactly once (%s)', async (sort) => {
      const id = emu.deviceIds()[2];
      const total = emu.messageCount(id);
      expect(total).toBeGreaterThan(300);
      const seen: PageMessage[] = [];
      let p = 1;
      for (;;) {
        const { status, body } = await page(id, `p=${p}&l=100&sort=${sort}`);
        if (status === 404) break;
        expect(status).toBe(200);
        seen.push(...(body.messages as PageMessage[]));
        if ((body.messages as PageMessage[]).length < 100) break;
        p += 1;
      }
      expect(p).toBeGreaterThan(3);
      expect(seen).toHaveLength(total);
      expect(new Set(seen.map((m) => JSON.stringify(m))).size).toBe(total);
      const times = seen.map((m) => Date.parse(`${m.timestamp}Z`));
      const sorted = [...times].sort((a, b) => (sort === 'asc' ? a - b : b - a));
      expect(times).toEqual(sorted);
    });

    it('answers 404 past the last page and for a device without messages', async () => {
      const id = emu.deviceIds()[0];
      const last = Math.ceil(emu.messageCount(id) / 100);
      expect((await page(id, `p=${last}&l=100`)).status).toBe(200);
      const past = await page(id, `p=${last + 1}&l=100`);
      expect(past.status).toBe(404);
      expect(past.body).toEqual({ error: expect.any(String) });
      expect((await page('3781de91-d446-4c64-825d-756dd60f2dab', '')).status).toBe(404);
    });

    it('filters by type, and by time with an inclusive from and an exclusive to', async () => {
      const id = emu.deviceIds()[0];
      const agent = await page(id, 'type=iottlyagent&l=100');
      expect(agent.body.messages?.length).toBe(emu.messageCount(id, 'iottlyagent'));
      expect(agent.body.messages?.every((m) => m.type === 'iottlyagent')).toBe(true);
      const user = await page(id, 'type=userdefined&l=100');
      expect(user.body.messages?.every((m) => m.type === 'userdefined')).toBe(true);

      const window = (await page(id, 'l=5&sort=asc&p=3')).body.messages as PageMessage[];
      const from = window[1].timestamp;
      const to = window[3].timestamp;
      const inRange = await page(id, `from=${from}&to=${to}&sort=asc`);
      expect(inRange.body.messages?.map((m) => m.timestamp)).toEqual([window[1].timestamp, window[2].timestamp]);
      const zoned = await page(id, `from=${encodeURIComponent(`${from}Z`)}&to=${encodeURIComponent(`${to}+00:00`)}&sort=asc`);
      expect(zoned.body).toEqual(inRange.body);
      const lastDay = await page(id, `from=${new Date(NOW - DAY).toISOString()}&l=100`);
      expect(lastDay.body.messages?.every((m) => Date.parse(`${m.timestamp}Z`) >= NOW - DAY)).toBe(true);
      expect((await page(id, `from=${new Date(NOW + HOUR).toISOString()}`)).status).toBe(404);
    });

    it.each(['l=0', 'l=101', 'l=abc', 'p=0', 'p=-1', 'p=1.5', 'type=event', 'sort=up', 'from=yesterday', 'to=1713352107917'])(
      'refuses %s with 400 "invalid custom query"',
      async (query) => {
        const { status, body } = await page(emu.deviceIds()[0], query);
        expect(status).toBe(400);
        expect(body.error).toMatch(/^Invalid custom query/);
      },
    );

    it('answers 403 for another project', async () => {
      const res = await get(`/project/${CREDS.otherProjectId}/device/${emu.deviceIds(CREDS.otherProjectId)[0]}/messages/paginated`);
      expect(res.status).toBe(403);
    });

    it('logs a connectionstatus message when the test API changes the operating status', async () => {
      const id = emu.deviceIds()[9];
      emu.setOperatingStatus(id, 'disconnected');
      const top = (await page(id, 'l=1&type=iottlyagent')).body.messages?.[0];
      expect(top?.payload).toEqual({ connectionstatus: 'disconnected' });
      const props = (await (await get(`/project/${project}/device/${id}/props`)).json()) as DeviceBody;
      expect(props.operatingstatus).toBe('disconnected');
      emu.setOperatingStatus(id, 'connected');
      expect(emu.device(id)?.operatingstatus).toBe('connected');
    });

    it('shows a message added through the test API at the top', async () => {
      const id = emu.deviceIds()[4];
      const before = emu.messageCount(id, 'userdefined');
      emu.addMessage(id, { payload: { pump: { running: false } }, timestamp: emu.now() + 1000 });
      expect(emu.messageCount(id, 'userdefined')).toBe(before + 1);
      const top = (await page(id, 'l=1&type=userdefined')).body.messages?.[0];
      expect(top?.payload).toEqual({ pump: { running: false } });
    });
  });

  describe('seed', () => {
    it('has a week of both message types for every demo device, ending shortly before now', () => {
      for (const id of emu.deviceIds()) {
        const device = emu.device(id);
        if (device?.installing) {
          expect(emu.messageCount(id, 'iottlyagent')).toBeGreaterThan(0);
          continue;
        }
        expect(emu.messageCount(id, 'userdefined')).toBeGreaterThan(100);
        expect(emu.messageCount(id, 'iottlyagent')).toBeGreaterThanOrEqual(2);
      }
    });

    it('seeds the same devices, licenses and messages at every start', async () => {
      const other = await startIottlyEmulator({ now: NOW });
      try {
        const a = await (await fetch(`${other.baseUrl}/project/${project}/devices/props`, { headers: AUTH })).json();
        const fresh = await startIottlyEmulator({ now: NOW });
        try {
          const b = await (await fetch(`${fresh.baseUrl}/project/${project}/devices/props`, { headers: AUTH })).json();
          expect(b).toEqual(a);
          expect(fresh.licenseTokens()).toEqual(other.licenseTokens());
          const id = fresh.deviceIds()[5];
          const ha = await (await fetch(`${other.baseUrl}/project/${project}/messages/${id}?numMessages=100`, { headers: AUTH })).json();
          const hb = await (await fetch(`${fresh.baseUrl}/project/${project}/messages/${id}?numMessages=100`, { headers: AUTH })).json();
          expect(hb).toEqual(ha);
        } finally {
          await fresh.close();
        }
      } finally {
        await other.close();
      }
    });

    // What is seeded is checked here; how fast, by `npm run bench` (the seed line), never by a timed test.
    it('keeps device ids when the clock moves, and scales to 10,000 devices', async () => {
      const big = await startIottlyEmulator({ deviceCount: 10_000 });
      try {
        expect(big.deviceIds()).toHaveLength(10_000);
        expect(big.deviceIds().slice(0, emu.deviceIds().length)).toEqual(emu.deviceIds());
        const res = await fetch(`${big.baseUrl}/project/${project}/devices/props`, { headers: AUTH });
        expect(((await res.json()) as { count: number }).count).toBe(10_000);
        expect(new Set(big.deviceIds()).size).toBe(10_000);
      } finally {
        await big.close();
      }
      const one = await startIottlyEmulator({ deviceCount: 1 });
      try {
        expect(one.deviceIds()).toEqual(emu.deviceIds().slice(0, 1));
      } finally {
        await one.close();
      }
    });
  });
});
