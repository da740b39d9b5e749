import {
  canonicalUtcIso,
  canonicalUtcMs,
  isObject,
  latestReadings,
  toReading,
  toUnifiedId,
  type Device,
  type DeviceStatus,
  type Filter,
  type Message,
  type MessageType,
  type Project,
  type Reading,
  type ReadingOrigin,
  type ReadingSpec,
} from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { shapeError } from '@devicegate/http-client';
import { isPositive, PushDown, valuesOf } from '@devicegate/listing';
import type { DtDevice, DtEvent, DtProject, DtReported, DtReportedEntry } from './disruptive.types.js';

/** The provider id, as configuration and canonical objects spell it. */
export const PROVIDER = 'disruptive';

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

// ---------------------------------------------------------------------------------------------
// Time

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Epoch ms of any RFC 3339 form the pattern admits, through `Date.parse`, which also decides what a field
 * out of range means.
 */
function parseRfc3339(value: string): number | null {
  const match = RFC3339.exec(value);
  if (!match) return null;
  const zone = match[4].toUpperCase() === 'Z' ? 'Z' : match[4];
  const seconds = Date.parse(`${match[1]}T${match[2]}${zone}`);
  if (Number.isNaN(seconds)) return null;
  return seconds + Number((match[3] ?? '').padEnd(3, '0').slice(0, 3));
}

/**
 * Epoch ms of a DT timestamp. The API sends 6 fractional digits (older data 9, §3.5); `Date.parse`
 * is not reliable beyond 3, so both readings cut the fraction to milliseconds by hand.
 */
export function dtTimeToMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  return canonicalUtcMs(value) ?? parseRfc3339(value);
}

