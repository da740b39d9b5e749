import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Checks requests and answers against the vendor's own Swagger 2.0 files (copied into `../spec/`).
 * The emulator uses it to reject what the real service would reject; tests use it on recorded
 * traffic (`emulator.requests()`) to prove a client only sends what the spec allows.
 */

type SchemaNode = Record<string, unknown>;

interface SwaggerParam {
  name: string;
  in: 'query' | 'path' | 'body' | 'header' | 'formData';
  type?: string;
  format?: string;
  required?: boolean;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
  schema?: SchemaNode;
}

interface SwaggerResponse {
  description?: string;
  schema?: SchemaNode;
}

interface SwaggerOperation {
  operationId: string;
  parameters?: SwaggerParam[];
  responses: Record<string, SwaggerResponse>;
  'x-filter'?: Record<string, string[]>;
}

interface SwaggerDoc {
  paths: Record<string, Record<string, SwaggerOperation>>;
  definitions: Record<string, SchemaNode>;
}

export type SpecDocName = 'device-directory' | 'connect' | 'iam';

export type FilterOp = 'eq' | 'neq' | 'in' | 'nin' | 'lte' | 'gte';
const FILTER_OPS: readonly FilterOp[] = ['eq', 'neq', 'in', 'nin', 'lte', 'gte'];

/** What a list filter asks for, already checked against the spec. */
export interface FilterCondition {
  /** The item field, e.g. `state`; for attribute filters `custom_attributes` / `component_attributes`. */
  field: string;
  /** The attribute key for `custom_attributes__<key>` / `component_attributes__<name>`. */
  key?: string;
  op: FilterOp;
  /** One value, or the comma-separated list of `__in` / `__nin`. */
  values: string[];
}

export interface SpecIssue {
  location: 'route' | 'path' | 'query' | 'body' | 'status' | 'response';
  /** The parameter, body field or response field concerned. */
  name: string;
  message: string;
  kind: 'unknown' | 'missing' | 'type' | 'range' | 'format' | 'schema' | 'undocumented';
}

export interface SpecCheck {
  ok: boolean;
  operationId: string | null;
  issues: SpecIssue[];
}

/** A request matched to its operation, with its issues and parsed list filters. */
export interface RequestInspection extends SpecCheck {
  operation: SpecOperation | null;
  filters: FilterCondition[];
  /** The parsed JSON body (undefined when none). */
  body: unknown;
}

export interface SpecOperation {
  doc: SpecDocName;
  method: string;
  template: string;
  operationId: string;
  params: SwaggerParam[];
  bodyParam?: SwaggerParam;
  responses: Record<string, SwaggerResponse>;
  /** Field → allowed operators for list operations (the spec's `x-filter`, or derived from `<field>__<op>` parameters). */
  filterFields?: Record<string, FilterOp[]>;
  /** Properties of one list item, used to type filter values. */
  itemProperties?: Record<string, SchemaNode>;
  regex: RegExp;
  literalSegments: number;
}

export const IZUMA_SPEC_FILES: Readonly<Record<SpecDocName, string>> = {
  'device-directory': 'izuma.device-directory.openapi.yaml',
  connect: 'izuma.connect.openapi.yaml',
  iam: 'izuma.iam-accounts-me.openapi.yaml',
};

/**
 * The folder holding the spec copies. Next to the sources this is `libs/emulators/izuma/spec`; a build
 * must copy that folder beside the compiled module. A working directory at the repository root is the fallback.
 */
export function izumaSpecDir(): string {
  const candidates = [
    fileURLToPath(new URL('../spec/', import.meta.url)),
    join(process.cwd(), 'libs', 'emulators', 'izuma', 'spec'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, IZUMA_SPEC_FILES['device-directory'])));
  if (!found) throw new Error(`Izuma spec files not found (looked in ${candidates.join(', ')})`);
  return found;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const docUri = (doc: SpecDocName) => `https://devicegate.local/izuma/${doc}.json`;

