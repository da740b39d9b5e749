import { readFileSync } from 'node:fs';
import type { HttpResponse } from '@devicegate/http-client';
import { tokenError, vendorError, vendorMessage } from './blynk.errors.js';

const who = { connectionId: 'blynk-eu', provider: 'blynk' };

function response(status: number, body: string, headers: Record<string, string> = {}): HttpResponse {
  const buffer = Buffer.from(body, 'utf8');
  return { status, headers, body: buffer, text: () => body, json: <T>() => JSON.parse(body) as T };
}

const fixtureText = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('vendorMessage', () => {
  it('reads the Platform API error body, the OAuth2 error body and plain text', () => {
    expect(vendorMessage(response(404, fixtureText('blynk.error-not-found.json')))).toBe('Device with identifier 1 is not found or belong to another organization.');
    expect(vendorMessage(response(400, fixtureText('blynk.error-oauth.json')))).toBe('Client ID is not found or password is wrong.');
    expect(vendorMessage(response(502, 'Bad gateway'))).toBe('Bad gateway');
    expect(vendorMessage(response(502, '<html>oops</html>'))).toBeUndefined();
    expect(vendorMessage(response(403, ''))).toBeUndefined();
  });
});

describe('vendorError', () => {
  it('maps "not found or access denied" to not_found', () => {
    const error = vendorError(response(404, fixtureText('blynk.error-not-found.json')), who, []);
    expect(error).toMatchObject({ type: 'not_found', upstreamStatus: 404, connectionId: 'blynk-eu', provider: 'blynk' });
    expect(error.message).toContain('is not found or belong to another organization');
  });

  it('maps 429 to upstream_rate_limited with Retry-After', () => {
    expect(vendorError(response(429, '{"error":{"message":"Too many requests"}}', { 'retry-after': '7' }), who, [])).toMatchObject({
      type: 'upstream_rate_limited',
      retryAfter: 7,
    });
    expect(vendorError(response(429, ''), who, []).retryAfter).toBe(1);
  });

  it('maps 401/403 to upstream_auth_failed and 5xx to upstream_error', () => {
    expect(vendorError(response(403, '{"error":{"message":"Platform API scope is not enabled for this oauth client."}}'), who, []).type).toBe('upstream_auth_failed');
    expect(vendorError(response(401, ''), who, []).type).toBe('upstream_auth_failed');
    expect(vendorError(response(500, '{"error":{"message":"boom"}}'), who, []).type).toBe('upstream_error');
  });

  it('blames the caller field or devicegate for a 400 as told', () => {
    const blamed = vendorError(response(400, '{"error":{"message":"Invalid name."}}'), who, [], { badRequest: [{ name: 'name', message: 'was refused by the vendor' }] });
    expect(blamed).toMatchObject({ type: 'validation_error', fields: [{ name: 'name', message: 'was refused by the vendor' }] });
    expect(vendorError(response(400, '{"error":{"message":"requested page size is too big"}}'), who, [], { badRequest: 'upstream' }).type).toBe('upstream_error');
  });

  it('reports an unreachable configured organization as a configuration fault', () => {
    const error = vendorError(response(404, '{"error":{"message":"Organization not found or access denied"}}'), who, [], { notFound: 'upstream_auth_failed' });
    expect(error).toMatchObject({ type: 'upstream_auth_failed', retryable: false });
  });

  it('never repeats a secret the vendor echoes', () => {
    const error = vendorError(response(400, '{"error":{"message":"bad secret s3cr3t-value in request"}}'), who, ['s3cr3t-value']);
    expect(error.message).not.toContain('s3cr3t-value');
    expect(error.message).toContain('[redacted]');
  });
});

describe('tokenError', () => {
  it('reports refused client credentials as upstream_auth_failed', () => {
    const error = tokenError(response(400, fixtureText('blynk.error-oauth.json')), who, ['sandbox-secret']);
    expect(error).toMatchObject({ type: 'upstream_auth_failed', upstreamStatus: 400, retryable: false });
    expect(error.message).toContain('Client ID is not found or password is wrong.');
  });

  it('keeps 429 and 5xx as they are', () => {
    expect(tokenError(response(429, ''), who, []).type).toBe('upstream_rate_limited');
    expect(tokenError(response(503, ''), who, []).type).toBe('upstream_unavailable');
  });
});
