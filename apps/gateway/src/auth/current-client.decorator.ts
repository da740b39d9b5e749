import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientConfig } from '../config/config.types.js';

/** The authenticated client of the request. */
export const CurrentClient = createParamDecorator((_: unknown, context: ExecutionContext): ClientConfig => {
  return (context.switchToHttp().getRequest<FastifyRequest>() as FastifyRequest & { user: ClientConfig }).user;
});
