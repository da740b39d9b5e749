import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import type { Filter } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { signAssertion } from './disruptive.client.js';
import { batchError } from './disruptive.errors.js';
import {
  HISTORY_EVENT_TYPES,
  SENSOR_OFFLINE_AFTER_MS,
  deviceLastSeen,
  deviceOnline,
  dtTimeToIso,
  dtTimeToMs,
  messageTypeOf,
  organizationName,
  parseDeviceName,
  planDevicePushdown,
  planEventPushdown,
  planProjectPushdown,
  statusDetails,
  toDevice,
  toDeviceStatus,
  toMessage,
  toProject,
} from './disruptive.mapper.js';
import type { DtBatchUpdateResponse, DtDeviceList, DtEventList, DtProjectList, DtTransferResponse } from './disruptive.types.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

const CONN = 'dt-acme';
const projects = fixture<DtProjectList>('disruptive.projects.json');
const devices = fixture<DtDeviceList>('disruptive.devices.json');
const events = fixture<DtEventList>('disruptive.events.json');
const batches = fixture<{ batchUpdate: DtBatchUpdateResponse; transfer: DtTransferResponse }>('disruptive.batch-errors.json');

const f = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });

describe('time', () => {
  it('cuts microseconds and nanoseconds to milliseconds, never rounding up', () => {
    expect(dtTimeToIso('2021-05-16T08:13:15.361624Z')).toBe('2021-05-16T08:13:15.361Z');
    expect(dtTimeToIso('2021-05-16T08:13:15.999999999Z')).toBe('2021-05-16T08:13:15.999Z');
    expect(dtTimeToIso('2020-01-01T00:00:00Z')).toBe('2020-01-01T00:00:00.000Z');
    expect(dtTimeToIso('2020-01-01T01:00:00.5+01:00')).toBe('2020-01-01T00:00:00.500Z');
    expect(dtTimeToIso('yesterday')).toBeNull();
    expect(dtTimeToIso(undefined)).toBeNull();
  });

  it('reads impossible dates as Date.parse does: rolled over, or refused', () => {
    expect(dtTimeToIso('2021-02-29T00:00:00Z')).toBe('2021-03-01T00:00:00.000Z');
    expect(dtTimeToIso('2021-04-31T12:00:00.5Z')).toBe('2021-05-01T12:00:00.500Z');
    expect(dtTimeToIso('2021-01-01T24:00:00Z')).toBe('2021-01-02T00:00:00.000Z');
    expect(dtTimeToMs('2021-13-01T00:00:00Z')).toBeNull();
    expect(dtTimeToMs('2021-01-01T00:60:00Z')).toBeNull();
    expect(dtTimeToMs('2021-01-01T00:00:00.Z')).toBeNull();
  });

  describe('every form agrees with the Date.parse reading', () => {
    /**
     * What the mapper did before it read `YYYY-MM-DDTHH:MM:SS[.f]Z` by hand, kept here as the reference:
     * the date and time through `Date.parse`, then the first three fractional digits added.
     */
    function referenceMs(value: string): number | null {
      const match = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(value);
      if (!match) return null;
      const whole = Date.parse(`${match[1]}T${match[2]}${match[4] === 'z' ? 'Z' : match[4]}`);
      return Number.isNaN(whole) ? null : whole + Number(`${match[3] ?? ''}000`.slice(0, 3));
    }

    /** The inputs whose answer differs from the reference, each with both answers. */
    function disagreements(values: Iterable<string>): string[] {
      const wrong: string[] = [];
      for (const value of values) {
        const ms = referenceMs(value);
        const iso = ms === null ? null : new Date(ms).toISOString();
        if (dtTimeToMs(value) !== ms || dtTimeToIso(value) !== iso) wrong.push(`${value}: ${dtTimeToMs(value)} ${dtTimeToIso(value)}, expected ${ms} ${iso}`);
      }
      return wrong;
    }

    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const stamp = (y: number, mo: number, d: number, h: number, mi: number, s: number, fraction: string, zone: string) =>
      `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fraction}${zone}`;

    // The canonical form is read by @devicegate/core (its spec compares it with Date.parse on generated
    // times); this checks the mapper hands every form to the right reading, offsets and rolled-over days too.
    it('on every day 0–32 of every month 0–13 of century and leap-rule years', () => {
      const values: string[] = [];
      for (const y of [0, 1, 4, 99, 100, 400, 1600, 1700, 1900, 1969, 1970, 2000, 2021, 2024, 2100, 9999]) {
        for (let mo = 0; mo <= 13; mo++) {
          for (let d = 0; d <= 32; d++) {
            values.push(stamp(y, mo, d, 0, 0, 0, '', 'Z'), stamp(y, mo, d, 23, 59, 59, '.999999999', 'Z'), stamp(y, mo, d, 24, 0, 0, '.5', 'Z'), stamp(y, mo, d, 12, 0, 0, '.25', '+01:00'), stamp(y, mo, d, 6, 30, 0, '.123456', 'z'));
          }
        }
      }
      expect(disagreements(values)).toEqual([]);
    });
  });
});

