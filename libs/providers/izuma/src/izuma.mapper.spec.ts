import { readFileSync } from 'node:fs';
import { GatewayError } from '@devicegate/errors';
import {
  echoLastSeen,
  echoReadings,
  resourceReading,
  eventMessageType,
  mapAccount,
  mapDevice,
  mapDeviceStatus,
  mapEvent,
  mergeLabels,
  toCreateBody,
  toIso,
  vendorTime,
} from './izuma.mapper.js';
import type { IzAccount, IzDevice, IzDeviceEvent } from './izuma.types.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;

const ctx = { connectionId: 'izuma-prod' };

describe('izuma mapper', () => {
  describe('toIso', () => {
    it('cuts microseconds to milliseconds without rounding up', () => {
      expect(toIso('2017-10-20T05:46:02.913821Z')).toBe('2017-10-20T05:46:02.913Z');
      expect(toIso('2017-10-20T05:46:02.999999Z')).toBe('2017-10-20T05:46:02.999Z');
    });
    it('adds milliseconds to whole seconds and reads epoch ms', () => {
      expect(toIso('2018-02-13T09:35:20Z')).toBe('2018-02-13T09:35:20.000Z');
      expect(toIso(1614180566644)).toBe('2021-02-24T15:29:26.644Z');
    });
    it('reads other forms, and days or hours past their end, as Date.parse does', () => {
      expect(toIso(' 2018-02-13T09:35:20.5Z ')).toBe('2018-02-13T09:35:20.500Z');
      expect(toIso('2018-02-13T10:35:20.123456+01:00')).toBe('2018-02-13T09:35:20.123Z');
      expect(toIso('2021-02-29T00:00:00.000001Z')).toBe('2021-03-01T00:00:00.000Z');
      expect(toIso('2021-01-01T24:00:00Z')).toBe('2021-01-02T00:00:00.000Z');
      expect(toIso('2021-13-01T00:00:00Z')).toBeNull();
    });
    it('gives null for missing or unreadable values', () => {
      expect(toIso(null)).toBeNull();
      expect(toIso('')).toBeNull();
      expect(toIso('soon')).toBeNull();
    });
  });

  it('maps the account of the key to a project', () => {
    const account = fixture<IzAccount>('izuma.account.json');
    expect(mapAccount(account, 12, ctx)).toEqual({
      object: 'project',
      id: 'izuma-prod:01619571e2e90242ac12000600000000',
      connection_id: 'izuma-prod',
      provider: 'izuma',
      name: 'ARM',
      kind: 'account',
      device_count: 12,
      created_at: '2018-02-13T09:35:20.000Z',
      native: account,
    });
  });

  it('maps a device of the reference example', () => {
    const device = fixture<IzDevice>('izuma.device.json');
    expect(mapDevice(device, ctx)).toEqual({
      object: 'device',
      id: 'izuma-prod:015f3850a657000000000001001002ab',
      connection_id: 'izuma-prod',
      provider: 'izuma',
      project_id: 'izuma-prod:01619571e2e90242ac12000600000000',
      name: 'sensor-hall-1',
      type: null,
      serial_number: '0',
      labels: {},
      tags: [],
      online: true,
      last_seen_at: null,
      created_at: '2017-10-20T05:45:30.455Z',
      updated_at: '2017-10-20T05:46:02.913Z',
      native: device,
    });
  });

  it('reads custom attributes as labels, device_class as type, and any state but registered as offline', () => {
    const device = { ...fixture<IzDevice>('izuma.device.json'), custom_attributes: { site: 'hall1', floor: '2' }, device_class: 'th-sensor', state: 'deregistered' };
    const mapped = mapDevice(device, ctx);
    expect(mapped.labels).toEqual({ site: 'hall1', floor: '2' });
    expect(mapped.type).toBe('th-sensor');
    expect(mapped.online).toBe(false);
    expect(mapDevice({ id: 'x1' }, ctx)).toMatchObject({ name: null, type: null, serial_number: null, labels: {}, online: false, project_id: null, created_at: null });
  });

  it('maps a device status with the facts worth showing', () => {
    const status = mapDeviceStatus(fixture<IzDevice>('izuma.device.json'), Date.parse('2024-01-01T00:00:00Z'), ctx);
    expect(status).toEqual({
      object: 'device_status',
      device_id: 'izuma-prod:015f3850a657000000000001001002ab',
      online: true,
      last_seen_at: null,
      checked_at: '2024-01-01T00:00:00.000Z',
      details: {
        state: 'registered',
        lifecycle_status: 'enabled',
        operator_suspended: false,
        system_suspended: false,
        endpoint_name: '0b9c2d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
        endpoint_type: 'default',
        device_execution_mode: 1,
        bootstrapped_at: '2017-10-20T05:45:31.102Z',
      },
      readings: [],
    });
  });

  it('maps a device event to a message', () => {
    const event = fixture<IzDeviceEvent>('izuma.device-event.json');
    expect(mapEvent(event, '015f3850a657000000000001001002ab', ctx)).toEqual({
      object: 'message',
      id: 'izuma-prod:016c03d40a4e000000000001001003b4',
      device_id: 'izuma-prod:015f3850a657000000000001001002ab',
      connection_id: 'izuma-prod',
      provider: 'izuma',
      direction: 'uplink',
      type: 'status',
      native_type: 'update.device.device-created',
      created_at: '2019-07-18T06:45:23.662Z',
      device_time: null,
      data: { description: 'Device record created', event_type_category: null, event_type_description: null, state_change: true, data: {} },
      native: event,
    });
  });

  it('types a campaign event without state change as an event and keeps its data', () => {
    const event = fixture<IzDeviceEvent>('izuma.device-event-campaign.json');
    const message = mapEvent(event, 'ignored', ctx);
    expect(message.type).toBe('event');
    expect(message.native_type).toBe('UPD2_100');
    expect(message.created_at).toBe('2017-05-22T12:37:55.576Z');
    expect(message.data).toEqual({
      description: 'Manifest rejected',
      event_type_category: 'FAIL_MANIFEST_REJECTED',
      event_type_description: 'FAIL',
      state_change: false,
      data: { campaign_id: '00000000000000000000000000000000' },
    });
    expect(eventMessageType({ id: 'e', date_time: '2020-01-01T00:00:00Z' })).toBe('event');
  });

  it('merges a label patch into the whole attribute map', () => {
    expect(mergeLabels({ a: '1', b: '2' }, { b: null, c: '3' })).toEqual({ a: '1', c: '3' });
  });

  describe('toCreateBody', () => {
    it('maps contract fields and allowed params to DeviceDataPostRequest', () => {
      expect(toCreateBody({ name: 'sensor-hall-1', type: 'th', serial_number: 'SN1', labels: { site: 'hall1' }, params: { endpoint_name: 'my-ep-001', description: 'created by API' } })).toEqual({
        endpoint_name: 'my-ep-001',
        description: 'created by API',
        name: 'sensor-hall-1',
        device_class: 'th',
        serial_number: 'SN1',
        custom_attributes: { site: 'hall1' },
      });
    });
    it('refuses tags and unknown params', () => {
      expect(() => toCreateBody({ tags: ['x'] })).toThrow(expect.objectContaining({ type: 'not_supported' }));
      try {
        toCreateBody({ params: { colour: 'red' } });
        throw new Error('expected a validation error');
      } catch (error) {
        expect(error).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).fields).toEqual([expect.objectContaining({ name: 'params.colour' })]);
      }
    });
  });

  it('sends upper bounds so that a millisecond-cut time still matches', () => {
    expect(vendorTime(Date.parse('2024-01-01T00:00:00.123Z'), 'lte')).toBe('2024-01-01T00:00:00.123999Z');
    expect(vendorTime(Date.parse('2024-01-01T00:00:00.123Z'), 'gte')).toBe('2024-01-01T00:00:00.123Z');
  });
});

