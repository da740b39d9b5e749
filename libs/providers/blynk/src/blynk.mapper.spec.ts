import { readFileSync } from 'node:fs';
import { GatewayError } from '@devicegate/errors';
import {
  commandRequest,
  deviceNameProblem,
  lastSeenOf,
  mapCommand,
  mapDevice,
  mapOrganization,
  mapStatus,
  mapTimelineEvent,
  parseNativeId,
  parseOrgId,
  summaryOf,
  toIso,
} from './blynk.mapper.js';
import type { BlynkDevice, BlynkDeviceFull, BlynkDeviceTag, BlynkOnline, BlynkPage, BlynkTimelineEvent } from './blynk.types.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

const CONN = 'blynk-eu';

function validationFields(fn: () => unknown): Array<{ name: string; message: string }> {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).type).toBe('validation_error');
    return (error as GatewayError).fields ?? [];
  }
  throw new Error('expected a validation_error');
}

describe('toIso', () => {
  it('turns epoch ms into RFC 3339 with milliseconds', () => {
    expect(toIso(1707244800000)).toBe('2024-02-06T18:40:00.000Z');
    expect(toIso(1702480139859)).toBe('2023-12-13T15:08:59.859Z');
  });

  it('treats 0 ("never"), missing and non-numeric values as unknown', () => {
    expect(toIso(0)).toBeNull();
    expect(toIso(undefined)).toBeNull();
    expect(toIso(null)).toBeNull();
    expect(toIso('1707244800000')).toBeNull();
  });
});

describe('ids', () => {
  it('accepts int32 native ids only', () => {
    expect(parseNativeId('165')).toBe(165);
    expect(parseNativeId('2147483647')).toBe(2147483647);
    expect(parseNativeId('2147483648')).toBeUndefined();
    expect(parseNativeId('0')).toBeUndefined();
    expect(parseNativeId('012')).toBeUndefined();
    expect(parseNativeId('abc')).toBeUndefined();
    expect(parseNativeId('1e3')).toBeUndefined();
  });

  it('reads org_id as an integer or a numeric string', () => {
    expect(parseOrgId(101)).toBe(101);
    expect(parseOrgId('101')).toBe(101);
    expect(parseOrgId(' 9740 ')).toBe(9740);
    expect(parseOrgId(1.5)).toBeUndefined();
    expect(parseOrgId('x')).toBeUndefined();
    expect(parseOrgId(undefined)).toBeUndefined();
  });
});

describe('mapDevice', () => {
  const listed = fixture<BlynkPage<BlynkDevice>>('blynk.device-list.json').content[0];

  it('maps a list item with tags, online and last_seen_at unknown; type is the TMPL id devices are created with', () => {
    const device = mapDevice(listed, CONN);
    expect(device).toEqual({
      object: 'device',
      id: 'blynk-eu:165',
      connection_id: CONN,
      provider: 'blynk',
      project_id: 'blynk-eu:577',
      name: 'My awesome device',
      type: 'TMPL0NqfCLjWX',
      serial_number: null,
      labels: {},
      tags: null,
      online: null,
      last_seen_at: null,
      created_at: '2023-12-13T15:08:59.859Z',
      updated_at: null,
      native: listed,
    });
  });

  it('fills tags, online and last_seen_at on a single read', () => {
    const full = fixture<BlynkDeviceFull>('blynk.device-full.json');
    const tags = fixture<BlynkDeviceTag[]>('blynk.device-tags.json');
    const online = fixture<BlynkOnline>('blynk.device-online.json');
    const device = mapDevice(full, CONN, { tags, online: online.connected, lastSeenAt: lastSeenOf(full) });
    expect(device.id).toBe('blynk-eu:1');
    expect(device.project_id).toBe('blynk-eu:578');
    expect(device.tags).toEqual(['In Service']);
    expect(device.online).toBe(true);
    // connect/disconnect times are 0 ("never"); the datastream update is the latest fact.
    expect(device.last_seen_at).toBe('2025-07-29T08:37:31.000Z');
    expect(device.native).toBe(full);
  });

  it('maps datastream values to readings and metafields to serial_number and labels', () => {
    const full = fixture<BlynkDeviceFull>('blynk.device-full.json');
    const withLocation = { ...full, metaFieldValues: [...(full.metaFieldValues ?? []), { id: 3, name: 'Location', value: { type: 'Text', value: 'Lobby' } }] };
    const device = mapDevice(withLocation, CONN, { tags: [], online: true, lastSeenAt: lastSeenOf(full) });
    expect(device.serial_number).toBe('SN:123');
    expect(device.labels).toEqual({ location: 'Lobby' });
    expect(device.readings).toEqual([
      {
        object: 'reading',
        id: 'blynk-eu:1:v1',
        device_id: 'blynk-eu:1',
        connection_id: CONN,
        provider: 'blynk',
        name: 'temperature',
        native_name: 'v1',
        value: 24.3,
        unit: null,
        at: '2025-07-29T08:37:31.000Z',
        message_id: null,
      },
    ]);
    // The status reads the same device answer: the same readings and the same last_seen_at.
    const status = mapStatus(full, true, CONN, 0);
    expect(status.readings).toEqual(device.readings);
    expect(status.last_seen_at).toBe(device.last_seen_at);
  });

  it('reads a type back as the TMPL id it was created with, once the numeric id is known', () => {
    const renamed = fixture<BlynkDevice>('blynk.device-renamed.json');
    expect(mapDevice(renamed, CONN, undefined, new Map([[101, 'TMPL8RITg_f9Q']])).type).toBe('TMPL8RITg_f9Q');
  });

  it('maps the answer of a rename (no hardware info, no originalTemplateId)', () => {
    const renamed = fixture<BlynkDevice>('blynk.device-renamed.json');
    const device = mapDevice(renamed, CONN, { tags: [], online: false, lastSeenAt: null });
    expect(device).toMatchObject({ id: 'blynk-eu:1', name: 'Living Room Sensor', type: '101', project_id: 'blynk-eu:101', tags: [], online: false });
    expect(device.created_at).toBe('2024-02-06T18:40:00.000Z');
  });

  it('projects a single read onto the list shape', () => {
    const full = fixture<BlynkDeviceFull>('blynk.device-full.json');
    const summary = summaryOf(full);
    expect(Object.keys(summary).sort()).toEqual(['activatedAt', 'hardwareInfo', 'id', 'name', 'orgId', 'ownerUserId', 'templateId', 'token']);
    expect(summaryOf(listed)).toEqual(listed);
  });
});