function makeNullable(schema: Record<string, unknown>): void {
  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    delete schema.$ref;
    schema.anyOf = [{ $ref: ref }, { type: 'null' }];
  } else if (typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum)) schema.enum = [...schema.enum, null];
  }
}

/** Swagger 2.0 schema → JSON Schema that Ajv understands. */
function convertSchema(node: unknown, doc: SpecDocName, formats: Set<string>, propertyName?: string): unknown {
  if (Array.isArray(node)) return node.map((item) => convertSchema(item, doc, formats));
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key.startsWith('x-') || key === 'discriminator') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith('#/') ? `${docUri(doc)}${value}` : value;
    } else if (key === 'properties' && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, convertSchema(sub, doc, formats, name)]));
    } else {
      out[key] = convertSchema(value, doc, formats);
    }
  }
  if (typeof out.format === 'string') formats.add(out.format);
  // Swagger 2.0 has no null type: the spec marks nullable fields with x-nullable, and a few only by a null example.
  if (node['x-nullable'] === true || ('example' in node && node.example === null)) makeNullable(out);
  // The spec hangs the "keys start with a letter" rule under additionalProperties, where it would constrain
  // the values; its description (and the reference) say it is about the keys.
  if (propertyName === 'custom_attributes' && isObject(out.additionalProperties) && typeof out.additionalProperties.pattern === 'string') {
    const { pattern, ...rest } = out.additionalProperties;
    out.additionalProperties = rest;
    out.propertyNames = { pattern };
  }
  // List envelopes echo the request's `after`, which is null on a first page (docs: "from request or null").
  if (isObject(out.properties) && 'after' in out.properties && 'has_more' in out.properties && isObject(out.properties.after)) {
    makeNullable(out.properties.after);
  }
  return out;
}

interface LoadedSpec {
  ajv: Ajv;
  docs: Record<SpecDocName, SwaggerDoc>;
  operations: SpecOperation[];
  validators: Map<string, ValidateFunction>;
}

let loaded: LoadedSpec | undefined;

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function resolveRef(doc: SwaggerDoc, node: unknown): SchemaNode | undefined {
  let current = node;
  for (let i = 0; i < 10 && isObject(current) && typeof current.$ref === 'string'; i++) {
    current = doc.definitions[current.$ref.split('/').pop() ?? ''];
  }
  return isObject(current) ? current : undefined;
}

