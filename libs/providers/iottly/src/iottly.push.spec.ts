import type { PushRequest } from '@devicegate/core';
import { keyMessages } from './iottly.mapper.js';
import { parseIottlyPush, verifyIottlyPush } from './iottly.push.js';

const request = (headers: Record<string, string>): PushRequest => ({ method: 'POST', headers, rawBody: Buffer.from('{}'), body: {} });

describe('iottly webhook push', () => {
  it('is verified by a custom header carrying the secret', () => {
    expect(verifyIottlyPush(request({ authorization: 'Bearer io-secret-1' }), 'io-secret-1')).toBe(true);
    expect(verifyIottlyPush(request({ 'x-devicegate-secret': 'io-secret-1' }), 'io-secret-1')).toBe(true);
    expect(verifyIottlyPush(request({ 'x-devicegate-secret': 'io-secret-2' }), 'io-secret-1')).toBe(false);
    expect(verifyIottlyPush(request({}), 'io-secret-1')).toBe(false);
  });

  it('maps {"msg": …} with the id the paginated messages API derives for the same message', () => {
    const msg = { from: 'dev-1', to: '59c19cacecc01400075f3bc9', timestamp: '2018-07-27T17:50:04.968', devicetimestamp: '2018-07-27T17:50:04', type: 'userdefined', payload: { temp: 21.5 } };
    const [message] = parseIottlyPush({ msg }, 'io');
    expect(message).toMatchObject({ id: `io:${keyMessages('dev-1', [msg])[0].id}`, device_id: 'io:dev-1', native_type: 'userdefined', created_at: '2018-07-27T17:50:04.968Z', device_time: '2018-07-27T17:50:04.000Z', data: { temp: 21.5 } });
    expect(parseIottlyPush({ msg }, 'io')[0].id).toBe(message.id);
  });

  it('refuses payload-only webhooks and messages without device or time', () => {
    expect(() => parseIottlyPush({ temp: 1 }, 'io')).toThrow(expect.objectContaining({ type: 'validation_error' }));
    expect(() => parseIottlyPush({ msg: { timestamp: '2018-07-27T17:50:04' } }, 'io')).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ name: 'msg.from' })] }));
    expect(() => parseIottlyPush({ msg: { from: 'd', timestamp: 'soon' } }, 'io')).toThrow(expect.objectContaining({ fields: [expect.objectContaining({ name: 'msg.timestamp' })] }));
  });
});
