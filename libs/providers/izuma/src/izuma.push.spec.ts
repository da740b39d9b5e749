import type { PushRequest } from '@devicegate/core';
import { parseIzumaAsyncResponses, parseIzumaPush, verifyIzumaPush } from './izuma.push.js';

const request = (headers: Record<string, string>): PushRequest => ({ method: 'PUT', headers, rawBody: Buffer.from('{}'), body: {} });

describe('Izuma notification channel push', () => {
  it('is verified by the header registered with the callback', () => {
    expect(verifyIzumaPush(request({ authorization: 'f4b93d6e-4652' }), 'f4b93d6e-4652')).toBe(true);
    expect(verifyIzumaPush(request({ authorization: 'Bearer f4b93d6e-4652' }), 'f4b93d6e-4652')).toBe(true);
    expect(verifyIzumaPush(request({ authorization: 'f4b93d6e-4653' }), 'f4b93d6e-4652')).toBe(false);
    expect(verifyIzumaPush(request({}), 'f4b93d6e-4652')).toBe(false);
  });

  it('maps notifications and registration changes; uid is the id, timestamp the time', () => {
    const messages = parseIzumaPush(
      {
        notifications: [{ ep: '01767982c9250000000000010011579e', path: '/3200/0/5501', ct: 'text/plain', payload: 'NDA2', 'max-age': 0, uid: '0d8e08c3-2311-4ede-aa53-fdaff2b3fad3', timestamp: 1614180566644 }],
        registrations: [{ ep: 'dev-2', 'original-ep': 'my-device-123', ept: 'default', q: false, resources: [{ path: '/3303/0/5700' }] }],
        'de-registrations': ['dev-3'],
        'async-responses': [{ id: 'a', status: 200 }],
      },
      'iz',
      Date.UTC(2024, 0, 1),
    );
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatchObject({ id: 'iz:0d8e08c3-2311-4ede-aa53-fdaff2b3fad3', device_id: 'iz:01767982c9250000000000010011579e', type: 'data', native_type: 'notification', created_at: '2021-02-24T15:29:26.644Z', data: { path: '/3200/0/5501', value: '406' } });
    expect(messages[1]).toMatchObject({ device_id: 'iz:dev-2', type: 'status', native_type: 'registration', created_at: '2024-01-01T00:00:00.000Z', data: { original_ep: 'my-device-123', resources: ['/3303/0/5700'] } });
    expect(messages[2]).toMatchObject({ device_id: 'iz:dev-3', native_type: 'de-registration' });
    // Without uid, the same item redelivered gets the same id.
    expect(parseIzumaPush({ 'de-registrations': ['dev-3'] }, 'iz', 1)[0].id).toBe(messages[2].id);
  });

  it('answers the registration check ({}) with no messages and refuses other shapes', () => {
    expect(parseIzumaPush({}, 'iz')).toEqual([]);
    expect(() => parseIzumaPush({ notifications: {} }, 'iz')).toThrow(expect.objectContaining({ type: 'validation_error' }));
    expect(() => parseIzumaPush({ notifications: [{ path: '/1' }] }, 'iz')).toThrow(expect.objectContaining({ type: 'validation_error' }));
  });

  it('reads async-responses as command outcomes: 2xx delivered, anything else failed, with status, error and payload', () => {
    const outcomes = parseIzumaAsyncResponses(
      {
        notifications: [],
        'async-responses': [
          { id: '2c6a4b1e-7f0e-4a0c-9d1b-8f2f0f4f6a11', status: 200, payload: 'MjEuNQ==', ct: 'text/plain', 'max-age': 60 },
          { id: '9e3c96b8-c4d7-496a-ab90-cc732b9b560e', status: 504, error: 'TIMEOUT' },
          { id: 'c-404', status: 404 },
          { status: 200 },
        ],
      },
      'iz',
      Date.UTC(2024, 0, 1),
    );
    expect(outcomes).toEqual([
      {
        id: 'iz:2c6a4b1e-7f0e-4a0c-9d1b-8f2f0f4f6a11',
        status: 'delivered',
        at: '2024-01-01T00:00:00.000Z',
        result: { status: 200, error: null, payload: '21.5', payload_b64: 'MjEuNQ==', content_type: 'text/plain' },
      },
      { id: 'iz:9e3c96b8-c4d7-496a-ab90-cc732b9b560e', status: 'failed', at: '2024-01-01T00:00:00.000Z', result: { status: 504, error: 'TIMEOUT', payload: null, payload_b64: null, content_type: null } },
      { id: 'iz:c-404', status: 'failed', at: '2024-01-01T00:00:00.000Z', result: { status: 404, error: null, payload: null, payload_b64: null, content_type: null } },
    ]);
    expect(parseIzumaAsyncResponses({ notifications: [] }, 'iz')).toEqual([]);
    expect(() => parseIzumaAsyncResponses({ 'async-responses': {} }, 'iz')).toThrow(expect.objectContaining({ type: 'validation_error' }));
  });
});