describe('names', () => {
  it('parses device resource names and normalises organizations', () => {
    expect(parseDeviceName('projects/p1/devices/d1')).toEqual({ projectId: 'p1', deviceId: 'd1' });
    expect(parseDeviceName('projects/p1')).toBeUndefined();
    expect(organizationName('abc')).toBe('organizations/abc');
    expect(organizationName('organizations/abc')).toBe('organizations/abc');
  });
});

describe('toProject', () => {
  it('maps a project with sensor and Cloud Connector counts', () => {
    expect(toProject(projects.projects[0], CONN)).toEqual({
      object: 'project',
      id: 'dt-acme:c15j9p094l47cdv0o3pg',
      connection_id: CONN,
      provider: 'disruptive',
      name: 'my-project',
      kind: 'project',
      device_count: 8,
      created_at: null,
      native: projects.projects[0],
    });
  });

  it('leaves device_count null when the vendor gives no counts', () => {
    expect(toProject(projects.projects[1], CONN).device_count).toBeNull();
  });

  it('refuses a project without a resource name', () => {
    expect(() => toProject({ name: 'nope' }, CONN)).toThrow(GatewayError);
  });
});

describe('toDevice', () => {
  const now = Date.parse('2021-03-13T16:30:00Z');

  it('maps a sensor: the name label is the name, the device id (printed on the sensor) the serial number', () => {
    expect(toDevice(devices.devices[0], CONN, now)).toEqual({
      object: 'device',
      id: 'dt-acme:c0pppd1qdqebrvv1iqp0',
      connection_id: CONN,
      provider: 'disruptive',
      project_id: 'dt-acme:c0md3mm0c7pet3vico8g',
      name: 'temperature',
      type: 'temperature',
      serial_number: 'c0pppd1qdqebrvv1iqp0',
      labels: { test: '2' },
      tags: [],
      online: true,
      last_seen_at: '2021-03-13T16:05:53.021Z',
      created_at: null,
      updated_at: null,
      readings: expect.any(Array),
      native: devices.devices[0],
    });
  });

  it('maps a Cloud Connector: online from connectionStatus', () => {
    const device = toDevice(devices.devices[1], CONN, now + 30 * 24 * 3600_000);
    expect(device.online).toBe(true);
    expect(device.labels).toEqual({ 'virtual-sensor': '' });
    expect(device.last_seen_at).toBe('2021-03-13T16:05:27.591Z');
    const offline = { ...devices.devices[1], reported: { connectionStatus: { connection: 'OFFLINE', available: [] } } };
    expect(deviceOnline(offline, now)).toBe(false);
  });

  it('leaves unknown facts null: no reported state, empty product number, no name label', () => {
    const device = toDevice(devices.devices[2], CONN, now);
    expect(device).toMatchObject({ name: null, online: null, last_seen_at: null, labels: { key: 'value', 'virtual-sensor': '' }, readings: [] });
    expect(device.serial_number).toBe(device.id.slice(`${CONN}:`.length));
  });

  it('takes a sensor as offline after an hour without a heartbeat', () => {
    const heartbeat = Date.parse('2021-03-13T16:05:53.021Z');
    expect(deviceOnline(devices.devices[0], heartbeat + SENSOR_OFFLINE_AFTER_MS)).toBe(true);
    expect(deviceOnline(devices.devices[0], heartbeat + SENSOR_OFFLINE_AFTER_MS + 1)).toBe(false);
  });

  it('gives the newest entry as the last contact, whatever zone each is written in', () => {
    const reported = { touch: { updateTime: '2021-01-01T00:59:59.999999Z' }, batteryStatus: { updateTime: '2021-01-01T02:00:00.25+01:00' }, networkStatus: { updateTime: '2021-01-01T00:30:00Z' } };
    expect(deviceLastSeen({ name: 'projects/p/devices/d', reported })).toBe('2021-01-01T01:00:00.250Z');
  });

  it('ignores null reported entries when looking for the last contact', () => {
    expect(deviceLastSeen({ name: 'projects/p/devices/d', reported: { touch: null, batteryStatus: { updateTime: '2021-01-01T00:00:00.000001Z' } } })).toBe(
      '2021-01-01T00:00:00.000Z',
    );
  });
});

