import { readFileSync } from 'node:fs';
import type { Command, Filter } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import {
  deviceTime,
  isOnline,
  mapDevice,
  mapMessage,
  mapSpace,
  mapStatus,
  mergeLabels,
  messageType,
  nativeTypesOf,
  parseBody,
  tagIndex,
  toIso,
} from './hardwario.mapper.js';
import { commandParams, commandStatus, downlinkRequest, mapCommand } from './hardwario.downlinks.js';
import { EARLIEST_AFTER_MS, messagePushDown } from './hardwario.push-down.js';
import type { HwDevice, HwMessage, HwSpace, HwTag } from './hardwario.types.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

const space = fixture<HwSpace>('hardwario.space.json');
const device = fixture<HwDevice>('hardwario.device.json');
const dataMessage = fixture<HwMessage>('hardwario.message-data.json');
const statsMessage = fixture<HwMessage>('hardwario.message-chester-object.json');
const configDownlink = fixture<HwMessage>('hardwario.message-config-downlink.json');
const tags = fixture<HwTag[]>('hardwario.tags.json');

const CONN = 'hw-main';
const SPACE = space.id;
const HOUR = 3_600_000;
const LAST_SEEN = Date.parse('2024-04-17T11:08:27.917Z');

const filter = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });

describe('toIso', () => {
  it('normalizes vendor time forms to RFC 3339 UTC with milliseconds', () => {
    expect(toIso('2024-04-17T11:08:27.917Z')).toBe('2024-04-17T11:08:27.917Z');
    expect(toIso('2024-04-17T11:08:27Z')).toBe('2024-04-17T11:08:27.000Z');
    expect(toIso('2024-04-17T13:08:27.917+02:00')).toBe('2024-04-17T11:08:27.917Z');
    expect(toIso('2025-01-01T12:00:00')).toBe('2025-01-01T12:00:00.000Z');
    expect(toIso(LAST_SEEN)).toBe('2024-04-17T11:08:27.917Z');
    expect(toIso(null)).toBeNull();
    expect(toIso('yesterday')).toBeNull();
  });

  it('answers the moment an impossible calendar date rolls over to, in canonical form as in any other', () => {
    // The instant Date.parse makes of it, whatever form it came in: never the impossible text itself.
    expect(toIso('2021-02-30T00:00:00.000Z')).toBe('2021-03-02T00:00:00.000Z');
    expect(toIso('2021-02-30T00:00:00Z')).toBe('2021-03-02T00:00:00.000Z');
    expect(toIso('2021-02-29T12:00:00.000Z')).toBe('2021-03-01T12:00:00.000Z');
    expect(toIso('2100-02-29T00:00:00.000Z')).toBe('2100-03-01T00:00:00.000Z');
    expect(toIso('2021-04-31T10:00:00.000Z')).toBe('2021-05-01T10:00:00.000Z');
    expect(toIso('2021-01-01T24:00:00.000Z')).toBe('2021-01-02T00:00:00.000Z');
    // Real leap days and month ends stay exactly as sent.
    expect(toIso('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(toIso('2000-02-29T00:00:00.000Z')).toBe('2000-02-29T00:00:00.000Z');
    expect(toIso('2021-12-31T23:59:59.999Z')).toBe('2021-12-31T23:59:59.999Z');
  });
});

describe('mapSpace', () => {
  it('maps the space to a project of kind space', () => {
    expect(mapSpace(space, 12, { connectionId: CONN, spaceId: SPACE })).toEqual({
      object: 'project',
      id: `${CONN}:${SPACE}`,
      connection_id: CONN,
      provider: 'hardwario',
      name: 'acme-warehouse',
      kind: 'space',
      device_count: 12,
      created_at: '2023-08-20T21:59:51.011Z',
      native: space,
    });
  });

  it('keeps an unknown device count null', () => {
    expect(mapSpace(space, null, { connectionId: CONN, spaceId: SPACE }).device_count).toBeNull();
  });
});

describe('mapDevice', () => {
  const ctx = { connectionId: CONN, spaceId: SPACE, onlineWindowMs: HOUR };

  it('maps the reference device example', () => {
    expect(mapDevice(device, { ...ctx, now: LAST_SEEN + 60_000 })).toEqual({
      object: 'device',
      id: `${CONN}:018a1535-fd39-7293-bd36-52df3e62e962`,
      connection_id: CONN,
      provider: 'hardwario',
      project_id: `${CONN}:${SPACE}`,
      name: 'meter-warehouse-01',
      type: null,
      serial_number: '2159020389',
      labels: { location: 'prague-floor-3' },
      tags: ['temperature-sensors'],
      online: true,
      last_seen_at: '2024-04-17T11:08:27.917Z',
      created_at: '2023-08-30T06:51:20.761Z',
      updated_at: null,
      native: device,
    });
  });

  it('is offline once last_seen is older than the online window, and when never seen', () => {
    expect(mapDevice(device, { ...ctx, now: LAST_SEEN + HOUR + 1 }).online).toBe(false);
    expect(mapDevice({ ...device, last_seen: null }, { ...ctx, now: LAST_SEEN }).online).toBe(false);
    expect(isOnline('2024-04-17T11:08:27.917Z', LAST_SEEN + HOUR, HOUR)).toBe(true);
  });

  it('takes the product name as type, accepts tag names and stringifies scalar labels', () => {
    const mapped = mapDevice(
      { ...device, product_name: 'CHESTER-M', tags: ['a', { id: 'x', name: 'b' }], label: { floor: 3, ok: true, nested: { x: 1 }, gone: null } },
      { ...ctx, now: LAST_SEEN },
    );
    expect(mapped.type).toBe('CHESTER-M');
    expect(mapped.tags).toEqual(['a', 'b']);
    expect(mapped.labels).toEqual({ floor: '3', ok: 'true' });
  });

  it('falls back to the connection space and to empty collections', () => {
    const bare: HwDevice = { id: '018a1535-fd39-7293-bd36-52df3e62e963' };
    const mapped = mapDevice(bare, { ...ctx, now: LAST_SEEN });
    expect(mapped.project_id).toBe(`${CONN}:${SPACE}`);
    expect(mapped.labels).toEqual({});
    expect(mapped.tags).toEqual([]);
    expect(mapped.name).toBeNull();
    expect(mapped.serial_number).toBeNull();
    expect(mapped.last_seen_at).toBeNull();
  });
});

describe('labels and tags', () => {
  it('merges a label patch: null removes, others set, unnamed stay', () => {
    expect(mergeLabels({ a: '1', b: '2', c: '3' }, { a: 'x', b: null, d: '4' })).toEqual({ a: 'x', c: '3', d: '4' });
  });

  it('indexes tag names to ids', () => {
    const index = tagIndex([...tags, { id: 'dup', name: 'warehouse' }]);
    expect(index.get('temperature-sensors')).toEqual(['01922945-0c04-7258-ae68-5b6ef7db4421']);
    expect(index.get('warehouse')).toEqual(['01922945-0c04-7258-ae68-5b6ef7db4422', 'dup']);
  });
});

describe('messages', () => {
  it('parses a JSON-string body into data', () => {
    expect(mapMessage(dataMessage, { connectionId: CONN, deviceId: dataMessage.device_id! })).toEqual({
      object: 'message',
      id: `${CONN}:018eebbe-678d-7c60-b4ef-d141f48378e8`,
      device_id: `${CONN}:018a1535-fd39-7293-bd36-52df3e62e962`,
      connection_id: CONN,
      provider: 'hardwario',
      direction: 'uplink',
      type: 'data',
      native_type: 'data',
      created_at: '2024-04-17T11:08:27.917Z',
      device_time: null,
      data: { thermometer: { temperature: 22.43 }, battery: { voltage_rest: 2.64, voltage_load: 2.5, current_load: 25 } },
      readings: expect.any(Array),
      native: dataMessage,
    });
  });

  it('accepts an object body and reads the device clock from message.timestamp', () => {
    const mapped = mapMessage(statsMessage, { connectionId: CONN, deviceId: 'ignored' });
    expect(mapped.type).toBe('status');
    expect(mapped.data).toBe(statsMessage.body);
    expect(mapped.device_time).toBe('2024-04-17T11:08:20.000Z');
  });

  it('gives readings of the numeric leaves with CHESTER names and units, and of aggregated series at their newest window', () => {
    const body = {
      message: { version: 1, sequence: 7, timestamp: 1713352100 },
      attribute: { product_name: 'CHESTER-M' },
      thermometer: { temperature: 22.43 },
      hygrometer: { humidity: { measurements: [{ timestamp: 1713351000, avg: 40.1 }, { timestamp: 1713351600, avg: 41.5 }] } },
      network: { imei: 351358810000000, parameter: { rsrp: -95, band: 20 } },
      output: { relay: true },
    };
    const mapped = mapMessage({ ...dataMessage, body: JSON.stringify(body) }, { connectionId: CONN, deviceId: 'x' });
    expect(mapped.readings?.map((r) => [r.name, r.native_name, r.value, r.unit, r.at])).toEqual([
      ['temperature', 'thermometer.temperature', 22.43, 'Cel', '2024-04-17T11:08:20.000Z'],
      ['signal_strength', 'network.parameter.rsrp', -95, 'dB[mW]', '2024-04-17T11:08:20.000Z'],
      ['output.relay', 'output.relay', true, null, '2024-04-17T11:08:20.000Z'],
      ['humidity', 'hygrometer.humidity', 41.5, '%', '2024-04-17T11:00:00.000Z'],
    ]);
    expect(mapped.readings?.[0].id).toBe(`${mapped.id}:thermometer.temperature`);
    expect(mapMessage(configDownlink, { connectionId: CONN, deviceId: 'x' }).readings).toEqual([]);
  });

  it('maps a config downlink', () => {
    const mapped = mapMessage(configDownlink, { connectionId: CONN, deviceId: 'x' });
    expect(mapped.direction).toBe('downlink');
    expect(mapped.type).toBe('config');
    expect(mapped.data).toEqual({ value: ['app config interval-sample 60', 'app config interval-report 1800'] });
  });

  it('wraps non-object bodies and tolerates missing ones', () => {
    expect(parseBody('42')).toEqual({ value: 42 });
    expect(parseBody('"hello"')).toEqual({ value: 'hello' });
    expect(parseBody('not json')).toEqual({ value: 'not json' });
    expect(parseBody(null)).toEqual({});
    expect(parseBody('')).toEqual({});
    expect(parseBody([1, 2])).toEqual({ value: [1, 2] });
    expect(deviceTime({ message: { timestamp: 1713352100123 } })).toBe('2024-04-17T11:08:20.123Z');
    expect(deviceTime({ message: 'x' })).toBeNull();
  });

  it('maps vendor types to contract types and back', () => {
    expect(['data', 'config', 'shell', 'session', 'stats', 'codec', 'firmware', 'brand-new', null].map((t) => messageType(t))).toEqual([
      'data',
      'config',
      'command',
      'status',
      'status',
      'event',
      'event',
      'event',
      'event',
    ]);
    expect(nativeTypesOf('status')).toEqual(['session', 'stats']);
    expect(nativeTypesOf('command')).toEqual(['shell']);
    expect(nativeTypesOf('log')).toEqual([]);
    expect(nativeTypesOf('event')).toBeUndefined();
  });
});

const pushDown = (filters: Filter[]) => messagePushDown(filters, 'hw-test');

describe('messagePushDown', () => {
  const t = Date.parse('2024-04-17T11:00:00.000Z');

  it('always sends an explicit early lower bound', () => {
    expect(pushDown([])).toEqual({ empty: false, after: EARLIEST_AFTER_MS, before: undefined });
  });

  it('widens created_at bounds by a millisecond and keeps the tightest', () => {
    const push = pushDown([filter('created_at', 'gte', t), filter('created_at', 'gte', t - 5000), filter('created_at', 'lte', t + 1000)]);
    expect(push.after).toBe(t - 1);
    expect(push.before).toBe(t + 1001);
    expect(pushDown([filter('created_at', 'gte', t + 1), filter('created_at', 'lte', t)]).empty).toBe(true);
  });

  it('pushes types as the intersection of type and native_type', () => {
    expect(pushDown([filter('type', 'in', ['status', 'data'])]).types).toEqual(['data', 'session', 'stats']);
    expect(pushDown([filter('type', 'eq', 'status'), filter('native_type', 'eq', 'stats')]).types).toEqual(['stats']);
    expect(pushDown([filter('type', 'eq', 'data'), filter('native_type', 'eq', 'shell')]).empty).toBe(true);
    expect(pushDown([filter('type', 'eq', 'log')]).empty).toBe(true);
  });

  it('leaves types it cannot enumerate to the gateway', () => {
    expect(pushDown([filter('type', 'eq', 'event')]).types).toBeUndefined();
    expect(pushDown([filter('type', 'in', ['event', 'data'])]).types).toBeUndefined();
    expect(pushDown([filter('native_type', 'eq', 'firmware')]).types).toBeUndefined();
    expect(pushDown([filter('type', 'neq', 'data')]).types).toBeUndefined();
  });

  it('maps direction eq/in/neq/nin to up or down', () => {
    expect(pushDown([filter('direction', 'eq', 'uplink')]).direction).toBe('up');
    expect(pushDown([filter('direction', 'neq', 'uplink')]).direction).toBe('down');
    expect(pushDown([filter('direction', 'in', ['uplink', 'downlink'])]).direction).toBeUndefined();
    expect(pushDown([filter('direction', 'eq', 'uplink'), filter('direction', 'eq', 'downlink')]).empty).toBe(true);
  });
});

describe('status', () => {
  it('combines the device with battery and signal of its latest uplink', () => {
    const status = mapStatus(device, statsMessage, {
      connectionId: CONN,
      spaceId: SPACE,
      onlineWindowMs: HOUR,
      now: LAST_SEEN + 10_000,
      checkedAt: LAST_SEEN + 10_000,
    });
    expect(status).toEqual({
      object: 'device_status',
      device_id: `${CONN}:${device.id}`,
      online: true,
      last_seen_at: '2024-04-17T11:08:27.917Z',
      checked_at: '2024-04-17T11:08:37.917Z',
      details: {
        session_id: 1712549305,
        external_id: 'wh-01',
        config_hash: '3f1a9c',
        decoder_hash: '8b2e44',
        encoder_hash: 'c0ffee',
        online_window_s: 3600,
        last_message: { id: `${CONN}:${statsMessage.id}`, type: 'stats', created_at: '2024-04-17T11:08:27.918Z' },
        battery: { voltage_rest: 3.61, voltage_load: 3.55, current_load: 41 },
        signal: { band: 20, rsrp: -95, rsrq: -6, snr: 2 },
        uptime: 86400,
      },
      readings: expect.any(Array),
    });
    expect(status.readings.map((r) => r.name)).toContain('signal_strength');
  });

  it('reads the older battery block', () => {
    const status = mapStatus(device, dataMessage, { connectionId: CONN, spaceId: SPACE, onlineWindowMs: HOUR, now: 0, checkedAt: 0 });
    expect(status.details.battery).toEqual({ voltage_rest: 2.64, voltage_load: 2.5, current_load: 25 });
    expect(status.details.signal).toBeUndefined();
  });
});

describe('commands', () => {
  it('maps down_state to command status', () => {
    expect([commandStatus('pending'), commandStatus('sent'), commandStatus('cancelled'), commandStatus(null)]).toEqual(['queued', 'sent', 'failed', undefined]);
  });

  it('maps a downlink message to a command', () => {
    expect(mapCommand(configDownlink, { connectionId: CONN, deviceId: device.id })).toEqual({
      object: 'command',
      id: `${CONN}:${configDownlink.id}`,
      device_id: `${CONN}:${device.id}`,
      name: 'config',
      params: { lines: ['app config interval-sample 60', 'app config interval-report 1800'] },
      status: 'sent',
      created_at: '2024-04-17T11:10:00.000Z',
      updated_at: '2024-04-17T11:20:00.000Z',
      native: configDownlink,
    });
  });

  it('prefers what devicegate recorded for name and params, and its status when the vendor has none', () => {
    const known: Command = {
      object: 'command',
      id: 'x',
      device_id: 'y',
      name: 'shell',
      params: { commands: ['info show'] },
      status: 'queued',
      created_at: null,
      updated_at: null,
    };
    const mapped = mapCommand({ ...configDownlink, type: 'shell', down_state: null }, { connectionId: CONN, deviceId: device.id, known });
    expect(mapped.name).toBe('shell');
    expect(mapped.params).toEqual({ commands: ['info show'] });
    expect(mapped.status).toBe('queued');
    expect(commandParams('downlink', '{"relay":true}')).toEqual({ relay: true });
  });

  it('builds the vendor request of each command', () => {
    expect(downlinkRequest({ name: 'downlink', params: { relay: true, setpoint: 21.5 } })).toEqual(['downlinks', { relay: true, setpoint: 21.5 }]);
    expect(downlinkRequest({ name: 'config', params: { lines: ['app config interval-report 1800'] } })).toEqual(['configs', ['app config interval-report 1800']]);
    expect(downlinkRequest({ name: 'shell', params: { commands: ['info show', 'app config show'] } })).toEqual(['commands', ['info show', 'app config show']]);
  });

  it('rejects malformed params with the fields named', () => {
    const fieldsOf = (name: string, params: Record<string, unknown>) => {
      try {
        downlinkRequest({ name, params });
      } catch (error) {
        expect(error).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).type).toBe('validation_error');
        return (error as GatewayError).fields?.map((f) => f.name);
      }
      throw new Error('expected a validation error');
    };
    expect(fieldsOf('downlink', {})).toEqual(['params']);
    expect(fieldsOf('config', { lines: 'app config x' })).toEqual(['params.lines']);
    expect(fieldsOf('config', { lines: ['ok', 3, 'config save'] })).toEqual(['params.lines[1]', 'params.lines[2]']);
    expect(fieldsOf('shell', { commands: [], extra: 1 })).toEqual(['params.extra', 'params.commands']);
    expect(fieldsOf('reboot', {})).toEqual(['name']);
  });
});
