import { readFileSync } from 'node:fs';
import type { Filter } from '@devicegate/core';
import {
  canonicalJson,
  commandErrorField,
  commandPrefix,
  commandValues,
  cursorAfter,
  keyMessages,
  mapCommand,
  mapDevice,
  mapMessage,
  mapProject,
  mapStatus,
  messagePushDown,
  objectIdTime,
  onlineOf,
  parseMessageCursor,
  parseVendorTime,
  toVendorTime,
  unseen,
} from './iottly.mapper.js';
import type { IottlyCommandBody, IottlyDeviceList, IottlyMessage, IottlyMessagePage, IottlyProject } from './iottly.types.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

const CONN = 'iottly-lab';
const PROJECT = '59c19cacecc01400075f3bc9';
const DEVICE = '3781de91-d446-4c64-825d-756dd60f2dab';

const filter = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });

describe('parseVendorTime', () => {
  it('reads the paginated API’s zone-less ISO strings as UTC', () => {
    expect(parseVendorTime('2018-07-27T17:50:04.968')).toBe(Date.parse('2018-07-27T17:50:04.968Z'));
    expect(parseVendorTime('2018-07-27T17:49:51')).toBe(Date.parse('2018-07-27T17:49:51Z'));
  });

  it('cuts fractions longer than milliseconds and pads shorter ones', () => {
    expect(parseVendorTime('2018-07-27T17:50:04.968734')).toBe(Date.parse('2018-07-27T17:50:04.968Z'));
    expect(parseVendorTime('2018-07-27T17:50:04.5')).toBe(Date.parse('2018-07-27T17:50:04.500Z'));
  });

  it('honours an explicit zone and reads Mongo extended JSON dates', () => {
    expect(parseVendorTime('2018-07-27T19:50:04.968+02:00')).toBe(Date.parse('2018-07-27T17:50:04.968Z'));
    expect(parseVendorTime({ $date: '2017-09-20T00:33:27.230Z' })).toBe(Date.parse('2017-09-20T00:33:27.230Z'));
    expect(parseVendorTime({ $date: 1505867607230 })).toBe(1505867607230);
    expect(parseVendorTime({ $date: { $numberLong: '1505867607230' } })).toBe(1505867607230);
  });

  it('refuses what is not a time', () => {
    expect(parseVendorTime('yesterday')).toBeUndefined();
    expect(parseVendorTime('2018-13-01T00:00:00')).toBeUndefined();
    expect(parseVendorTime(null)).toBeUndefined();
  });
});