describe('status', () => {
  it('shows temperature, touch, battery, signal and connection of a sensor', () => {
    const now = Date.parse('2021-03-13T16:30:00Z');
    const status = toDeviceStatus(devices.devices[0], CONN, now);
    expect(status).toEqual({
      object: 'device_status',
      device_id: 'dt-acme:c0pppd1qdqebrvv1iqp0',
      online: true,
      last_seen_at: '2021-03-13T16:05:53.021Z',
      checked_at: '2021-03-13T16:30:00.000Z',
      details: {
        device_type: 'temperature',
        temperature: -27,
        humidity: null,
        touch: { last_touched_at: '2021-03-13T16:05:53.015Z' },
        battery: { percentage: 100, updated_at: '2021-03-13T16:05:49.380Z' },
        signal: { signal_strength: 99, rssi: 0, updated_at: '2021-03-13T16:05:53.021Z' },
        connection: {
          type: 'CLOUD_CONNECTOR',
          transmission_mode: 'LOW_POWER_STANDARD_MODE',
          cloud_connectors: [{ id: 'emulated-ccon', signal_strength: 99, rssi: 0 }],
        },
      },
      readings: expect.any(Array),
    });
    expect(status.readings.map((r) => [r.name, r.native_name, r.value, r.unit, r.at, r.id])).toEqual([
      ['battery_level', 'batteryStatus.percentage', 100, '%', '2021-03-13T16:05:49.380Z', 'dt-acme:c0pppd1qdqebrvv1iqp0:batteryStatus.percentage'],
      ['rssi', 'networkStatus.rssi', 0, 'dB[mW]', '2021-03-13T16:05:53.021Z', 'dt-acme:c0pppd1qdqebrvv1iqp0:networkStatus.rssi'],
      ['signal_strength', 'networkStatus.signalStrength', 99, '%', '2021-03-13T16:05:53.021Z', 'dt-acme:c0pppd1qdqebrvv1iqp0:networkStatus.signalStrength'],
      ['temperature', 'temperature.value', -27, 'Cel', '2021-03-13T16:05:47.722Z', 'dt-acme:c0pppd1qdqebrvv1iqp0:temperature.value'],
      ['touch', 'touch.updateTime', true, null, '2021-03-13T16:05:53.015Z', 'dt-acme:c0pppd1qdqebrvv1iqp0:touch.updateTime'],
    ]);
    expect(toDevice(devices.devices[0], CONN, now).readings).toEqual(status.readings);
  });

  it('gives binary states as booleans and humidity sensors both their values', () => {
    const device = { name: 'projects/p/devices/d', reported: { humidity: { temperature: 21.5, relativeHumidity: 40, updateTime: '2024-01-01T00:00:00.000000Z' }, objectPresent: { state: 'PRESENT', updateTime: '2024-01-01T00:00:01.000000Z' } } };
    expect(toDeviceStatus(device, CONN, 0).readings.map((r) => [r.name, r.value, r.unit])).toEqual([
      ['humidity', 40, '%'],
      ['proximity', true, null],
      ['temperature', 21.5, 'Cel'],
    ]);
  });

  it('shows the uplink of a Cloud Connector and other readings when present', () => {
    expect(statusDetails(devices.devices[1])).toMatchObject({
      device_type: 'ccon',
      signal: { signal_strength: 100, rssi: null },
      connection: { type: 'CELLULAR', available: ['ETHERNET', 'CELLULAR'] },
      battery: null,
      temperature: null,
    });
    const humidity = statusDetails({
      name: 'projects/p/devices/d',
      type: 'humidity',
      reported: { humidity: { temperature: 21.5, relativeHumidity: 40 }, objectPresent: { state: 'PRESENT' } },
    });
    expect(humidity).toMatchObject({ temperature: 21.5, humidity: 40, object_present: 'PRESENT' });
  });
});

