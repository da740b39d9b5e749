import type { Filter } from '@devicegate/core';
import { constantVerdict, mayPass, PushDown } from './push-down.js';

const f = (field: string, op: Filter['op'], value: Filter['value']): Filter => ({ field, op, value, param: `${field}__${op}` });

describe('PushDown', () => {
  it('keeps the native ids of its own connection; naming only others makes the list impossible', () => {
    const push = new PushDown('conn-a');
    expect(push.ownIds(f('id', 'in', ['conn-a:1', 'conn-b:2', 'conn-a:3']))).toEqual(['1', '3']);
    expect(push.impossible).toBe(false);
    expect(push.ownIds(f('id', 'eq', 'conn-b:2'))).toEqual([]);
    expect(push.impossible).toBe(true);
    // Excluding another connection's ids excludes nothing here.
    const excluding = new PushDown('conn-a');
    excluding.ownIds(f('id', 'nin', ['conn-b:2']));
    expect(excluding.impossible).toBe(false);
  });

  it('narrows a key by every filter on it, and an empty intersection is impossible', () => {
    const push = new PushDown('conn-a');
    expect(push.allowed('type')).toBeUndefined();
    push.narrow('type', ['x', 'y', 'x']);
    push.narrow('type', ['y', 'z']);
    expect(push.allowed('type')).toEqual(['y']);
    expect(push.impossible).toBe(false);
    push.narrow('type', ['z']);
    expect(push.impossible).toBe(true);
  });

  it('decides filters on known values, and anything skipped makes it inexact', () => {
    expect(constantVerdict(f('kind', 'eq', 'project'), ['project'])).toBe('all');
    expect(constantVerdict(f('kind', 'nin', ['project']), ['project'])).toBe('none');
    expect(constantVerdict(f('direction', 'in', ['uplink']), ['uplink', 'downlink'])).toBe('some');
    expect(constantVerdict(f('created_at', 'gte', 0), ['x'])).toBe('some');
    expect(mayPass(f('type', 'neq', 'data'), 'status')).toBe(true);
    expect(mayPass(f('type', 'neq', 'data'), 'data')).toBe(false);

    const push = new PushDown('conn-a');
    push.constant(f('kind', 'eq', 'project'), ['project']);
    expect(push).toMatchObject({ exact: true, impossible: false });
    push.skip();
    expect(push.exact).toBe(false);
    push.constant(f('kind', 'neq', 'project'), ['project']);
    expect(push.impossible).toBe(true);
  });
});