describe('readings', () => {
  const map = { connectionId: 'izuma-prod' };
  const origin = { connectionId: 'izuma-prod', provider: 'izuma' as const, deviceId: 'izuma-prod:d1', messageId: 'izuma-prod:n1', at: '2024-01-01T00:00:00.000Z' };

  it('names IPSO sensor values by their object, with the unit the IPSO registry gives', () => {
    expect(resourceReading(origin, '/3303/0/5700', '21.5')).toMatchObject({ id: 'izuma-prod:n1:/3303/0/5700', name: 'temperature', native_name: '/3303/0/5700', value: 21.5, unit: 'Cel' });
    expect(resourceReading(origin, '/3304/1/5700', '40')).toMatchObject({ name: 'humidity', value: 40, unit: '%' });
    expect(resourceReading(origin, '/3/0/9', '87')).toMatchObject({ name: 'battery_level', unit: '%' });
    expect(resourceReading(origin, '/3200/0/5500', '1')).toMatchObject({ name: 'digital_input', value: true });
    expect(resourceReading(origin, '/3303/0/5701', 'Cel')).toBeUndefined();
    expect(resourceReading(origin, '/10255/0/4', 'x')).toBeUndefined();
  });

  it('reads the last reported values and time from Device Echo', () => {
    const echo = {
      last_reported_at: '2024-01-02T03:04:05.000Z',
      resources: [
        { resource_path: '/3303/0/5700', reported: { value: Buffer.from('3.5').toString('base64'), reported_at: '2024-01-02T03:04:05.000Z' } },
        { resource_path: '/3303/0/5701', reported: { value: Buffer.from('Cel').toString('base64'), reported_at: '2024-01-02T03:04:05.000Z' } },
        { resource_path: '/3304/0/5700', reported: null },
      ],
    };
    expect(echoReadings(echo, 'd1', map)).toEqual([
      { object: 'reading', id: 'izuma-prod:d1:/3303/0/5700', device_id: 'izuma-prod:d1', connection_id: 'izuma-prod', provider: 'izuma', name: 'temperature', native_name: '/3303/0/5700', value: 3.5, unit: 'Cel', at: '2024-01-02T03:04:05.000Z', message_id: null },
    ]);
    expect(echoLastSeen(echo)).toBe('2024-01-02T03:04:05.000Z');
    expect(echoReadings(null, 'd1', map)).toEqual([]);
  });
});