describe('lastSeenOf', () => {
  it('takes the latest of connect, disconnect, last event, last report and datastream updates', () => {
    const base = fixture<BlynkDeviceFull>('blynk.device-full.json');
    expect(lastSeenOf({ ...base, dataStreamValues: [], connectTime: 1795223636828, disconnectTime: 1795216956362, lastReceivedEventAt: 1795319451268 })).toBe(
      new Date(1795319451268).toISOString(),
    );
    expect(lastSeenOf({ ...base, dataStreamValues: null })).toBeNull();
  });
});

describe('mapOrganization', () => {
  it('is an organization project without a name', () => {
    expect(mapOrganization(101, 10, CONN)).toEqual({
      object: 'project',
      id: 'blynk-eu:101',
      connection_id: CONN,
      provider: 'blynk',
      name: null,
      kind: 'organization',
      device_count: 10,
      created_at: null,
      native: { orgId: 101, deviceCount: 10 },
    });
  });
});

describe('mapTimelineEvent', () => {
  const event = fixture<BlynkPage<BlynkTimelineEvent>>('blynk.timeline.json').content[0];

  it('maps an event with the vendor event id and type', () => {
    expect(mapTimelineEvent(event, CONN, '165')).toEqual({
      object: 'message',
      id: 'blynk-eu:1',
      device_id: 'blynk-eu:165',
      connection_id: CONN,
      provider: 'blynk',
      direction: 'uplink',
      type: 'event',
      native_type: 'INFORMATION',
      created_at: '2023-12-13T15:13:50.139Z',
      device_time: null,
      data: {
        event_code: null,
        event_id: 1,
        event_type: 'INFORMATION',
        description: 'A simple information event',
        resolved: false,
        resolved_at: '2023-12-13T15:13:50.139Z',
        resolved_comment: null,
      },
      native: event,
    });
  });

  it('treats connection changes as status messages', () => {
    expect(mapTimelineEvent({ ...event, eventType: 'ONLINE', description: null }, CONN, '165').type).toBe('status');
    expect(mapTimelineEvent({ ...event, eventType: 'OFFLINE' }, CONN, '165').type).toBe('status');
    expect(mapTimelineEvent({ ...event, eventType: 'CRITICAL' }, CONN, '165').type).toBe('event');
  });

  it('derives a stable id for an event without one', () => {
    const { id: _id, ...anonymous } = event;
    const first = mapTimelineEvent(anonymous, CONN, '165');
    expect(first.id).toBe('blynk-eu:1-1702480430139');
    expect(mapTimelineEvent(anonymous, CONN, '165').id).toBe(first.id);
  });
});

