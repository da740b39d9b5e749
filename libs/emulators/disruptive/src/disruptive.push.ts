import { createHash, createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

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

/**
 * The signing key of `Dt-Asymmetric-Signature` (reference §6.3): DT signs every push with an EC P-256 key
 * whose public half it publishes as a JWKS, found through the OIDC discovery document of its
 * data-connector issuer. The emulator makes one key pair per start and serves both documents itself.
 */
export class AsymmetricSigner {
  readonly kid = randomBytes(8).toString('hex');
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  constructor(readonly issuer: string) {}

  /** `GET <issuer>/.well-known/openid-configuration`. */
  discovery(): Record<string, unknown> {
    return { issuer: this.issuer, jwks_uri: `${this.issuer}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['ES256'] };
  }

  /** `GET <jwks_uri>`. */
  jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: [{ ...this.keys.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'ES256' }] };
  }

  /** An ES256 JWT over the body's SHA-256, issued by the data-connector issuer for the organization. */
  sign(body: string, organizationId: string, nowMs = Date.now()): string {
    const iat = Math.floor(nowMs / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: this.kid })).toString('base64url');
    const claims = Buffer.from(
      JSON.stringify({ iss: this.issuer, sub: organizationId, iat, exp: iat + 3600, checksum_sha256: createHash('sha256').update(body).digest('hex') }),
    ).toString('base64url');
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key: this.keys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    return `${header}.${claims}.${signature}`;
  }
}
