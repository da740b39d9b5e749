import { createHash, timingSafeEqual } from 'node:crypto';
import type { PushRequest } from './provider.js';

/** One header of a push (names are lower case); a repeated header counts as absent, so it cannot be smuggled. */
export function pushHeader(request: PushRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

/** Compares a presented secret with the configured one in constant time (both hashed first, so lengths leak nothing). */
export function secretMatches(presented: string | undefined, secret: string): boolean {
  if (presented === undefined || presented.length === 0 || secret.length === 0) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of `Authorization: Bearer <token>` (scheme in any letter case), or undefined. */
export function bearerToken(request: PushRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(pushHeader(request, 'authorization') ?? '');
  return match?.[1];
}
