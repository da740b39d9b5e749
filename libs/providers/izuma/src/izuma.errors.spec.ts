import { readFileSync } from 'node:fs';
import type { HttpResponse } from '@devicegate/http-client';
import { izumaError } from './izuma.errors.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function response(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  const buffer = Buffer.from(body, 'utf8');
  return { status, headers, body: buffer, text: () => body, json: <T>() => JSON.parse(body) as T };
}

const who = { connectionId: 'izuma-prod', provider: 'izuma' };
const v3 = (status: number, type: string, message = 'x', fields?: Array<{ name: string; message: string }>) =>
  response(status, JSON.stringify({ object: 'error', code: status, type, message, fields, request_id: '0161991d63150242ac12000600000000' }));

describe('izumaError', () => {
  it('carries over vendor field errors that name what the caller sent', () => {
    const error = izumaError(response(400, fixture('izuma.error-validation.json')), { ...who, fields: { name: 'name', custom_attributes: 'labels' }, badRequest: 'validation_error' });
    expect(error).toMatchObject({ type: 'validation_error', status: 400, upstreamStatus: 400, connectionId: 'izuma-prod', provider: 'izuma' });
    expect(error.fields).toEqual([{ name: 'name', message: 'ensure this value has at most 128 characters' }]);
    expect(error.message).toBe('The vendor answered 400: Validation error');
  });

  it('renames attribute fields to labels and drops fields the caller did not send', () => {
    const error = izumaError(v3(400, 'validation_error', 'bad', [{ name: 'custom_attributes', message: 'too many' }, { name: 'ca_id', message: 'x' }]), {
      ...who,
      fields: { custom_attributes: 'labels' },
      badRequest: 'validation_error',
    });
    expect(error.fields).toEqual([{ name: 'labels', message: 'too many' }]);
  });

  it('treats a 400 of devicegate’s own request as an upstream error that will not heal', () => {
    const error = izumaError(v3(400, 'validation_error', 'bad limit', [{ name: 'limit', message: 'x' }]), who);
    expect(error).toMatchObject({ type: 'upstream_error', retryable: false });
  });

  it('maps 404, 401, 403, 409, 429 and 5xx', () => {
    expect(izumaError(v3(404, 'not_found'), who).type).toBe('not_found');
    expect(izumaError(v3(401, 'invalid_apikey', 'key ak_secret123 is invalid'), who)).toMatchObject({ type: 'upstream_auth_failed', message: 'The vendor answered 401: key [redacted] is invalid' });
    expect(izumaError(v3(403, 'access_denied'), who).type).toBe('upstream_auth_failed');
    expect(izumaError(v3(403, 'account_limit_exceeded'), who).type).toBe('conflict');
    expect(izumaError(v3(409, 'duplicate'), who).type).toBe('conflict');
    expect(izumaError(response(429, '', { 'retry-after': '7' }), who)).toMatchObject({ type: 'upstream_rate_limited', retryAfter: 7 });
    expect(izumaError(v3(500, 'internal_server_error'), who)).toMatchObject({ type: 'upstream_error', retryable: true });
    expect(izumaError(response(503, 'down'), who).type).toBe('upstream_unavailable');
  });

  it('answers not_found for a 400 about the path id of a by-id call', () => {
    expect(izumaError(v3(400, 'validation_error', 'bad id', [{ name: 'id', message: 'x' }]), { ...who, byId: true }).type).toBe('not_found');
  });

  it('maps the v2 Connect plain-text tokens', () => {
    const scene = { ...who, fields: { uri: 'params.uri' }, badRequest: 'validation_error' as const };
    expect(izumaError(response(400, 'RESOURCE_NOT_FOUND'), scene)).toMatchObject({ type: 'validation_error', fields: [{ name: 'params.uri', message: 'the device has no resource at this path' }] });
    expect(izumaError(response(400, 'QUEUE_IS_FULL'), scene)).toMatchObject({ type: 'upstream_rate_limited', retryAfter: 60 });
    expect(izumaError(response(400, 'LIMITS_EXCEEDED'), scene).type).toBe('upstream_rate_limited');
    expect(izumaError(response(400, 'MALFORMED_JSON_CONTENT'), scene).type).toBe('validation_error');
    expect(izumaError(response(404, ''), scene).type).toBe('not_found');
  });
});
