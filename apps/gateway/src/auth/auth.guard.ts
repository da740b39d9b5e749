import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { GatewayError } from '@devicegate/errors';
import type { FastifyRequest } from 'fastify';
import type { ClientConfig, Scope } from '../config/config.types.js';
import { PUBLIC_KEY, SCOPE_KEY } from './auth.decorators.js';

const BEARER = /^Bearer [A-Za-z0-9\-._~+/]+=*$/i;

/** Authenticates `/v1` calls with passport's bearer strategy and checks the operation's scope. */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!BEARER.test(request.headers.authorization ?? '')) {
      throw new GatewayError('invalid_auth', 'An Authorization header of the form "Bearer <key>" is required.');
    }
    await super.canActivate(context);
    const client = (request as FastifyRequest & { user?: ClientConfig }).user!;
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, [context.getHandler(), context.getClass()]);
    if (scope && !client.scopes.has(scope)) {
      throw new GatewayError('access_denied', `The key does not have the '${scope}' scope this operation needs.`);
    }
    return true;
  }

  override handleRequest<TUser = ClientConfig>(error: unknown, user: TUser | false): TUser {
    if (error) throw error;
    if (!user) throw new GatewayError('invalid_apikey');
    return user;
  }
}
