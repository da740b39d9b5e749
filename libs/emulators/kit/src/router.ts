import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request as an emulator handler sees it: parsed path parameters, query and JSON body. */
export interface EmulatorRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The raw body text ('' when there was none). */
  rawBody: string;
  /** The body parsed as JSON, or undefined when it was empty or not JSON. */
  body: unknown;
  /** True when a body was sent but could not be parsed as JSON. */
  bodyInvalid: boolean;
}

/** What a handler answers: a status, an optional body (objects become JSON) and headers. */
export interface EmulatorResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * A never-ending answer (vendor event streams): called once the status and headers are written, it
   * writes to the response for as long as it likes. The server can drop it (`dropStreams`).
   */
  stream?: (out: ServerResponse) => void;
}

export type Handler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/**
 * A small method + path router. Patterns use `:name` for one path segment, e.g.
 * `/v2/spaces/:spaceId/devices/:deviceId`. A pattern may end in `/?` to accept a trailing slash.
 */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const trailing = path.endsWith('/?');
    const body = (trailing ? path.slice(0, -2) : path)
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          keys.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${body}${trailing ? '/?' : ''}$`), keys, handler });
    return this;
  }

  get(path: string, handler: Handler): this {
    return this.on('GET', path, handler);
  }
  post(path: string, handler: Handler): this {
    return this.on('POST', path, handler);
  }
  put(path: string, handler: Handler): this {
    return this.on('PUT', path, handler);
  }
  patch(path: string, handler: Handler): this {
    return this.on('PATCH', path, handler);
  }
  delete(path: string, handler: Handler): this {
    return this.on('DELETE', path, handler);
  }

  /** Finds the route for a request; `methodMismatch` is true when the path matched another method only. */
  match(method: string, path: string): { handler?: Handler; params: Record<string, string>; route?: string; methodMismatch: boolean } {
    let methodMismatch = false;
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      if (route.method !== method.toUpperCase()) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(found[i + 1]);
      });
      return { handler: route.handler, params, route: `${route.method} ${route.pattern.source}`, methodMismatch: false };
    }
    return { params: {}, methodMismatch };
  }
}

/** The routes of one resource, added to a router with what they share (auth, store, error shapes). */
export type RouteGroup<C> = (router: Router, ctx: C) => void;

/**
 * One router from a vendor's resource files. Order counts: the first matching route answers, so a group
 * whose paths another group's patterns would also match comes first.
 */
export function composeRouter<C>(ctx: C, ...groups: ReadonlyArray<RouteGroup<C>>): Router {
  const router = new Router();
  for (const group of groups) group(router, ctx);
  return router;
}

export type { IncomingMessage, ServerResponse };
