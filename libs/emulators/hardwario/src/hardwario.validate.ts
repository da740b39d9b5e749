import { parseIsoUtc } from '@devicegate/emulators/kit';
import { fail, validationError } from './hardwario.errors.js';

/** Names of spaces, devices, tags and connectors must follow this rule (HARDWARIO docs). */
export const NAME_RULE = /^[a-z][a-z0-9-]+[a-z0-9]$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLOR = /^#[0-9a-fA-F]{6}$/;

export const isUuid = (value: string): boolean => UUID.test(value);

// --- query string -----------------------------------------------------------------------------

/**
 * `limit`: a positive integer. Above `max` it is lowered to `max` rather than rejected, so a client
 * asking for more simply gets a full page and pages on.
 */
export function queryLimit(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get('limit');
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) fail(validationError('querystring/limit must be integer'));
  const n = Number(raw);
  if (n < 1) fail(validationError('querystring/limit must be >= 1'));
  return Math.min(n, max);
}

export function queryUuid(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!isUuid(raw)) fail(validationError(`querystring/${name} must match format "uuid"`));
  return raw.toLowerCase();
}

export function queryString(query: URLSearchParams, name: string): string | undefined {
  const raw = query.get(name);
  return raw === null || raw === '' ? undefined : raw;
}

export function queryEnum<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[], fallback: T): T {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) fail(validationError(`querystring/${name} must be equal to one of the allowed values`));
  return raw as T;
}

/** Array parameters use the bracket style `type[]=a&type[]=b`; the bare name is accepted as well. */
export function queryArray(query: URLSearchParams, name: string): string[] {
  return [...query.getAll(`${name}[]`), ...query.getAll(name)].filter((v) => v !== '');
}

/** ISO 8601; a value without zone is read as UTC. */
export function queryTime(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const ms = parseIsoUtc(raw);
  if (Number.isNaN(ms)) fail(validationError(`querystring/${name} must match format "date-time"`));
  return ms;
}

// --- bodies -----------------------------------------------------------------------------------

export type JsonObject = Record<string, unknown>;

export function bodyObject(body: unknown, invalid: boolean): JsonObject {
  if (invalid) fail({ status: 400, body: { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY', error: 'Bad Request', message: "Body is not valid JSON but content-type is set to 'application/json'" } });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail(validationError('body must be object'));
  return body as JsonObject;
}

export function requireField(body: JsonObject, name: string): void {
  if (body[name] === undefined) fail(validationError(`body must have required property '${name}'`));
}

export function bodyName(body: JsonObject): string | undefined {
  const v = body.name;
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(validationError('body/name must be string'));
  if (!NAME_RULE.test(v as string)) fail(validationError(`body/name must match pattern "${NAME_RULE.source}"`));
  return v as string;
}

export function bodyString(body: JsonObject, name: string, options: { nullable?: boolean; maxLength?: number; pattern?: RegExp } = {}): string | null | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (v === null && options.nullable) return null;
  if (typeof v !== 'string') fail(validationError(`body/${name} must be string`));
  const s = v as string;
  if (options.maxLength !== undefined && s.length > options.maxLength) fail(validationError(`body/${name} must NOT have more than ${options.maxLength} characters`));
  if (options.pattern && !options.pattern.test(s)) fail(validationError(`body/${name} must match pattern "${options.pattern.source}"`));
  return s;
}

export function bodyColor(body: JsonObject): string | undefined {
  return bodyString(body, 'color', { pattern: COLOR }) ?? undefined;
}

export function bodyEnum<T extends string>(body: JsonObject, name: string, allowed: readonly T[]): T | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(validationError(`body/${name} must be equal to one of the allowed values`));
  return v as T;
}

/** `label`: a flat map of string values. */
export function bodyLabel(body: JsonObject): Record<string, string> | undefined {
  const v = body.label;
  if (v === undefined) return undefined;
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(validationError('body/label must be object'));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(v as JsonObject)) {
    if (typeof value !== 'string') fail(validationError(`body/label/${key} must be string`));
    out[key] = value as string;
  }
  return out;
}

/** `tags`: tag references `[{ "id": "<uuid>" }]` (full tag objects are accepted; only `id` counts). */
export function bodyTagIds(body: JsonObject): string[] | undefined {
  const v = body.tags;
  if (v === undefined) return undefined;
  if (v === null) return [];
  if (!Array.isArray(v)) fail(validationError('body/tags must be array'));
  const ids: string[] = [];
  (v as unknown[]).forEach((item, i) => {
    const id = typeof item === 'object' && item !== null ? (item as JsonObject).id : undefined;
    if (typeof id !== 'string' || !isUuid(id)) fail(validationError(`body/tags/${i}/id must match format "uuid"`));
    const lower = (id as string).toLowerCase();
    if (!ids.includes(lower)) ids.push(lower);
  });
  return ids;
}

export function bodyStringArray(body: unknown, where: string): string[] {
  if (!Array.isArray(body)) fail(validationError(`${where} must be array`));
  const items = body as unknown[];
  if (items.length === 0) fail(validationError(`${where} must NOT have fewer than 1 items`));
  items.forEach((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') fail(validationError(`${where}/${i} must be a non-empty string`));
  });
  return items as string[];
}

export function bodyIntArray(body: JsonObject, name: string): number[] | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((n) => Number.isInteger(n) && (n as number) >= 0)) fail(validationError(`body/${name} must be array of integers >= 0`));
  return v as number[];
}
