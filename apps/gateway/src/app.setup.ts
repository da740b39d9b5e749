import 'reflect-metadata';
import type { Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ProviderRegistry } from '@devicegate/core';
import { GatewayError, sendError } from '@devicegate/errors';
import { AppModule } from './app.module.js';
import { GatewayExceptionFilter } from '@devicegate/errors';
import { cacheHeaders, requestIdFor, serverTiming, stateOf } from '@devicegate/request-context';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/config.types.js';
import { registerCors } from './common/cors.js';
import { loggableUrl, registerAccessTokenQuery } from './tokens/access-token.hook.js';
import { buildOpenApiDocument } from './openapi/openapi-builder.js';
import { OpenApiDocument } from './openapi/openapi-document.js';
import { IDEMPOTENCY_STORE, LOGGER, RATE_LIMIT_STORE } from './app.tokens.js';
import { registerAuthentication } from './auth/authentication.hook.js';
import { ClientKeys } from './auth/client-keys.js';
import { FailedAuthLimiter } from './auth/failed-auth.js';
import type { RateLimitStore } from './auth/rate-limit.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from './common/json-depth.js';
import { registerIdempotency } from './idempotency/idempotency.hooks.js';
import type { IdempotencyStore } from './idempotency/idempotency.store.js';
import { GatewayMetrics } from './ops/metrics.js';
import { serveDirectly } from './common/direct-routes.js';
import { getDeviceRoute, listDevicesRoute } from './devices/devices.controller.js';
import { passthroughRoute } from './passthrough/passthrough.controller.js';
import { listProjectsRoute } from './projects/projects.controller.js';
import { listConnectionsRoute } from './connections/connections.controller.js';
import { listDeviceMessagesRoute } from './messages/messages.controller.js';
import { listDeviceReadingsRoute } from './readings/readings.controller.js';
import { SharedAnswers } from './common/shared-answers.js';
import { ConnectionRegistry } from './connections/connection-registry.js';
import { AccessLog } from './ops/access-log.js';
import { createLogger, PinoNestLogger, type Logger } from './ops/logger.js';

export const BODY_LIMIT = 1024 * 1024;

/** Turns a route pattern (`/v1/devices/:device_id`, `/x/*`) into a matcher of concrete paths. */
const routeMatcher = (url: string): RegExp =>
  new RegExp(
    `^${url
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/:[A-Za-z0-9_]+/g, '[^/]+')
      .replace(/\*/g, '.*')}/?$`,
  );

