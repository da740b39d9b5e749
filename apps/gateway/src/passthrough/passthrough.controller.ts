import { All, Controller, Injectable, Param, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import type { HttpRequest } from '@devicegate/http-client';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiIdParam, V1Operation } from '../common/api.decorators.js';
import { Ctx } from '../common/request.decorators.js';
import { directRoute } from '../common/direct-routes.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { safeVendorPath } from './passthrough-path.js';

const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'accept-language', 'if-match', 'if-none-match'];
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Vendor headers that describe the body devicegate hands on unchanged; every other vendor header is renamed `Vendor-<name>`. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'etag', 'last-modified']);

@Injectable()
export class PassthroughService {
  constructor(private readonly registry: ConnectionRegistry) {}

  async forward(client: ClientConfig, connectionId: string, request: FastifyRequest, reply: FastifyReply, ctx: CallContext): Promise<void> {
    const live = this.registry.resolve(client, connectionId);
    if (!METHODS.has(request.method)) throw new GatewayError('method_not_supported');
    const marker = `/passthrough/`;
    const rawUrl = request.url;
    const start = rawUrl.indexOf(marker) + marker.length;
    const queryAt = rawUrl.indexOf('?', start);
    const path = safeVendorPath(queryAt >= 0 ? rawUrl.slice(start, queryAt) : rawUrl.slice(start));
    const query = queryAt >= 0 ? rawUrl.slice(queryAt + 1) : '';

    const headers: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const auth = await this.registry.callConnection(client, connectionId, 'authHeaders', ctx);
    const body = request.body === undefined || request.body === null ? undefined : JSON.stringify(request.body);
    const vendorRequest: HttpRequest = {
      method: request.method as HttpRequest['method'],
      path: `/${path}`,
      query: query ? new URLSearchParams(query) : undefined,
      headers: { ...headers, ...auth },
      body,
      idempotent: request.method === 'GET',
      // The caller asked the vendor itself: its read is neither shared with others nor answered from the cache.
      shared: false,
      // Nor do its failures (a stream that times out, a path the vendor lacks) open the circuit for translated calls.
      circuit: false,
    };
    const response = await this.registry.run(live, 'passthrough', () => live.http.request(vendorRequest, ctx));
    const safe = live.http.safeResponseHeaders(response.headers, Object.keys(auth).map((name) => name.toLowerCase()));
    // devicegate's own headers (request id, rate limit, CORS, Location) are never the vendor's to set.
    for (const name in safe) reply.header(BODY_HEADERS.has(name) ? name : `vendor-${name}`, safe[name]);
    reply.status(response.status).send(response.body);
  }
}

@ApiTags('passthrough')
@Controller('v1/connections/:connection_id/passthrough')
export class PassthroughController {
  constructor(private readonly service: PassthroughService) {}

  @All('*')
  @V1Operation({
    operationId: 'passthrough', capability: 'passthrough',
    summary: 'Call the vendor API directly',
    description:
      "Sends `{path}` with the query string and JSON body to the connection's vendor base URL, with the connection's credentials added, and answers the vendor's status and body unchanged. Of the vendor's response headers, those describing the body (`Content-Type`, `Content-Encoding`, `Content-Language`, `ETag`, `Last-Modified`) are passed as they are and every other one as `Vendor-<name>` (e.g. `Vendor-Location`, `Vendor-X-RateLimit-Remaining`), so devicegate's own `X-Request-ID`, `X-RateLimit-*`, CORS and `Location` headers are always devicegate's; credential and hop-by-hop headers are dropped. The vendor's failures do not count towards the connection's circuit, and a GET the vendor answers 501 is not retried. A passthrough GET always asks the vendor (it is neither answered from the read cache nor shared with other reads, and leaves them as they are); a passthrough POST, PUT, PATCH or DELETE invalidates the connection's cached reads like any write through devicegate. Reaches every vendor operation, including those with no unified form (iottly licenses, Blynk metafields, DT data connectors, Izuma device groups …). The path can never leave the base URL: absolute URLs, `//host`, `.`/`..` segments and encoded forms of them answer 400 `validation_error`. Works with GET, POST, PUT, PATCH and DELETE.",
    scope: 'passthrough',
    errors: [405, 413, 415, 501],
  })
  @ApiIdParam('connection_id', 'The connection id.', 'sandbox-hardwario')
  @ApiParam({ name: 'path', description: 'The vendor path relative to the base URL, e.g. `v2/spaces/{space_id}/tags`.', example: 'v2/spaces', schema: { type: 'string' } })
  @ApiBody({ required: false, description: 'Sent to the vendor as JSON.', schema: { type: 'object', additionalProperties: true, example: {} } })
  @ApiOkResponse({ description: "The vendor's answer, unchanged.", content: { 'application/json': { schema: { type: 'object', additionalProperties: true }, example: { any: 'vendor body' } } } })
  passthrough(
    @CurrentClient() client: ClientConfig,
    @Param('connection_id') connectionId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Ctx() ctx: CallContext,
  ): Promise<void> {
    return this.service.forward(client, connectionId, request, reply, ctx);
  }
}

/** The passthrough is served outside Nest's router (common/direct-routes.ts): its parameters as its decorators give them. */
export const passthroughRoute = directRoute<PassthroughController>({
  controller: PassthroughController,
  method: 'passthrough',
  url: '/v1/connections/:connection_id/passthrough/*',
  answersItself: true,
  call: (controller, client, request, reply, ctx) => controller.passthrough(client, (request.params as { connection_id: string }).connection_id, request, reply, ctx),
});