describe('toMessage', () => {
  it('maps an event: eventId, eventType, data as is, microseconds to milliseconds', () => {
    expect(toMessage(events.events[1], CONN)).toEqual({
      object: 'message',
      id: 'dt-acme:cpbg96qngr7ai7ldarrg',
      device_id: 'dt-acme:emucdd6ef2eu277bo8f52vg',
      connection_id: CONN,
      provider: 'disruptive',
      direction: 'uplink',
      type: 'data',
      native_type: 'temperature',
      created_at: '2024-05-29T10:34:03.970Z',
      device_time: '2024-05-29T10:34:03.970Z',
      data: events.events[1].data,
      readings: [
        {
          object: 'reading',
          id: 'dt-acme:cpbg96qngr7ai7ldarrg:temperature.value',
          device_id: 'dt-acme:emucdd6ef2eu277bo8f52vg',
          connection_id: CONN,
          provider: 'disruptive',
          name: 'temperature',
          native_name: 'temperature.value',
          value: 27,
          unit: 'Cel',
          at: '2024-05-29T10:34:03.970Z',
          message_id: 'dt-acme:cpbg96qngr7ai7ldarrg',
        },
      ],
      native: events.events[1],
    });
  });

  it('takes device_time from the newest sample and gives each older sample a reading at its own time', () => {
    const event = {
      ...events.events[1],
      data: { temperature: { value: 22.3, updateTime: '2024-05-29T10:34:05.000000Z', samples: [{ value: 22.3, sampleTime: '2024-05-29T10:34:03.000000Z' }, { value: 21.9, sampleTime: '2024-05-29T10:30:00.000000Z' }] } },
    };
    const message = toMessage(event, CONN);
    expect(message.device_time).toBe('2024-05-29T10:34:03.000Z');
    expect(message.readings?.map((r) => [r.native_name, r.value, r.at])).toEqual([
      ['temperature.value', 22.3, '2024-05-29T10:34:03.000Z'],
      ['temperature.samples.1.value', 21.9, '2024-05-29T10:30:00.000Z'],
    ]);
  });

  it('types events by the table', () => {
    expect(events.events.map((e) => toMessage(e, CONN).type)).toEqual(['data', 'data', 'status', 'config', 'event']);
    expect(messageTypeOf('batteryStatus')).toBe('status');
    expect(messageTypeOf('someFutureReading')).toBe('data');
    expect(messageTypeOf('constructor')).toBe('data');
  });

  it('gives a ping (data null) an empty object and refuses an event without a timestamp', () => {
    expect(toMessage({ ...events.events[0], data: null }, CONN).data).toEqual({});
    expect(() => toMessage({ ...events.events[0], timestamp: '' }, CONN)).toThrow(GatewayError);
  });
});

describe('batch errors', () => {
  it('maps INVALID_ARGUMENT to validation_error and NOT_FOUND to not_found', () => {
    const who = { connectionId: CONN, provider: 'disruptive' };
    const invalid = batchError(batches.batchUpdate.batchErrors!, who, 'labels');
    expect(invalid.type).toBe('validation_error');
    expect(invalid.fields).toEqual([{ name: 'labels', message: 'Max labels reached for device.' }]);
    expect(batchError(batches.transfer.transferErrors!, who, 'project_id').type).toBe('not_found');
    expect(batchError([{ status: { code: 'INTERNAL_ERROR' } }], who, 'x').type).toBe('upstream_error');
  });
});

