import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, sendError } from '@devicegate/errors';
import type { AuthenticatedRequest } from '../auth/authentication.hook.js';
import type { IdempotencyStore } from './idempotency.store.js';

const CLAIM = Symbol('devicegate.idempotency');
type Claimed = FastifyRequest & { [CLAIM]?: { key: string; fingerprint: string } };

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * POST routes of `/v1` that exist, for an authenticated caller (public routes have none to key records
 * by); passthrough answers are the vendor's own and are not recorded.
 */
const applies = (request: FastifyRequest) =>
  request.method === 'POST' && request.routeOptions.url !== undefined && request.url.startsWith('/v1/') && !request.url.includes('/passthrough/');

/**
 * `Idempotency-Key` on POST (API.md §2.8): the same key and body within 24 h replay the first answer
 * without calling the vendor again; the same key with another body is a 409. Records belong to the
 * authenticated client (this runs after authentication and the key's rate limit, so a refused key never
 * gets a record and every replay counts against the limit), so one caller never sees another's answers.
 */
export function registerIdempotency(fastify: FastifyInstance, store: IdempotencyStore): void {
  /** Claims the key for this request, or answers the request itself; resolves whether the handler should run. */
  const claim = async (request: FastifyRequest, reply: FastifyReply, header: string | string[], client: string): Promise<boolean> => {
    if (typeof header !== 'string' || header.length < 1 || header.length > 255) {
      sendError(GatewayError.validation([{ name: 'Idempotency-Key', message: 'must be one header of 1 to 255 characters' }]), request, reply);
      return false;
    }
    const key = `${sha256(client)}:${sha256(header)}`;
    const fingerprint = sha256(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
    const begun = await store.begin(key, fingerprint);
    switch (begun.state) {
      case 'new':
        (request as Claimed)[CLAIM] = { key, fingerprint };
        return true;
      case 'replay':
        reply.header('idempotent-replayed', 'true').header('content-type', begun.answer.contentType).status(begun.answer.status).send(begun.answer.payload);
        return false;
      case 'conflict':
        sendError(new GatewayError('conflict', 'This Idempotency-Key was already used with another request body.', { retryable: false }), request, reply);
        return false;
      case 'busy':
        sendError(new GatewayError('conflict', 'A request with this Idempotency-Key is still in progress.', { retryable: true, retryAfter: 1 }), request, reply);
        return false;
    }
  };

  /** Keeps the answer for replays; answers that may differ on a retry (5xx, rate limits) are not kept: the retry runs again. */
  const record = (request: FastifyRequest, reply: FastifyReply, payload: unknown, claimed: { key: string; fingerprint: string }): Promise<void> =>
    reply.statusCode >= 500 || reply.statusCode === 429 || typeof payload !== 'string'
      ? store.abandon(claimed.key)
      : store.complete(claimed.key, claimed.fingerprint, { status: reply.statusCode, contentType: String(reply.getHeader('content-type') ?? 'application/json'), payload });

  // Callback-style hooks: requests without an Idempotency-Key (nearly all) pass without a promise.
  fastify.addHook('preHandler', (request, reply, done) => {
    const header = request.headers['idempotency-key'];
    const client = (request as AuthenticatedRequest).user;
    if (header === undefined || !client || !applies(request)) return done();
    claim(request, reply, header, client.name).then((proceed) => {
      if (proceed) done();
    }, done);
  });

  fastify.addHook('onSend', (request, reply, payload, done) => {
    const claimed = (request as Claimed)[CLAIM];
    if (!claimed) return done(null, payload);
    (request as Claimed)[CLAIM] = undefined;
    record(request, reply, payload, claimed).then(() => done(null, payload), done);
  });

  fastify.addHook('onResponse', (request, _reply, done) => {
    const claimed = (request as Claimed)[CLAIM];
    if (!claimed) return done();
    store.abandon(claimed.key).then(() => done(), done);
  });
}
