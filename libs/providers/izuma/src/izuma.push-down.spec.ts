import type { Filter } from '@devicegate/core';
import { devicePushDown, eventPushDown, type IzumaPushDown } from './izuma.push-down.js';

const f = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });
const shape = (push: IzumaPushDown) => ({ params: push.params, attributes: push.attributes, exact: push.exact, impossible: push.impossible });

describe('izuma push-down', () => {
  describe('devicePushDown', () => {
    it('sends every filter Izuma evaluates as a direct parameter', () => {
      const pushDown = devicePushDown(
        [
          f('id', 'in', ['izuma-prod:a1', 'other:b2', 'izuma-prod:c3']),
          f('name', 'eq', 'sensor'),
          f('serial_number', 'nin', ['1', '2']),
          f('type', 'neq', 'th'),
          f('online', 'eq', false),
          f('project_id', 'eq', 'izuma-prod:acc'),
          f('created_at', 'gte', Date.parse('2024-01-01T00:00:00Z')),
          f('updated_at', 'lte', Date.parse('2024-02-01T00:00:00.123Z')),
          f('tags', 'nin', ['x']),
        ],
        'izuma-prod',
      );
      expect(shape(pushDown)).toEqual({
        params: [
          ['id__in', 'a1,c3'],
          ['name__eq', 'sensor'],
          ['serial_number__nin', '1,2'],
          ['device_class__neq', 'th'],
          ['state__neq', 'registered'],
          ['account_id__eq', 'acc'],
          ['created_at__gte', '2024-01-01T00:00:00.000Z'],
          ['updated_at__lte', '2024-02-01T00:00:00.123999Z'],
        ],
        attributes: [],
        exact: true,
        impossible: false,
      });
    });
    it('knows without asking when nothing can match', () => {
      expect(devicePushDown([f('id', 'eq', 'other:x')], 'izuma-prod').impossible).toBe(true);
      expect(devicePushDown([f('tags', 'eq', 'x')], 'izuma-prod').impossible).toBe(true);
      expect(devicePushDown([f('last_seen_at', 'gte', 0)], 'izuma-prod').impossible).toBe(true);
      expect(shape(devicePushDown([f('id', 'nin', ['other:x'])], 'izuma-prod'))).toEqual({ params: [], attributes: [], exact: true, impossible: false });
    });
    it('leaves to the gateway what Izuma cannot evaluate the same way', () => {
      for (const filter of [f('labels.site', 'neq', 'x'), f('created_at', 'eq', 0), f('name', 'in', ['a,b']), f('name', 'eq', '')]) {
        expect(shape(devicePushDown([filter], 'izuma-prod'))).toMatchObject({ params: [], attributes: [], exact: false });
      }
      // Two bounds on one vendor parameter: only the first is sent.
      expect(shape(devicePushDown([f('online', 'eq', true), f('online', 'neq', false)], 'izuma-prod'))).toMatchObject({ params: [['state__eq', 'registered']], exact: false });
    });
    it('puts custom attributes, and then the whole filter, into filter=', () => {
      const pushDown = devicePushDown([f('labels.site', 'eq', 'hall 1&2'), f('name', 'eq', 'a')], 'izuma-prod');
      expect(shape(pushDown)).toMatchObject({ params: [['name__eq', 'a']], attributes: [['site', 'hall 1&2']], exact: true });
      const query = pushDown.query();
      expect(query).toEqual([['filter', 'name__eq=a&custom_attributes__site=hall+1%262']]);
      expect(new URLSearchParams(query[0][1]).get('custom_attributes__site')).toBe('hall 1&2');
      expect(devicePushDown([f('labels.1st', 'eq', 'x')], 'izuma-prod').impossible).toBe(true);
    });
  });

  describe('eventPushDown', () => {
    it('maps time bounds, native types and types', () => {
      const filters = [
        f('created_at', 'gte', Date.parse('2024-01-01T00:00:00Z')),
        f('created_at', 'lte', Date.parse('2024-01-02T00:00:00Z')),
        f('native_type', 'in', ['UPD2_100', 'update.device.device-created']),
        f('type', 'eq', 'status'),
        f('direction', 'eq', 'uplink'),
      ];
      expect(shape(eventPushDown(filters, 'izuma-prod'))).toEqual({
        params: [
          ['date_time__gte', '2024-01-01T00:00:00.000Z'],
          ['date_time__lte', '2024-01-02T00:00:00.000999Z'],
          ['event_type__in', 'UPD2_100,update.device.device-created'],
          ['state_change__eq', 'true'],
        ],
        attributes: [],
        exact: true,
        impossible: false,
      });
      expect(eventPushDown([f('type', 'nin', ['status', 'data'])], 'izuma-prod').params).toEqual([['state_change__neq', 'true']]);
      expect(shape(eventPushDown([f('type', 'in', ['status', 'event'])], 'izuma-prod'))).toMatchObject({ params: [], exact: true });
      expect(eventPushDown([f('type', 'eq', 'data')], 'izuma-prod').impossible).toBe(true);
      expect(eventPushDown([f('direction', 'eq', 'downlink')], 'izuma-prod').impossible).toBe(true);
    });
  });
});
