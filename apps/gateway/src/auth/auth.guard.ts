import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GatewayError } from '@devicegate/errors';
import type { ClientConfig, Scope } from '../config/config.types.js';
import { PUBLIC_KEY, SCOPE_KEY } from './auth.decorators.js';
import type { AuthenticatedRequest } from './authentication.hook.js';

/** The key of a request when it carries `scope` (none: any key will do); throws 401/403 otherwise. */
export function authorize(request: AuthenticatedRequest, scope: Scope | undefined): ClientConfig {
  const client = request.user;
  // Only a request the hook let pass without a key (a CORS preflight) gets here without one.
  if (!client) throw new GatewayError('invalid_auth', 'An Authorization header of the form "Bearer <key>" is required.');
  if (scope && !client.scopes.has(scope)) throw new GatewayError('access_denied', `The key does not have the '${scope}' scope this operation needs.`);
  return client;
}

/** What an operation asks of a caller, read from the decorators of its method and controller. */
export interface RoutePolicy {
  public: boolean;
  scope?: Scope;
}

export function routePolicy(reflector: Reflector, handler: object, controller: object): RoutePolicy {
  const targets = [handler, controller] as Array<() => unknown>;
  return {
    public: reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false,
    scope: reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets),
  };
}

/**
 * The `/v1` gate's last step: the key, found when the request arrived (authentication.hook.ts), must
 * carry the operation's scope (403). Operational routes marked `@Public()` pass without a key.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly policies = new WeakMap<object, RoutePolicy>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let policy = this.policies.get(handler);
    if (!policy) {
      policy = routePolicy(this.reflector, handler, context.getClass());
      this.policies.set(handler, policy);
    }
    if (policy.public) return true;
    authorize(context.switchToHttp().getRequest<AuthenticatedRequest>(), policy.scope);
    return true;
  }
}
