import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * The legacy `X-Dt-Signature` of an HTTP_PUSH data connector with a `signatureSecret` (reference §6.3):
 * an HS256 JWT whose claims carry the SHA-1 and SHA-256 of the exact body, valid for an hour.
 */
export function signPush(body: string, secret: string, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const claims = Buffer.from(
    JSON.stringify({
      checksum: createHash('sha1').update(body).digest('hex'),
      checksum_sha256: createHash('sha256').update(body).digest('hex'),
      iat,
      exp: iat + 3600,
      jti: randomBytes(10).toString('hex'),
    }),
  ).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
  return `${header}.${claims}.${signature}`;
}
