import { applyDecorators, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiExtraModels, ApiHeader, ApiOperation, ApiParam, ApiQuery, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { Capability } from '@devicegate/core';
import type { FieldSpecs } from '@devicegate/listing';
import { DEFAULT_MESSAGES, ERROR_STATUS, GatewayError, type ErrorType } from '@devicegate/errors';
import { RequireScope } from '../auth/auth.decorators.js';
import type { Scope } from '../config/config.types.js';
import { ErrorDto } from './error.dto.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request: unreadable body (`bad_request`) or invalid parameters (`validation_error`, with `fields`).',
  401: 'No or malformed Authorization header (`invalid_auth`), or an unknown key (`invalid_apikey`).',
  403: 'The key lacks the scope this operation needs (`access_denied`).',
  404: 'The resource does not exist, or the key may not reach its connection (`not_found`).',
  405: 'The route exists but not with this method (`method_not_supported`).',
  409: 'A conflict: the vendor reports a duplicate or a concurrent change, or an `Idempotency-Key` was reused with another body (`conflict`).',
  413: 'The body is larger than 1 MiB (`payload_too_large`).',
  415: 'The body is not JSON (`unsupported_media_type`).',
  429: 'Too many requests: this key is over its limit (`rate_limited`) or the vendor account is (`upstream_rate_limited`); see `Retry-After`.',
  500: 'A fault in devicegate (`internal_server_error`); it is logged with the request id.',
  501: "The connection's provider has no such operation (`not_supported`).",
  502: 'The vendor answered an error or an unreadable body (`upstream_error`), or rejected the connection\'s credentials (`upstream_auth_failed`).',
  503: 'The vendor is unreachable or its connection is failing (`upstream_unavailable`).',
  504: 'The vendor did not answer within the connection\'s timeout (`upstream_timeout`).',
};

/** What a 400 most often is: a parameter the gateway refused, named in `fields` (exactly as `limit=1` answers). */
const VALIDATION_EXAMPLE = {
  object: 'error',
  code: 400,
  type: 'validation_error',
  message: "The parameter 'limit' is invalid.",
  request_id: '0161991d63150242ac12000600000000',
  retryable: false,
  fields: [{ name: 'limit', message: 'must be an integer from 2 to 1000' }],
};

const errorExample = (status: number) => {
  if (status === 400) return VALIDATION_EXAMPLE;
  const type = (Object.entries(ERROR_STATUS).find(([, code]) => code === status)?.[0] ?? 'internal_server_error') as ErrorType;
  return { object: 'error', code: status, type, message: DEFAULT_MESSAGES[type], request_id: '0161991d63150242ac12000600000000', retryable: status >= 502 || status === 429 };
};

/** Documents the error object for every listed status. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ErrorDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: STATUS_TEXT[status],
        content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorDto) }, example: errorExample(status) } },
      }),
    ),
  );
}

const COMMON_ERRORS = [400, 401, 403, 404, 429, 500, 502, 503, 504];

/**
 * A `/v1` operation: its id, summary, scope (none: any key) and the errors every vendor-backed call can end in.
 * `capability` names the unified operation the route performs; it appears as `x-capability`, which is how
 * clients (and README's capability matrix) tie a connection's `capabilities` to routes.
 */
export function V1Operation(options: { operationId: string; summary: string; description: string; scope?: Scope; errors?: number[]; capability?: Capability }) {
  const errors = [...new Set([...COMMON_ERRORS, ...(options.errors ?? [])])].sort((a, b) => a - b);
  return applyDecorators(
    ApiOperation({ operationId: options.operationId, summary: options.summary, description: options.description }),
    ...(options.capability ? [ApiExtension('x-capability', options.capability)] : []),
    ApiBearerAuth('bearer'),
    ...(options.scope ? [RequireScope(options.scope)] : []),
    ApiErrors(...errors),
  );
}

const OP_TEXT: Record<string, string> = {
  eq: 'equals',
  neq: 'does not equal',
  in: 'is one of (comma-separated)',
  nin: 'is none of (comma-separated)',
  lte: 'is at or before',
  gte: 'is at or after',
};

const TAG_TEXT: Record<string, string> = {
  eq: 'has the tag',
  neq: 'lacks the tag',
  in: 'has any of the tags (comma-separated)',
  nin: 'has none of the tags (comma-separated)',
};

const FIELD_EXAMPLES: Record<string, string> = {
  id: 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f',
  connection_id: 'sandbox-hardwario',
  provider: 'hardwario',
  project_id: 'sandbox-hardwario:018e08bc-a806-7e52-a5e8-be5b5ff6c1b3',
  name: 'meteo-roof-brno',
  kind: 'space',
  type: 'data',
  native_type: 'data',
  direction: 'uplink',
  serial_number: '2159020389',
  online: 'true',
  created_at: '2024-04-17T11:08:27Z',
  updated_at: '2024-04-17T11:08:27Z',
  last_seen_at: '2024-04-17T11:08:27Z',
  tags: 'outdoor',
  'labels.site': 'brno-hq',
};

