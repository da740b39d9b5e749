import type { EmulatorRequest, EmulatorResponse } from '@devicegate/emulators/kit';

/**
 * Error bodies. The vendor documents none; the API runs on Fastify (its Swagger UI sits at the
 * `@fastify/swagger-ui` default path), so 400/401/403/409 use Fastify's default error shape, while an
 * unknown id answers the plain text `not found` that HARDWARIO's own .NET client compares against.
 */
export interface FastifyErrorBody {
  statusCode: number;
  code?: string;
  error: string;
  message: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
};

export function fastifyError(status: number, message: string, code?: string): EmulatorResponse {
  const body: FastifyErrorBody = { statusCode: status, ...(code ? { code } : {}), error: REASONS[status] ?? 'Error', message };
  return { status, body };
}

/** A schema-validation failure, worded like Fastify's ajv messages (`querystring/limit must be >= 1`). */
export function validationError(message: string): EmulatorResponse {
  return fastifyError(400, message, 'FST_ERR_VALIDATION');
}

export function notFoundText(): EmulatorResponse {
  return { status: 404, body: 'not found' };
}

/** Fastify's answer for a path (or method) no route serves. */
export function routeNotFound(req: EmulatorRequest): EmulatorResponse {
  return { status: 404, body: { message: `Route ${req.method}:${req.path} not found`, error: 'Not Found', statusCode: 404 } };
}

/** Thrown by validators deep inside a handler; the route wrapper turns it into its response. */
export class HttpFailure extends Error {
  constructor(readonly response: EmulatorResponse) {
    super(typeof response.body === 'object' && response.body !== null ? String((response.body as { message?: unknown }).message) : String(response.body));
  }
}

export function fail(response: EmulatorResponse): never {
  throw new HttpFailure(response);
}