/** Pipes, filters, hooks and Swagger: everything main, the tests and the spec generator share. */
export function configureApp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const routes: Array<{ method: string; pattern: RegExp }> = [];
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: String(method), pattern: routeMatcher(route.url) });
  });
  const pathHasOtherMethod = (method: string, url: string) => {
    const path = url.split('?')[0];
    return routes.some((route) => route.method !== method && route.pattern.test(path));
  };

  // JSON is the only body devicegate reads; anything else is answered 415. Its nesting is checked on the
  // raw text first: a deep body would cost the parser and the validators far more than the scan.
  fastify.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (!exceedsJsonDepth(body)) return parseJson(request, body as string, done);
    done(GatewayError.validation([{ name: 'body', message: `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }], 'The request body is nested too deeply.'), undefined);
  });

  const { cors, failedAuthLimit } = app.get<GatewayConfig>(GATEWAY_CONFIG).server;
  if (cors) registerCors(fastify, cors);
  registerAccessTokenQuery(fastify);

  const metrics = app.get(GatewayMetrics);
  // Hooks run on every request, so they are callback-style: no promise per hook when there is nothing to wait for.
  fastify.addHook('onRequest', (request, reply, done) => {
    stateOf(request).response = reply.raw;
    reply.header('x-request-id', request.id);
    // Bodies are JSON (passthrough: whatever the vendor labelled them); no browser should guess otherwise.
    reply.header('x-content-type-options', 'nosniff');
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith('/v1')) {
      reply.header('server-timing', serverTiming(request));
      const cache = cacheHeaders(request);
      if (cache) {
        reply.header('cache-status', cache.cacheStatus);
        if (cache.age !== undefined) reply.header('age', cache.age);
      }
    }
    // While shutting down, answers close their connection so keep-alive clients do not hold the exit back.
    if (closing.has(app)) reply.header('connection', 'close');
    done(null, payload);
  });
  const accessLog = new AccessLog(app.get<Logger>(LOGGER));
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions;
    const url = route.url ?? 'unmatched';
    const state = stateOf(request);
    const durationMs = performance.now() - state.startedAt;
    metrics.request(route.config ?? fastify, request.method, url, reply.statusCode, durationMs / 1000);
    accessLog.write({
      reqId: request.id,
      method: request.method,
      url: loggableUrl(request.url),
      route: url,
      status: reply.statusCode,
      durationMs: Math.round(durationMs * 10) / 10,
      upstreamCalls: state.upstreamCalls,
      upstreamMs: Math.round(state.upstreamMs * 10) / 10,
      client: (request as { user?: { name?: string } }).user?.name,
    });
    done();
  });

  const failures = failedAuthLimit ? new FailedAuthLimiter(failedAuthLimit.perSecond, failedAuthLimit.burst) : new FailedAuthLimiter();
  registerAuthentication(fastify, app.get(ClientKeys), app.get<RateLimitStore>(RATE_LIMIT_STORE), metrics, failures);
  registerIdempotency(fastify, app.get<IdempotencyStore>(IDEMPOTENCY_STORE));

  const filter = new GatewayExceptionFilter(pathHasOtherMethod);
  app.useGlobalFilters(filter);
  const registry = app.get(ConnectionRegistry);
  const lists = [listDevicesRoute, listProjectsRoute, listConnectionsRoute, listDeviceMessagesRoute, listDeviceReadingsRoute];
  serveDirectly(app, [getDeviceRoute, passthroughRoute, ...lists], filter, new SharedAnswers(() => registry.readGeneration));
}

const closing = new WeakSet<NestFastifyApplication>();
const connections = new WeakMap<NestFastifyApplication, Set<Socket>>();

/** Keeps the app's open connections, so that a graceful close can find those that never sent a request. */
function trackConnections(app: NestFastifyApplication): void {
  const open = new Set<Socket>();
  connections.set(app, open);
  app.getHttpServer().on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

/**
 * Stops accepting connections, lets the requests in flight finish, and closes keep-alive connections as
 * soon as they are idle, so SIGTERM ends the process promptly.
 */
export async function closeGracefully(app: NestFastifyApplication): Promise<void> {
  closing.add(app);
  const server = app.getHttpServer();
  const sweep = () => {
    server.closeIdleConnections();
    // A connection that has not sent a byte yet has no request to finish. Node counts it as busy (so that its
    // headers timeout can guard it), so closeIdleConnections leaves it, and the close would wait for that
    // timeout: browsers open such spare connections ahead of need, and so do HTTP clients' pools.
    for (const socket of connections.get(app) ?? []) if (socket.bytesRead === 0) socket.destroy();
  };
  sweep();
  const sweeping = setInterval(sweep, 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweeping);
  }
}

/** Builds the OpenAPI document, publishes it and mounts Swagger UI at `/docs`. Call after the routes exist. */
export function publishOpenApi(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  app.get(OpenApiDocument).set(document);
  SwaggerModule.setup('docs', app, document, {
    raw: false,
    swaggerOptions: { persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: false },
    customSiteTitle: 'devicegate API',
  });
}

export interface CreateAppOptions {
  /** The pino logger to use; `false` logs nothing (tests). Default: JSON on stdout at LOG_LEVEL. */
  logger?: Logger | false;
}

/** A configured, initialised gateway app, not yet listening. */
export async function createApp(config: GatewayConfig, providers: ProviderRegistry, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger === false ? createLogger('silent') : (options.logger ?? createLogger());
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One access line per request is written in onResponse, with the vendor time it cost.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: every line that concerns a request names its `reqId` itself.
    childLoggerFactory: (parent: FastifyBaseLogger) => parent,
    bodyLimit: BODY_LIMIT,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => requestIdFor(req.headers['x-request-id']),
    trustProxy: false,
    routerOptions: { maxParamLength: 2048 },
    // URLs the router cannot even read still get the error object and a request id; in a passthrough
    // path they are the encoded escapes API.md §4.9 names, so they are a validation error of `path`.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendError(
        request.url.includes('/passthrough/') ? GatewayError.validation([{ name: 'path', message: 'has a malformed percent-encoding' }], 'The passthrough path is not allowed.') : error,
        request,
        reply,
      ),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, providers, logger), adapter, {
    logger: new PinoNestLogger(logger),
    bufferLogs: false,
    // Fastify's own JSON parser is the only one: Nest's would add url-encoded forms.
    bodyParser: false,
  });
  configureApp(app);
  trackConnections(app);
  publishOpenApi(app);
  await app.init();
  return app;
}

