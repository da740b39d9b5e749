import {
  canonicalUtcIso,
  isObject,
  latestReadings,
  leaves,
  messageOrigin,
  toReading,
  toUnifiedId,
  type Reading,
  type ReadingTable,
  type Device,
  type DeviceStatus,
  type Message,
  type MessageDirection,
  type MessageType,
  type Project,
} from '@devicegate/core';
import type { HwDevice, HwMessage, HwSpace, HwTag } from './hardwario.types.js';

/** Pure translations between HARDWARIO wire objects and the contract's canonical models. */

const PROVIDER = 'hardwario' as const;

/**
 * RFC 3339 UTC with milliseconds. The API sends `…mmmZ` already; a zone-less ISO string is read as UTC
 * (the reference's guess for query values, applied to answers too) and a number as epoch ms.
 */
export function toIso(value: unknown): string | null {
  // The usual case, already (or nearly) in the contract's form, read by hand.
  const canonical = typeof value === 'string' ? canonicalUtcIso(value) : null;
  if (canonical !== null) return canonical;
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && value.trim() !== '') {
    const text = value.trim();
    const zoned = /(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(text) || !/\dT\d/.test(text) ? text : `${text}Z`;
    ms = Date.parse(zoned);
  } else return null;
  // Beyond ±8.64e15 ms a Date is invalid and toISOString throws: such a value is as unreadable as text.
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : null;
}

/** The largest distance from the epoch a JavaScript Date can represent (ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/** The connection facts the mapper needs besides the vendor object. */
export interface MapContext {
  connectionId: string;
  spaceId: string;
}

export function mapSpace(space: HwSpace, deviceCount: number | null, ctx: MapContext): Project {
  return {
    object: 'project',
    id: toUnifiedId(ctx.connectionId, space.id),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    name: space.name ?? null,
    kind: 'space',
    device_count: deviceCount,
    created_at: toIso(space.created_at),
    native: space,
  };
}

/** `isOnline` of a last-seen time already read by `toIso`. */
const seenWithin = (seen: string | null, now: number, onlineWindowMs: number): boolean => seen !== null && now - Date.parse(seen) <= onlineWindowMs;

/** `online` = last uplink no older than the connection's window (API.md §3). A device never seen is offline. */
export function isOnline(lastSeen: unknown, now: number, onlineWindowMs: number): boolean {
  return seenWithin(toIso(lastSeen), now, onlineWindowMs);
}