/** RFC 3339 UTC with milliseconds, or null. */
export function dtTimeToIso(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const canonical = canonicalUtcIso(value);
  if (canonical !== null) return canonical;
  const ms = parseRfc3339(value);
  return ms === null ? null : new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Resource names (§3.2)

export interface DeviceRef {
  projectId: string;
  deviceId: string;
}

/** `projects/<p>/devices/<d>` → its ids. */
export function parseDeviceName(name: unknown): DeviceRef | undefined {
  const match = typeof name === 'string' ? /^projects\/([^/]+)\/devices\/([^/]+)$/.exec(name) : null;
  return match ? { projectId: match[1], deviceId: match[2] } : undefined;
}

/** `projects/<p>` → `<p>`. */
export function parseProjectName(name: unknown): string | undefined {
  const match = typeof name === 'string' ? /^projects\/([^/]+)$/.exec(name) : null;
  return match ? match[1] : undefined;
}

export const deviceName = (ref: DeviceRef): string => `projects/${ref.projectId}/devices/${ref.deviceId}`;

/** The `organization` parameter takes the resource name; a bare id in the configuration is accepted too. */
export const organizationName = (organizationId: string): string =>
  organizationId.startsWith('organizations/') ? organizationId : `organizations/${organizationId}`;

/** A vendor object read whole (a 200 answer) that lacks what its documented shape promises. */
const badShape = (connectionId: string, what: string): GatewayError => shapeError({ connectionId, provider: PROVIDER }, 200, what);

// ---------------------------------------------------------------------------------------------
// Projects

/** A DT project (§5.1). `device_count` adds sensors and Cloud Connectors; DT gives no creation time. */
export function toProject(project: DtProject, connectionId: string): Project {
  const projectId = parseProjectName(project.name);
  if (!projectId) throw badShape(connectionId, 'project name');
  const sensors = num(project.sensorCount);
  const connectors = num(project.cloudConnectorCount);
  return {
    object: 'project',
    id: toUnifiedId(connectionId, projectId),
    connection_id: connectionId,
    provider: PROVIDER,
    name: str(project.displayName),
    kind: 'project',
    device_count: sensors === null && connectors === null ? null : (sensors ?? 0) + (connectors ?? 0),
    created_at: null,
    native: project,
  };
}

// ---------------------------------------------------------------------------------------------
// Devices

/** The device types the list endpoint's `device_types` takes (§5.4). Only these are pushed down. */
export const DEVICE_TYPES: ReadonlySet<string> = new Set([
  'temperature',
  'proximity',
  'touch',
  'humidity',
  'proximityCounter',
  'touchCounter',
  'waterDetector',
  'co2',
  'motion',
  'deskOccupancy',
  'contact',
  'ccon',
]);

/** The label DT Studio shows as the device's display name; it becomes `name`, not a label. */
export const NAME_LABEL = 'name';

/**
 * How long a sensor counts as online after its last `networkStatus`. Sensors send one as a heartbeat
 * every 15 ± 3 min (§5.9); missing about four in a row is taken as offline. [inferred: DT publishes no
 * threshold]
 */
export const SENSOR_OFFLINE_AFTER_MS = 60 * 60_000;

const reportedOf = (device: DtDevice): DtReported => (isObject(device.reported) ? device.reported : {});

/**
 * `online`: a Cloud Connector reports its uplink in `connectionStatus` (`OFFLINE` or a medium); a
 * sensor has no such state, so its last `networkStatus` heartbeat decides. Null when neither is known.
 */
export function deviceOnline(device: DtDevice, nowMs: number): boolean | null {
  const reported = reportedOf(device);
  const connection = reported.connectionStatus;
  if (isObject(connection) && typeof connection.connection === 'string') return connection.connection !== 'OFFLINE';
  const heartbeat = isObject(reported.networkStatus) ? dtTimeToMs(reported.networkStatus.updateTime) : null;
  if (heartbeat === null) return null;
  return nowMs - heartbeat <= SENSOR_OFFLINE_AFTER_MS;
}

/**
 * The newest readable time among `items` (each read with `timeOf`), in the contract's form, or null. The
 * winning string formats to the same text as its milliseconds would, and more cheaply (see canonicalUtcIso).
 */
function newestTime<T>(items: readonly T[], timeOf: (item: T) => unknown): string | null {
  let newest: number | null = null;
  let winner: unknown;
  for (const item of items) {
    const time = timeOf(item);
    const ms = dtTimeToMs(time);
    if (ms !== null && (newest === null || ms > newest)) {
      newest = ms;
      winner = time;
    }
  }
  return dtTimeToIso(winner);
}

/** The newest `updateTime` of the `reported` entries (each is the latest event of its type). */
export function deviceLastSeen(device: DtDevice): string | null {
  return newestTime(Object.values(reportedOf(device)), (entry) => (isObject(entry) ? (entry as DtReportedEntry).updateTime : undefined));
}

/** A DT device (§5.4): the `name` label is the name, the others are labels; DT keeps no creation or change time. */
export function toDevice(device: DtDevice, connectionId: string, nowMs: number): Device {
  const ref = parseDeviceName(device.name);
  if (!ref) throw badShape(connectionId, 'device name');
  const labels: Record<string, string> = {};
  const raw = isObject(device.labels) ? device.labels : {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== NAME_LABEL && typeof value === 'string') labels[key] = value;
  }
  return {
    object: 'device',
    id: toUnifiedId(connectionId, ref.deviceId),
    connection_id: connectionId,
    provider: PROVIDER,
    project_id: toUnifiedId(connectionId, ref.projectId),
    name: typeof raw[NAME_LABEL] === 'string' ? raw[NAME_LABEL] : null,
    type: str(device.type),
    // DT sensors carry no serial number: the device id printed on each sensor is what identifies it (it is
    // also what claimInfo takes as `identifier`); the product number names the model, shared by every sensor of a kind.
    serial_number: ref.deviceId,
    labels,
    tags: [],
    online: deviceOnline(device, nowMs),
    last_seen_at: deviceLastSeen(device),
    created_at: null,
    updated_at: null,
    readings: reportedReadings(device, connectionId),
    native: device,
  };
}

// ---------------------------------------------------------------------------------------------
// Readings

type Field = [field: string, spec: ReadingSpec, value?: (raw: unknown) => number | boolean | string | null];

