import { parseUnifiedId, type Filter } from '@devicegate/core';

/** A filter's verdict over every item of a connection: true for all, for none, or for some. */
export type Verdict = 'all' | 'none' | 'some';

/** The values of a filter, as strings (a single value becomes a list of one). */
export const valuesOf = (filter: Filter): string[] => (Array.isArray(filter.value) ? filter.value.map(String) : [String(filter.value)]);

/** True for `eq` and `in`: the filter names what it wants (as opposed to what it excludes or a bound). */
export const isPositive = (filter: Filter): boolean => filter.op === 'eq' || filter.op === 'in';

/** The verdict of an eq/neq/in/nin filter on a field whose value is always one of `possible`. */
export function constantVerdict(filter: Filter, possible: readonly string[]): Verdict {
  const wanted = valuesOf(filter);
  const hits = possible.filter((value) => wanted.includes(value));
  const positive: Verdict = hits.length === 0 ? 'none' : hits.length === possible.length ? 'all' : 'some';
  switch (filter.op) {
    case 'eq':
    case 'in':
      return positive;
    case 'neq':
    case 'nin':
      return positive === 'all' ? 'none' : positive === 'none' ? 'all' : 'some';
    default:
      return 'some';
  }
}

/** Whether a known value can pass a filter (a bound is not decided here, so it may). */
export const mayPass = (filter: Filter, value: string): boolean => constantVerdict(filter, [value]) !== 'none';

/** The values of `possible` an eq/neq/in/nin filter keeps; undefined for a bound. */
export function matchingValues(filter: Filter, possible: readonly string[]): string[] | undefined {
  const wanted = valuesOf(filter);
  switch (filter.op) {
    case 'eq':
    case 'in':
      return possible.filter((value) => wanted.includes(value));
    case 'neq':
    case 'nin':
      return possible.filter((value) => !wanted.includes(value));
    default:
      return undefined;
  }
}

/**
 * What a provider makes of a list's filters before it asks its vendor: which it decides itself (a field
 * whose value it knows, ids of another connection), which narrow what it reads (ids, sets), and whether any
 * are left for the gateway. The gateway evaluates every filter again, so a push-down may only ever widen;
 * `exact` is what lets a vendor total stand and a page be read at the size that is served.
 */
export class PushDown {
  /** No item can match: the list is empty without a vendor call. */
  impossible = false;
  /** Every filter is evaluated by the vendor or decided here. */
  exact = true;
  private readonly sets = new Map<string, string[]>();

  constructor(readonly connectionId: string) {}

  /** A filter left to the gateway. */
  skip(): void {
    this.exact = false;
  }

  /** Applies the verdict of a filter decided here. */
  verdict(verdict: Verdict): void {
    if (verdict === 'none') this.impossible = true;
    else if (verdict === 'some') this.exact = false;
  }

  /** Decides a filter on a field whose value is always one of `possible` (a kind, a direction). */
  constant(filter: Filter, possible: readonly string[]): void {
    this.verdict(constantVerdict(filter, possible));
  }

  /**
   * The native ids of this connection that a unified-id filter names (ids of another connection never
   * match here, so an `eq`/`in` naming none of ours makes the list impossible).
   */
  ownIds(filter: Filter): string[] {
    const natives = valuesOf(filter).flatMap((value) => {
      const parsed = parseUnifiedId(value);
      return parsed && parsed.connectionId === this.connectionId ? [parsed.nativeId] : [];
    });
    if (isPositive(filter) && natives.length === 0) this.impossible = true;
    return natives;
  }

  /** Narrows the set of allowed values of `key` to `values` (several `eq`/`in` filters on one key all apply); an empty set is impossible. */
  narrow(key: string, values: readonly string[]): void {
    const current = this.sets.get(key);
    const next = current === undefined ? [...new Set(values)] : current.filter((value) => values.includes(value));
    this.sets.set(key, next);
    if (next.length === 0) this.impossible = true;
  }

  /** The allowed values of `key`, in the order first named; undefined when no filter narrowed it. */
  allowed(key: string): string[] | undefined {
    return this.sets.get(key);
  }
}
