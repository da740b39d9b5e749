import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';
import type { ClientConfig, Scope } from '../config/config.types.js';
import { GatewayMetrics } from '../ops/metrics.js';
import { PUBLIC_KEY, SCOPE_KEY } from './auth.decorators.js';
import { ClientKeys } from './client-keys.js';
import type { RateDecision, RateLimitStore } from './rate-limit.js';

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');

/** RFC 6750 `Authorization: Bearer <b64token>`; the scheme is case-insensitive. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** What an operation asks of a caller, read once per route from its decorators. */
interface RoutePolicy {
  public: boolean;
  scope?: Scope;
}

type AuthenticatedRequest = FastifyRequest & { user?: ClientConfig };

/**
 * The `/v1` gate, in the order API.md §2.2 gives: the bearer key must be known (401), carry the
 * operation's scope (403) and fit in the key's rate limit (429). Operational routes marked
 * `@Public()` pass without a key. One guard instead of three keeps the per-request work to a map
 * lookup and a bucket update.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly policies = new WeakMap<object, RoutePolicy>();

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ClientKeys,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    private readonly metrics: GatewayMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policyOf(context);
    if (policy.public) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw new GatewayError('invalid_auth', 'An Authorization header of the form "Bearer <key>" is required.');
    const client = this.keys.find(match[1]);
    if (!client) throw new GatewayError('invalid_apikey');
    request.user = client;
    if (policy.scope && !client.scopes.has(policy.scope)) {
      throw new GatewayError('access_denied', `The key does not have the '${policy.scope}' scope this operation needs.`);
    }
    const decision = this.store.take(`client:${client.name}`);
    const reply = http.getResponse<FastifyReply>();
    return decision instanceof Promise ? decision.then((d) => this.admit(d, client, reply)) : this.admit(decision, client, reply);
  }

  private admit(decision: RateDecision, client: ClientConfig, reply: FastifyReply): boolean {
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    if (!decision.allowed) {
      this.metrics.rateLimited.inc({ scope: 'client', name: client.name });
      throw new GatewayError('rate_limited', undefined, { retryAfter: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) });
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
