import { DEVICE_FIELDS, MESSAGE_FIELDS } from './fields.js';
import { parseDateTime, parseListArgs } from './list-args.js';

const devices = (query: Record<string, string | string[]>) => parseListArgs(query, { fields: DEVICE_FIELDS, defaultOrder: 'ASC' });

describe('parseListArgs', () => {
  it('applies the defaults', () => {
    const args = devices({});
    expect(args).toMatchObject({ limit: 50, after: null, order: 'ASC', partial: false, filters: [] });
    expect(parseListArgs({}, { fields: MESSAGE_FIELDS, defaultOrder: 'DESC' }).order).toBe('DESC');
  });

  it.each(['1', '1001', '2.5', 'ten', '-3', ''])('rejects limit=%p', (limit) => {
    expect(() => devices({ limit })).toThrow(expect.objectContaining({ type: 'validation_error', fields: [expect.objectContaining({ name: 'limit' })] }));
  });

  it('parses every operator with its value type', () => {
    const args = devices({
      name: 'a',
      type__neq: 'b',
      id__in: 'c:1,c:2',
      serial_number__nin: 'x',
      online__eq: 'false',
      created_at__gte: '2016-11-30T16:25:12.1234Z',
      last_seen_at__lte: '20161130T162512Z',
      'labels.room__in': 'lab,hall',
      tags__eq: 't',
    });
    const byParam = Object.fromEntries(args.filters.map((f) => [f.param, [f.field, f.op, f.value]]));
    expect(byParam).toEqual({
      name: ['name', 'eq', 'a'],
      type__neq: ['type', 'neq', 'b'],
      id__in: ['id', 'in', ['c:1', 'c:2']],
      serial_number__nin: ['serial_number', 'nin', ['x']],
      online__eq: ['online', 'eq', false],
      created_at__gte: ['created_at', 'gte', Date.parse('2016-11-30T16:25:12.123Z')],
      last_seen_at__lte: ['last_seen_at', 'lte', Date.parse('2016-11-30T16:25:12Z')],
      'labels.room__in': ['labels.room', 'in', ['lab', 'hall']],
      tags__eq: ['tags', 'eq', 't'],
    });
  });

  it('names every bad parameter once', () => {
    try {
      devices({ limit: '0', order: 'up', colour: 'red', online__gte: 'true', created_at: 'yesterday', include: 'everything', partial: 'yes', name: ['a', 'b'] });
      throw new Error('expected a validation error');
    } catch (error) {
      const names = (error as { fields: Array<{ name: string }> }).fields.map((f) => f.name).sort();
      expect(names).toEqual(['colour', 'created_at', 'include', 'limit', 'name', 'online__gte', 'order', 'partial']);
    }
  });

  it('rejects fields of another list', () => {
    expect(() => parseListArgs({ name: 'x' }, { fields: MESSAGE_FIELDS, defaultOrder: 'DESC' })).toThrow(expect.objectContaining({ type: 'validation_error' }));
    expect(() => parseListArgs({ created_at: '2016-11-30T16:25:12Z' }, { fields: MESSAGE_FIELDS, defaultOrder: 'DESC' })).toThrow(
      expect.objectContaining({ fields: [expect.objectContaining({ name: 'created_at' })] }),
    );
  });

  it('reads both date-time forms and nothing else', () => {
    expect(parseDateTime('2016-11-30T16:25:12Z')).toBe(Date.UTC(2016, 10, 30, 16, 25, 12));
    expect(parseDateTime('2016-11-30T17:25:12+01:00')).toBe(Date.UTC(2016, 10, 30, 16, 25, 12));
    expect(parseDateTime('20161130T162512Z')).toBe(Date.UTC(2016, 10, 30, 16, 25, 12));
    expect(parseDateTime('2016-11-30')).toBeUndefined();
    expect(parseDateTime('2016-13-45T99:00:00Z')).toBeUndefined();
  });
});
