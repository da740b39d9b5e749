import { createHash } from 'node:crypto';
import {
  commonWord,
  latestOfMessages,
  leaves,
  messageOrigin,
  toReading,
  toUnifiedId,
  type Command,
  type Device,
  type DeviceStatus,
  type Filter,
  type Message,
  type MessageType,
  type Project,
  type Reading,
  type SendCommandInput,
} from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { mayPass } from '@devicegate/listing';
import type { IottlyDevice, IottlyMessage, IottlyMessageType, IottlyProject, MongoDate } from './iottly.types.js';

/** Pure translations between iottly's wire objects and the contract's canonical models. */

export const PROVIDER = 'iottly';

/** The two documented message types (§3.5). */
export const NATIVE_TYPES: readonly IottlyMessageType[] = ['userdefined', 'iottlyagent'];

/**
 * Canonical type of each native type: device firmware output is the device's data (telemetry, event
 * and echo replies alike); the agent reports connection, process and operating status.
 */
const CANONICAL_TYPE: Record<IottlyMessageType, MessageType> = { userdefined: 'data', iottlyagent: 'status' };

// ---------------------------------------------------------------------------------------------- time

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?:\s*([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * Epoch ms of a vendor time, or undefined. The paginated API sends ISO strings without a zone, which are
 * UTC (§3.3 [inferred]: pymongo's naive UTC datetimes); the history API sends Mongo `{"$date": …}`.
 * Fractions longer than milliseconds are cut, as the vendor itself cuts them.
 */
export function parseVendorTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value && typeof value === 'object' && '$date' in value) {
    const date = (value as MongoDate).$date;
    if (date && typeof date === 'object' && typeof date.$numberLong === 'string') return parseVendorTime(Number(date.$numberLong));
    return parseVendorTime(date);
  }
  if (typeof value !== 'string') return undefined;
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC reads years 0–99 as 1900–1999.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
  }
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 UTC with milliseconds and `Z`, or null. */
export function toTimestamp(ms: number | undefined | null): string | null {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z. */
const YEAR_1 = -62135596800000;
const YEAR_10000 = 253402300800000;

/**
 * A `from`/`to` value for the paginated API: zone-less ISO with milliseconds, the format of its own answers
 * (§5.6 leaves the format undocumented; ISO like the responses is the reference's inference). Undefined for
 * a bound outside years 1–9999, which no message can pass anyway: the bound is then left out.
 */
export function toVendorTime(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < YEAR_1 || ms >= YEAR_10000) return undefined;
  return new Date(ms).toISOString().slice(0, 23);
}

/** The creation time a Mongo ObjectId carries in its first four bytes (seconds since the epoch). */
export function objectIdTime(id: string): number | null {
  if (!/^[0-9a-f]{24}$/i.test(id)) return null;
  return parseInt(id.slice(0, 8), 16) * 1000;
}

// ------------------------------------------------------------------------------------------ projects

/** `GET project/{id}/inspect` → Project. The vendor gives no device count, so it is null (one more whole-list call would be needed). */
export function mapProject(raw: IottlyProject, connectionId: string, configuredId: string): Project {
  const nativeId = typeof raw.id === 'string' && raw.id !== '' ? raw.id : configuredId;
  return {
    object: 'project',
    id: toUnifiedId(connectionId, nativeId),
    connection_id: connectionId,
    provider: PROVIDER,
    name: typeof raw.name === 'string' ? raw.name : null,
    kind: 'project',
    device_count: null,
    // The project id is a Mongo ObjectId, whose first bytes are its creation second: the only creation time the API offers.
    created_at: toTimestamp(objectIdTime(nativeId)),
    native: raw,
  };
}

/** The project's device type (`board`, e.g. `Linux ARMv6`), or null. */
export const boardOf = (raw: IottlyProject): string | null => (typeof raw.board === 'string' && raw.board !== '' ? raw.board : null);

// ------------------------------------------------------------------------------------------- devices

/** `connected` → true, `disconnected` → false, anything else unknown. */
export function onlineOf(status: unknown): boolean | null {
  if (typeof status !== 'string') return null;
  const value = status.toLowerCase();
  if (value === 'connected') return true;
  if (value === 'disconnected') return false;
  return null;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** What a device mapping needs besides the vendor object. */
export interface DeviceContext {
  connectionId: string;
  projectId: string;
  /** The project's board: every device of an iottly project has the project's device type. */
  board: string | null;
}

/**
 * A device of the props API → Device.
 * - `type`: a device-level hardware field if the vendor ever sends one, else the project's `board` (§5.1:
 *   "the device type like Linux ARMv5"; the props API has no per-device type).
 * - `serial_number`: the MAC address — the hardware's own identity (the 2017 core registered devices by
 *   MAC). The license `token` is a pairing that can move to another board, so it stays in `native` only.
 * - No labels, tags or timestamps exist in the props API.
 */
export function mapDevice(raw: IottlyDevice, ctx: DeviceContext): Device {
  const ownType = str(raw.board) ?? str(raw.type) ?? str(raw.hardware);
  const mac = str(raw.macaddress);
  return {
    object: 'device',
    id: toUnifiedId(ctx.connectionId, raw.ID),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    project_id: toUnifiedId(ctx.connectionId, ctx.projectId),
    name: str(raw.name),
    type: ownType ?? ctx.board,
    serial_number: mac ? mac.toLowerCase() : null,
    labels: {},
    tags: [],
    online: onlineOf(raw.operatingstatus),
    last_seen_at: null,
    created_at: null,
    updated_at: null,
    native: raw,
  };
}

/** The agent's `connectionstatus` in a message payload (`{"connectionstatus": "connected"}`), as online state. */
export function connectionStatusOf(message: IottlyMessage): boolean | null {
  const payload = message.payload;
  if (!payload || typeof payload !== 'object') return null;
  return onlineOf((payload as Record<string, unknown>).connectionstatus);
}

/**
 * DeviceStatus from the props (`operatingstatus`), the newest message (its receive time is when the cloud
 * last heard from the device) and, when the props do not tell, the newest agent `connectionstatus`.
 */
export function mapStatus(
  raw: IottlyDevice,
  connectionId: string,
  recent: IottlyMessage[],
  lastConnection: IottlyMessage | undefined,
  checkedAt: number,
): DeviceStatus {
  const newest = recent[0];
  const propsOnline = onlineOf(raw.operatingstatus);
  const online = propsOnline ?? (lastConnection ? connectionStatusOf(lastConnection) : null);
  const details: Record<string, unknown> = {};
  for (const key of ['operatingstatus', 'fwsyncstatus', 'agent_version', 'installing', 'deploymentgroup', 'macaddress'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && raw[key] !== '') details[key] = raw[key];
  }
  if (newest) details.last_message_type = newest.type ?? null;
  if (propsOnline === null && lastConnection) details.last_connectionstatus = (lastConnection.payload as Record<string, unknown>).connectionstatus;
  return {
    object: 'device_status',
    device_id: toUnifiedId(connectionId, raw.ID),
    online,
    last_seen_at: newest ? toTimestamp(parseVendorTime(newest.timestamp)) : null,
    checked_at: new Date(checkedAt).toISOString(),
    details,
    readings: latestOfMessages(keyMessages(raw.ID, recent).map((keyed) => mapMessage(keyed, connectionId, raw.ID))),
  };
}

// ------------------------------------------------------------------------------------------ messages

/** JSON with object keys sorted at every level, so the same payload always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The hash part of a derived message id: device, receive time, device time, type, channel and payload.
 * The paginated API has no message ids (§5.6), so the id must come from what identifies a message and
 * must not change between calls, or `after` could not find it again.
 */
export function messageHash(deviceId: string, raw: IottlyMessage, receivedMs: number): string {
  const deviceMs = parseVendorTime(raw.devicetimestamp) ?? null;
  const material = canonicalJson([deviceId, receivedMs, deviceMs, raw.type ?? null, raw.channel ?? null, raw.payload ?? null]);
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

/** A vendor message with its receive time and derived native id. */
export interface KeyedMessage {
  raw: IottlyMessage;
  ms: number;
  /** `<hash>` or `<hash>.<n>`: the n-th identical copy (same device, times, type and payload) gets `.n`. */
  key: string;
  /** Native id: `<receive ms>-<key>`. */
  id: string;
}

/**
 * Derives ids for a run of vendor messages that starts at the beginning of a result set (or of a time
 * group). Identical copies are numbered in the order met; being identical, which copy gets which number
 * does not matter, only that each number is used once — and a re-read from the group's start numbers
 * them the same way.
 */
export function keyMessages(deviceId: string, raws: IottlyMessage[]): KeyedMessage[] {
  const copies = new Map<string, number>();
  return raws.map((raw) => {
    const ms = parseVendorTime(raw.timestamp);
    if (ms === undefined) throw new GatewayError('upstream_error', 'The vendor answered a message whose timestamp is not a time.');
    const hash = messageHash(deviceId, raw, ms);
    const base = `${ms}-${hash}`;
    const n = copies.get(base) ?? 0;
    copies.set(base, n + 1);
    const key = n === 0 ? hash : `${hash}.${n}`;
    return { raw, ms, key, id: `${ms}-${key}` };
  });
}

/** Canonical type of a native type; an undocumented type counts as device data. */
export const canonicalType = (nativeType: unknown): MessageType =>
  typeof nativeType === 'string' && Object.hasOwn(CANONICAL_TYPE, nativeType) ? CANONICAL_TYPE[nativeType as IottlyMessageType] : 'data';

/** A keyed vendor message → Message. Every message of this API travels device → cloud. */
export function mapMessage(keyed: KeyedMessage, connectionId: string, deviceId: string): Message {
  const { raw } = keyed;
  const payload = raw.payload;
  const message: Message = {
    object: 'message',
    id: toUnifiedId(connectionId, keyed.id),
    device_id: toUnifiedId(connectionId, deviceId),
    connection_id: connectionId,
    provider: PROVIDER,
    direction: 'uplink',
    type: canonicalType(raw.type),
    native_type: typeof raw.type === 'string' ? raw.type : null,
    created_at: new Date(keyed.ms).toISOString(),
    device_time: toTimestamp(parseVendorTime(raw.devicetimestamp)),
    data: payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : { value: payload ?? null },
    native: raw,
  };
  message.readings = payloadReadings(message);
  return message;
}

/**
 * Readings of a free-form payload: its numeric and boolean leaves, named by their path. iottly documents no
 * units, so a unit is known only where the key names one (`co2_ppm`, `pressure_hpa`, `flow_lpm`); common words
 * (`temperature`) and the stem before a unit get the common name.
 */
export function payloadReadings(message: Message): Reading[] {
  const origin = messageOrigin(message);
  return leaves(message.data).map((leaf) => toReading(origin, leaf.path, leaf.value, commonWord(leaf.path)));
}

/**
 * Where a message list can be resumed: the receive time `t` of the last item read and the keys of every
 * item at exactly `t` already handed out (comma-separated). The next read bounds the vendor query at `t`
 * (inclusive) and drops those keys, so equal timestamps across a page boundary are neither skipped nor
 * repeated, and messages arriving meanwhile cannot shift the pages.
 */
export interface MessageCursor {
  t: number;
  seen: string;
}

/** Reads a cursor this provider issued; anything else is a programming error of the caller. */
export function parseMessageCursor(cursor: unknown): MessageCursor | undefined {
  if (!cursor || typeof cursor !== 'object') return undefined;
  const { t, seen } = cursor as Record<string, unknown>;
  if (typeof t !== 'number' || !Number.isFinite(t) || typeof seen !== 'string') return undefined;
  return { t, seen };
}

/** The items of a re-read that were not handed out yet. */
export function unseen(keyed: KeyedMessage[], cursor: MessageCursor | null): KeyedMessage[] {
  if (!cursor) return keyed;
  const seen = new Set(cursor.seen.split(','));
  return keyed.filter((item) => item.ms !== cursor.t || !seen.has(item.key));
}

/** The cursor after a run of read items (those at the last item's time, in this read or an earlier one). */
export function cursorAfter(keyed: KeyedMessage[]): MessageCursor | null {
  if (keyed.length === 0) return null;
  const t = keyed[keyed.length - 1].ms;
  return { t, seen: keyed.filter((item) => item.ms === t).map((item) => item.key).join(',') };
}

/** Filters of a message list that the paginated API evaluates itself (§5.6). */
export interface MessagePushDown {
  /** No message can match: no vendor call is needed. */
  empty: boolean;
  type: 'all' | IottlyMessageType;
  /** Inclusive lower bound (ms), the vendor's `from`. */
  fromMs?: number;
  /** Exclusive upper bound (ms), the vendor's `to`. */
  toMs?: number;
  /** The query parameters that were pushed down (named when the vendor rejects them). */
  params: string[];
}

/**
 * `created_at__gte` → `from` (inclusive, as the vendor's); `created_at__lte` → `to` = value + 1 ms, because
 * the vendor's `to` is exclusive and its times have millisecond resolution. `native_type` and `type` narrow
 * the vendor's `type` (`userdefined` = data, `iottlyagent` = status); `direction` is always `uplink`.
 */
export function messagePushDown(filters: Filter[]): MessagePushDown {
  let allowed = new Set<IottlyMessageType>(NATIVE_TYPES);
  let fromMs: number | undefined;
  let toMs: number | undefined;
  let empty = false;
  const params: string[] = [];
  for (const filter of filters) {
    switch (filter.field) {
      case 'created_at':
        if (typeof filter.value !== 'number') break;
        if (filter.op === 'gte') fromMs = Math.max(fromMs ?? -Infinity, filter.value);
        else if (filter.op === 'lte') toMs = Math.min(toMs ?? Infinity, filter.value + 1);
        else break;
        params.push(filter.param);
        break;
      case 'native_type':
        allowed = new Set([...allowed].filter((type) => mayPass(filter, type)));
        params.push(filter.param);
        break;
      case 'type':
        allowed = new Set([...allowed].filter((type) => mayPass(filter, CANONICAL_TYPE[type])));
        params.push(filter.param);
        break;
      case 'direction':
        if (!mayPass(filter, 'uplink')) empty = true;
        break;
    }
  }
  if (allowed.size === 0) empty = true;
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) empty = true;
  const type = allowed.size === 1 ? [...allowed][0] : 'all';
  return { empty, type, fromMs, toMs, params };
}

// ------------------------------------------------------------------------------------------ commands

/** The prefix of a command's value keys, formed as the vendor's console forms it: spaces → `_`, commas and dots removed (§5.4). */
export const commandPrefix = (cmdType: string): string => cmdType.replace(/ /g, '_').replace(/[.,]/g, '');

/** `params` → the vendor's `values`: each key becomes `<cmd_type>.<key>`. */
export function commandValues(name: string, params: Record<string, unknown>): Record<string, unknown> {
  const prefix = commandPrefix(name);
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [`${prefix}.${key}`, value]));
}

/**
 * The param a vendor 400 on a command is about: a sent key the error text names (`invalid key 'echo.bad'`),
 * else the command `name` (an undeclared `cmd_type` is the usual cause).
 */
export function commandErrorField(name: string, params: Record<string, unknown>, vendorText: string | undefined): string {
  if (vendorText) {
    const prefix = commandPrefix(name);
    const key = Object.keys(params).find((k) => vendorText.includes(`${prefix}.${k}`));
    if (key !== undefined) return `params.${key}`;
  }
  return 'name';
}

/**
 * The Command a 200 answer stands for. The vendor's 200 means the command was published to the device
 * over MQTT (§5.4), not that the device ran it, and no API reports more later: so `sent`.
 */
export function mapCommand(input: SendCommandInput, connectionId: string, deviceId: string, answer: unknown, at: number): Command {
  const time = new Date(at).toISOString();
  return {
    object: 'command',
    id: toUnifiedId(connectionId, input.id),
    device_id: toUnifiedId(connectionId, deviceId),
    name: input.name,
    params: input.params,
    status: 'sent',
    created_at: time,
    updated_at: time,
    native: answer,
  };
}