function compileTemplate(template: string): { regex: RegExp; literalSegments: number } {
  const segments = normalizePath(template).split('/').slice(1);
  let literalSegments = 0;
  const body = segments
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      if (!param) {
        literalSegments += 1;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      // A resource path (`3303/0/5700`) spans several segments.
      return param[1] === 'resourcePath' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^/${body}$`), literalSegments };
}

function normalizePath(path: string): string {
  const bare = path.split('?')[0];
  return bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare;
}

function listItemProperties(doc: SwaggerDoc, operation: SwaggerOperation): Record<string, SchemaNode> | undefined {
  const page = resolveRef(doc, operation.responses['200']?.schema);
  const data = page && isObject(page.properties) ? page.properties.data : undefined;
  const item = isObject(data) ? resolveRef(doc, data.items) : undefined;
  return item && isObject(item.properties) ? (item.properties as Record<string, SchemaNode>) : undefined;
}

function load(): LoadedSpec {
  if (loaded) return loaded;
  const dir = izumaSpecDir();
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateFormats: true });
  addFormats(ajv);
  const formats = new Set<string>();
  const docs = {} as Record<SpecDocName, SwaggerDoc>;
  const operations: SpecOperation[] = [];
  for (const name of Object.keys(IZUMA_SPEC_FILES) as SpecDocName[]) {
    const doc = parse(readFileSync(join(dir, IZUMA_SPEC_FILES[name]), 'utf8')) as SwaggerDoc;
    docs[name] = doc;
    ajv.addSchema({ $id: docUri(name), definitions: convertSchema(doc.definitions, name, formats) as SchemaNode });
    for (const [template, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!isObject(operation) || typeof operation.operationId !== 'string') continue;
        const params = operation.parameters ?? [];
        const itemProperties = listItemProperties(doc, operation);
        let filterFields: Record<string, FilterOp[]> | undefined;
        if (itemProperties) {
          filterFields = {};
          for (const [field, ops] of Object.entries(operation['x-filter'] ?? {})) filterFields[field] = ops as FilterOp[];
          for (const param of params) {
            const match = /^(.+)__(eq|neq|in|nin|lte|gte)$/.exec(param.name);
            if (param.in !== 'query' || !match || !(match[1] in itemProperties)) continue;
            const ops = (filterFields[match[1]] ??= []);
            if (!ops.includes(match[2] as FilterOp)) ops.push(match[2] as FilterOp);
          }
        }
        operations.push({
          doc: name,
          method: method.toUpperCase(),
          template,
          operationId: operation.operationId,
          params,
          bodyParam: params.find((param) => param.in === 'body'),
          responses: operation.responses,
          filterFields,
          itemProperties,
          ...compileTemplate(template),
        });
      }
    }
  }
  for (const format of formats) if (!ajv.formats[format]) ajv.addFormat(format, true);
  operations.sort((a, b) => b.literalSegments - a.literalSegments);
  loaded = { ajv, docs, operations, validators: new Map() };
  return loaded;
}

/** Reads and compiles the spec files now instead of on first use (they take a few tens of milliseconds). */
export function preloadIzumaSpec(): void {
  load();
}

/** The spec operation for a method and path (trailing slash or not), or null. */
export function findSpecOperation(method: string, path: string): SpecOperation | null {
  const normalized = normalizePath(path);
  const upper = method.toUpperCase();
  return load().operations.find((operation) => operation.method === upper && operation.regex.test(normalized)) ?? null;
}

function validatorFor(doc: SpecDocName, schema: SchemaNode, cacheKey: string): ValidateFunction {
  const spec = load();
  let validate = spec.validators.get(cacheKey);
  if (!validate) {
    validate = spec.ajv.compile(convertSchema(schema, doc, new Set()) as SchemaNode);
    spec.validators.set(cacheKey, validate);
  }
  return validate;
}

function ajvIssues(errors: ErrorObject[] | null | undefined, location: SpecIssue['location']): SpecIssue[] {
  return (errors ?? [])
    .filter((error) => error.keyword !== 'anyOf' || !error.instancePath)
    .map((error) => {
      const parts = error.instancePath.split('/').filter(Boolean);
      const missing = error.keyword === 'required' ? String((error.params as { missingProperty?: string }).missingProperty) : undefined;
      const name = missing ? [...parts, missing].join('.') : parts.join('.') || (location === 'body' ? 'body' : 'response');
      return { location, name, message: error.message ?? 'is invalid', kind: missing ? 'missing' : 'schema' } as SpecIssue;
    });
}

const DATE_TIME_RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const DATE_TIME_COMPACT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/i;

/**
 * Parses a filter date-time in the three shapes the docs allow (`2016-11-30T16:25:12.1234Z`,
 * `2016-11-30T16:25:12Z`, `20161130T162512Z`); NaN when it is none of them.
 */
export function parseIzumaDateTime(value: string): number {
  const compact = DATE_TIME_COMPACT.exec(value);
  if (compact) {
    const [, y, mo, d, h, mi, s] = compact;
    return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  }
  if (!DATE_TIME_RFC3339.test(value)) return Number.NaN;
  // Date.parse keeps milliseconds only; a longer fraction is truncated to them.
  return Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
}

/** Parses `YYYY-MM-DD` to UTC midnight; NaN otherwise. */
export function parseIzumaDate(value: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN;
}

interface ScalarRule {
  type?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  enum?: unknown[];
}

function checkScalar(name: string, value: string, rule: ScalarRule): SpecIssue | undefined {
  const issue = (kind: SpecIssue['kind'], message: string): SpecIssue => ({ location: 'query', name, message, kind });
  if (rule.type === 'integer' || rule.type === 'number') {
    const ok = rule.type === 'integer' ? /^[+-]?\d+$/.test(value) : value.trim() !== '' && Number.isFinite(Number(value));
    if (!ok) return issue('type', rule.type === 'integer' ? 'A valid integer is required.' : 'A valid number is required.');
    const n = Number(value);
    if (rule.minimum !== undefined && n < rule.minimum) return issue('range', `Ensure this value is greater than or equal to ${rule.minimum}.`);
    if (rule.maximum !== undefined && n > rule.maximum) return issue('range', `Ensure this value is less than or equal to ${rule.maximum}.`);
  } else if (rule.type === 'boolean') {
    if (!/^(true|false)$/i.test(value)) return issue('type', 'Must be a valid boolean (true or false).');
  } else if (rule.format === 'date-time') {
    if (Number.isNaN(parseIzumaDateTime(value))) return issue('format', 'Datetime has wrong format. Use RFC 3339 UTC, e.g. 2016-11-30T16:25:12.1234Z, 2016-11-30T16:25:12Z or 20161130T162512Z.');
  } else if (rule.format === 'date') {
    if (Number.isNaN(parseIzumaDate(value))) return issue('format', 'Date has wrong format. Use YYYY-MM-DD.');
  }
  if (rule.pattern && !new RegExp(rule.pattern).test(value)) return issue('format', `Does not match the pattern ${rule.pattern}.`);
  if (rule.enum && !rule.enum.map(String).includes(value)) return issue('type', `Must be one of: ${rule.enum.join(', ')}.`);
  return undefined;
}

function toSearchParams(query: URLSearchParams | string | Record<string, string | string[]> | undefined, path: string): URLSearchParams {
  if (query instanceof URLSearchParams) return query;
  if (typeof query === 'string') return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const params = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  for (const [key, value] of Object.entries(query ?? {})) for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  return params;
}

/** Checks one filter (`field`, operator, raw value) of a list operation; pushes a condition or an issue. */
function checkFilter(
  operation: SpecOperation,
  rawKey: string,
  value: string,
  insideFilterParam: boolean,
  filters: FilterCondition[],
  issues: SpecIssue[],
): boolean {
  const fields = operation.filterFields ?? {};
  const items = operation.itemProperties ?? {};
  const unknown = () => issues.push({ location: 'query', name: rawKey, message: insideFilterParam ? `Unknown filter '${rawKey}' in filter.` : 'Unknown query parameter.', kind: 'unknown' });
  for (const attribute of ['custom_attributes', 'component_attributes'] as const) {
    if (!rawKey.startsWith(`${attribute}__`) || !(attribute in items)) continue;
    const rest = rawKey.slice(attribute.length + 2);
    const opMatch = /^(.+)__(eq|neq|in|nin|lte|gte)$/.exec(rest);
    const key = opMatch ? opMatch[1] : rest;
    const op = (opMatch ? opMatch[2] : 'eq') as FilterOp;
    const allowed: FilterOp[] = attribute === 'custom_attributes' ? ['eq', 'neq', 'in', 'nin'] : [...FILTER_OPS];
    if (!key || !allowed.includes(op)) {
      unknown();
      return false;
    }
    filters.push({ field: attribute, key, op, values: op === 'in' || op === 'nin' ? value.split(',') : [value] });
    return true;
  }
  const match = /^(.+)__(eq|neq|in|nin|lte|gte)$/.exec(rawKey);
  const field = match ? match[1] : rawKey;
  const op = (match ? match[2] : 'eq') as FilterOp;
  const allowed = fields[field];
  // A bare `field=value` is equality; inside `filter=` the docs also allow equality on date-time fields.
  const permitted = allowed && (allowed.includes(op) || (!match && op === 'eq') || (insideFilterParam && (op === 'eq' || op === 'neq')));
  if (!permitted) {
    unknown();
    return false;
  }
  const property = items[field] ?? {};
  const rule: ScalarRule = { type: property.type as string | undefined, format: property.format as string | undefined };
  const values = op === 'in' || op === 'nin' ? value.split(',') : [value];
  for (const v of values) {
    const issue = checkScalar(rawKey, v, rule.type === 'string' || rule.type === 'integer' || rule.type === 'boolean' ? rule : { type: 'string' });
    if (issue) {
      issues.push(issue);
      return false;
    }
  }
  filters.push({ field, op, values });
  return true;
}

function parseBody(body: unknown): { value: unknown; invalid: boolean } {
  if (typeof body !== 'string') return { value: body, invalid: false };
  if (body.trim() === '') return { value: undefined, invalid: false };
  try {
    return { value: JSON.parse(body) as unknown, invalid: false };
  } catch {
    return { value: undefined, invalid: true };
  }
}

/**
 * Matches a request to its spec operation and checks path, query and body. `path` may carry the query
 * string; `query` adds to it. A string body is parsed as JSON.
 */
export function inspectRequest(
  method: string,
  path: string,
  query?: URLSearchParams | string | Record<string, string | string[]>,
  body?: unknown,
): RequestInspection {
  const operation = findSpecOperation(method, path);
  const parsed = parseBody(body);
  if (!operation) {
    return {
      ok: false,
      operationId: null,
      operation: null,
      filters: [],
      body: parsed.value,
      issues: [{ location: 'route', name: `${method.toUpperCase()} ${normalizePath(path)}`, message: 'No operation in the spec for this method and path.', kind: 'undocumented' }],
    };
  }
  const issues: SpecIssue[] = [];
  const filters: FilterCondition[] = [];
  const params = toSearchParams(query, path);
  const declared = new Map(operation.params.filter((param) => param.in === 'query').map((param) => [param.name, param]));

  for (const param of declared.values()) {
    if (param.required && !params.has(param.name)) issues.push({ location: 'query', name: param.name, message: 'This parameter is required.', kind: 'missing' });
  }
  for (const [key, value] of params) {
    const param = declared.get(key);
    if (key === 'filter' && param && operation.filterFields) {
      for (const [innerKey, innerValue] of new URLSearchParams(value)) checkFilter(operation, innerKey, innerValue, true, filters, issues);
      continue;
    }
    if (param) {
      const issue = checkScalar(key, value, param);
      if (issue) issues.push(issue);
      else if (operation.filterFields && /__(eq|neq|in|nin|lte|gte)$/.test(key)) checkFilter(operation, key, value, false, filters, issues);
      continue;
    }
    if (operation.filterFields) checkFilter(operation, key, value, false, filters, issues);
    else issues.push({ location: 'query', name: key, message: 'Unknown query parameter.', kind: 'unknown' });
  }

  const groups = operation.regex.exec(normalizePath(path));
  const pathParams = operation.params.filter((param) => param.in === 'path');
  pathParams.forEach((param, i) => {
    const raw = groups?.[i + 1];
    if (raw === undefined || raw === '') issues.push({ location: 'path', name: param.name, message: 'Missing path parameter.', kind: 'missing' });
  });

  const bodyParam = operation.bodyParam;
  if (bodyParam) {
    if (parsed.invalid) {
      issues.push({ location: 'body', name: 'body', message: 'Body is not valid JSON.', kind: 'type' });
    } else if (parsed.value === undefined) {
      if (bodyParam.required) issues.push({ location: 'body', name: 'body', message: 'A request body is required.', kind: 'missing' });
    } else if (bodyParam.schema) {
      const resolved = resolveRef(load().docs[operation.doc], bodyParam.schema);
      // Swagger object schemas often omit `type: object`; a JSON array or scalar is still no object.
      if (resolved && isObject(resolved.properties) && !isObject(parsed.value)) {
        issues.push({ location: 'body', name: 'body', message: 'Expected a JSON object.', kind: 'schema' });
        return { ok: false, operationId: operation.operationId, operation, filters, body: parsed.value, issues };
      }
      const validate = validatorFor(operation.doc, bodyParam.schema, `body ${operation.method} ${operation.template}`);
      if (!validate(parsed.value)) issues.push(...ajvIssues(validate.errors, 'body'));
      if (resolved && isObject(resolved.properties) && resolved.additionalProperties === undefined && isObject(parsed.value)) {
        for (const key of Object.keys(parsed.value)) {
          if (!(key in resolved.properties)) issues.push({ location: 'body', name: key, message: 'Unknown field.', kind: 'unknown' });
        }
      }
    }
  }
  return { ok: issues.length === 0, operationId: operation.operationId, operation, filters, body: parsed.value, issues };
}

/** Checks a request's path, query parameters and body against the spec. */
export function validateRequestAgainstSpec(
  method: string,
  path: string,
  query?: URLSearchParams | string | Record<string, string | string[]>,
  body?: unknown,
): SpecCheck {
  const { ok, operationId, issues } = inspectRequest(method, path, query, body);
  return { ok, operationId, issues };
}

/** Checks one request as the emulator recorded it (`emulator.requests()` items). */
export function validateRecordedRequest(request: { method: string; path: string; query: string; body: string }): SpecCheck {
  return validateRequestAgainstSpec(request.method, request.path, request.query, request.body);
}

/** Status codes the docs list as general errors of every v3 API, answered with the common error model. */
const GENERAL_V3_ERRORS = new Set([400, 401, 403, 404, 405, 500]);

/**
 * Checks an answer: its status must be documented for the operation (the general v3 error codes always are)
 * and its body must match the documented schema. v3 error bodies are checked against the error model even
 * where the spec gives no schema (v2 answers without a schema are plain-text tokens and stay unchecked).
 */
export function validateResponseAgainstSpec(method: string, path: string, status: number, body: unknown): SpecCheck {
  const operation = findSpecOperation(method, path);
  if (!operation) {
    return {
      ok: false,
      operationId: null,
      issues: [{ location: 'route', name: `${method.toUpperCase()} ${normalizePath(path)}`, message: 'No operation in the spec for this method and path.', kind: 'undocumented' }],
    };
  }
  const issues: SpecIssue[] = [];
  let value = body;
  if (typeof body === 'string' && /^\s*[[{]/.test(body)) {
    const parsed = parseBody(body);
    if (!parsed.invalid) value = parsed.value;
  }
  const documented = operation.responses[String(status)];
  const isV3 = operation.template.startsWith('/v3/');
  if (!documented && !(isV3 && GENERAL_V3_ERRORS.has(status))) {
    issues.push({ location: 'status', name: String(status), message: `Status ${status} is not documented for ${operation.operationId}.`, kind: 'undocumented' });
  }
  let schema = documented?.schema;
  // The error model is defined in the Device Directory file; v3 operations of the Connect file (Device Echo) answer it too.
  const errorModel = !schema && isV3 && status >= 400;
  if (errorModel) schema = { $ref: '#/definitions/ErrorResponse' };
  if (schema) {
    const validate = validatorFor(errorModel ? 'device-directory' : operation.doc, schema, `response ${status} ${operation.method} ${operation.template}`);
    if (!validate(value)) issues.push(...ajvIssues(validate.errors, 'response'));
  } else if (status === 204 && value !== undefined && value !== '' && value !== null) {
    issues.push({ location: 'response', name: 'body', message: 'A 204 answer carries no body.', kind: 'schema' });
  }
  return { ok: issues.length === 0, operationId: operation.operationId, issues };
}