const state = (on: string) => (raw: unknown) => (typeof raw === 'string' ? raw === on : null);

/** The value fields of each event type (§5.9 table) with their common name and unit; binary states become booleans. */
const EVENT_FIELDS: Readonly<Record<string, Field[]>> = {
  temperature: [['value', { name: 'temperature', unit: 'Cel' }]],
  humidity: [
    ['temperature', { name: 'temperature', unit: 'Cel' }],
    ['relativeHumidity', { name: 'humidity', unit: '%' }],
  ],
  co2: [['ppm', { name: 'co2', unit: '[ppm]' }]],
  pressure: [['pascal', { name: 'pressure', unit: 'Pa' }]],
  touch: [['updateTime', { name: 'touch', unit: null }, (raw) => (typeof raw === 'string' ? true : null)]],
  objectPresent: [['state', { name: 'proximity', unit: null }, state('PRESENT')]],
  waterPresent: [['state', { name: 'water_present', unit: null }, state('PRESENT')]],
  motion: [['state', { name: 'motion', unit: null }, state('MOTION_DETECTED')]],
  deskOccupancy: [['state', { name: 'occupancy', unit: null }, state('OCCUPIED')]],
  contact: [['state', { name: 'contact', unit: null }]],
  touchCount: [['total', { name: 'touch_count', unit: null }]],
  objectPresentCount: [['total', { name: 'proximity_count', unit: null }]],
  networkStatus: [
    ['signalStrength', { name: 'signal_strength', unit: '%' }],
    ['rssi', { name: 'rssi', unit: 'dB[mW]' }],
  ],
  cellularStatus: [['signalStrength', { name: 'signal_strength', unit: '%' }]],
  batteryStatus: [['percentage', { name: 'battery_level', unit: '%' }]],
};

const plain = (raw: unknown): number | boolean | string | null => (typeof raw === 'number' && Number.isFinite(raw) ? raw : typeof raw === 'string' || typeof raw === 'boolean' ? raw : null);

/** The newest `sampleTime` of an entry's samples, else its `updateTime`: when the sensor measured it. */
function measuredAt(entry: Record<string, unknown>): string | null {
  const samples: unknown[] = Array.isArray(entry.samples) ? entry.samples : [];
  return newestTime(samples, (sample) => (isObject(sample) ? sample.sampleTime : undefined)) ?? dtTimeToIso(entry.updateTime);
}

/**
 * Readings of one event's data (or one `reported` entry): each value field at the time the sensor measured
 * it, and each older sample (a sensor that buffered while out of reach) at its own `sampleTime`.
 */
export function entryReadings(eventType: string, entry: unknown, origin: ReadingOrigin): Reading[] {
  if (!isObject(entry) || !Object.hasOwn(EVENT_FIELDS, eventType)) return [];
  const at = measuredAt(entry);
  const readings: Reading[] = [];
  for (const [field, spec, convert = plain] of EVENT_FIELDS[eventType]) {
    const value = convert(entry[field]);
    if (value !== null) readings.push(toReading(origin, `${eventType}.${field}`, value, spec, at));
  }
  const samples = Array.isArray(entry.samples) ? entry.samples : [];
  samples.forEach((sample, index) => {
    const sampleAt = isObject(sample) ? dtTimeToIso(sample.sampleTime) : null;
    if (!isObject(sample) || sampleAt === null || sampleAt === at) return;
    for (const [field, spec] of EVENT_FIELDS[eventType]) {
      const value = plain(sample[field]);
      if (typeof value === 'number') readings.push(toReading(origin, `${eventType}.samples.${index}.${field}`, value, spec, sampleAt));
    }
  });
  return readings;
}

/** The latest value of each kind the device reported (`reported`, §5.4): read with the device, no call of its own. */
export function reportedReadings(device: DtDevice, connectionId: string): Reading[] {
  const ref = parseDeviceName(device.name);
  if (!ref) return [];
  const deviceId = toUnifiedId(connectionId, ref.deviceId);
  const readings: Reading[] = [];
  for (const [eventType, entry] of Object.entries(reportedOf(device))) {
    const at = isObject(entry) ? dtTimeToIso(entry.updateTime) : null;
    if (at === null) continue;
    readings.push(...entryReadings(eventType, entry, { connectionId, provider: PROVIDER, deviceId, messageId: null, at }));
  }
  return latestReadings(readings);
}

