import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GatewayError } from '@devicegate/errors';
import type { Scope } from '../config/config.types.js';
import { PUBLIC_KEY, SCOPE_KEY } from './auth.decorators.js';
import type { AuthenticatedRequest } from './authentication.hook.js';

/** What an operation asks of a caller, read once per route from its decorators. */
interface RoutePolicy {
  public: boolean;
  scope?: Scope;
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
    const policy = this.policyOf(context);
    if (policy.public) return true;
    const client = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    // Only a request the hook let pass without a key (a CORS preflight) gets here without one.
    if (!client) throw new GatewayError('invalid_auth', 'An Authorization header of the form "Bearer <key>" is required.');
    if (policy.scope && !client.scopes.has(policy.scope)) {
      throw new GatewayError('access_denied', `The key does not have the '${policy.scope}' scope this operation needs.`);
    }
    return true;
  }

  private policyOf(context: ExecutionContext): RoutePolicy {
    const handler = context.getHandler();
    let policy = this.policies.get(handler);
    if (!policy) {
      const targets = [handler, context.getClass()];
      policy = {
        public: this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets) ?? false,
        scope: this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets),
      };
      this.policies.set(handler, policy);
    }
    return policy;
  }
}
