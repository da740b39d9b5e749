import type { Filter } from '@devicegate/core';
import { isPositive, PushDown, valuesOf } from '@devicegate/listing';
import { parseNativeId } from './blynk.mapper.js';

/** Most `id__in` values read one by one instead of scanning the list. */
const ID_LOOKUP_MAX = 50;
/** Search `query` is at most 255 characters (§5.2). */
const SEARCH_QUERY_MAX = 255;

/** The organizations a connection reaches: its own, and with `include_sub_orgs` every one its token reaches. */
export interface BlynkScope {
  orgId: number;
  includeSubOrgs: boolean;
}

const inScope = (scope: BlynkScope, orgId: number): boolean => orgId === scope.orgId || scope.includeSubOrgs;

/** The numeric native ids among an id filter's values of this connection (Blynk ids are integers; others never match). */
const numericIds = (push: PushDown, filter: Filter): string[] => push.ownIds(filter).filter((id) => parseNativeId(id) !== undefined);

const asNumbers = (values: string[] | undefined): Set<number> | undefined => (values === undefined ? undefined : new Set(values.map(Number)));

/** `id` eq/in narrows the organizations; the rest is left to the gateway. */
export function projectPushDown(filters: readonly Filter[], connectionId: string): { empty: boolean; ids?: Set<number>; exact: boolean } {
  const push = new PushDown(connectionId);
  for (const filter of filters) {
    if (filter.field === 'id' && isPositive(filter)) push.narrow('id', numericIds(push, filter));
    else push.skip();
  }
  return { empty: push.impossible, ids: asNumbers(push.allowed('id')), exact: push.exact };
}

/** How a device list is read from the vendor. */
export type DeviceSourceMode =
  /** No device of this connection can match: no call. */
  | { kind: 'empty' }
  /** `id__eq` / a short `id__in`: the devices are read one by one. */
  | { kind: 'ids'; ids: number[] }
  /** `name__eq`: the vendor search (a superset: the gateway filters exactly). */
  | { kind: 'search'; text: string }
  /** The device list of one organization, with or without its sub-organizations. */
  | { kind: 'org'; orgId: number; includeSub: boolean; configured: boolean };

export interface DevicePushDown {
  mode: DeviceSourceMode;
  /** Organizations a `project_id` eq/in filter allows (applied to every item locally). */
  orgs?: Set<number>;
  /** Every filter is answered exactly by the vendor call (so its total is exact). */
  exact: boolean;
}

/**
 * What the vendor can evaluate: `id` eq/in (single reads), `project_id` eq (the organization's own list),
 * `name` eq (the search, case-insensitive contains: a superset). The rest is left to the gateway. An `id`
 * or `project_id` outside this connection ends the list at once.
 */
export function devicePushDown(filters: readonly Filter[], connectionId: string, scope: BlynkScope): DevicePushDown {
  const push = new PushDown(connectionId);
  let idsConsumed = true;
  let name: string | undefined;
  let consumedByList = true;
  for (const filter of filters) {
    const positive = isPositive(filter);
    if (filter.field === 'id' && positive) {
      push.narrow('id', numericIds(push, filter));
      consumedByList = false;
      continue;
    }
    if (filter.field === 'project_id' && positive) {
      push.narrow('org', numericIds(push, filter).filter((id) => inScope(scope, Number(id))));
      continue;
    }
    const values = valuesOf(filter);
    if (filter.field === 'name' && positive && values.length === 1 && name === undefined) {
      const text = values[0];
      if (text.trim() !== '' && text.length <= SEARCH_QUERY_MAX) name = text;
    }
    idsConsumed = false;
    consumedByList = false;
  }
  if (push.impossible) return { mode: { kind: 'empty' }, exact: true };
  const ids = asNumbers(push.allowed('id'));
  const orgs = asNumbers(push.allowed('org'));
  if (ids && ids.size <= ID_LOOKUP_MAX) return { mode: { kind: 'ids', ids: [...ids].sort((a, b) => a - b) }, orgs, exact: idsConsumed };
  if (name !== undefined) return { mode: { kind: 'search', text: name }, orgs, exact: false };
  if (orgs && orgs.size === 1) {
    const [orgId] = orgs;
    // One organization's own devices; when only the configured one is in scope this is the plain list.
    return { mode: { kind: 'org', orgId, includeSub: false, configured: orgId === scope.orgId }, orgs, exact: consumedByList };
  }
  // Several organizations (or none named): the whole scope, narrowed locally; its total is exact only unnarrowed.
  return { mode: { kind: 'org', orgId: scope.orgId, includeSub: scope.includeSubOrgs, configured: true }, orgs, exact: consumedByList && orgs === undefined };
}

/** What the timeline can be asked: nothing but where to stop (the oldest time wanted); `native_type` (the event code) is the gateway's to filter. */
export function timelinePushDown(filters: readonly Filter[]): { since?: number; exact: boolean } {
  let since: number | undefined;
  for (const filter of filters) {
    if (filter.field === 'created_at' && filter.op === 'gte' && typeof filter.value === 'number') since = Math.max(since ?? filter.value, filter.value);
  }
  return { since, exact: filters.length === 0 };
}