/** Facts of `reported` worth showing on a status page; the six main keys are always present (null when unknown). */
export function statusDetails(device: DtDevice): Record<string, unknown> {
  const r = reportedOf(device);
  const temperature = isObject(r.temperature) ? r.temperature : undefined;
  const humidity = isObject(r.humidity) ? r.humidity : undefined;
  const network = isObject(r.networkStatus) ? r.networkStatus : undefined;
  const battery = isObject(r.batteryStatus) ? r.batteryStatus : undefined;
  const connection = isObject(r.connectionStatus) ? r.connectionStatus : undefined;
  const cellular = isObject(r.cellularStatus) ? r.cellularStatus : undefined;

  const details: Record<string, unknown> = {
    device_type: str(device.type),
    temperature: num(temperature?.value) ?? num(humidity?.temperature),
    humidity: num(humidity?.relativeHumidity),
    touch: isObject(r.touch) ? { last_touched_at: dtTimeToIso(r.touch.updateTime) } : null,
    battery: battery ? { percentage: num(battery.percentage), updated_at: dtTimeToIso(battery.updateTime) } : null,
    signal: network
      ? { signal_strength: num(network.signalStrength), rssi: num(network.rssi), updated_at: dtTimeToIso(network.updateTime) }
      : cellular
        ? { signal_strength: num(cellular.signalStrength), rssi: null, updated_at: dtTimeToIso(cellular.updateTime) }
        : null,
    connection: connection
      ? {
          type: str(connection.connection),
          available: Array.isArray(connection.available) ? connection.available.filter((v) => typeof v === 'string') : [],
          updated_at: dtTimeToIso(connection.updateTime),
        }
      : network
        ? {
            type: 'CLOUD_CONNECTOR',
            transmission_mode: str(network.transmissionMode),
            cloud_connectors: (Array.isArray(network.cloudConnectors) ? network.cloudConnectors : []).filter(isObject).map((c) => ({
              id: str(c.id),
              signal_strength: num(c.signalStrength),
              rssi: num(c.rssi),
            })),
          }
        : null,
  };

  // Readings of the other sensor kinds, only when the device reports them.
  const extra: Array<[string, string, string]> = [
    ['objectPresent', 'state', 'object_present'],
    ['waterPresent', 'state', 'water_present'],
    ['motion', 'state', 'motion'],
    ['contact', 'state', 'contact'],
    ['deskOccupancy', 'state', 'desk_occupancy'],
    ['probeWireStatus', 'state', 'probe_wire_status'],
    ['co2', 'ppm', 'co2_ppm'],
    ['pressure', 'pascal', 'pressure_pa'],
    ['touchCount', 'total', 'touch_count'],
    ['objectPresentCount', 'total', 'object_present_count'],
  ];
  for (const [eventType, field, key] of extra) {
    const entry = r[eventType];
    if (isObject(entry) && entry[field] !== undefined && entry[field] !== null) details[key] = entry[field];
  }
  return details;
}

export function toDeviceStatus(device: DtDevice, connectionId: string, nowMs: number): DeviceStatus {
  const ref = parseDeviceName(device.name);
  if (!ref) throw badShape(connectionId, 'device name');
  return {
    object: 'device_status',
    device_id: toUnifiedId(connectionId, ref.deviceId),
    online: deviceOnline(device, nowMs),
    last_seen_at: deviceLastSeen(device),
    checked_at: new Date(nowMs).toISOString(),
    details: statusDetails(device),
    readings: reportedReadings(device, connectionId),
  };
}

// ---------------------------------------------------------------------------------------------
// Messages (device events)

