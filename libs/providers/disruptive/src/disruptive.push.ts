import { createHash, createHmac, createPublicKey, verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isObject, pushHeader, secretMatches, type Message, type PushRequest, type PushSupport, type PushVerification } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { parseDeviceName, toMessage } from './disruptive.mapper.js';
import type { DtEvent } from './disruptive.types.js';

/**
 * DT data connectors (HTTP_PUSH, reference §6.3) post `{"event", "labels", "metadata"}` and sign it two
 * ways. Every push carries `Dt-Asymmetric-Signature`: an ES256 JWT from DT's data-connector issuer
 * (public keys through its OIDC discovery document) whose claims name the organization and the
 * SHA-256 of the raw body. A connector with the deprecated `signatureSecret` adds `X-Dt-Signature`: an
 * HS256 JWT with that secret over the same checksums. devicegate accepts either proof, expiry and
 * checksum included; the event id (`eventId`, the same as the history's) is the message id.
 */
export const DISRUPTIVE_PUSH_AUTHENTICATION =
  "`Dt-Asymmetric-Signature` (ES256 JWT from DT's data-connector issuer, keys by OIDC discovery, for the connection's organization), or `X-Dt-Signature` (HS256 JWT with the connector's `signatureSecret` as the push secret), over the body's checksum.";

/** DT's data-connector issuer; `push_issuer` on a connection overrides it. */
export const DT_PUSH_ISSUER = 'https://identity.disruptive-technologies.com/data-connector';

/** Clock skew tolerated on `iat`/`exp`. */
const SKEW_S = 60;

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A compact JWT from a push header: its three parts, and the header and claims decoded. */
interface PushToken {
  signed: string;
  signature: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

function readToken(request: PushRequest, name: string): PushToken | undefined {
  const token = pushHeader(request, name);
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return undefined;
  const header = decodeJson(parts[0]);
  const claims = decodeJson(parts[1]);
  return header && claims ? { signed: `${parts[0]}.${parts[1]}`, signature: parts[2], header, claims } : undefined;
}

/**
 * DT's tokens live an hour: `exp = iat + 3600` (reference §6.3, and DT's service-account assertions may
 * not ask for more). A token that claims a longer life, or leaves out when it was issued, was not made
 * by DT's signer and is refused.
 */
const MAX_LIFETIME_S = 3600;

/** `exp` not passed and `iat` not ahead, with the skew allowed. */
function current(claims: Record<string, unknown>, now: number): boolean {
  const nowS = now / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + SKEW_S < nowS) return false;
  return !(typeof claims.iat === 'number' && claims.iat - SKEW_S > nowS);
}

/** Checks `X-Dt-Signature` against the raw body: HS256 with `secret`, unexpired, and the body checksum it names. */
export function verifyDisruptivePush(request: PushRequest, secret: string, now = Date.now()): boolean {
  const token = readToken(request, 'x-dt-signature');
  if (!token || token.header.alg !== 'HS256') return false;
  if (!secretMatches(token.signature, base64url(createHmac('sha256', secret).update(token.signed).digest()))) return false;
  const { claims } = token;
  if (!current(claims, now)) return false;
  // Newer signatures carry the SHA-256 of the body; older ones only the SHA-1.
  if (typeof claims.checksum_sha256 === 'string') {
    return claims.checksum_sha256.toLowerCase() === createHash('sha256').update(request.rawBody).digest('hex');
  }
  if (typeof claims.checksum === 'string') {
    return claims.checksum.toLowerCase() === createHash('sha1').update(request.rawBody).digest('hex');
  }
  return false;
}

/**
 * An issuer's signing keys by `kid`, as fetched at `fetchedAt`. Callers share one fetch in flight; what
 * it settled to decides when to fetch again.
 */
interface KeySet {
  keys: Promise<Map<string, KeyObject>>;
  fetchedAt: number;
  settled?: Map<string, KeyObject> | 'failed';
}

/** Keys are fetched again after this long; after a failed fetch or for an unknown `kid`, at most once a minute. */
const KEYS_MAX_AGE_MS = 60 * 60 * 1000;
const KEYS_MIN_REFETCH_MS = 60 * 1000;
const keySets = new Map<string, KeySet>();

