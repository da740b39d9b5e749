import { isoMillis } from '@devicegate/emulators/kit';
import type {
  ConnectorTrigger,
  DownState,
  HardwarioConnector,
  HardwarioDevice,
  HardwarioJobDevice,
  HardwarioMessage,
  HardwarioSpace,
  HardwarioTag,
  MessageDirection,
  MessageType,
  TagAccessType,
} from './hardwario.types.js';

/** A device as kept in memory: tags by id so that renaming or deleting a tag shows up everywhere. */
export interface DeviceRecord {
  id: string;
  name: string;
  comment: string | null;
  serialNumber: string;
  externalId: string | null;
  label: Record<string, string>;
  tagIds: string[];
  createdMs: number;
  lastSeenMs: number | null;
  sessionId: number | null;
  configHash: string | null;
  decoderHash: string | null;
  encoderHash: string | null;
  dashboardType: string | null;
  /** The claim token; never echoed back. */
  token: string;
  /** A DTLS pre-shared key stored through PUT; never echoed back. */
  secret: string | null;
}

export interface MessageRecord {
  id: string;
  ms: number;
  deviceId: string;
  type: MessageType;
  direction: MessageDirection;
  /** The body as the API returns it (a JSON string); seeded messages fill it on first read from `bodyValue`. */
  body: string | null;
  bodyValue?: unknown;
  raw: string | null;
  codecHash: string | null;
  downState: DownState | null;
  downStateMs: number | null;
  downScheduledMs: number | null;
  downAttempt: number;
}

export interface TagRecord {
  id: string;
  name: string;
  color: string;
  accessType: TagAccessType;
  createdMs: number;
}

export interface ConnectorRecord {
  id: string;
  name: string;
  direction: MessageDirection;
  state: 'enabled' | 'disabled';
  triggers: ConnectorTrigger[];
  tagIds: string[];
  transformation: string;
  retryDelays: number[];
  timeout: number;
  createdMs: number;
}

export const DEVICE_SORT_KEYS = ['id', 'name', 'serial_number', 'external_id', 'last_seen', 'session_id'] as const;
export type DeviceSortKey = (typeof DEVICE_SORT_KEYS)[number];
export type SortOrder = 'asc' | 'desc';

export interface DeviceQuery {
  limit: number;
  offset?: string;
  name?: string;
  serialNumber?: string;
  externalId?: string;
  tagIds: string[];
  tagLogic: 'any' | 'all';
  sortBy: DeviceSortKey;
  order: SortOrder;
}

export interface MessageQuery {
  limit: number;
  offset?: string;
  afterMs: number;
  beforeMs?: number;
  deviceId?: string;
  tagId?: string;
  types?: Set<string>;
  direction?: MessageDirection;
}

type SortValue = string | number | null;

/** Binary search: the first index in `items` whose key is not below `value` (`items` sorted ascending by `key`). */
function lowerBound<T>(items: readonly T[], value: string | number, key: (item: T) => string | number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid]) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sorted insert by id; UUIDv7 ids make this creation order, so it is nearly always an append. */
function insertById<T extends { id: string }>(items: T[], item: T): void {
  const at = lowerBound(items, item.id, (x) => x.id);
  items.splice(at, 0, item);
}

function removeById<T extends { id: string }>(items: T[], id: string): void {
  const at = lowerBound(items, id, (x) => x.id);
  if (items[at]?.id === id) items.splice(at, 1);
}

function sortValue(device: DeviceRecord, key: DeviceSortKey): SortValue {
  switch (key) {
    case 'id':
      return device.id;
    case 'name':
      return device.name;
    case 'serial_number':
      return device.serialNumber;
    case 'external_id':
      return device.externalId;
    case 'last_seen':
      return device.lastSeenMs;
    case 'session_id':
      return device.sessionId;
  }
}