/**
 * DT event type → contract message type:
 *
 * | contract | DT `eventType` |
 * |---|---|
 * | `data` | temperature, humidity, objectPresent, objectPresentCount, touchCount, waterPresent, co2, pressure, motion, deskOccupancy, contact |
 * | `event` | touch |
 * | `status` | networkStatus, batteryStatus, connectionStatus, ethernetStatus, cellularStatus, connectionLatency, probeWireStatus |
 * | `config` | labelsChanged (stream only; history never returns it) |
 *
 * An event type not in this table is taken as a sensor reading (`data`), the kind DT adds with new sensors.
 */
export const EVENT_MESSAGE_TYPES: Readonly<Record<string, MessageType>> = {
  temperature: 'data',
  humidity: 'data',
  objectPresent: 'data',
  objectPresentCount: 'data',
  touchCount: 'data',
  waterPresent: 'data',
  co2: 'data',
  pressure: 'data',
  motion: 'data',
  deskOccupancy: 'data',
  contact: 'data',
  touch: 'event',
  networkStatus: 'status',
  batteryStatus: 'status',
  connectionStatus: 'status',
  ethernetStatus: 'status',
  cellularStatus: 'status',
  connectionLatency: 'status',
  probeWireStatus: 'status',
  labelsChanged: 'config',
};

/** The type of an event type outside the table. */
export const UNKNOWN_EVENT_MESSAGE_TYPE: MessageType = 'data';

export const messageTypeOf = (eventType: string): MessageType =>
  Object.hasOwn(EVENT_MESSAGE_TYPES, eventType) ? EVENT_MESSAGE_TYPES[eventType] : UNKNOWN_EVENT_MESSAGE_TYPE;

/** Event types `event_types` may name: `labelsChanged` is not kept in history (§5.9), so it is never sent. */
export const HISTORY_EVENT_TYPES: readonly string[] = Object.keys(EVENT_MESSAGE_TYPES).filter((t) => t !== 'labelsChanged');

/**
 * A history event (§5.9). `created_at` is the event's `timestamp` (microseconds cut to milliseconds);
 * `device_time` is when the sensor measured it: its newest sample's `sampleTime`, else the data's `updateTime`.
 */
export function toMessage(event: DtEvent, connectionId: string): Message {
  const ref = parseDeviceName(event.targetName);
  const createdAt = dtTimeToIso(event.timestamp);
  if (!ref || typeof event.eventId !== 'string' || typeof event.eventType !== 'string' || createdAt === null) {
    throw badShape(connectionId, 'event');
  }
  const entry = isObject(event.data) ? event.data[event.eventType] : undefined;
  const deviceTime = isObject(entry) ? measuredAt(entry) : null;
  const id = toUnifiedId(connectionId, event.eventId);
  const deviceId = toUnifiedId(connectionId, ref.deviceId);
  return {
    object: 'message',
    id,
    device_id: deviceId,
    connection_id: connectionId,
    provider: PROVIDER,
    direction: 'uplink',
    type: messageTypeOf(event.eventType),
    native_type: event.eventType,
    created_at: createdAt,
    device_time: deviceTime,
    data: isObject(event.data) ? event.data : {},
    readings: entryReadings(event.eventType, entry, { connectionId, provider: PROVIDER, deviceId, messageId: id, at: deviceTime ?? createdAt }),
    native: event,
  };
}

// ---------------------------------------------------------------------------------------------
// Filter push-down. Every plan only ever widens: the gateway evaluates all filters again.

/** What a projects list can ask the vendor: only an exact project id (read with one get call). */
export interface ProjectPushdown {
  /** True when no project of this connection can match. */
  none: boolean;
  /** Native ids the result is limited to. */
  projectIds?: string[];
}

export function planProjectPushdown(filters: readonly Filter[], connectionId: string): ProjectPushdown {
  const push = new PushDown(connectionId);
  for (const filter of filters) {
    if (!isPositive(filter)) continue;
    if (filter.field === 'id') push.narrow('id', push.ownIds(filter));
    if (filter.field === 'kind') push.constant(filter, ['project']);
  }
  return { none: push.impossible, projectIds: push.allowed('id') };
}

