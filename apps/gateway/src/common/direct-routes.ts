import type { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { CallContext } from '@devicegate/core';
import type { GatewayExceptionFilter } from '@devicegate/errors';
import { callContext } from '@devicegate/request-context';
import { authorize, routePolicy } from '../auth/auth.guard.js';
import type { AuthenticatedRequest } from '../auth/authentication.hook.js';
import type { ClientConfig } from '../config/config.types.js';
import { audienceOf, type SharedAnswers } from './shared-answers.js';

/**
 * An operation whose controller method still declares it (path, scope, OpenAPI, route config, and Nest
 * registers the route), but whose requests Fastify hands straight to that method. Nest's router runs
 * the guard and interceptor consumers, a factory per parameter decorator and its response controller
 * on every request: on the single-device reads and passthrough that is a measurable share of an
 * answer's CPU. The direct handler does the same things for these methods — the guard's scope check,
 * the arguments the decorators would extract, the answer or the exception filter — and nothing else,
 * except that a list's answer can be shared between identical requests in flight (`shared`).
 */
export interface DirectRoute<C> {
  controller: Type<C>;
  /** The method that declares the operation; its guard policy is read from its decorators. */
  method: keyof C & string;
  /** The Fastify URL Nest registers for it, and its HTTP method (absent: every method, `@All`). */
  url: string;
  httpMethod?: 'GET';
  /** Calls the method with the arguments its parameter decorators would give it (`ctx` for `@Ctx()`). */
  call(controller: C, client: ClientConfig, request: FastifyRequest, reply: FastifyReply, ctx: CallContext): unknown;
  /** The method answers through the reply itself (`@Res()`); otherwise its result is sent with status 200. */
  answersItself?: boolean;
  /**
   * Identical requests of one key in flight together get one answer (common/shared-answers.ts): for
   * the lists, whose building costs far more than sending. Not with `answersItself`.
   */
  shared?: boolean;
}

/** A direct route as `serveDirectly` takes it, whatever its controller. */
export interface ServedRoute extends Omit<DirectRoute<unknown>, 'method' | 'call'> {
  method: string;
  call(controller: unknown, client: ClientConfig, request: FastifyRequest, reply: FastifyReply, ctx: CallContext): unknown;
}

export const directRoute = <C>(route: DirectRoute<C>): ServedRoute => ({ ...route, call: (controller, ...rest) => route.call(controller as C, ...rest) });

type RawQuery = Record<string, string | string[] | undefined>;

/** A list operation (`GET`, its raw query, its path parameters), served directly with its answer shared. */
export const listRoute = <C>(
  controller: Type<C>,
  method: keyof C & string,
  url: string,
  list: (controller: C, client: ClientConfig, query: RawQuery, ctx: CallContext, params: Record<string, string>) => unknown,
): ServedRoute =>
  directRoute<C>({
    controller,
    method,
    url,
    httpMethod: 'GET',
    shared: true,
    call: (instance, client, request, _reply, ctx) => list(instance, client, (request.query ?? {}) as RawQuery, ctx, request.params as Record<string, string>),
  });

/**
 * Swaps Nest's handler of each direct route for the direct one as Nest registers it (HEAD routes of GETs
 * included). Call before `app.init()`; a direct route Nest never registered fails the start.
 */
export function serveDirectly(app: NestFastifyApplication, routes: readonly ServedRoute[], filter: GatewayExceptionFilter, answers: SharedAnswers): void {
  const fastify = app.getHttpAdapter().getInstance();
  const reflector = new Reflector();
  const unmatched = new Set(routes);
  fastify.addHook('onRoute', (options) => {
    const route = routes.find((candidate) => candidate.url === options.url && (!candidate.httpMethod || options.method === candidate.httpMethod || options.method === 'HEAD'));
    if (!route) return;
    unmatched.delete(route);
    // Resolved on first use: the controller instance exists once Nest has initialised the app.
    let controller: unknown;
    const policy = routePolicy(reflector, (route.controller.prototype as Record<string, object>)[route.method], route.controller);
    if (policy.public) throw new Error(`${route.controller.name}.${route.method} is public: direct routes are /v1 operations with a key`);
    if (route.shared && route.answersItself) throw new Error(`${route.controller.name}.${route.method} answers itself: its answer cannot be shared`);
    const fail = (error: unknown, request: FastifyRequest, reply: FastifyReply) => filter.respond(error, request, reply);
    const handler: RouteHandlerMethod = (request, reply) => {
      let result: unknown;
      try {
        const client = authorize(request as AuthenticatedRequest, policy.scope);
        controller ??= app.get(route.controller);
        const ctx = callContext(request);
        result = route.shared
          ? answers.answer(`${request.method} ${request.url}\n${audienceOf(client)}`, ctx, (shared) => route.call(controller, client, request, reply, shared))
          : route.call(controller, client, request, reply, ctx);
      } catch (error) {
        return fail(error, request, reply);
      }
      // As in Nest's router, a failure to send the answer reaches the exception filter too.
      // A shared answer is JSON text already, sent with the type Fastify gives the objects it serialises.
      const answered = route.answersItself
        ? Promise.resolve(result)
        : Promise.resolve(result).then((body) => void (route.shared ? reply.type('application/json; charset=utf-8') : reply).send(body));
      answered.catch((error: unknown) => fail(error, request, reply));
    };
    options.handler = handler;
  });
  fastify.addHook('onReady', (done) => {
    done(unmatched.size ? new Error(`direct routes Nest did not register: ${[...unmatched].map((route) => route.url).join(', ')}`) : undefined);
  });
}
