import type { DeviceEventRecord, DeviceRecord, DeviceState, GroupRecord } from './izuma.model.js';
import { izumaId, type SeedData, type SeedEvent } from './izuma.seed.js';
import { parseIzumaDate, parseIzumaDateTime, type FilterCondition } from './izuma.spec-validator.js';
import { deviceView, eventRecord } from './izuma.views.js';

/** The page parameters every Izuma v3 list takes. */
export interface PageParams {
  limit: number;
  after: string | null;
  order: 'ASC' | 'DESC';
  includeTotal: boolean;
}

export interface ListPage {
  object: 'list';
  limit: number;
  after: string | null;
  order: 'ASC' | 'DESC';
  has_more: boolean;
  total_count?: number;
  data: unknown[];
}

interface Identified {
  id: string;
}

/** Index of the first item whose id is greater than `id` (ids sort by creation time). */
function upperBound(sorted: readonly Identified[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first item whose id is greater than or equal to `id`. */
function lowerBound(sorted: readonly Identified[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid].id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function insertSorted<T extends Identified>(sorted: T[], item: T): void {
  sorted.splice(upperBound(sorted, item.id), 0, item);
}

export function removeSorted<T extends Identified>(sorted: T[], id: string): void {
  const index = lowerBound(sorted, id);
  if (sorted[index]?.id === id) sorted.splice(index, 1);
}

/**
 * One page in creation order. The cursor is the id of the last item of the previous page; since ids sort by
 * creation time the page starts right after it even when that item has been deleted meanwhile.
 */
export function paginate<T extends Identified>(sorted: readonly T[], params: PageParams, match: ((item: T) => boolean) | null, view: (item: T) => unknown): ListPage {
  const data: unknown[] = [];
  let hasMore = false;
  const take = (item: T): boolean => {
    if (match && !match(item)) return true;
    if (data.length === params.limit) {
      hasMore = true;
      return false;
    }
    data.push(view(item));
    return true;
  };
  if (params.order === 'ASC') {
    for (let i = params.after === null ? 0 : upperBound(sorted, params.after); i < sorted.length && take(sorted[i]); i++);
  } else {
    for (let i = (params.after === null ? sorted.length : lowerBound(sorted, params.after)) - 1; i >= 0 && take(sorted[i]); i--);
  }
  const page: ListPage = { object: 'list', limit: params.limit, after: params.after, order: params.order, has_more: hasMore, data };
  if (params.includeTotal) page.total_count = match ? sorted.reduce((n, item) => (match(item) ? n + 1 : n), 0) : sorted.length;
  return page;
}

type SchemaNode = Record<string, unknown>;

const compareVersions = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * Turns parsed filters into one predicate. `get` reads a field (or attribute) of an item; property types
 * from the spec decide how values compare (date-time, date, integer, boolean or plain string).
 */
export function buildMatcher<T>(filters: FilterCondition[], properties: Record<string, SchemaNode>, get: (item: T, field: string, key?: string) => unknown): ((item: T) => boolean) | null {
  if (filters.length === 0) return null;
  const tests = filters.map((filter) => {
    const property = filter.key === undefined ? properties[filter.field] ?? {} : {};
    const kind = filter.field === 'component_attributes' ? 'version' : property.format === 'date-time' ? 'date-time' : property.format === 'date' ? 'date' : (property.type as string | undefined) ?? 'string';
    const normalise = (value: unknown): string | number | undefined => {
      if (value === undefined || value === null) return undefined;
      // Records hand over their date-times as epoch ms already.
      if ((kind === 'date-time' || kind === 'date') && typeof value === 'number') return value;
      if (kind === 'date-time') return parseIzumaDateTime(String(value));
      if (kind === 'date') return parseIzumaDate(String(value));
      if (kind === 'integer' || kind === 'number') return Number(value);
      if (kind === 'boolean') return String(value).toLowerCase();
      return String(value);
    };
    const wanted = filter.values.map(normalise);
    const equals = (a: string | number | undefined, b: string | number | undefined) => a !== undefined && (kind === 'version' ? compareVersions(String(a), String(b)) === 0 : a === b);
    const compare = (a: string | number, b: string | number) => (kind === 'version' ? compareVersions(String(a), String(b)) : a < b ? -1 : a > b ? 1 : 0);
    return (item: T): boolean => {
      const actual = normalise(get(item, filter.field, filter.key));
      switch (filter.op) {
        case 'eq':
          return equals(actual, wanted[0]);
        case 'neq':
          return !equals(actual, wanted[0]);
        case 'in':
          return wanted.some((w) => equals(actual, w));
        case 'nin':
          return !wanted.some((w) => equals(actual, w));
        case 'lte':
          return actual !== undefined && wanted[0] !== undefined && compare(actual, wanted[0]) <= 0;
        case 'gte':
          return actual !== undefined && wanted[0] !== undefined && compare(actual, wanted[0]) >= 0;
      }
    };
  });
  return (item) => tests.every((test) => test(item));
}

export interface NewEvent {
  deviceId: string;
  eventType: string;
  description?: string;
  /** Epoch ms of the event (default: now). */
  at?: number;
  stateChange?: boolean;
  data?: Record<string, string>;
  category?: string;
  typeDescription?: string;
}

/** The in-memory account: devices, groups and device events, each indexed by id and kept in id order. */
export class IzumaStore {
  readonly devices = new Map<string, DeviceRecord>();
  readonly sortedDevices: DeviceRecord[] = [];
  readonly groups = new Map<string, GroupRecord>();
  readonly sortedGroups: GroupRecord[] = [];
  readonly events = new Map<string, DeviceEventRecord>();
  readonly sortedEvents: DeviceEventRecord[] = [];
  readonly eventsByDevice = new Map<string, DeviceEventRecord[]>();
  private sequence = 0;

  constructor(
    readonly accountId: string,
    seed: SeedData,
  ) {
    for (const device of [...seed.devices].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      this.devices.set(device.id, device);
      this.sortedDevices.push(device);
    }
    for (const group of [...seed.groups].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      this.groups.set(group.id, group);
      this.sortedGroups.push(group);
    }
    const records = seed.events.map((event, i) => eventRecord(event, (i & 0xffff).toString(16).padStart(4, '0')));
    records.sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const record of records) {
      this.events.set(record.id, record);
      this.sortedEvents.push(record);
      let list = this.eventsByDevice.get(record.deviceId);
      if (!list) this.eventsByDevice.set(record.deviceId, (list = []));
      list.push(record);
    }
  }

  /** A fresh id for something created at `ms`; the suffix keeps ids unique within one millisecond. */
  newId(ms: number): string {
    this.sequence = (this.sequence + 1) & 0xffff;
    let id = izumaId(ms, this.sequence.toString(16).padStart(4, '0'));
    while (this.devices.has(id) || this.groups.has(id) || this.events.has(id)) {
      this.sequence = (this.sequence + 1) & 0xffff;
      id = izumaId(ms, this.sequence.toString(16).padStart(4, '0'));
    }
    return id;
  }

  deviceView(device: DeviceRecord): Record<string, unknown> {
    return deviceView(device, this.accountId);
  }

  touch(device: DeviceRecord, ms = Date.now()): void {
    device.updatedMs = Math.max(device.updatedMs, ms);
    device.view = undefined;
  }

  addDevice(device: DeviceRecord): void {
    this.devices.set(device.id, device);
    insertSorted(this.sortedDevices, device);
  }

  removeDevice(device: DeviceRecord): void {
    this.devices.delete(device.id);
    removeSorted(this.sortedDevices, device.id);
    for (const groupId of device.groups) this.groups.get(groupId)?.members.delete(device.id);
  }

  addEvent(input: NewEvent): DeviceEventRecord {
    const ms = Math.floor(input.at ?? Date.now());
    const seedEvent: SeedEvent = {
      deviceId: input.deviceId,
      ms,
      eventType: input.eventType,
      description: input.description ?? '',
      stateChange: input.stateChange ?? false,
      data: input.data,
      category: input.category,
      typeDescription: input.typeDescription,
    };
    const id = this.newId(ms);
    const record = eventRecord(seedEvent, id.slice(-4));
    this.events.set(record.id, record);
    insertSorted(this.sortedEvents, record);
    let list = this.eventsByDevice.get(record.deviceId);
    if (!list) this.eventsByDevice.set(record.deviceId, (list = []));
    insertSorted(list, record);
    return record;
  }

  setState(device: DeviceRecord, state: DeviceState, ms = Date.now()): void {
    device.state = state;
    this.touch(device, ms);
  }

  addGroup(group: GroupRecord): void {
    this.groups.set(group.id, group);
    insertSorted(this.sortedGroups, group);
  }

  removeGroup(group: GroupRecord): void {
    this.groups.delete(group.id);
    removeSorted(this.sortedGroups, group.id);
    for (const deviceId of group.members) {
      const device = this.devices.get(deviceId);
      if (!device) continue;
      device.groups = device.groups.filter((id) => id !== group.id);
      device.view = undefined;
    }
  }

  addMember(group: GroupRecord, device: DeviceRecord): void {
    if (group.members.has(device.id)) return;
    group.members.add(device.id);
    device.groups = [...device.groups, group.id];
    device.view = undefined;
  }

  removeMember(group: GroupRecord, device: DeviceRecord): void {
    if (!group.members.delete(device.id)) return;
    device.groups = device.groups.filter((id) => id !== group.id);
    device.view = undefined;
  }
}
