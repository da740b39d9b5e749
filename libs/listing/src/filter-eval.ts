import type { Filter } from '@devicegate/core';
import { fieldSpec, type FieldSpecs } from './fields.js';

type Item = Record<string, unknown>;

function read(item: Item, field: string): unknown {
  if (field.startsWith('labels.')) {
    const labels = item.labels as Record<string, string> | null | undefined;
    return labels ? labels[field.slice('labels.'.length)] : undefined;
  }
  return item[field];
}

function toMillis(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function matchOne(specs: FieldSpecs, item: Item, filter: Filter): boolean {
  const spec = fieldSpec(specs, filter.field);
  const actual = read(item, filter.field);
  const { op, value } = filter;
  if (spec?.kind === 'tags') {
    const tags = Array.isArray(actual) ? (actual as string[]) : [];
    const wanted = Array.isArray(value) ? value : [String(value)];
    const any = wanted.some((tag) => tags.includes(tag));
    return op === 'eq' || op === 'in' ? any : !any;
  }
  if (spec?.kind === 'datetime') {
    const ms = toMillis(actual);
    if (op === 'neq') return ms !== value;
    if (ms === undefined) return false;
    if (op === 'eq') return ms === value;
    if (op === 'gte') return ms >= (value as number);
    return ms <= (value as number);
  }
  const present = actual !== null && actual !== undefined;
  switch (op) {
    case 'eq':
      return present && (spec?.kind === 'boolean' ? actual === value : String(actual) === value);
    case 'neq':
      return !present || (spec?.kind === 'boolean' ? actual !== value : String(actual) !== value);
    case 'in':
      return present && (value as string[]).includes(String(actual));
    case 'nin':
      return !present || !(value as string[]).includes(String(actual));
    default:
      return false;
  }
}

/** A predicate that is true when an item satisfies every filter (filters are ANDed). */
export function compileFilters(specs: FieldSpecs, filters: readonly Filter[]): (item: object) => boolean {
  if (filters.length === 0) return () => true;
  return (item) => filters.every((filter) => matchOne(specs, item as Item, filter));
}
