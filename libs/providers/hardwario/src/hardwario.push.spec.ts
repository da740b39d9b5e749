import type { PushRequest } from '@devicegate/core';
import { parseHardwarioPush, verifyHardwarioPush } from './hardwario.push.js';

const request = (headers: Record<string, string>): PushRequest => ({ method: 'POST', headers, rawBody: Buffer.from('{}'), body: {} });

describe('HARDWARIO connector push', () => {
  it('is verified by the bearer token the connector transformation sets', () => {
    expect(verifyHardwarioPush(request({ authorization: 'Bearer s3cret-value' }), 's3cret-value')).toBe(true);
    expect(verifyHardwarioPush(request({ authorization: 'bearer s3cret-value' }), 's3cret-value')).toBe(true);
    expect(verifyHardwarioPush(request({ authorization: 'Bearer s3cret-valuX' }), 's3cret-value')).toBe(false);
    expect(verifyHardwarioPush(request({ authorization: 's3cret-value' }), 's3cret-value')).toBe(false);
    expect(verifyHardwarioPush(request({}), 's3cret-value')).toBe(false);
  });

  it('maps the recommended job envelope to a Message with HARDWARIO’s message id', () => {
    const [message] = parseHardwarioPush(
      {
        message: { id: '018eebbe-678d-7c60-b4ef-d141f48378e8', type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { thermometer: { temperature: 22.43 }, message: { timestamp: 1713352107 } } },
        device: { id: '018a1535-fd39-7293-bd36-52df3e62e962', name: 'my-device' },
        connector: { id: 'c' },
      },
      'hw',
    );
    expect(message).toMatchObject({
      object: 'message',
      id: 'hw:018eebbe-678d-7c60-b4ef-d141f48378e8',
      device_id: 'hw:018a1535-fd39-7293-bd36-52df3e62e962',
      provider: 'hardwario',
      direction: 'uplink',
      type: 'data',
      native_type: 'data',
      created_at: '2024-04-17T11:08:27.917Z',
      device_time: '2024-04-17T11:08:27.000Z',
      data: { thermometer: { temperature: 22.43 } },
    });
  });

  it('reads the 2023 job names and a JSON-string body, and refuses what is not a job', () => {
    const [message] = parseHardwarioPush([{ message: { id: 'm', type: 'session', link_type: 'down', created_time: '2023-11-01T10:00:00Z', body: '{"a":1}' }, device: { id: 'd' } }], 'hw');
    expect(message).toMatchObject({ id: 'hw:m', direction: 'downlink', type: 'status', data: { a: 1 } });
    expect(() => parseHardwarioPush({ thermometer: {} }, 'hw')).toThrow(expect.objectContaining({ type: 'validation_error' }));
    expect(() => parseHardwarioPush({ message: { id: 'm', created_at: 'never' }, device: { id: 'd' } }, 'hw')).toThrow(expect.objectContaining({ type: 'validation_error' }));
  });
});
