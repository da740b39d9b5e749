import { createHash, createHmac, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import type { PushRequest } from '@devicegate/core';
import { disruptivePush, parseDisruptivePush, verifyDisruptiveAsymmetric, verifyDisruptivePush } from './disruptive.push.js';

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

describe('Disruptive Technologies Dt-Asymmetric-Signature', () => {
  const ISSUER = 'https://identity.example.test/data-connector';
  const ORG = 'c0md3mm0c7pi7cghrn40';
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  /** A token made as DT's newer signing is described: ES256, `kid`, iss/sub/iat/exp and the body's SHA-256. */
  function signEs256(body: string, claims: Record<string, unknown> = {}, key = keys.privateKey, kid = 'k1'): string {
    const iat = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'ES256', typ: 'JWT', kid })}.${b64({ iss: ISSUER, sub: ORG, iat, exp: iat + 3600, checksum_sha256: createHash('sha256').update(body).digest('hex'), ...claims })}`;
    return `${unsigned}.${cryptoSign('sha256', Buffer.from(unsigned), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }

  /** Serves the issuer's discovery document and JWKS, counting the fetches. */
  function publisher(issuer = ISSUER) {
    const fetched: string[] = [];
    const fetchJson = async (url: string): Promise<unknown> => {
      fetched.push(url);
      if (url === `${issuer}/.well-known/openid-configuration`) return { issuer, jwks_uri: `${issuer}/keys` };
      if (url === `${issuer}/keys`) return { keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' }] };
      throw new Error(`unexpected ${url}`);
    };
    return { fetched, fetchJson };
  }

  const asym = (token: string | undefined, body = BODY): PushRequest => ({ method: 'POST', headers: token ? { 'dt-asymmetric-signature': token } : {}, rawBody: Buffer.from(body), body: JSON.parse(body) });
  // Each test names its own issuer: the key cache is per issuer and lives as long as the process.
  const verification = (issuer: string, fetchJson: (url: string) => Promise<unknown>, settings: Record<string, unknown> = { organization_id: `organizations/${ORG}` }, secret?: string) => ({
    secret,
    settings: { push_issuer: issuer, ...settings },
    now: Date.now(),
    fetchJson,
  });

  it('accepts an ES256 token of the issuer for the organization over these exact bytes, and caches the keys', async () => {
    const issuer = `${ISSUER}/accept`;
    const { fetched, fetchJson } = publisher(issuer);
    const token = (claims = {}) => signEs256(BODY, { iss: issuer, ...claims });
    // Pushes arriving together share one fetch of the discovery document and the JWKS.
    expect(await Promise.all([1, 2, 3].map(() => verifyDisruptiveAsymmetric(asym(token()), verification(issuer, fetchJson))))).toEqual([true, true, true]);
    expect(await disruptivePush.verify(asym(token()), verification(issuer, fetchJson))).toBe(true);
    expect(fetched).toHaveLength(2);
  });

  it('accepts nothing without organization_id: the issuer signs for every DT organization', async () => {
    const issuer = `${ISSUER}/no-organization`;
    const { fetchJson } = publisher(issuer);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer })), verification(issuer, fetchJson, {}))).toBe(false);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer, sub: 'another-org' })), verification(issuer, fetchJson, {}))).toBe(false);
    expect(disruptivePush.requiredSettings).toEqual(['organization_id']);
  });

  it.each([
    ['another issuer', { iss: 'https://identity.example.test/elsewhere' }],
    ['another organization', { sub: 'someone-else' }],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 3600 }],
    ['a token from the future', { iat: Math.floor(Date.now() / 1000) + 3600 }],
    ['a token living longer than DT issues them', { exp: Math.floor(Date.now() / 1000) + 86_400 }],
    ['a token without iat', { iat: undefined }],
    ['a token without exp', { exp: undefined }],
    ['another body checksum', { checksum_sha256: createHash('sha256').update('{}').digest('hex') }],
    ['no body checksum', { checksum_sha256: undefined }],
  ])('refuses %s', async (_what, claims) => {
    const issuer = `${ISSUER}/refuse`;
    const { fetchJson } = publisher(issuer);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer, ...claims })), verification(issuer, fetchJson))).toBe(false);
  });

  it('refuses a token signed with another key, an unknown kid (re-reading the keys at most once a minute), a changed body and keys it cannot fetch', async () => {
    const issuer = `${ISSUER}/forged`;
    const { fetched, fetchJson } = publisher(issuer);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer }, other.privateKey)), verification(issuer, fetchJson))).toBe(false);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer }, other.privateKey, 'k2')), verification(issuer, fetchJson))).toBe(false);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer }, other.privateKey, 'k3')), verification(issuer, fetchJson))).toBe(false);
    expect(fetched).toHaveLength(2);
    expect(await verifyDisruptiveAsymmetric(asym(signEs256(BODY, { iss: issuer }), BODY.replace('"value":27', '"value":99')), verification(issuer, fetchJson))).toBe(false);
    const down = `${ISSUER}/down`;
    let attempts = 0;
    const unreachable = async () => {
      attempts += 1;
      throw new Error('connect ECONNREFUSED');
    };
    expect(await disruptivePush.verify(asym(signEs256(BODY, { iss: down })), verification(down, unreachable))).toBe(false);
    // An issuer that cannot be reached is not asked again for every push.
    expect(await disruptivePush.verify(asym(signEs256(BODY, { iss: down })), verification(down, unreachable))).toBe(false);
    expect(attempts).toBe(1);
  });

  it('still accepts X-Dt-Signature with the push secret, and nothing without a proof', async () => {
    const issuer = `${ISSUER}/legacy`;
    const { fetchJson } = publisher(issuer);
    expect(await disruptivePush.verify(request(sign(BODY, 'some-very-good-secret')), verification(issuer, fetchJson, {}, 'some-very-good-secret'))).toBe(true);
    expect(await disruptivePush.verify(request(sign(BODY, 'some-very-good-secret')), verification(issuer, fetchJson, {}))).toBe(false);
    expect(await disruptivePush.verify(request(undefined), verification(issuer, fetchJson, {}, 'some-very-good-secret'))).toBe(false);
  });
});
