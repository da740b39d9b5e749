import { GatewayError } from '@devicegate/errors';
import { toDeviceRequest } from './izuma.commands.js';

describe('izuma commands: toDeviceRequest', () => {
  it('builds the reference examples', () => {
    expect(toDeviceRequest({ id: 'cmd-1', name: 'GET', params: { uri: '/3303/0/5700' } })).toEqual({ asyncId: 'cmd-1', body: { method: 'GET', uri: '/3303/0/5700' }, options: {} });
    expect(toDeviceRequest({ id: 'cmd-2', name: 'PUT', params: { uri: '/3201/0/5853', payload: '1:2:3:4', content_type: 'text/plain', retry: 2, expiry_seconds: 600 } })).toEqual({
      asyncId: 'cmd-2',
      body: { method: 'PUT', uri: '/3201/0/5853', 'content-type': 'text/plain', 'payload-b64': 'MToyOjM6NA==' },
      options: { retry: 2, 'expiry-seconds': 600 },
    });
  });
  it('names every invalid input', () => {
    try {
      toDeviceRequest({ id: 'cmd-3', name: 'PATCH', params: { payload: 5, extra: true } });
      throw new Error('expected a validation error');
    } catch (error) {
      expect((error as GatewayError).type).toBe('validation_error');
      expect((error as GatewayError).fields?.map((field) => field.name).sort()).toEqual(['name', 'params.extra', 'params.payload', 'params.uri']);
    }
  });
});