/** Labels are a string map in the contract; scalar values the vendor may send are stringified, others dropped. */
export function mapLabels(label: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(label)) return out;
  for (const key of Object.keys(label)) {
    const value = label[key];
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

/** Tag names of a device: REST answers carry tag objects, webhook jobs plain names (§6); both are read. */
export function mapTagNames(tags: HwDevice['tags']): string[] {
  if (!Array.isArray(tags)) return [];
  const names: string[] = [];
  for (const tag of tags) {
    if (typeof tag === 'string') names.push(tag);
    else if (isObject(tag) && typeof tag.name === 'string') names.push(tag.name);
  }
  return names;
}

/**
 * The device's product, when the answer names one. The JSON names of product data are unpublished;
 * `product_name` (then `fw_name`) follows the CHESTER `attribute` block the reference points at.
 */
export function deviceType(device: HwDevice): string | null {
  for (const value of [device.product_name, device.fw_name]) {
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/** The product an uplink names in its `attribute` block (`product_name`, as CHESTER firmware reports it), or null. */
export function uplinkProduct(message: HwMessage): string | null {
  if (message.direction === 'down') return null;
  const attribute = parseBody(message.body).attribute;
  const name = isObject(attribute) ? attribute.product_name : undefined;
  return typeof name === 'string' && name !== '' ? name : null;
}

export interface DeviceMapContext extends MapContext {
  now: number;
  onlineWindowMs: number;
}

export function mapDevice(device: HwDevice, ctx: DeviceMapContext): Device {
  const lastSeen = toIso(device.last_seen);
  return {
    object: 'device',
    id: toUnifiedId(ctx.connectionId, device.id),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    project_id: toUnifiedId(ctx.connectionId, device.space_id ?? ctx.spaceId),
    name: device.name ?? null,
    type: deviceType(device),
    serial_number: device.serial_number ?? null,
    labels: mapLabels(device.label),
    tags: mapTagNames(device.tags),
    online: seenWithin(lastSeen, ctx.now, ctx.onlineWindowMs),
    last_seen_at: lastSeen,
    created_at: toIso(device.created_at),
    // The device object has no modification time (§5.3); a server that adds one is honoured.
    updated_at: toIso(device.updated_at),
    native: device,
  };
}

/** The label merge of the contract's PATCH, shared by every provider. */
export { mergeLabels } from '@devicegate/core';

/** Tag name → tag ids of the space (names are unique by the naming rule, but a list keeps a duplicate visible). */
export function tagIndex(tags: HwTag[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const tag of tags) {
    const ids = index.get(tag.name) ?? [];
    ids.push(tag.id);
    index.set(tag.name, ids);
  }
  return index;
}

/**
 * Contract message type of a HARDWARIO message type:
 *
 * | HARDWARIO `type`                           | contract `type` | why |
 * |--------------------------------------------|-----------------|-----|
 * | `data`                                     | `data`          | decoded application payload (up), or a data downlink |
 * | `config`                                   | `config`        | `app config …` lines and their echo |
 * | `shell`                                    | `command`       | shell commands sent to the device and their output |
 * | `session`, `stats`                         | `status`        | session start and device statistics describe the device's state |
 * | `codec`, `encoder`, `decoder`, `firmware`, anything else | `event` | housekeeping the device reports |
 *
 * Nothing maps to `log`.
 */
export function messageType(nativeType: string | null | undefined): MessageType {
  switch (nativeType) {
    case 'data':
      return 'data';
    case 'config':
      return 'config';
    case 'shell':
      return 'command';
    case 'session':
    case 'stats':
      return 'status';
    default:
      return 'event';
  }
}

/** The vendor types of the .NET client's enum: the only values sent in `type[]`, so a strict server never rejects one. */
export const PUSHABLE_NATIVE_TYPES: readonly string[] = ['data', 'session', 'config', 'shell', 'stats', 'codec'];

/**
 * The HARDWARIO types whose messages map to a contract type, or undefined when that set cannot be listed
 * (`event` also covers types nobody has documented, so it is evaluated by the gateway only).
 */
export function nativeTypesOf(type: string): string[] | undefined {
  switch (type) {
    case 'data':
      return ['data'];
    case 'config':
      return ['config'];
    case 'command':
      return ['shell'];
    case 'status':
      return ['session', 'stats'];
    case 'log':
      return [];
    default:
      return undefined;
  }
}

export const toDirection = (direction: HwMessage['direction']): MessageDirection => (direction === 'down' ? 'downlink' : 'uplink');
export const toVendorDirection = (direction: MessageDirection): 'up' | 'down' => (direction === 'downlink' ? 'down' : 'up');

/**
 * The decoded payload as a JSON object. REST answers carry `body` as a JSON-encoded string (§5.6), newer
 * servers may send the object itself; any non-object JSON (array, number, text) is wrapped as `{value}`.
 */
export function parseBody(body: unknown): Record<string, unknown> {
  if (body === null || body === undefined) return {};
  let value: unknown = body;
  if (typeof body === 'string') {
    if (body.trim() === '') return {};
    try {
      value = JSON.parse(body);
    } catch {
      return { value: body };
    }
  }
  return isObject(value) ? value : { value };
}

/**
 * The device's own clock: CHESTER data carries `message.timestamp` (§6), read as Unix seconds (or ms when
 * it is that large) or an ISO string. Anything else is unknown.
 */
export function deviceTime(data: Record<string, unknown>): string | null {
  const block = data.message;
  if (!isObject(block)) return null;
  const stamp = block.timestamp;
  if (typeof stamp === 'number' && Number.isFinite(stamp) && stamp > 0) return toIso(stamp < 1e11 ? stamp * 1000 : stamp);
  if (typeof stamp === 'string') return toIso(stamp);
  return null;
}

/**
 * CHESTER payload fields (§6) with a common name and the unit the HARDWARIO documentation gives them. A
 * field not listed keeps its path as its name and an unknown unit.
 */
export const READINGS: ReadingTable = {
  'thermometer.temperature': { name: 'temperature', unit: 'Cel' },
  'hygrometer.temperature': { name: 'temperature', unit: 'Cel' },
  'hygrometer.humidity': { name: 'humidity', unit: '%' },
  'barometer.pressure': { name: 'pressure', unit: 'kPa' },
  'system.voltage_rest': { name: 'battery_voltage', unit: 'V' },
  'system.voltage_load': { name: 'battery_voltage_load', unit: 'V' },
  'system.current_load': { name: 'current', unit: 'mA' },
  'battery.voltage_rest': { name: 'battery_voltage', unit: 'V' },
  'battery.voltage_load': { name: 'battery_voltage_load', unit: 'V' },
  'battery.current_load': { name: 'current', unit: 'mA' },
  'system.uptime': { name: 'uptime', unit: 's' },
  'network.parameter.rsrp': { name: 'signal_strength', unit: 'dB[mW]' },
  'network.parameter.rsrq': { name: 'signal_quality', unit: 'dB' },
  'network.parameter.snr': { name: 'snr', unit: 'dB' },
  'accelerometer.accel_x': { name: 'acceleration_x', unit: 'm/s2' },
  'accelerometer.accel_y': { name: 'acceleration_y', unit: 'm/s2' },
  'accelerometer.accel_z': { name: 'acceleration_z', unit: 'm/s2' },
  'weather_station.wind_speed': { name: 'wind_speed', unit: 'm/s' },
  'weather_station.wind_direction': { name: 'wind_direction', unit: 'deg' },
  'weather_station.rainfall': { name: 'rainfall', unit: 'mm' },
  'backup.line_voltage': { name: 'voltage', unit: 'V' },
  'backup.battery_voltage': { name: 'battery_voltage', unit: 'V' },
  'sonar.distance': { name: 'distance', unit: 'm' },
  temperature_max: { name: 'temperature_max', unit: 'Cel' },
  voltage_min: { name: 'battery_voltage_min', unit: 'V' },
  rsrp_min: { name: 'signal_strength_min', unit: 'dB[mW]' },
  rsrp_max: { name: 'signal_strength_max', unit: 'dB[mW]' },
};

/** Blocks that describe the message or the hardware, not a measurement. */
const NOT_MEASURED = /^(message|attribute|network\.(imei|imsi)|network\.parameter\.(plmn|cid|band|earfcn|eest|ecl))(\.|$)/;

/**
 * Readings of a decoded payload (API.md §3): its numeric and boolean leaves, named by their path. CHESTER's
 * aggregated series (`{measurements: [{timestamp, avg, …}]}`) give one reading each: the newest window's
 * average (or value), measured at that window's time.
 */
export function payloadReadings(message: Pick<Message, 'id' | 'device_id' | 'connection_id' | 'provider' | 'created_at' | 'device_time' | 'data'>): Reading[] {
  const origin = messageOrigin(message);
  const readings = leaves(message.data, (path) => NOT_MEASURED.test(path)).map((leaf) => toReading(origin, leaf.path, leaf.value, READINGS[leaf.path]));
  const series = (block: unknown, path: string): void => {
    if (!isObject(block) || NOT_MEASURED.test(path)) return;
    if (Array.isArray(block.measurements)) {
      const last: unknown = block.measurements[block.measurements.length - 1];
      if (!isObject(last)) return;
      const value = typeof last.avg === 'number' ? last.avg : last.value;
      const at = typeof last.timestamp === 'number' ? toIso(last.timestamp * 1000) : null;
      if (typeof value === 'number' && Number.isFinite(value)) readings.push(toReading(origin, path, value, READINGS[path], at));
      return;
    }
    for (const [key, child] of Object.entries(block)) series(child, path === '' ? key : `${path}.${key}`);
  };
  series(message.data, '');
  return readings;
}

export interface MessageMapContext {
  connectionId: string;
  /** Native id of the device the list is for; used when a message does not name its device. */
  deviceId: string;
}

export function mapMessage(message: HwMessage, ctx: MessageMapContext): Message {
  const data = parseBody(message.body);
  const mapped: Message = {
    object: 'message',
    id: toUnifiedId(ctx.connectionId, message.id),
    device_id: toUnifiedId(ctx.connectionId, message.device_id ?? ctx.deviceId),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    direction: toDirection(message.direction),
    type: messageType(message.type),
    native_type: message.type ?? null,
    // The client refuses messages without a readable `created_at`, so the fallback is never used.
    created_at: toIso(message.created_at) ?? '',
    device_time: deviceTime(data),
    data,
    native: message,
  };
  // Downlinks carry what was sent to the device, not what it measured.
  mapped.readings = mapped.direction === 'uplink' ? payloadReadings(mapped) : [];
  return mapped;
}

const pick = (source: Record<string, unknown>, keys: string[]): Record<string, unknown> | undefined => {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined && source[key] !== null) out[key] = source[key];
  return Object.keys(out).length > 0 ? out : undefined;
};

/**
 * Battery and signal facts of a decoded uplink. Current CHESTER firmware reports supply voltages in
 * `system`, older firmware in `battery`; LTE figures sit in `network.parameter` (§6).
 */
export function telemetryDetails(data: Record<string, unknown>): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  const voltages = ['voltage_rest', 'voltage_load', 'current_load'];
  const battery = (isObject(data.battery) ? pick(data.battery, voltages) : undefined) ?? (isObject(data.system) ? pick(data.system, voltages) : undefined);
  if (battery) details.battery = battery;
  const network = isObject(data.network) ? data.network : undefined;
  const parameter = network && isObject(network.parameter) ? network.parameter : undefined;
  const signal = parameter ? pick(parameter, ['rsrp', 'rsrq', 'snr', 'band', 'eest', 'ecl', 'cid']) : undefined;
  if (signal) details.signal = signal;
  if (isObject(data.system) && typeof data.system.uptime === 'number') details.uptime = data.system.uptime;
  return details;
}

export interface StatusMapContext extends DeviceMapContext {
  /** When the status was read. */
  checkedAt: number;
}

/** DeviceStatus from the device object, enriched with what its most recent data/stats uplink tells. */
export function mapStatus(device: HwDevice, latest: HwMessage | undefined, ctx: StatusMapContext): DeviceStatus {
  const details: Record<string, unknown> = {};
  const facts: Array<[string, unknown]> = [
    ['session_id', device.session_id],
    ['external_id', device.external_id],
    ['config_hash', device.config_hash],
    ['decoder_hash', device.decoder_hash],
    ['encoder_hash', device.encoder_hash],
    ['online_window_s', Math.round(ctx.onlineWindowMs / 1000)],
  ];
  for (const [key, value] of facts) if (value !== undefined && value !== null) details[key] = value;
  let readings: Reading[] = [];
  if (latest) {
    details.last_message = { id: toUnifiedId(ctx.connectionId, latest.id), type: latest.type ?? null, created_at: toIso(latest.created_at) };
    Object.assign(details, telemetryDetails(parseBody(latest.body)));
    readings = latestReadings(mapMessage(latest, { connectionId: ctx.connectionId, deviceId: device.id }).readings ?? []);
  }
  return {
    object: 'device_status',
    device_id: toUnifiedId(ctx.connectionId, device.id),
    online: isOnline(device.last_seen, ctx.now, ctx.onlineWindowMs),
    last_seen_at: toIso(device.last_seen),
    checked_at: new Date(ctx.checkedAt).toISOString(),
    details,
    readings,
  };
}
