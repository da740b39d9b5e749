import { SetMetadata, applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { Scope } from '../config/config.types.js';

export const PUBLIC_KEY = 'devicegate:public';
export const SCOPE_KEY = 'devicegate:scope';

/**
 * A route that needs no key (health, metrics, docs, vendor pushes). On a method it is also written into
 * the Fastify route config, which the authentication hook reads before the body is parsed; on a class it
 * reaches only the guard, so a `/v1` route is authenticated unless its method says otherwise.
 */
export const Public = () => applyDecorators(SetMetadata(PUBLIC_KEY, true), RouteConfig({ public: true }));

/** The scope a key needs for this operation (API.md §2.2). */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
