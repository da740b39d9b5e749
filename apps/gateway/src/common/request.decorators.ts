import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { CallContext } from '@devicegate/core';
import { callContext } from '@devicegate/request-context';

/** The CallContext of the request (request id, deadline, upstream timing). */
export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): CallContext => callContext(context.switchToHttp().getRequest<FastifyRequest>()));

/** The raw query object as Fastify parsed it (repeated keys become arrays). */
export const RawQuery = createParamDecorator(
  (_: unknown, context: ExecutionContext): Record<string, string | string[] | undefined> =>
    (context.switchToHttp().getRequest<FastifyRequest>().query ?? {}) as Record<string, string | string[] | undefined>,
);