/** Query parameters of `GET /projects/{p}/devices` that a device list's filters translate into. */
export interface DevicePushdown {
  none: boolean;
  deviceIds?: string[];
  deviceTypes?: string[];
  labelFilters: string[];
  projectIds?: string[];
}

/**
 * `id` eq/in → `device_ids`; `project_id` eq/in → the projects read; `type` eq/in → `device_types`
 * (only documented types, so the vendor never rejects the list); `name` eq → `label_filters=name=<v>`;
 * `labels.<k>` eq → `label_filters=<k>=<v>` (`<k>` alone, i.e. "has the label", for an empty value).
 */
export function planDevicePushdown(filters: readonly Filter[], connectionId: string): DevicePushdown {
  const push = new PushDown(connectionId);
  const labelFilters: string[] = [];
  for (const filter of filters) {
    if (!isPositive(filter)) continue;
    if (filter.field === 'id' || filter.field === 'project_id') push.narrow(filter.field, push.ownIds(filter));
    else if (filter.field === 'type') {
      const types = valuesOf(filter);
      if (types.every((t) => DEVICE_TYPES.has(t))) push.narrow('type', types);
    } else if (filter.op === 'eq' && typeof filter.value === 'string') {
      const key = filter.field === 'name' ? NAME_LABEL : filter.field.startsWith('labels.') ? filter.field.slice('labels.'.length) : undefined;
      // `labels.name` never matches (the name label is not a label); a key with `=` cannot be expressed.
      if (key === undefined || key.includes('=') || (filter.field !== 'name' && key === NAME_LABEL)) continue;
      if (filter.field === 'name' && filter.value === '') continue;
      labelFilters.push(filter.value === '' ? key : `${key}=${filter.value}`);
    }
  }
  return { none: push.impossible, deviceIds: push.allowed('id'), projectIds: push.allowed('project_id'), deviceTypes: push.allowed('type'), labelFilters };
}

/** Query parameters of `GET …/events` that a message list's filters translate into. */
export interface EventPushdown {
  none: boolean;
  eventTypes?: string[];
  /** Inclusive bounds in epoch ms, already widened by a millisecond for the vendor's microseconds. */
  startMs?: number;
  endMs?: number;
}

/**
 * `created_at__gte/lte` → `start_time`/`end_time` (one millisecond wider on each side, since DT keeps
 * microseconds and its bounds' inclusiveness is not documented); `native_type` eq/in → `event_types`
 * when every value is a known history type; `type` eq/in → the event types of those contract types,
 * unless `data` is among them (unknown event types map to `data`, and they cannot be named).
 */
export function planEventPushdown(filters: readonly Filter[], connectionId: string): EventPushdown {
  const push = new PushDown(connectionId);
  let gte: number | undefined;
  let lte: number | undefined;
  for (const filter of filters) {
    if (filter.field === 'created_at' && typeof filter.value === 'number') {
      if (filter.op === 'gte') gte = gte === undefined ? filter.value : Math.max(gte, filter.value);
      if (filter.op === 'lte') lte = lte === undefined ? filter.value : Math.min(lte, filter.value);
    } else if (filter.field === 'direction') {
      push.constant(filter, ['uplink']);
    } else if (filter.field === 'native_type' && isPositive(filter)) {
      const types = valuesOf(filter);
      if (types.every((t) => HISTORY_EVENT_TYPES.includes(t))) push.narrow('event_types', types);
    } else if (filter.field === 'type' && isPositive(filter)) {
      const wanted = valuesOf(filter);
      if (!wanted.includes(UNKNOWN_EVENT_MESSAGE_TYPE)) push.narrow('event_types', HISTORY_EVENT_TYPES.filter((t) => wanted.includes(EVENT_MESSAGE_TYPES[t])));
    }
  }
  if (push.impossible || (gte !== undefined && lte !== undefined && gte > lte)) return { none: true };
  return {
    none: false,
    eventTypes: push.allowed('event_types'),
    startMs: gte === undefined ? undefined : gte - 1,
    endMs: lte === undefined ? undefined : lte + 1,
  };
}