describe('mapStatus', () => {
  it('combines the online endpoint with the device facts', () => {
    const full = fixture<BlynkDeviceFull>('blynk.device-full.json');
    const status = mapStatus(full, false, CONN, Date.UTC(2025, 0, 1));
    expect(status).toMatchObject({
      object: 'device_status',
      device_id: 'blynk-eu:1',
      online: false,
      last_seen_at: '2025-07-29T08:37:31.000Z',
      checked_at: '2025-01-01T00:00:00.000Z',
    });
    expect(status.details).toMatchObject({
      lifecycle_status: 'Offline',
      activated_at: '2023-12-13T15:13:50.139Z',
      first_connected_at: null,
      connected_at: null,
      ip: '127.0.0.1',
      locked: false,
      owner_user_id: 879,
      hardware: { board_type: 'ESP8266', firmware_version: '1.0.0', template_id: 'TMPL0NqfCLjWX', blynk_version: '1.0.0' },
    });
  });
});

describe('deviceNameProblem', () => {
  it.each(['Living Room Sensor', "Maria's Office", 'Cold_Room-B', 'Température 2', 'Датчик'])('accepts %s', (name) => {
    expect(deviceNameProblem(name)).toBeUndefined();
  });

  it.each(['Room #1', 'a/b', 'tab\there', 'emoji 🚀', 'dot.name', ''])('refuses %s', (name) => {
    expect(deviceNameProblem(name)).toBeDefined();
  });

  it('refuses non-strings', () => {
    expect(deviceNameProblem(42)).toBe('must be a string');
  });
});

describe('commandRequest', () => {
  it('builds a trigger-event body', () => {
    expect(commandRequest(101, { name: 'trigger_event', params: { event_code: 'high_temperature', description: 'Temperature exceeded 22.0C threshold' } })).toEqual({
      endpoint: 'trigger-event',
      body: { deviceId: 101, eventCode: 'high_temperature', eventDescription: 'Temperature exceeded 22.0C threshold' },
    });
    expect(commandRequest(101, { name: 'trigger_event', params: { event_code: 'door_open' } }).body).toEqual({ deviceId: 101, eventCode: 'door_open' });
  });

  it('builds a datastream body', () => {
    expect(commandRequest(1, { name: 'set_datastream', params: { datastream_id: 1, value: 5 } })).toEqual({
      endpoint: 'datastream',
      body: { deviceId: 1, dataStreamId: 1, value: 5 },
    });
    expect(commandRequest(1, { name: 'set_datastream', params: { datastream_id: '2', value: 'new value' } }).body).toEqual({ deviceId: 1, dataStreamId: 2, value: 'new value' });
    expect(commandRequest(1, { name: 'set_datastream', params: { datastream_id: 3, value: [24.1, 56.9] } }).body).toHaveProperty('value', [24.1, 56.9]);
  });

  it('names every bad parameter', () => {
    expect(validationFields(() => commandRequest(1, { name: 'trigger_event', params: {} })).map((f) => f.name)).toEqual(['params.event_code']);
    expect(validationFields(() => commandRequest(1, { name: 'trigger_event', params: { event_code: 'bad-code!', description: 3, x: 1 } })).map((f) => f.name)).toEqual([
      'params.event_code',
      'params.description',
      'params.x',
    ]);
    expect(validationFields(() => commandRequest(1, { name: 'set_datastream', params: { value: true } })).map((f) => f.name)).toEqual([
      'params.datastream_id',
      'params.value',
    ]);
    expect(validationFields(() => commandRequest(1, { name: 'set_datastream', params: { datastream_id: -1 } })).map((f) => f.name)).toEqual([
      'params.datastream_id',
      'params.value',
    ]);
    expect(validationFields(() => commandRequest(1, { name: 'reboot', params: {} })).map((f) => f.name)).toEqual(['name']);
  });
});

describe('mapCommand', () => {
  it('reports a command the vendor accepted as sent', () => {
    const at = Date.UTC(2026, 4, 1, 12);
    expect(mapCommand({ id: 'c0ffee', name: 'trigger_event', params: { event_code: 'x' } }, '1001', CONN, at)).toEqual({
      object: 'command',
      id: 'blynk-eu:c0ffee',
      device_id: 'blynk-eu:1001',
      name: 'trigger_event',
      params: { event_code: 'x' },
      status: 'sent',
      created_at: '2026-05-01T12:00:00.000Z',
      updated_at: '2026-05-01T12:00:00.000Z',
    });
  });
});
