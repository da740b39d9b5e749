import type { HttpResponse } from '@devicegate/http-client';
import { shapeError, vendorError, vendorFields, vendorMessage } from './hardwario.errors.js';

const response = (status: number, text: string): HttpResponse => {
  const body = Buffer.from(text);
  return { status, headers: {}, body, text: () => text, json: <T>() => JSON.parse(text) as T };
};
const who = { connectionId: 'hw-main', provider: 'hardwario' };

describe('vendor errors', () => {
  it('reads the bare-text and the Fastify-style error bodies', () => {
    expect(vendorMessage(response(404, 'not found'))).toBe('not found');
    expect(vendorMessage(response(400, '{"statusCode":400,"error":"Bad Request","message":"body/name must match pattern"}'))).toBe('body/name must match pattern');
    expect(vendorMessage(response(502, '<html>bad gateway</html>'))).toBeUndefined();
    expect(vendorMessage(response(500, ''))).toBeUndefined();
  });

  it('finds the fields a validation message names', () => {
    expect(vendorFields('body/name must match pattern "^[a-z]"').map((f) => f.name)).toEqual(['name']);
    expect(vendorFields('querystring/type[] must be equal to one of the allowed values').map((f) => f.name)).toEqual(['type']);
    expect(vendorFields('something failed')).toEqual([]);
  });

  it('maps statuses to the contract error types', () => {
    expect(vendorError(response(404, 'not found'), who)).toMatchObject({ type: 'not_found', upstreamStatus: 404, connectionId: 'hw-main', provider: 'hardwario' });
    expect(vendorError(response(401, '{"message":"Unauthorized"}'), who).type).toBe('upstream_auth_failed');
    expect(vendorError(response(403, ''), who).type).toBe('upstream_auth_failed');
    expect(vendorError(response(409, '{"message":"serial number already claimed"}'), who).type).toBe('conflict');
    expect(vendorError(response(429, ''), who).type).toBe('upstream_rate_limited');
    expect(vendorError(response(503, ''), who).type).toBe('upstream_unavailable');
    expect(vendorError(response(500, ''), who).type).toBe('upstream_error');
    const invalid = vendorError(response(400, '{"message":"body/serial_number must match pattern"}'), who);
    expect(invalid.type).toBe('validation_error');
    expect(invalid.fields?.map((f) => f.name)).toEqual(['serial_number']);
    expect(invalid.message).toContain('serial_number');
  });

  it('never quotes a credential from the vendor body', () => {
    const error = vendorError(response(401, '{"message":"bad key: ApiKey 0190f3c2-secret"}'), who);
    expect(error.message).not.toContain('0190f3c2-secret');
    const echoed = vendorError(response(401, '{"message":"key k3y-v4lue is not valid"}'), who, 'k3y-v4lue');
    expect(echoed.message).toBe('The vendor answered 401: key [redacted] is not valid');
  });

  it('reports unexpected shapes as upstream_error', () => {
    expect(shapeError(who, 200, 'device')).toMatchObject({ type: 'upstream_error', upstreamStatus: 200, retryable: true });
  });
});