async function fetchKeys(issuer: string, fetchJson: PushVerification['fetchJson']): Promise<Map<string, KeyObject>> {
  const discovery = await fetchJson(`${issuer}/.well-known/openid-configuration`);
  const jwksUri = isObject(discovery) && typeof discovery.jwks_uri === 'string' ? discovery.jwks_uri : undefined;
  if (!jwksUri) throw new Error('the discovery document names no jwks_uri');
  const jwks = await fetchJson(jwksUri);
  const keys = new Map<string, KeyObject>();
  for (const jwk of isObject(jwks) && Array.isArray(jwks.keys) ? jwks.keys : []) {
    if (!isObject(jwk) || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    try {
      keys.set(jwk.kid, createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
    } catch {
      // A key that does not parse is left out; the others still serve.
    }
  }
  return keys;
}

function keySetFor(issuer: string, kid: string, fetchJson: PushVerification['fetchJson'], now: number): KeySet {
  const set = keySets.get(issuer);
  const age = set ? now - set.fetchedAt : Infinity;
  const missing = set?.settled === 'failed' || (set?.settled instanceof Map && !set.settled.has(kid));
  if (set && age <= KEYS_MAX_AGE_MS && !(missing && age > KEYS_MIN_REFETCH_MS)) return set;
  const fresh: KeySet = { keys: fetchKeys(issuer, fetchJson), fetchedAt: now };
  fresh.keys.then(
    (keys) => (fresh.settled = keys),
    () => (fresh.settled = 'failed'),
  );
  keySets.set(issuer, fresh);
  return fresh;
}

/** The bare organization id of `organization_id` (bare or `organizations/<id>`). */
const bareOrganization = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value.replace(/^organizations\//, '') : undefined);

/**
 * Checks `Dt-Asymmetric-Signature`: ES256 with a key of the issuer's JWKS, issued by that issuer, for the
 * connection's organization, unexpired and issued at most an hour before it expires, over the SHA-256 of
 * the raw body.
 *
 * The issuer signs the pushes of every DT customer, so the organization (`sub`) is what binds a token to
 * this receiver: without `organization_id` nothing is accepted (the config refuses such a connection).
 * DT documents no `aud` for these tokens: DT's verifier (python-integrations' `HttpPush`, after v0.6.1)
 * checks the signature, `iss` from the discovery document, `exp`, `iat`, `sub` against the organization
 * id and `checksum_sha256`; DT's public TypeScript example checks `iss`, `exp` and `checksum_sha256` and
 * reads the organization from `sub`. An audience is therefore not required, and one present is not
 * relied on.
 */
export async function verifyDisruptiveAsymmetric(request: PushRequest, verification: PushVerification): Promise<boolean> {
  const token = readToken(request, 'dt-asymmetric-signature');
  if (!token || token.header.alg !== 'ES256' || typeof token.header.kid !== 'string') return false;
  const { claims, header } = token;
  const issuer = typeof verification.settings.push_issuer === 'string' ? verification.settings.push_issuer.replace(/\/+$/, '') : DT_PUSH_ISSUER;
  if (claims.iss !== issuer) return false;
  const organization = bareOrganization(verification.settings.organization_id);
  if (organization === undefined || claims.sub !== organization) return false;
  if (!current(claims, verification.now) || typeof claims.iat !== 'number' || (claims.exp as number) - claims.iat > MAX_LIFETIME_S) return false;
  if (typeof claims.checksum_sha256 !== 'string' || claims.checksum_sha256.toLowerCase() !== createHash('sha256').update(request.rawBody).digest('hex')) return false;
  try {
    const key = (await keySetFor(issuer, header.kid as string, verification.fetchJson, verification.now).keys).get(header.kid as string);
    if (!key) return false;
    return verifySignature('sha256', Buffer.from(token.signed), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(token.signature, 'base64url'));
  } catch {
    // Keys that cannot be fetched prove nothing: the push is refused, and the vendor retries it.
    return false;
  }
}

/** One data-connector push → its Message (a `ping` or an event of no device gives none). */
export function parseDisruptivePush(body: unknown, connectionId: string): Message[] {
  if (!isObject(body) || !isObject(body.event)) {
    throw GatewayError.validation([{ name: 'body', message: "must be an object with 'event' (a data connector push)" }], 'The push is not a Disruptive Technologies data connector push.');
  }
  const event = body.event as unknown as DtEvent;
  if (event.eventType === 'ping' || !parseDeviceName(event.targetName)) return [];
  try {
    return [toMessage(event, connectionId)];
  } catch {
    throw GatewayError.validation([{ name: 'event', message: 'must have eventId, targetName, eventType and an RFC 3339 timestamp' }], 'The push event is incomplete.');
  }
}

export const disruptivePush: PushSupport = {
  authentication: DISRUPTIVE_PUSH_AUTHENTICATION,
  verifiesWithoutSecret: true,
  requiredSettings: ['organization_id'],
  verify: async (request, verification) =>
    (await verifyDisruptiveAsymmetric(request, verification)) || (verification.secret !== undefined && verifyDisruptivePush(request, verification.secret, verification.now)),
  parse: (body, connectionId) => parseDisruptivePush(body, connectionId),
};
