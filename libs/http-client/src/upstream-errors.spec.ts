import type { HttpResponse } from './http-client.js';
import { expectArray, expectObject, vendorMessageOf } from './upstream-errors.js';

const answer = (text: string): HttpResponse => ({
  status: 400,
  headers: {},
  body: Buffer.from(text),
  text: () => text,
  json: <T>() => JSON.parse(text) as T,
});
const who = { connectionId: 'conn-a', provider: 'hardwario' };

describe('vendorMessageOf', () => {
  it('takes the first key with words, nested gRPC-style messages too', () => {
    expect(vendorMessageOf(answer('{"detail":"d","message":"m"}'), ['message', 'detail'])).toBe('m');
    expect(vendorMessageOf(answer('{"message":"","detail":"d"}'), ['message', 'detail'])).toBe('d');
    expect(vendorMessageOf(answer('{"error":{"code":3,"message":"bad name"}}'), ['error'])).toBe('bad name');
    expect(vendorMessageOf(answer('{"other":"x"}'), ['error'])).toBeUndefined();
    expect(vendorMessageOf(answer('[1,2]'), ['error'])).toBeUndefined();
  });

  it('quotes JSON strings and plain text, but not HTML pages or nothing', () => {
    expect(vendorMessageOf(answer('"quota exceeded"'), ['error'])).toBe('quota exceeded');
    expect(vendorMessageOf(answer('not found'), ['error'])).toBe('not found');
    expect(vendorMessageOf(answer('<html><body>502</body></html>'), ['error'])).toBeUndefined();
    expect(vendorMessageOf(answer('  '), ['error'])).toBeUndefined();
  });
});

describe('expectObject and expectArray', () => {
  const hasId = (body: Record<string, unknown>) => typeof body.id === 'string';

  it('hand back what fits the documented shape', () => {
    expect(expectObject({ id: 'a' }, who, 200, 'device', hasId)).toEqual({ id: 'a' });
    expect(expectArray([{ id: 'a' }, { id: 'b' }], who, 200, 'device list', hasId)).toHaveLength(2);
    expect(expectArray([], who, 200, 'device list', hasId)).toEqual([]);
  });

  it('turn anything else into an upstream_error of the connection, naming what was wrong', () => {
    for (const body of [null, [], 'x', { id: 5 }]) {
      expect(() => expectObject(body, who, 200, 'device', hasId)).toThrow(expect.objectContaining({ type: 'upstream_error', connectionId: 'conn-a', upstreamStatus: 200 }));
    }
    for (const body of [{}, [null], [{ id: 'a' }, { id: 1 }], [[]]]) {
      expect(() => expectArray(body, who, 200, 'device list', hasId)).toThrow(/device list/);
    }
  });
});
