import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody, toGatewayError } from './error-body.js';
import { GatewayError } from './gateway-error.js';

const logger = new Logger('Errors');

/** Sends the contract's error object for any failure; the only place that writes error JSON. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, resolve?: (error: GatewayError) => GatewayError): void {
  let gatewayError = toGatewayError(error);
  if (resolve) gatewayError = resolve(gatewayError);
  if (gatewayError.status >= 500 && gatewayError.type === 'internal_server_error') {
    logger.error(`request ${request.id} ${request.method} ${request.url.split('?')[0]} failed: ${(error as Error)?.stack ?? String(error)}`);
  }
  if (gatewayError.retryAfter !== undefined) reply.header('retry-after', String(gatewayError.retryAfter));
  reply.header('x-request-id', request.id);
  reply.status(gatewayError.status).type('application/json; charset=utf-8').send(toErrorBody(gatewayError, request.id));
}

/**
 * Routes every exception through `sendError`. A 404 of the router becomes `method_not_supported` when
 * the path exists with another method.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  constructor(private readonly pathHasOtherMethod: (method: string, url: string) => boolean) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.respond(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  /** What `catch` answers, for a handler that runs outside Nest's router. */
  respond(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    sendError(exception, request, reply, (error) =>
      error.type === 'unrecognized_request' && this.pathHasOtherMethod(request.method, request.url) ? new GatewayError('method_not_supported') : error,
    );
  }
}
