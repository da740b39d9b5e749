import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { sortKeys } from './openapi-document.js';

const DESCRIPTION = `One REST API in front of five IoT device clouds: HARDWARIO Cloud, Disruptive Technologies, iottly, Izuma Device Management and Blynk.Cloud. devicegate translates each call into the matching vendor call through the connection the id names.

**Ids.** Every id devicegate returns has the form \`<connection_id>:<native id>\`, where the native part is the vendor's own id, so an id alone routes a call.

**Authentication.** Send \`Authorization: Bearer <key>\` on every \`/v1\` call. Scopes: \`read\` (every GET), \`write\` (create, update, delete, transfer), \`commands\`, \`passthrough\`. A key lists the connections it may reach; an id of another connection answers 404, exactly like an id that does not exist.

**Errors.** Every non-2xx answer is an error object with \`type\`, \`message\`, \`request_id\`, \`retryable\` and, for validation errors, one \`fields\` entry per invalid parameter. \`connection_id\`, \`provider\` and \`upstream_status\` appear when a vendor call caused the error.

**Lists.** Every list takes \`limit\` (2-1000, default 50), \`after\` (the id of the last item of the previous page), \`order\` (\`ASC\`/\`DESC\`), \`include\` (\`total_count\`, \`native\`) and \`partial\`. Paging with \`after\` visits every matching item exactly once; \`has_more\` is false only on the last page. An \`after\` that is not an item of the list answers 400.

**Filters.** \`<field>__<op>=<value>\` with \`eq\`, \`neq\`, \`in\`, \`nin\` (comma-separated), \`lte\`, \`gte\`; a bare \`<field>=<value>\` means \`eq\`. Several filters are ANDed. A field or operator a list does not document answers 400. Date-times are RFC 3339 or \`20161130T162512Z\`.

**Request ids and timing.** Every answer carries \`X-Request-ID\` (yours when it matches \`^[A-Za-z0-9._-]{1,32}$\`, else a generated one) and \`/v1\` answers carry \`Server-Timing\` with the total time and the time spent waiting on vendors.

**Rate limits.** Each key has a request budget; over it, calls answer 429 \`rate_limited\` with \`Retry-After\`. A vendor's own 429 answers \`upstream_rate_limited\`, also with \`Retry-After\`.

**Vendor budgets and freshness.** Each connection's vendor budget is enforced in the vendor's own terms and shared fairly between keys; a call that would wait longer than 5 s (or past the request's deadline) for it answers 429 \`upstream_rate_limited\` with \`Retry-After\`. Identical vendor reads in flight are made once, and identical list requests of one key in flight are answered by one shared answer. Vendor reads may be answered from a short-lived cache (per connection \`cache.ttl_seconds\`, default 3 s); writes through devicegate and pushed events invalidate the connection's cached reads. Answers that read from a vendor carry \`Cache-Status\` (RFC 9211): \`devicegate; hit; ttl=<seconds left>; detail="<connections>"\` when every part came from the cache, else \`devicegate; fwd=miss\` (\`fwd=request\` when the caller sent \`Cache-Control: no-cache\`, which bypasses the cache), with \`collapsed\` when a part (or the whole list) was shared with an identical request in flight; \`Age\` (seconds, the oldest part's) when any part came from the cache. An \`after\` devicegate does not remember is searched for in at most 20 vendor pages or 10 s; beyond that it answers 400 on \`after\`.

**Browsers.** Pages of the origins in \`server.cors.origins\` (in sandbox mode \`http://localhost:*\` and \`http://127.0.0.1:*\`) may call \`/v1\`; \`X-Request-ID\`, \`Server-Timing\`, \`Retry-After\`, \`Age\` and \`Cache-Status\` are exposed to them. A page should not hold a key: a server mints it a short-lived token with \`createToken\`, which it sends as a bearer key (and to \`streamEvents\` as \`?access_token=\`).

**Sandbox.** With no configuration, devicegate runs on local emulators of the five vendor clouds with the key \`sandbox\`: click Authorize, enter \`sandbox\`, and try any operation.`;

/** The release of devicegate, as package.json names it (a test keeps them equal); the paths carry the API version, `/v1`. */
export const DEVICEGATE_VERSION = '0.1.0';

const PASSTHROUGH_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The OpenAPI document of the running app: generated from the controllers and DTOs, sorted. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('devicegate')
    .setDescription(DESCRIPTION)
    .setVersion(DEVICEGATE_VERSION)
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'This devicegate')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque key', description: 'A client key of the configuration (in sandbox mode: `sandbox`).' }, 'bearer')
    .addTag('connections', 'Configured vendor accounts.')
    .addTag('projects', 'Spaces, projects, organizations and accounts of the vendors.')
    .addTag('devices', 'Devices across every connection.')
    .addTag('messages', 'What devices sent and received.')
    .addTag('readings', 'Measured values (temperature, humidity …) in one shape across vendors.')
    .addTag('commands', 'Commands to devices.')
    .addTag('passthrough', 'Raw vendor calls with the connection\'s credentials.')
    .addTag('events', 'Messages vendors push, as a Server-Sent Events stream.')
    .addTag('webhooks', 'Subscriptions that receive every event as a signed POST.')
    .addTag('tokens', 'Short-lived bearer tokens for browser pages.')
    .addTag('hooks', 'Where vendor clouds push their messages (authenticated by the connection\'s push secret, no client key).')
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: (_controller, method) => method });
  document.info.contact = { name: 'devicegate maintainers' };
  return sortKeys(normalizePassthrough(document)) as OpenAPIObject;
}

/** `@All('*')` becomes one documented `{path}` route per method, each with its own operationId. */
function normalizePassthrough(document: OpenAPIObject): OpenAPIObject {
  const key = Object.keys(document.paths).find((path) => path.startsWith('/v1/connections/{connection_id}/passthrough'));
  if (!key) return document;
  const item = document.paths[key] as Record<string, unknown>;
  const template = (item.get ?? Object.values(item)[0]) as Record<string, unknown>;
  const normalized: Record<string, unknown> = {};
  for (const method of PASSTHROUGH_METHODS) {
    const operation = { ...template, operationId: method === 'get' ? 'passthrough' : `passthrough${method[0].toUpperCase()}${method.slice(1)}` };
    if (method === 'get' || method === 'delete') delete (operation as { requestBody?: unknown }).requestBody;
    normalized[method] = operation;
  }
  delete document.paths[key];
  document.paths['/v1/connections/{connection_id}/passthrough/{path}'] = normalized;
  return document;
}
