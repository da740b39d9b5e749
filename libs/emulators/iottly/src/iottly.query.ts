/**
 * A small MongoDB query-filter matcher for the history API's `queryJson`.
 *
 * The filter arrives as plain JSON (the vendor's 2017 code parsed it with `ujson.loads`), so
 * `{"$date": …}` or `{"$oid": …}` stay ordinary sub-documents. The stored dates and ids are BSON
 * dates/ObjectIds, and Mongo never matches those against strings, numbers or sub-documents; the
 * `MongoDate`/`MongoObjectId` wrappers below reproduce that: they only compare with their own kind.
 */

export class MongoDate {
  constructor(readonly ms: number) {}
}

export class MongoObjectId {
  constructor(readonly hex: string) {}
}

export type MongoValue = null | boolean | number | string | MongoDate | MongoObjectId | MongoValue[] | { [key: string]: MongoValue };

/** Thrown for a filter Mongo itself would refuse (unknown operator, wrong operand type). */
export class QueryError extends Error {}

type Doc = { [key: string]: MongoValue };

const isPlainObject = (v: unknown): v is { [key: string]: MongoValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof MongoDate) && !(v instanceof MongoObjectId);

function deepEqual(a: MongoValue, b: MongoValue): boolean {
  if (a instanceof MongoDate || b instanceof MongoDate) return a instanceof MongoDate && b instanceof MongoDate && a.ms === b.ms;
  if (a instanceof MongoObjectId || b instanceof MongoObjectId) return a instanceof MongoObjectId && b instanceof MongoObjectId && a.hex === b.hex;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    // Mongo compares embedded documents field by field, in order.
    return ka.length === kb.length && ka.every((k, i) => kb[i] === k && deepEqual(a[k], b[k]));
  }
  return a === b;
}

/** The values a dotted path reaches; arrays on the way are walked like Mongo does. */
function resolve(value: MongoValue | undefined, segments: string[]): MongoValue[] {
  if (value === undefined) return [];
  if (segments.length === 0) return [value];
  const [head, ...rest] = segments;
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) return resolve(value[Number(head)], rest);
    return value.flatMap((item) => (isPlainObject(item) ? resolve(item[head], rest) : []));
  }
  if (isPlainObject(value)) return resolve(value[head], rest);
  return [];
}

/** Candidates for comparison: the value itself and, for arrays, each element. */
const expand = (values: MongoValue[]): MongoValue[] => values.flatMap((v) => (Array.isArray(v) ? [v, ...v] : [v]));

function compare(a: MongoValue, b: MongoValue): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof MongoDate && b instanceof MongoDate) return a.ms - b.ms;
  if (a instanceof MongoObjectId && b instanceof MongoObjectId) return a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

function toRegExp(pattern: MongoValue, options: MongoValue | undefined): RegExp {
  if (typeof pattern !== 'string') throw new QueryError('$regex has to be a string');
  const flags = typeof options === 'string' ? options.replace(/[^imsx]/g, '').replace('x', '') : '';
  try {
    return new RegExp(pattern, flags);
  } catch {
    throw new QueryError(`invalid regular expression: ${pattern}`);
  }
}

function matchOperators(values: MongoValue[], ops: { [key: string]: MongoValue }): boolean {
  const candidates = expand(values);
  for (const [op, operand] of Object.entries(ops)) {
    let ok: boolean;
    switch (op) {
      case '$eq':
        ok = candidates.some((v) => deepEqual(v, operand));
        break;
      case '$ne':
        ok = !candidates.some((v) => deepEqual(v, operand));
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        ok = candidates.some((v) => {
          const c = compare(v, operand);
          if (c === undefined) return false;
          return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
        });
        break;
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand)) throw new QueryError(`${op} needs an array`);
        const hit = operand.some((o) => (o === null && values.length === 0) || candidates.some((v) => deepEqual(v, o)));
        ok = op === '$in' ? hit : !hit;
        break;
      }
      case '$exists':
        ok = (values.length > 0) === Boolean(operand);
        break;
      case '$regex':
        {
          const re = toRegExp(operand, ops.$options);
          ok = candidates.some((v) => typeof v === 'string' && re.test(v));
        }
        break;
      case '$options':
        if (!('$regex' in ops)) throw new QueryError('$options needs a $regex');
        ok = true;
        break;
      case '$not':
        if (!isPlainObject(operand)) throw new QueryError('$not needs an operator document');
        ok = !matchOperators(values, operand);
        break;
      case '$size':
        if (typeof operand !== 'number') throw new QueryError('$size needs a number');
        ok = values.some((v) => Array.isArray(v) && v.length === operand);
        break;
      case '$all':
        if (!Array.isArray(operand)) throw new QueryError('$all needs an array');
        ok = operand.length > 0 && operand.every((o) => candidates.some((v) => deepEqual(v, o)));
        break;
      default:
        throw new QueryError(`unknown operator: ${op}`);
    }
    if (!ok) return false;
  }
  return true;
}

function matchField(doc: Doc, path: string, condition: MongoValue): boolean {
  const values = resolve(doc, path.split('.'));
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    if (keys.length > 0 && keys.every((k) => k.startsWith('$'))) return matchOperators(values, condition);
    if (keys.some((k) => k.startsWith('$'))) throw new QueryError(`unknown operator: ${keys.find((k) => k.startsWith('$'))}`);
  }
  if (condition === null) return values.length === 0 || expand(values).some((v) => v === null);
  return expand(values).some((v) => deepEqual(v, condition));
}

/** True when `doc` matches the Mongo filter `filter`; throws `QueryError` for a filter Mongo refuses. */
export function matchesFilter(doc: Doc, filter: { [key: string]: MongoValue }): boolean {
  for (const [key, condition] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(condition) || condition.length === 0 || !condition.every(isPlainObject)) {
        throw new QueryError(`${key} must be a nonempty array`);
      }
      const results = condition.map((sub) => matchesFilter(doc, sub as { [key: string]: MongoValue }));
      const ok = key === '$and' ? results.every(Boolean) : key === '$or' ? results.some(Boolean) : !results.some(Boolean);
      if (!ok) return false;
      continue;
    }
    if (key.startsWith('$')) throw new QueryError(`unknown top level operator: ${key}`);
    if (!matchField(doc, key, condition)) return false;
  }
  return true;
}

/** Parses `queryJson` as plain JSON (no extended-JSON conversion) and checks it is a filter document. */
export function parseFilter(text: string): { [key: string]: MongoValue } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new QueryError('queryJson is not valid JSON');
  }
  if (!isPlainObject(parsed)) throw new QueryError('queryJson must be a JSON object');
  return parsed;
}
