import type { FastifyInstance } from 'fastify';
import type { CorsConfig } from '../config/config.types.js';

/** The response headers a page may read besides the CORS-safelisted ones (API.md §2.7b). */
const EXPOSED = 'X-Request-ID, Server-Timing, Retry-After, Age, Cache-Status, X-RateLimit-Remaining, Idempotent-Replayed';
const METHODS = 'GET, POST, PUT, PATCH, DELETE';
/** What a page needs to send; a preflight asking for anything else is still answered, with this list. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-Request-ID';

/** The origins of sandbox mode: pages served by any local development server. */
export const SANDBOX_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];

/**
 * Compiles `server.cors.origins` into one test of an `Origin` header. An entry is an exact origin
 * (`https://app.example.com`), may start its host with `*.` for any subdomain, end with `:*` for any
 * port, and may leave the scheme out to allow both http and https; `*` alone allows every origin.
 * Origins are compared in lower case, as browsers send them.
 */
export function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  if (origins.includes('*')) return (origin) => origin !== 'null';
  const sources = origins.map((entry) => {
    const match = /^(?:(https?):\/\/)?(\*\.)?([^:/*]+)(?::(\d+|\*))?$/i.exec(entry.trim());
    if (!match) throw new Error(`'${entry}' is not an origin pattern`);
    const [, scheme, anySubdomain, host, port] = match;
    const escape = (text: string) => text.toLowerCase().replace(/[.+?^${}()|[\]\\-]/g, '\\$&');
    return (
      (scheme ? `${escape(scheme)}://` : 'https?://') +
      (anySubdomain ? '(?:[a-z0-9-]+\\.)+' : '') +
      escape(host) +
      (port === '*' ? '(?::\\d{1,5})?' : port ? `:${port}` : '')
    );
  });
  const pattern = new RegExp(`^(?:${sources.join('|') || '(?!)'})$`);
  return (origin) => pattern.test(origin.toLowerCase());
}

/**
 * Cross-origin access to `/v1` for the allowed origins: the origin is echoed (never `*`, so caches keyed
 * by `Vary: Origin` stay right), credentials (cookies) are not allowed because devicegate's keys travel
 * in `Authorization`, and a preflight is answered 204 before authentication (browsers send no key with
 * it) and may be cached by the browser for `maxAgeSeconds`. Other origins get no CORS header at all.
 */
export function registerCors(fastify: FastifyInstance, cors: CorsConfig): void {
  const allowed = originMatcher(cors.origins);
  const maxAge = String(cors.maxAgeSeconds);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith('/v1/')) return done();
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed(origin)) return done();
    reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      reply
        .header('access-control-allow-methods', METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', maxAge)
        .header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers')
        .code(204)
        .send();
      return;
    }
    reply.header('access-control-expose-headers', EXPOSED).header('timing-allow-origin', origin);
    done();
  });
}
