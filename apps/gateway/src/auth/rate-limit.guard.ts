import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';
import type { ClientConfig } from '../config/config.types.js';
import { PUBLIC_KEY } from './auth.decorators.js';
import type { RateLimitStore } from './rate-limit.js';
import { GatewayMetrics } from '../ops/metrics.js';

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');

/** Limits `/v1` calls per client key (after authentication); operational routes are not limited. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    private readonly metrics: GatewayMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const client = (http.getRequest<FastifyRequest>() as FastifyRequest & { user?: ClientConfig }).user;
    if (!client) return true;
    const decision = await this.store.take(`client:${client.name}`);
    http.getResponse<FastifyReply>().header('x-ratelimit-remaining', String(decision.remaining));
    if (!decision.allowed) {
      this.metrics.rateLimited.inc({ scope: 'client', name: client.name });
      throw new GatewayError('rate_limited', undefined, { retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) });
    }
    return true;
  }
}
