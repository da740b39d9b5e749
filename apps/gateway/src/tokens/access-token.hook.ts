import type { FastifyInstance } from 'fastify';
import { GatewayError, sendError } from '@devicegate/errors';
import { TOKEN_PREFIX } from './token-signer.js';

/** The one route that takes a token in its query: `EventSource` cannot send an Authorization header. */
const QUERY_TOKEN_ROUTE = '/v1/events';
const TOKEN_IN_URL = /([?&]access_token=)[^&#]*/g;

/**
 * `GET /v1/events?access_token=<token>` is read as `Authorization: Bearer <token>` (an explicit header
 * wins), so the key guard sees one kind of credential. Only tokens are taken from a URL, never keys:
 * URLs end up in browser histories and proxy logs, and a token there expires within the hour.
 */
export function registerAccessTokenQuery(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== QUERY_TOKEN_ROUTE || request.method !== 'GET') return done();
    const query = request.query as Record<string, string | string[] | undefined>;
    const token = query.access_token;
    if (token === undefined) return done();
    delete query.access_token;
    if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX)) {
      sendError(new GatewayError('invalid_auth', '`access_token` takes a token from POST /v1/tokens, never an API key.'), request, reply);
      return;
    }
    request.headers.authorization ??= `Bearer ${token}`;
    done();
  });
}

/** A request URL as it may be logged: any `access_token` value replaced. */
export const loggableUrl = (url: string): string => (url.includes('access_token=') ? url.replace(TOKEN_IN_URL, '$1[redacted]') : url);
