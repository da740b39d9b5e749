import { createHash, createHmac } from 'node:crypto';
import type { PushRequest } from '@devicegate/core';
import { parseDisruptivePush, verifyDisruptivePush } from './disruptive.push.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A signature made as the reference describes DT's (HS256 JWT over the body checksums). */
function sign(body: string, secret: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { checksum: createHash('sha1').update(body).digest('hex'), checksum_sha256: createHash('sha256').update(body).digest('hex'), iat, exp: iat + 3600, jti: 'j', ...claims };
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

const BODY = '{"event":{"eventId":"cpbg96qngr7ai7ldarrg","targetName":"projects/ccol8iuk9smqiha4e8l0/devices/emucdd6ef2eu277bo8f52vg","eventType":"temperature","data":{"temperature":{"value":27,"updateTime":"2024-05-29T10:34:03.970415Z","samples":[{"value":27,"sampleTime":"2024-05-29T10:34:03.970415Z"}],"isBackfilled":false}},"timestamp":"2024-05-29T10:34:03.970415Z"},"labels":{"name":"test temp"},"metadata":{"deviceId":"emucdd6ef2eu277bo8f52vg","projectId":"ccol8iuk9smqiha4e8l0","deviceType":"temperature","productNumber":""}}';
const request = (signature: string | undefined, body = BODY): PushRequest => ({ method: 'POST', headers: signature ? { 'x-dt-signature': signature } : {}, rawBody: Buffer.from(body), body: JSON.parse(body) });

describe('Disruptive Technologies data connector push', () => {
  it('accepts X-Dt-Signature made with the secret over these exact bytes', () => {
    expect(verifyDisruptivePush(request(sign(BODY, 'some-very-good-secret')), 'some-very-good-secret')).toBe(true);
    // Older signatures carry only the SHA-1.
    expect(verifyDisruptivePush(request(sign(BODY, 'some-very-good-secret', { checksum_sha256: undefined })), 'some-very-good-secret')).toBe(true);
  });

  it('refuses a missing, foreign, expired, tampered or unsigned-algorithm signature', () => {
    const secret = 'some-very-good-secret';
    expect(verifyDisruptivePush(request(undefined), secret)).toBe(false);
    expect(verifyDisruptivePush(request(sign(BODY, 'another-secret')), secret)).toBe(false);
    expect(verifyDisruptivePush(request(sign(BODY, secret, { exp: Math.floor(Date.now() / 1000) - 3600 })), secret)).toBe(false);
    expect(verifyDisruptivePush(request(sign(BODY, secret), BODY.replace('27', '28')), secret)).toBe(false);
    expect(verifyDisruptivePush(request(sign(BODY, secret, {}, { alg: 'none', typ: 'JWT' })), secret)).toBe(false);
    expect(verifyDisruptivePush(request(sign(BODY, secret, { checksum: undefined, checksum_sha256: undefined })), secret)).toBe(false);
    expect(verifyDisruptivePush(request('a.b'), secret)).toBe(false);
  });

  it('maps the push to the Message the event history gives, with the event id', () => {
    const [message] = parseDisruptivePush(JSON.parse(BODY), 'dt');
    expect(message).toMatchObject({
      id: 'dt:cpbg96qngr7ai7ldarrg',
      device_id: 'dt:emucdd6ef2eu277bo8f52vg',
      provider: 'disruptive',
      native_type: 'temperature',
      created_at: '2024-05-29T10:34:03.970Z',
      data: { temperature: { value: 27 } },
    });
    expect(parseDisruptivePush({ event: { eventId: 'p', targetName: 'projects/p', eventType: 'ping', data: null, timestamp: '2024-05-29T10:34:03Z' } }, 'dt')).toEqual([]);
    expect(() => parseDisruptivePush({ hello: 1 }, 'dt')).toThrow(expect.objectContaining({ type: 'validation_error' }));
  });
});