describe('toVendorTime / objectIdTime', () => {
  it('writes bounds zone-less with milliseconds, like the vendor’s own answers', () => {
    expect(toVendorTime(Date.parse('2018-07-27T17:50:04Z'))).toBe('2018-07-27T17:50:04.000');
    expect(toVendorTime(Date.parse('+010000-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('reads the creation second of an ObjectId', () => {
    expect(new Date(objectIdTime(PROJECT)!).toISOString()).toBe('2017-09-19T22:39:40.000Z');
    expect(objectIdTime('not-an-object-id')).toBeNull();
  });
});

describe('mapProject', () => {
  it('maps the inspect answer', () => {
    const raw = fixture<IottlyProject>('iottly.inspect.json');
    expect(mapProject(raw, CONN, PROJECT)).toEqual({
      object: 'project',
      id: `${CONN}:${PROJECT}`,
      connection_id: CONN,
      provider: 'iottly',
      name: 'My awesome project',
      kind: 'project',
      device_count: null,
      created_at: '2017-09-19T22:39:40.000Z',
      native: raw,
    });
  });
});

describe('mapDevice', () => {
  const list = fixture<IottlyDeviceList>('iottly.devices-props.json');
  const ctx = { connectionId: CONN, projectId: PROJECT, board: 'Linux ARMv5' };

  it('maps a device of the props API', () => {
    expect(mapDevice(list.devices[0], ctx)).toEqual({
      object: 'device',
      id: `${CONN}:9a98b1e3-2934-47d8-8e92-992a8000e148`,
      connection_id: CONN,
      provider: 'iottly',
      project_id: `${CONN}:${PROJECT}`,
      name: 'Connect+',
      type: 'Linux ARMv5',
      serial_number: 'c8:3e:a7:01:5d:5f',
      labels: {},
      tags: [],
      online: true,
      last_seen_at: null,
      created_at: null,
      updated_at: null,
      native: list.devices[0],
    });
  });

  it('lower-cases the MAC, reads disconnected as offline and leaves unknowns null', () => {
    const device = mapDevice(list.devices[1], { ...ctx, board: null });
    expect(device.serial_number).toBe('02:43:3d:0a:07:1f');
    expect(device.online).toBe(false);
    expect(device.type).toBeNull();
    expect(mapDevice({ ID: 'x', operatingstatus: 'ok', macaddress: '' }, ctx)).toMatchObject({ online: null, serial_number: null, name: null });
  });

  it('prefers a device-level hardware type to the project board', () => {
    expect(mapDevice({ ID: 'x', board: 'Raspberry Pi' }, ctx).type).toBe('Raspberry Pi');
  });

  it('reads operating status case-insensitively', () => {
    expect(onlineOf('CONNECTED')).toBe(true);
    expect(onlineOf(undefined)).toBeNull();
  });
});

describe('mapStatus', () => {
  const [newest, agent] = fixture<IottlyMessagePage>('iottly.messages-paginated.json').messages;

  it('takes online from the props and last_seen_at from the newest message', () => {
    const device = fixture<IottlyDeviceList>('iottly.devices-props.json').devices[0];
    const status = mapStatus(device, CONN, [newest], undefined, Date.parse('2020-01-01T00:00:00Z'));
    expect(status).toEqual({
      object: 'device_status',
      device_id: `${CONN}:9a98b1e3-2934-47d8-8e92-992a8000e148`,
      online: true,
      last_seen_at: '2018-07-27T17:50:04.968Z',
      checked_at: '2020-01-01T00:00:00.000Z',
      details: expect.objectContaining({ operatingstatus: 'connected', agent_version: '1.7.4', fwsyncstatus: 'sync', last_message_type: 'userdefined' }),
      readings: [],
    });
  });

  it('gives the latest reading of each name among the recent messages, with common names where a key is a common word', () => {
    const at = (ms: number) => new Date(ms).toISOString().replace('Z', '');
    const message = (ms: number, payload: Record<string, unknown>) => ({ from: 'd1', timestamp: at(ms), devicetimestamp: at(ms - 2000), type: 'userdefined', payload });
    const recent = [message(20_000, { env: { temperature: 21.5 } }), message(10_000, { env: { temperature: 20.1, humidity: 60 }, air: { co2_ppm: 800 }, ok: true })];
    const status = mapStatus({ ID: 'd1' }, CONN, recent, undefined, 0);
    expect(status.readings.map((r) => [r.name, r.native_name, r.value, r.unit, r.at])).toEqual([
      ['co2', 'air.co2_ppm', 800, '[ppm]', '1970-01-01T00:00:08.000Z'],
      ['humidity', 'env.humidity', 60, null, '1970-01-01T00:00:08.000Z'],
      ['ok', 'ok', true, null, '1970-01-01T00:00:08.000Z'],
      ['temperature', 'env.temperature', 21.5, null, '1970-01-01T00:00:18.000Z'],
    ]);
    expect(status.readings[3].message_id).toMatch(/^iottly-lab:20000-[0-9a-f]{16}$/);
    expect(status.readings[3].id).toBe(`${status.readings[3].message_id}:env.temperature`);
  });

  it('reads a unit the payload names in a key suffix (pressure_hpa, flow_lpm), and none where it names none', () => {
    const at = new Date(10_000).toISOString().replace('Z', '');
    const payload = { weather: { pressure_hpa: 1012.4, wind_ms: 3.1 }, pump: { flow_lpm: 31.5 }, boiler: { gas_bar: 1.5 }, hive: { weight_kg: 41.2 }, tank: { level_cm: 120 } };
    const status = mapStatus({ ID: 'd1' }, CONN, [{ from: 'd1', timestamp: at, devicetimestamp: at, type: 'userdefined', payload }], undefined, 0);
    expect(Object.fromEntries(status.readings.map((r) => [r.native_name, [r.name, r.unit]]))).toEqual({
      'weather.pressure_hpa': ['pressure', 'hPa'],
      'weather.wind_ms': ['weather.wind_ms', null],
      'pump.flow_lpm': ['flow', 'L/min'],
      'boiler.gas_bar': ['gas', 'bar'],
      'hive.weight_kg': ['weight', 'kg'],
      'tank.level_cm': ['level', 'cm'],
    });
  });

  it('falls back to the agent’s last connectionstatus', () => {
    const status = mapStatus({ ID: 'x' }, CONN, [], agent, 0);
    expect(status.online).toBe(true);
    expect(status.last_seen_at).toBeNull();
    expect(status.details.last_connectionstatus).toBe('connected');
  });
});

describe('messages', () => {
  const page = fixture<IottlyMessagePage>('iottly.messages-paginated.json');

  it('maps a paginated message', () => {
    const [keyed] = keyMessages(DEVICE, page.messages);
    const message = mapMessage(keyed, CONN, DEVICE);
    expect(message).toEqual({
      object: 'message',
      id: `${CONN}:${keyed.id}`,
      device_id: `${CONN}:${DEVICE}`,
      connection_id: CONN,
      provider: 'iottly',
      direction: 'uplink',
      type: 'data',
      native_type: 'userdefined',
      created_at: '2018-07-27T17:50:04.968Z',
      device_time: '2018-07-27T17:49:51.000Z',
      data: { ECHO: { echo: { content: 'IOTTLY hello world!!!!' } } },
      readings: [],
      native: page.messages[0],
    });
    expect(keyed.id).toMatch(/^1532713804968-[0-9a-f]{16}$/);
    expect(mapMessage(keyMessages(DEVICE, page.messages)[1], CONN, DEVICE)).toMatchObject({ type: 'status', native_type: 'iottlyagent' });
  });

  it('maps a history message (Mongo dates) to the same id as its paginated twin', () => {
    const history = fixture<{ messages: IottlyMessage[] }>('iottly.messages-history.json').messages[0];
    const paginated: IottlyMessage = { ...history, timestamp: '2017-09-20T00:33:27.230', devicetimestamp: '2017-09-20T00:33:27' };
    delete (paginated as Record<string, unknown>)._id;
    expect(keyMessages(DEVICE, [history])[0].id).toBe(keyMessages(DEVICE, [paginated])[0].id);
    expect(mapMessage(keyMessages(DEVICE, [history])[0], CONN, DEVICE).created_at).toBe('2017-09-20T00:33:27.230Z');
  });

  it('derives ids that do not depend on payload key order, and differ per device', () => {
    const a: IottlyMessage = { from: DEVICE, timestamp: '2024-01-01T00:00:00', type: 'userdefined', payload: { x: 1, y: { b: 2, a: 1 } } };
    const b: IottlyMessage = { ...a, payload: { y: { a: 1, b: 2 }, x: 1 } };
    expect(keyMessages(DEVICE, [a])[0].id).toBe(keyMessages(DEVICE, [b])[0].id);
    expect(keyMessages('other', [a])[0].id).not.toBe(keyMessages(DEVICE, [a])[0].id);
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it('numbers identical copies so every id is unique', () => {
    const m: IottlyMessage = { from: DEVICE, timestamp: '2024-01-01T00:00:00', type: 'iottlyagent', payload: { connectionstatus: 'connected' } };
    const ids = keyMessages(DEVICE, [m, { ...m }, { ...m }]).map((k) => k.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids[1]).toBe(`${ids[0]}.1`);
  });

  it('resumes after the last time read without repeating or skipping equal times', () => {
    const at = (ts: string, n: number): IottlyMessage => ({ from: DEVICE, timestamp: ts, type: 'userdefined', payload: { n } });
    const first = keyMessages(DEVICE, [at('2024-01-01T00:00:03', 1), at('2024-01-01T00:00:02', 2), at('2024-01-01T00:00:02', 3)]);
    const cursor = cursorAfter(first)!;
    expect(cursor.t).toBe(Date.parse('2024-01-01T00:00:02Z'));
    expect(cursor.seen.split(',')).toHaveLength(2);
    expect(parseMessageCursor(JSON.parse(JSON.stringify(cursor)))).toEqual(cursor);
    // The re-read from t may return the tie in another order; what was handed out is still recognised.
    const reread = keyMessages(DEVICE, [at('2024-01-01T00:00:02', 3), at('2024-01-01T00:00:02', 4), at('2024-01-01T00:00:02', 2), at('2024-01-01T00:00:01', 5)]);
    expect(unseen(reread, cursor).map((k) => (k.raw.payload as { n: number }).n)).toEqual([4, 5]);
    expect(parseMessageCursor({ t: 'x', seen: '' })).toBeUndefined();
    expect(cursorAfter([])).toBeNull();
  });
});

describe('messagePushDown', () => {
  it('turns created_at bounds into from (inclusive) and to (exclusive, +1 ms)', () => {
    const pd = messagePushDown([filter('created_at', 'gte', 1000), filter('created_at', 'gte', 1500), filter('created_at', 'lte', 5000)]);
    expect(pd).toMatchObject({ empty: false, type: 'all', fromMs: 1500, toMs: 5001 });
    expect(messagePushDown([filter('created_at', 'gte', 5000), filter('created_at', 'lte', 4999)]).empty).toBe(true);
    expect(messagePushDown([filter('created_at', 'gte', 5000), filter('created_at', 'lte', 5000)]).empty).toBe(false);
  });

  it('narrows the vendor type from native_type and type', () => {
    expect(messagePushDown([filter('native_type', 'eq', 'iottlyagent')]).type).toBe('iottlyagent');
    expect(messagePushDown([filter('native_type', 'nin', ['iottlyagent'])]).type).toBe('userdefined');
    expect(messagePushDown([filter('type', 'eq', 'data')]).type).toBe('userdefined');
    expect(messagePushDown([filter('type', 'neq', 'data')]).type).toBe('iottlyagent');
    expect(messagePushDown([filter('type', 'in', ['data', 'status'])]).type).toBe('all');
    expect(messagePushDown([filter('type', 'eq', 'command')]).empty).toBe(true);
    expect(messagePushDown([filter('native_type', 'eq', 'userdefined'), filter('type', 'eq', 'status')]).empty).toBe(true);
  });

  it('knows every message is an uplink', () => {
    expect(messagePushDown([filter('direction', 'eq', 'uplink')]).empty).toBe(false);
    expect(messagePushDown([filter('direction', 'eq', 'downlink')]).empty).toBe(true);
    expect(messagePushDown([filter('direction', 'nin', ['uplink'])]).empty).toBe(true);
  });
});

describe('commands', () => {
  it('prefixes every param key with the command type, as the reference’s example body', () => {
    const body = fixture<IottlyCommandBody>('iottly.command.json');
    expect({ cmd_type: 'echo', values: commandValues('echo', { content: 'hi there!' }) }).toEqual(body);
  });

  it('normalises the prefix like the console', () => {
    expect(commandPrefix('LED control, v1.2')).toBe('LED_control_v12');
    expect(commandValues('LED control', { state: 'on' })).toEqual({ 'LED_control.state': 'on' });
  });

  it('names the field a vendor 400 is about', () => {
    expect(commandErrorField('echo', { content: 'x', bad: 1 }, "invalid key 'echo.bad': 'bad' is not a keyword of echo")).toBe('params.bad');
    expect(commandErrorField('nope', { a: 1 }, "cmd_type 'nope' is not a command declared in the project")).toBe('name');
    expect(commandErrorField('nope', {}, undefined)).toBe('name');
  });

  it('reports a sent command', () => {
    const command = mapCommand({ id: 'c1', name: 'echo', params: { content: 'x' } }, CONN, DEVICE, { status: 200 }, Date.parse('2024-01-01T00:00:00Z'));
    expect(command).toEqual({
      object: 'command',
      id: `${CONN}:c1`,
      device_id: `${CONN}:${DEVICE}`,
      name: 'echo',
      params: { content: 'x' },
      status: 'sent',
      created_at: '2024-01-01T00:00:00.000Z',
      updated_at: '2024-01-01T00:00:00.000Z',
      native: { status: 200 },
    });
  });
});
