import { createHash, createHmac } from 'node:crypto';
import { pushHeader, secretMatches, type Message, type PushRequest, type PushSupport } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { parseDeviceName, toMessage } from './disruptive.mapper.js';
import type { DtEvent } from './disruptive.types.js';

/**
 * DT data connectors (HTTP_PUSH, reference §6.3) post `{"event", "labels", "metadata"}` and, when the
 * connector has a `signatureSecret`, sign it with `X-Dt-Signature`: an HS256 JWT whose claims carry
 * the SHA-1 and SHA-256 of the raw body and expire an hour after issue. devicegate checks the
 * signature with the connection's push secret, the expiry, and the body checksum; the event id
 * (`eventId`, the same as the history's) is the message id.
 */
export const DISRUPTIVE_PUSH_AUTHENTICATION = 'The data connector\'s `signatureSecret` is the push secret; each push carries `X-Dt-Signature` (HS256 JWT over the body checksum).';

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

/** Checks `X-Dt-Signature` against the raw body: HS256 with `secret`, unexpired, and the body checksum it names. */
export function verifyDisruptivePush(request: PushRequest, secret: string, now = Date.now()): boolean {
  const token = pushHeader(request, 'x-dt-signature');
  if (!token) return false;
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const [headerPart, claimsPart, signaturePart] = parts;
  const header = decodeJson(headerPart);
  const claims = decodeJson(claimsPart);
  if (!header || !claims || header.alg !== 'HS256') return false;
  const expected = base64url(createHmac('sha256', secret).update(`${headerPart}.${claimsPart}`).digest());
  if (!secretMatches(signaturePart, expected)) return false;
  const nowS = now / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + SKEW_S < nowS) return false;
  if (typeof claims.iat === 'number' && claims.iat - SKEW_S > nowS) return false;
  // Newer signatures carry the SHA-256 of the body; older ones only the SHA-1.
  if (typeof claims.checksum_sha256 === 'string') {
    return claims.checksum_sha256.toLowerCase() === createHash('sha256').update(request.rawBody).digest('hex');
  }
  if (typeof claims.checksum === 'string') {
    return claims.checksum.toLowerCase() === createHash('sha1').update(request.rawBody).digest('hex');
  }
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

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
  verify: (request, secret, now) => verifyDisruptivePush(request, secret, now),
  parse: (body, connectionId) => parseDisruptivePush(body, connectionId),
};