/**
 * OpenAPI cannot name a family of parameters, and Swagger UI would send a deepObject `labels` as
 * `labels[site]=`: one real key of the sandbox devices, `site`, documents `labels.<key>` and can be tried.
 */
const LABEL_EXAMPLE_FIELD = 'labels.site';

/** The Izuma list arguments and one documented query parameter per filterable field and operator. */
export function ApiListQuery(
  fields: FieldSpecs,
  defaultOrder: 'ASC' | 'DESC',
  orderNote: string,
  options: { includeNote?: string; examples?: Record<string, string> } = {},
) {
  const examples = { ...FIELD_EXAMPLES, ...options.examples };
  const decorators = [
    // Try it out sends the schema's example: a short page that the browser renders at once.
    ApiQuery({ name: 'limit', required: false, description: 'Page size, from 2 to 1000.', schema: { type: 'integer', minimum: 2, maximum: 1000, default: 50, example: 5 } }),
    ApiQuery({ name: 'after', required: false, description: 'The id of the last item of the previous page; the page starts right after it.', schema: { type: 'string' }, example: examples.id }),
    ApiQuery({ name: 'order', required: false, description: `Sort order. ${orderNote}`, schema: { type: 'string', enum: ['ASC', 'DESC'], default: defaultOrder }, example: defaultOrder }),
    ApiQuery({ name: 'include', required: false, description: `Comma list: \`total_count\` adds the exact number of matching items, \`native\` adds each item's raw vendor object, in which credentials the vendor returns (Blynk device auth \`token\`, iottly license \`token\`, HARDWARIO claim \`token\` and \`secret\`) read \`[redacted]\` unless the key has the \`passthrough\` scope.${options.includeNote ? ` ${options.includeNote}` : ''}`, schema: { type: 'string' }, example: 'total_count' }),
    ApiQuery({ name: 'partial', required: false, description: 'With `true`, a list over several connections succeeds when some fail; they are named in `unreachable`.', schema: { type: 'boolean', default: false }, example: false }),
  ];
  for (const [pattern, spec] of Object.entries(fields)) {
    const field = pattern === 'labels.*' ? LABEL_EXAMPLE_FIELD : pattern;
    const anyLabel = pattern === 'labels.*' ? ' Any label key filters the same way: `labels.<key>`.' : '';
    for (const op of spec.ops) {
      const name = op === 'eq' ? field : `${field}__${op}`;
      const what = spec.kind === 'tags' ? TAG_TEXT[op] : OP_TEXT[op];
      const kindNote = spec.kind === 'datetime' ? ' (RFC 3339, e.g. `2016-11-30T16:25:12Z`, or `20161130T162512Z`)' : '';
      decorators.push(
        ApiQuery({
          name,
          required: false,
          description: `Only items whose \`${field}\` ${what}${kindNote}.${op === 'eq' ? ` Same as \`${field}__eq\`.` : ''}${anyLabel}`,
          schema: spec.kind === 'boolean' ? { type: 'boolean' } : { type: 'string' },
          example: examples[field] ?? 'value',
        }),
      );
    }
  }
  return applyDecorators(...decorators);
}

/** `include` of a single read: only `native` (the raw vendor object; vendor credentials in it only for passthrough keys). */
export const ApiIncludeNative = () =>
  ApiQuery({
    name: 'include',
    required: false,
    description: '`native` adds the raw vendor object as `native` (vendor credentials in it, such as device tokens, are shown to keys with the `passthrough` scope only). Anything else answers 400.',
    schema: { type: 'string', enum: ['native'] },
  });

/** Whether a single read asked for `include=native`; any other include is a validation error, never ignored. */
export function includesNative(query: Record<string, string | string[] | undefined>): boolean {
  const raw = query.include;
  if (raw === undefined) return false;
  const parts = (Array.isArray(raw) ? raw.join(',') : raw).split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => part !== 'native');
  if (unknown.length > 0) throw GatewayError.validation([{ name: 'include', message: `'${unknown[0].slice(0, 50)}' is not one of native` }]);
  return true;
}

/**
 * A path parameter holding a unified id. The example sits in the schema, where Swagger UI takes it as the
 * value of Try it out (a parameter-level `example` beside a schema is dropped from the document).
 */
export function ApiIdParam(name: string, description: string, example: string) {
  return ApiParam({ name, description, schema: { type: 'string', example } });
}

/** The `Idempotency-Key` header of POST operations. */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes a retry safe: within 24 h the same key (for the same bearer key) with the same body replays the first answer without calling the vendor again, and with another body answers 409 `conflict`. A retry that arrives while the first is still running waits for its answer. Answers of 5xx and 429 are not kept. 1 to 255 characters.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    example: '5c1b7e0a-2f3d-4c8e-9a6b-1d2e3f4a5b6c',
  });

export type { Type };