/** Ascending with nulls last (PostgreSQL's default), ties broken by id, so every order is total and a cursor is exact. */
function compareSort(a: SortValue, aId: string, b: SortValue, bId: string): number {
  if (a !== b) {
    if (a === null) return 1;
    if (b === null) return -1;
    return a < b ? -1 : 1;
  }
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** The JSON-string body of a message, encoded once on first use (seeding thousands of bodies stays cheap). */
export function messageBody(m: MessageRecord): string {
  if (m.body === null) {
    m.body = JSON.stringify(m.bodyValue);
    m.bodyValue = undefined;
  }
  return m.body;
}

export type MessageListener = (message: MessageRecord) => void;

/** All data of the one emulated space, with the indexes the handlers need to stay fast at 10,000 devices. */
export class HardwarioStore {
  readonly tags = new Map<string, TagRecord>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly connectors = new Map<string, ConnectorRecord>();
  readonly messagesById = new Map<string, MessageRecord>();

  /** Devices by id ascending. */
  private readonly deviceList: DeviceRecord[] = [];
  /** Deleted devices, kept so that a paging cursor naming one still finds its place. */
  private readonly deletedDevices = new Map<string, DeviceRecord>();
  private readonly serials = new Map<string, string>();
  private readonly sortCache = new Map<string, DeviceRecord[]>();
  /** All messages by id ascending (UUIDv7, so also by time). */
  private readonly messageList: MessageRecord[] = [];
  private readonly messagesByDevice = new Map<string, MessageRecord[]>();
  private readonly listeners = new Set<MessageListener>();

  constructor(readonly space: HardwarioSpace) {}

  // --- devices -------------------------------------------------------------------------------

  addDevice(device: DeviceRecord): void {
    this.devices.set(device.id, device);
    this.serials.set(device.serialNumber, device.id);
    insertById(this.deviceList, device);
    this.deletedDevices.delete(device.id);
    this.sortCache.clear();
  }

  /** Seeding appends thousands of devices already in id order; this skips the per-item search. */
  addDevicesInOrder(devices: readonly DeviceRecord[]): void {
    for (const device of devices) {
      this.devices.set(device.id, device);
      this.serials.set(device.serialNumber, device.id);
      const last = this.deviceList[this.deviceList.length - 1];
      if (!last || last.id < device.id) this.deviceList.push(device);
      else insertById(this.deviceList, device);
    }
    this.sortCache.clear();
  }

  deviceBySerial(serial: string): DeviceRecord | undefined {
    const id = this.serials.get(serial);
    return id === undefined ? undefined : this.devices.get(id);
  }

  /** Call after changing a field that devices are sorted by. */
  deviceChanged(): void {
    this.sortCache.clear();
  }

  removeDevice(id: string): boolean {
    const device = this.devices.get(id);
    if (!device) return false;
    this.devices.delete(id);
    this.serials.delete(device.serialNumber);
    removeById(this.deviceList, id);
    this.deletedDevices.set(id, device);
    this.sortCache.clear();
    const own = this.messagesByDevice.get(id) ?? [];
    this.messagesByDevice.delete(id);
    if (own.length > 0) {
      for (const message of own) this.messagesById.delete(message.id);
      const gone = new Set(own.map((m) => m.id));
      const kept = this.messageList.filter((m) => !gone.has(m.id));
      this.messageList.length = 0;
      this.messageList.push(...kept);
    }
    return true;
  }

  allDevicesById(): readonly DeviceRecord[] {
    return this.deviceList;
  }

  private sortedDevices(sortBy: DeviceSortKey, order: SortOrder): DeviceRecord[] {
    if (sortBy === 'id' && order === 'asc') return this.deviceList;
    const cacheKey = `${sortBy}:${order}`;
    let sorted = this.sortCache.get(cacheKey);
    if (!sorted) {
      sorted = [...this.deviceList].sort((a, b) => compareSort(sortValue(a, sortBy), a.id, sortValue(b, sortBy), b.id));
      if (order === 'desc') sorted.reverse();
      this.sortCache.set(cacheKey, sorted);
    }
    return sorted;
  }

  private deviceMatches(device: DeviceRecord, q: Omit<DeviceQuery, 'limit' | 'offset' | 'sortBy' | 'order'>): boolean {
    // `name` is a search box in the web UI, so it matches a case-insensitive substring; ids are exact.
    if (q.name !== undefined && !device.name.toLowerCase().includes(q.name.toLowerCase())) return false;
    if (q.serialNumber !== undefined && device.serialNumber !== q.serialNumber) return false;
    if (q.externalId !== undefined && device.externalId !== q.externalId) return false;
    if (q.tagIds.length > 0) {
      if (q.tagLogic === 'all') return q.tagIds.every((t) => device.tagIds.includes(t));
      return q.tagIds.some((t) => device.tagIds.includes(t));
    }
    return true;
  }

  listDevices(q: DeviceQuery): DeviceRecord[] {
    const sorted = this.sortedDevices(q.sortBy, q.order);
    let start = 0;
    if (q.offset !== undefined) {
      const cursor = this.devices.get(q.offset) ?? this.deletedDevices.get(q.offset);
      if (cursor) {
        const value = sortValue(cursor, q.sortBy);
        start = this.firstAfter(sorted, value, cursor.id, q.sortBy, q.order);
      } else if (q.sortBy === 'id') {
        // Only the id itself is needed to place a cursor when sorting by id.
        start = this.firstAfter(sorted, q.offset, q.offset, 'id', q.order);
      } else {
        // `WHERE (key, id) > (SELECT key, id … WHERE id = $offset)` finds no row for an unknown id: empty page.
        return [];
      }
    }
    const out: DeviceRecord[] = [];
    for (let i = start; i < sorted.length && out.length < q.limit; i++) {
      if (this.deviceMatches(sorted[i], q)) out.push(sorted[i]);
    }
    return out;
  }

  countDevices(q: Omit<DeviceQuery, 'limit' | 'offset' | 'sortBy' | 'order'>): number {
    let n = 0;
    for (const device of this.deviceList) if (this.deviceMatches(device, q)) n++;
    return n;
  }

  /** Index of the first element that comes strictly after (value, id) in the list's order. */
  private firstAfter(sorted: readonly DeviceRecord[], value: SortValue, id: string, key: DeviceSortKey, order: SortOrder): number {
    const sign = order === 'asc' ? 1 : -1;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = sign * compareSort(sortValue(sorted[mid], key), sorted[mid].id, value, id);
      if (cmp <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // --- messages ------------------------------------------------------------------------------

  onMessage(listener: MessageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  addMessage(message: MessageRecord, notify = true): void {
    this.messagesById.set(message.id, message);
    const last = this.messageList[this.messageList.length - 1];
    if (!last || last.id < message.id) this.messageList.push(message);
    else insertById(this.messageList, message);
    let own = this.messagesByDevice.get(message.deviceId);
    if (!own) {
      own = [];
      this.messagesByDevice.set(message.deviceId, own);
    }
    const lastOwn = own[own.length - 1];
    if (!lastOwn || lastOwn.id < message.id) own.push(message);
    else insertById(own, message);
    if (notify) for (const listener of this.listeners) listener(message);
  }

  messagesOf(deviceId: string): readonly MessageRecord[] {
    return this.messagesByDevice.get(deviceId) ?? [];
  }

  messageCount(): number {
    return this.messageList.length;
  }

  /** Newest first; walks down from the upper bound so a page costs about `limit` steps when no filter drops items. */
  listMessages(q: MessageQuery): MessageRecord[] {
    const source = q.deviceId !== undefined ? (this.messagesByDevice.get(q.deviceId) ?? []) : this.messageList;
    let end = source.length;
    if (q.beforeMs !== undefined) {
      const before = q.beforeMs;
      end = Math.min(end, lowerBound(source, before, (m) => m.ms));
    }
    if (q.offset !== undefined) {
      // Ids are time-ordered, so "older than the cursor" works even for an id that is not stored (any more).
      const cursor = q.offset;
      end = Math.min(end, lowerBound(source, cursor, (m) => m.id));
    }
    const out: MessageRecord[] = [];
    for (let i = end - 1; i >= 0 && out.length < q.limit; i--) {
      const m = source[i];
      if (m.ms < q.afterMs) break;
      if (q.types && !q.types.has(m.type)) continue;
      if (q.direction && m.direction !== q.direction) continue;
      if (q.tagId !== undefined && !this.devices.get(m.deviceId)?.tagIds.includes(q.tagId)) continue;
      out.push(m);
    }
    return out;
  }

  // --- tags and connectors -------------------------------------------------------------------

  removeTag(id: string): boolean {
    if (!this.tags.delete(id)) return false;
    for (const device of this.devices.values()) {
      if (device.tagIds.includes(id)) device.tagIds = device.tagIds.filter((t) => t !== id);
    }
    for (const connector of this.connectors.values()) {
      if (connector.tagIds.includes(id)) connector.tagIds = connector.tagIds.filter((t) => t !== id);
    }
    return true;
  }

  /** Connectors a message would be pushed to: enabled, same direction, trigger includes its type, shares a tag with the device. */
  matchingConnectors(message: MessageRecord): ConnectorRecord[] {
    const device = this.devices.get(message.deviceId);
    if (!device || device.tagIds.length === 0) return [];
    const out: ConnectorRecord[] = [];
    for (const connector of this.connectors.values()) {
      if (connector.state !== 'enabled' || connector.direction !== message.direction) continue;
      if (!(connector.triggers as string[]).includes(message.type)) continue;
      if (connector.tagIds.some((t) => device.tagIds.includes(t))) out.push(connector);
    }
    return out;
  }

  // --- rendering -----------------------------------------------------------------------------

  renderTag(tag: TagRecord): HardwarioTag {
    return { id: tag.id, name: tag.name, color: tag.color, access_type: tag.accessType, created_at: isoMillis(tag.createdMs) };
  }

  private renderTagIds(ids: readonly string[]): HardwarioTag[] {
    const out: HardwarioTag[] = [];
    for (const id of ids) {
      const tag = this.tags.get(id);
      if (tag) out.push(this.renderTag(tag));
    }
    return out;
  }

  renderDevice(d: DeviceRecord): HardwarioDevice {
    return {
      id: d.id,
      space_id: this.space.id,
      name: d.name,
      comment: d.comment,
      serial_number: d.serialNumber,
      external_id: d.externalId,
      label: { ...d.label },
      tags: this.renderTagIds(d.tagIds),
      created_at: isoMillis(d.createdMs),
      last_seen: d.lastSeenMs === null ? null : isoMillis(d.lastSeenMs),
      session_id: d.sessionId,
      config_hash: d.configHash,
      decoder_hash: d.decoderHash,
      encoder_hash: d.encoderHash,
      dashboard_type: d.dashboardType,
    };
  }

  renderJobDevice(d: DeviceRecord): HardwarioJobDevice {
    return {
      id: d.id,
      space_id: this.space.id,
      serial_number: d.serialNumber,
      name: d.name,
      label: { ...d.label },
      tags: this.renderTagIds(d.tagIds).map((t) => t.name),
      session_id: d.sessionId,
      created_at: isoMillis(d.createdMs),
    };
  }

  renderMessage(m: MessageRecord): HardwarioMessage {
    const device = this.devices.get(m.deviceId);
    return {
      id: m.id,
      created_at: isoMillis(m.ms),
      device_id: m.deviceId,
      device_name: device?.name ?? '',
      device_serial_number: device?.serialNumber ?? '',
      type: m.type,
      direction: m.direction,
      body: messageBody(m),
      raw: m.raw,
      codec_hash: m.codecHash,
      down_state: m.downState,
      down_state_at: m.downStateMs === null ? null : isoMillis(m.downStateMs),
      down_scheduled_at: m.downScheduledMs === null ? null : isoMillis(m.downScheduledMs),
      down_attempt: m.downAttempt,
    };
  }

  renderConnector(c: ConnectorRecord): HardwarioConnector {
    return {
      id: c.id,
      name: c.name,
      type: 'webhook',
      direction: c.direction,
      state: c.state,
      triggers: [...c.triggers],
      tags: this.renderTagIds(c.tagIds),
      transformation: c.transformation,
      retry_delays: [...c.retryDelays],
      timeout: c.timeout,
      created_at: isoMillis(c.createdMs),
    };
  }
}
