import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, sendError } from '@devicegate/errors';
import type { ClientConfig } from '../config/config.types.js';
import type { GatewayMetrics } from '../ops/metrics.js';
import type { ClientKeys } from './client-keys.js';
import type { FailedAuthLimiter } from './failed-auth.js';
import type { RateDecision, RateLimitStore } from './rate-limit.js';

export type AuthenticatedRequest = FastifyRequest & { user?: ClientConfig };

/** A `/v1` route that needs a key: routes marked `@Public()` carry `public` in their Fastify route config. */
const needsKey = (request: FastifyRequest): boolean =>
  request.routeOptions.url?.startsWith('/v1/') === true && request.method !== 'OPTIONS' && (request.routeOptions.config as { public?: boolean }).public !== true;

/**
 * Authenticates `/v1` requests as they arrive, before their body is read (API.md §2.2 order: 401, then
 * the key's rate limit, 429; the scope, 403, is the guard's). A bad key costs no parse, whatever it
 * posts; every failure counts against its source address, and an address with too many is refused
 * before its key is looked at. Idempotency replays come after this, so they count against the limit.
 */
export function registerAuthentication(fastify: FastifyInstance, keys: ClientKeys, store: RateLimitStore, metrics: GatewayMetrics, failures: FailedAuthLimiter): void {
  const admit = (decision: RateDecision, client: ClientConfig, request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    if (decision.allowed) return done();
    metrics.clientRateLimited(client.name);
    sendError(new GatewayError('rate_limited', undefined, { retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) }), request, reply);
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    if (!needsKey(request)) return done();
    const waitMs = failures.retryAfterMs(request.ip);
    if (waitMs > 0) {
      metrics.authRateLimited();
      return sendError(new GatewayError('rate_limited', 'Too many failed authentications from this address.', { retryAfter: Math.ceil(waitMs / 1000) }), request, reply);
    }
    let client: ClientConfig;
    try {
      client = keys.authenticate(request.headers.authorization);
    } catch (error) {
      failures.fail(request.ip);
      return sendError(error, request, reply);
    }
    (request as AuthenticatedRequest).user = client;
    const decision = store.take(`client:${client.name}`);
    if (decision instanceof Promise) {
      decision.then((d) => admit(d, client, request, reply, done), (error: unknown) => sendError(error, request, reply));
    } else admit(decision, client, request, reply, done);
  });
}