describe('push-down', () => {
  it('devices: ids, projects, types, name and labels; other connections never match', () => {
    expect(
      planDevicePushdown(
        [
          f('id', 'in', ['dt-acme:d1', 'other:d2', 'dt-acme:d3']),
          f('project_id', 'eq', 'dt-acme:p1'),
          f('type', 'in', ['temperature', 'ccon']),
          f('name', 'eq', 'Freezer'),
          f('labels.room', 'eq', 'a=b'),
          f('labels.flag', 'eq', ''),
          f('labels.name', 'eq', 'x'),
          f('labels.zone', 'in', ['1', '2']),
          f('online', 'eq', true),
        ],
        CONN,
      ),
    ).toEqual({
      none: false,
      deviceIds: ['d1', 'd3'],
      projectIds: ['p1'],
      deviceTypes: ['temperature', 'ccon'],
      labelFilters: ['name=Freezer', 'room=a=b', 'flag'],
    });
  });

  it('devices: an undocumented type is not pushed down; impossible sets read nothing', () => {
    expect(planDevicePushdown([f('type', 'eq', 'Temperature')], CONN)).toMatchObject({ none: false, deviceTypes: undefined });
    expect(planDevicePushdown([f('id', 'eq', 'other:d1')], CONN).none).toBe(true);
    expect(planDevicePushdown([f('id', 'eq', 'dt-acme:a'), f('id', 'eq', 'dt-acme:b')], CONN).none).toBe(true);
  });

  it('projects: an exact id, kind and connection', () => {
    expect(planProjectPushdown([f('id', 'eq', 'dt-acme:p1')], CONN)).toEqual({ none: false, projectIds: ['p1'] });
    expect(planProjectPushdown([f('kind', 'eq', 'space')], CONN).none).toBe(true);
    expect(planProjectPushdown([f('id', 'in', ['other:p1'])], CONN).none).toBe(true);
    expect(planProjectPushdown([f('name', 'eq', 'x')], CONN)).toEqual({ none: false, projectIds: undefined });
  });

  it('messages: time window widened by a millisecond, event types from native_type and type', () => {
    const gte = Date.parse('2024-01-01T00:00:00Z');
    const lte = Date.parse('2024-01-02T00:00:00Z');
    expect(planEventPushdown([f('created_at', 'gte', gte), f('created_at', 'lte', lte)], CONN)).toEqual({
      none: false,
      eventTypes: undefined,
      startMs: gte - 1,
      endMs: lte + 1,
    });
    expect(planEventPushdown([f('type', 'eq', 'status')], CONN).eventTypes).toEqual([
      'networkStatus',
      'batteryStatus',
      'connectionStatus',
      'ethernetStatus',
      'cellularStatus',
      'connectionLatency',
      'probeWireStatus',
    ]);
    expect(planEventPushdown([f('type', 'in', ['status', 'event']), f('native_type', 'in', ['touch', 'temperature'])], CONN).eventTypes).toEqual(['touch']);
    // `data` also holds event types DT may add later, which cannot be named: no push-down.
    expect(planEventPushdown([f('type', 'eq', 'data')], CONN).eventTypes).toBeUndefined();
    expect(planEventPushdown([f('native_type', 'eq', 'labelsChanged')], CONN).eventTypes).toBeUndefined();
    expect(HISTORY_EVENT_TYPES).not.toContain('labelsChanged');
  });

  it('messages: impossible combinations read nothing', () => {
    expect(planEventPushdown([f('type', 'eq', 'command')], CONN).none).toBe(true);
    expect(planEventPushdown([f('direction', 'eq', 'downlink')], CONN).none).toBe(true);
    expect(planEventPushdown([f('direction', 'nin', ['uplink'])], CONN).none).toBe(true);
    expect(planEventPushdown([f('created_at', 'gte', 10), f('created_at', 'lte', 5)], CONN).none).toBe(true);
    expect(planEventPushdown([f('type', 'eq', 'event'), f('native_type', 'eq', 'temperature')], CONN).none).toBe(true);
  });
});

describe('signAssertion', () => {
  it('signs an HS256 JWT with kid, iss, aud and a lifetime of at most an hour', () => {
    const auth = { keyId: 'kid1', secret: 's3cret', email: 'sa@p.serviceaccount.d21s.com', tokenUrl: 'https://identity.example/oauth2/token' };
    const jwt = signAssertion(auth, Date.parse('2024-01-01T00:00:00Z'));
    const [h, p, s] = jwt.split('.');
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(decode(h)).toEqual({ alg: 'HS256', kid: 'kid1', typ: 'JWT' });
    const claims = decode(p);
    expect(claims).toMatchObject({ iss: auth.email, aud: auth.tokenUrl });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(3600);
    expect(s).toBe(createHmac('sha256', 's3cret').update(`${h}.${p}`).digest('base64url'));
  });
});
