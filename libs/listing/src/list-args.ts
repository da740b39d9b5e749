import { FILTER_OPERATORS, type Filter, type FilterOperator, type FilterValue, type Order } from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import { fieldSpec, type FieldSpecs } from './fields.js';

export const LIST_INCLUDES = ['total_count', 'native'] as const;
/** `readings` is an include of device lists only (API.md §4.10). */
export type ListInclude = (typeof LIST_INCLUDES)[number] | 'readings';

/** The Izuma list arguments of one request, validated. */
export interface ListArgs {
  limit: number;
  after: string | null;
  order: Order;
  include: ReadonlySet<ListInclude>;
  partial: boolean;
  filters: Filter[];
}

export interface ListArgsSpec {
  fields: FieldSpecs;
  defaultOrder: Order;
  /** Includes besides `total_count` and `native` that this list takes. */
  extraIncludes?: readonly ListInclude[];
}

export const LIMIT_MIN = 2;
export const LIMIT_MAX = 1000;
export const LIMIT_DEFAULT = 50;
const RESERVED = new Set(['limit', 'after', 'order', 'include', 'partial']);

/** RFC 3339 (`2016-11-30T16:25:12.1234Z`, offsets allowed) or the truncated `20161130T162512Z`. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const TRUNCATED = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Epoch ms of a contract date-time, or undefined when it is not one. */
export function parseDateTime(value: string): number | undefined {
  let iso: string | undefined;
  if (RFC3339.test(value)) iso = value;
  else {
    const t = TRUNCATED.exec(value);
    if (t) iso = `${t[1]}-${t[2]}-${t[3]}T${t[4]}:${t[5]}:${t[6]}Z`;
  }
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function splitParam(param: string): { field: string; op: FilterOperator } {
  const at = param.lastIndexOf('__');
  if (at > 0) {
    const op = param.slice(at + 2) as FilterOperator;
    if ((FILTER_OPERATORS as readonly string[]).includes(op)) return { field: param.slice(0, at), op };
  }
  return { field: param, op: 'eq' };
}

function parseValue(kind: string, op: FilterOperator, raw: string): { value?: FilterValue; error?: string } {
  if (op === 'in' || op === 'nin') {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) return { error: 'must be a comma-separated list of one or more values' };
    return { value: items };
  }
  if (kind === 'datetime') {
    const ms = parseDateTime(raw);
    return ms === undefined ? { error: 'must be an RFC 3339 date-time (2016-11-30T16:25:12Z) or 20161130T162512Z' } : { value: ms };
  }
  if (kind === 'boolean') {
    if (raw === 'true') return { value: true };
    if (raw === 'false') return { value: false };
    return { error: 'must be true or false' };
  }
  if (raw.length === 0) return { error: 'must not be empty' };
  return { value: raw };
}

type QueryValue = string | string[] | undefined;

/**
 * Validates the list arguments and filters of a query string. Every problem becomes one entry of
 * `fields`; nothing unknown is silently ignored.
 */
export function parseListArgs(query: Record<string, QueryValue>, spec: ListArgsSpec): ListArgs {
  const errors: FieldError[] = [];
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) {
      errors.push({ name, message: 'must be given once' });
      return undefined;
    }
    return value;
  };

  let limit = LIMIT_DEFAULT;
  const rawLimit = single('limit');
  if (rawLimit !== undefined) {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < LIMIT_MIN || Number(rawLimit) > LIMIT_MAX) {
      errors.push({ name: 'limit', message: `must be an integer from ${LIMIT_MIN} to ${LIMIT_MAX}` });
    } else limit = Number(rawLimit);
  }

  const rawAfter = single('after');
  if (rawAfter !== undefined && rawAfter.length === 0) errors.push({ name: 'after', message: 'must be the id of an item of the previous page' });

  let order = spec.defaultOrder;
  const rawOrder = single('order');
  if (rawOrder !== undefined) {
    const upper = rawOrder.toUpperCase();
    if (upper !== 'ASC' && upper !== 'DESC') errors.push({ name: 'order', message: 'must be ASC or DESC' });
    else order = upper;
  }

  const include = new Set<ListInclude>();
  const includes: readonly string[] = [...LIST_INCLUDES, ...(spec.extraIncludes ?? [])];
  const rawInclude = single('include');
  if (rawInclude !== undefined) {
    for (const part of rawInclude.split(',').map((s) => s.trim())) {
      if (includes.includes(part)) include.add(part as ListInclude);
      else errors.push({ name: 'include', message: `'${part.slice(0, 50)}' is not one of ${includes.join(', ')}` });
    }
  }

  let partial = false;
  const rawPartial = single('partial');
  if (rawPartial !== undefined) {
    if (rawPartial === 'true') partial = true;
    else if (rawPartial !== 'false') errors.push({ name: 'partial', message: 'must be true or false' });
  }

  const filters: Filter[] = [];
  for (const param of Object.keys(query).sort()) {
    if (RESERVED.has(param) || query[param] === undefined) continue;
    const { field, op } = splitParam(param);
    const fspec = fieldSpec(spec.fields, field);
    const shown = param.slice(0, 100);
    if (!fspec) {
      errors.push({ name: shown, message: 'is not a filter of this list' });
      continue;
    }
    if (!fspec.ops.includes(op)) {
      errors.push({ name: shown, message: `operator '${op}' is not supported on '${field}' (supported: ${fspec.ops.join(', ')})` });
      continue;
    }
    const raw = single(param);
    if (raw === undefined) continue;
    const parsed = parseValue(fspec.kind, op, raw);
    if (parsed.error) errors.push({ name: shown, message: parsed.error });
    else filters.push({ field, op, value: parsed.value!, param });
  }

  if (errors.length > 0) {
    throw GatewayError.validation(errors, errors.length === 1 ? `The parameter '${errors[0].name}' is invalid.` : 'One or more query parameters are invalid.');
  }
  return { limit, after: rawAfter ?? null, order, include, partial, filters };
}
