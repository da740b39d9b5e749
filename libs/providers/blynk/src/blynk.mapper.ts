import {
  commonWord,
  latestReadings,
  toReading,
  toUnifiedId,
  type Command,
  type Device,
  type DeviceStatus,
  type Message,
  type MessageType,
  type Project,
  type Reading,
  type ReadingOrigin,
  type SendCommandInput,
} from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import type {
  BlynkDatastreamBody,
  BlynkDatastreamValue,
  BlynkDevice,
  BlynkDeviceBaseInfo,
  BlynkDeviceFull,
  BlynkDeviceTag,
  BlynkTemplateDataStream,
  BlynkTemplateEvent,
  BlynkTimelineEvent,
  BlynkTriggerEventBody,
} from './blynk.types.js';

export const PROVIDER = 'blynk';

/** Largest int32: device, organization and datastream ids are int32 (§3). */
const INT32_MAX = 2_147_483_647;

/** Epoch ms → RFC 3339 with ms and `Z`; missing, non-numeric and `0` ("never", §3) → null. */
export function toIso(ms: unknown): string | null {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A native id (`"1001"`) as the vendor's int32, or undefined when it cannot name anything. */
export function parseNativeId(value: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  const id = Number(value);
  return id <= INT32_MAX ? id : undefined;
}

/** The configured `org_id` (integer or numeric string) as a number, or undefined when it is neither. */
export function parseOrgId(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 && value <= INT32_MAX ? value : undefined;
  if (typeof value === 'string') return parseNativeId(value.trim());
  return undefined;
}

/**
 * The list shape of a device (the `Device` schema). A device read one by one is projected onto it before it
 * appears in a list, so a list answers the same whether or not an `id` filter made it read devices singly.
 */
export function summaryOf(device: BlynkDevice): BlynkDevice {
  const summary: BlynkDevice = { id: device.id, name: device.name, templateId: device.templateId, orgId: device.orgId };
  if (device.originalTemplateId !== undefined) summary.originalTemplateId = device.originalTemplateId;
  if (device.token !== undefined) summary.token = device.token;
  if (device.activatedAt !== undefined) summary.activatedAt = device.activatedAt;
  if (device.ownerUserId !== undefined) summary.ownerUserId = device.ownerUserId;
  if (device.hardwareInfo !== undefined) summary.hardwareInfo = device.hardwareInfo;
  return summary;
}

/**
 * The latest moment the cloud heard from the device: connect and disconnect times, the last event, the
 * last report and the newest datastream update. Only single-device reads carry these facts.
 */
export function lastSeenOf(device: BlynkDeviceBaseInfo & Pick<BlynkDeviceFull, 'dataStreamValues'>): string | null {
  const candidates: unknown[] = [device.connectTime, device.disconnectTime, device.lastReceivedEventAt, device.lastReportedAt];
  // Only an array is read: any other value (a vendor fault) leaves last_seen to the other candidates.
  for (const value of Array.isArray(device.dataStreamValues) ? device.dataStreamValues : []) candidates.push(value?.updatedAt);
  const latest = Math.max(0, ...candidates.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  return toIso(latest);
}

/** What only a single-device read knows (API.md §3: Blynk tags and online state are null in lists). */
export interface DeviceExtras {
  tags: BlynkDeviceTag[];
  online: boolean;
  lastSeenAt: string | null;
}

/**
 * The template id as devices are created with it: the `TMPL…` string. Device objects carry it in
 * `hardwareInfo` once firmware has reported; else `known` (the string learnt for that numeric id from a
 * create or another device) gives it, and only failing both is the numeric id shown.
 */
export function templateIdOf(device: BlynkDevice, known?: ReadonlyMap<number, string>): string | null {
  const reported = device.hardwareInfo?.templateId;
  if (typeof reported === 'string' && reported !== '') return reported;
  if (typeof device.templateId === 'number') return known?.get(device.templateId) ?? String(device.templateId);
  return typeof device.templateId === 'string' ? device.templateId : null;
}

/** Metafields (§5.3 `metaFieldValues`) that map onto the contract: `Serial Number` → serial_number, the other text fields → labels. */
export function metaFieldsOf(device: BlynkDeviceFull): { serialNumber: string | null; labels: Record<string, string> } {
  const labels: Record<string, string> = {};
  let serialNumber: string | null = null;
  for (const field of Array.isArray(device.metaFieldValues) ? device.metaFieldValues : []) {
    const value = field?.value?.value;
    if (typeof field?.name !== 'string' || field.name === '') continue;
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
    if (text === null || text === '') continue;
    if (field.name.toLowerCase() === 'serial number') serialNumber = text;
    else if (field.value?.type !== 'DeviceName') labels[field.name.toLowerCase().replace(/\s+/g, '_')] = text;
  }
  return { serialNumber, labels };
}

/** What a template defines that its devices' answers leave out: event codes by template event id, units by datastream id. */
export interface TemplateFacts {
  codes: ReadonlyMap<number, string>;
  units: ReadonlyMap<number, string>;
}

export const NO_FACTS: TemplateFacts = { codes: new Map(), units: new Map() };

/**
 * The Platform API's MeasurementUnits names as UCUM codes. `Celsius` is the docs' example; the others are the
 * same naming for the units Blynk offers. A name not here is kept as the vendor wrote it (never converted).
 */
const UCUM: Record<string, string> = {
  Celsius: 'Cel',
  Fahrenheit: '[degF]',
  Kelvin: 'K',
  Percentage: '%',
  PartsPerMillion: '[ppm]',
  PartsPerBillion: '[ppb]',
  Volt: 'V',
  Millivolt: 'mV',
  Ampere: 'A',
  Milliampere: 'mA',
  Watt: 'W',
  Kilowatt: 'kW',
  KiloWattHour: 'kW.h',
  WattHour: 'W.h',
  Second: 's',
  Minute: 'min',
  Hour: 'h',
  Meter: 'm',
  Centimeter: 'cm',
  Millimeter: 'mm',
  Liter: 'L',
  LitersPerMinute: 'L/min',
  CubicMeter: 'm3',
  Pascal: 'Pa',
  HectoPascal: 'hPa',
  Bar: 'bar',
  Lux: 'lx',
  Hertz: 'Hz',
  DecibelMilliwatt: 'dB[mW]',
  Decibel: 'dB',
};

/** A template's events and datastreams as the facts readings and messages need. */
export function templateFactsOf(events: readonly BlynkTemplateEvent[], streams: readonly BlynkTemplateDataStream[]): TemplateFacts {
  const codes = new Map<number, string>();
  for (const event of events) if (typeof event.eventCode === 'string' && event.eventCode !== '') codes.set(event.id, event.eventCode);
  const units = new Map<number, string>();
  for (const stream of streams) if (typeof stream.units === 'string' && stream.units !== '') units.set(stream.id, UCUM[stream.units] ?? stream.units);
  return { codes, units };
}

/**
 * Current datastream values (§5.3 `dataStreamValues`) as readings: named by the datastream's label (a common
 * name where the label is a common word), measured at `updatedAt`, with the unit the template defines for the
 * datastream (`units`, UCUM where a code fits; null where the template sets none or could not be read).
 * A location (`[lon, lat]`) is not a reading.
 */
export function datastreamReadings(device: BlynkDeviceFull, connectionId: string, units: ReadonlyMap<number, string> = NO_FACTS.units): Reading[] {
  const deviceId = toUnifiedId(connectionId, String(device.id));
  const readings: Reading[] = [];
  for (const item of Array.isArray(device.dataStreamValues) ? device.dataStreamValues : []) {
    const unit = typeof item?.dataStreamId === 'number' ? (units.get(item.dataStreamId) ?? null) : null;
    const reading = datastreamReading(item, { connectionId, provider: PROVIDER, deviceId, messageId: null }, unit);
    if (reading) readings.push(reading);
  }
  return latestReadings(readings);
}

/**
 * One datastream value as a reading (`datastreamReadings`), from the device itself (`messageId` null) or from a
 * sampled change (its message id); undefined for a value that is no reading (a location, no value, no `updatedAt`).
 */
export function datastreamReading(item: BlynkDatastreamValue | null | undefined, origin: Omit<ReadingOrigin, 'at'>, unit: string | null): Reading | undefined {
  const value = item?.value;
  const at = toIso(item?.updatedAt);
  if (at === null || !(typeof value === 'number' || typeof value === 'string') || typeof item?.pin !== 'string') return undefined;
  const label = typeof item.dataStreamLabel === 'string' && item.dataStreamLabel !== '' ? item.dataStreamLabel : item.pin;
  const common = commonWord(label.replace(/\s+/g, '_'));
  return toReading({ ...origin, at }, item.pin, value, { name: common?.name ?? label.toLowerCase().replace(/\s+/g, '_'), unit });
}

/**
 * A Blynk device as a canonical Device. `type` is the template id devices are created with (`templateIdOf`).
 * `created_at` is the activation time; a single-device read adds metafields (serial number, labels) and the
 * current datastream values; Blynk keeps no update time.
 */
export function mapDevice(device: BlynkDevice, connectionId: string, extras?: DeviceExtras, known?: ReadonlyMap<number, string>, units?: ReadonlyMap<number, string>): Device {
  const full = device as BlynkDeviceFull;
  const meta = metaFieldsOf(full);
  const mapped: Device = {
    object: 'device',
    id: toUnifiedId(connectionId, String(device.id)),
    connection_id: connectionId,
    provider: PROVIDER,
    project_id: typeof device.orgId === 'number' ? toUnifiedId(connectionId, String(device.orgId)) : null,
    name: typeof device.name === 'string' ? device.name : null,
    type: templateIdOf(device, known),
    serial_number: meta.serialNumber,
    labels: meta.labels,
    tags: extras ? extras.tags.map((tag) => tag.name) : null,
    online: extras ? extras.online : null,
    last_seen_at: extras ? extras.lastSeenAt : null,
    created_at: toIso(device.activatedAt),
    updated_at: null,
    native: device,
  };
  if (Array.isArray(full.dataStreamValues)) mapped.readings = datastreamReadings(full, connectionId, units);
  return mapped;
}

/**
 * An organization as a Project. The Devices API names no organization, so `name` is null; `device_count`
 * counts the devices whose own organization it is (sub-organizations' devices are theirs).
 */
export function mapOrganization(orgId: number, deviceCount: number | null, connectionId: string): Project {
  return {
    object: 'project',
    id: toUnifiedId(connectionId, String(orgId)),
    connection_id: connectionId,
    provider: PROVIDER,
    name: null,
    kind: 'organization',
    device_count: deviceCount,
    created_at: null,
    native: { orgId, deviceCount },
  };
}

/** Connection changes are status messages; everything else on the timeline is an event. */
const STATUS_EVENT_TYPES = new Set(['ONLINE', 'OFFLINE']);

/**
 * A timeline event as a Message: `native_type` is the event's code (`high_temperature`, from the template's
 * event list, `codes`), else its `eventType` (`WARNING`) when the code is not known; `created_at` is its `ts`
 * (the cloud's time; the device's own clock is not reported). The vendor's event id is the message id; an event
 * without one gets an id derived from its template event and time, which is stable across reads.
 */
export function mapTimelineEvent(event: BlynkTimelineEvent, connectionId: string, deviceId: string, codes: ReadonlyMap<number, string> = NO_FACTS.codes): Message {
  const eventType = typeof event.eventType === 'string' ? event.eventType : null;
  const code = typeof event.eventId === 'number' ? (codes.get(event.eventId) ?? null) : null;
  const type: MessageType = eventType !== null && STATUS_EVENT_TYPES.has(eventType.toUpperCase()) ? 'status' : 'event';
  const nativeId = typeof event.id === 'number' ? String(event.id) : `${event.eventId ?? 'e'}-${event.ts}`;
  return {
    object: 'message',
    id: toUnifiedId(connectionId, nativeId),
    device_id: toUnifiedId(connectionId, deviceId),
    connection_id: connectionId,
    provider: PROVIDER,
    direction: 'uplink',
    type,
    native_type: code ?? eventType,
    created_at: toIso(event.ts) ?? new Date(0).toISOString(),
    device_time: null,
    data: {
      event_id: event.eventId ?? null,
      event_code: code,
      event_type: eventType,
      description: event.description ?? null,
      resolved: event.isResolved ?? null,
      resolved_at: toIso(event.resolvedAt),
      resolved_comment: event.resolvedComment ?? null,
    },
    native: event,
  };
}

/**
 * Online state from `…/device/online`, the rest from the device read (with its datastream values, so
 * `last_seen_at` is the same as getDevice's and the readings are the current values).
 */
export function mapStatus(info: BlynkDeviceFull, connected: boolean, connectionId: string, checkedAt: number, units?: ReadonlyMap<number, string>): DeviceStatus {
  const hw = info.hardwareInfo ?? undefined;
  return {
    object: 'device_status',
    device_id: toUnifiedId(connectionId, String(info.id)),
    online: connected,
    last_seen_at: lastSeenOf(info),
    checked_at: new Date(checkedAt).toISOString(),
    details: {
      lifecycle_status: info.lifecycleStatus?.name ?? null,
      activated_at: toIso(info.activatedAt),
      first_connected_at: toIso(info.firstConnectTime),
      connected_at: toIso(info.connectTime),
      disconnected_at: toIso(info.disconnectTime),
      last_event_at: toIso(info.lastReceivedEventAt),
      last_reported_at: toIso(info.lastReportedAt),
      firmware_updated_at: toIso(info.firmwareUpdatedAt),
      ip: info.ip ?? null,
      locked: info.isLocked ?? null,
      owner_user_id: info.ownerUserId ?? null,
      template_id: info.templateId ?? null,
      hardware: hw
        ? {
            board_type: hw.boardType ?? null,
            firmware_version: hw.version ?? null,
            firmware_type: hw.fwType ?? null,
            blynk_version: hw.blynkVersion ?? null,
            build: hw.build ?? null,
            template_id: hw.templateId ?? null,
          }
        : null,
    },
    readings: datastreamReadings(info, connectionId, units),
  };
}

/**
 * Why a device name breaks the vendor's rule (letters, digits, spaces, apostrophes, underscores and hyphens
 * only, §5.4), or undefined when it is fine. Letters and digits of any script count; the legacy 50-symbol
 * limit is left to the vendor, since the current docs no longer state it.
 */
export function deviceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.trim() === '') return 'must not be empty';
  if (!/^[\p{L}\p{M}\p{Nd} '_-]+$/u.test(name)) return "may contain only letters, digits, spaces, apostrophes ('), underscores and hyphens";
  return undefined;
}

/** Event codes: letters, digits, spaces and underscores, at most 50 characters (Blynk event settings). */
const EVENT_CODE = /^[\p{L}\p{Nd} _]{1,50}$/u;

/** A vendor call that a unified command turns into. */
export type CommandRequest =
  | { endpoint: 'trigger-event'; body: BlynkTriggerEventBody }
  | { endpoint: 'datastream'; body: BlynkDatastreamBody };

/** The command names this provider accepts. */
export const COMMAND_NAMES = ['trigger_event', 'set_datastream'] as const;

function unknownParams(params: Record<string, unknown>, allowed: readonly string[]): FieldError[] {
  return Object.keys(params)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ name: `params.${key.slice(0, 64)}`, message: `is not a parameter of this command (allowed: ${allowed.join(', ')})` }));
}

/**
 * The vendor call of a command, or a `validation_error` naming every bad parameter (checked before any call):
 * `trigger_event` (`event_code` required, `description` optional) → `POST …/device/trigger-event`;
 * `set_datastream` (`datastream_id` integer, `value` string | number | [lon, lat]) → `POST …/device/datastream`.
 */
export function commandRequest(deviceId: number, command: Pick<SendCommandInput, 'name' | 'params'>): CommandRequest {
  const params = command.params ?? {};
  const fields: FieldError[] = [];
  if (command.name === 'trigger_event') {
    const code = params.event_code;
    if (typeof code !== 'string' || code === '') fields.push({ name: 'params.event_code', message: 'is required: an event code of the device template' });
    else if (!EVENT_CODE.test(code)) fields.push({ name: 'params.event_code', message: 'may contain only letters, digits, spaces and underscores (at most 50)' });
    const description = params.description;
    if (description !== undefined && description !== null && typeof description !== 'string') fields.push({ name: 'params.description', message: 'must be a string' });
    fields.push(...unknownParams(params, ['event_code', 'description']));
    if (fields.length > 0) throw GatewayError.validation(fields);
    const body: BlynkTriggerEventBody = { deviceId, eventCode: code as string };
    if (typeof description === 'string') body.eventDescription = description;
    return { endpoint: 'trigger-event', body };
  }
  if (command.name === 'set_datastream') {
    const raw = params.datastream_id;
    const datastreamId = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[0-9]{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
    if (raw === undefined || raw === null) fields.push({ name: 'params.datastream_id', message: 'is required: the numeric id of a datastream of the device template' });
    else if (!Number.isInteger(datastreamId) || datastreamId < 0 || datastreamId > INT32_MAX) fields.push({ name: 'params.datastream_id', message: 'must be a non-negative integer' });
    const value = params.value;
    const isLocation = Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (value === undefined || value === null) fields.push({ name: 'params.value', message: 'is required' });
    else if (!(typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || isLocation)) {
      fields.push({ name: 'params.value', message: 'must be a string, a number or a [longitude, latitude] pair' });
    }
    fields.push(...unknownParams(params, ['datastream_id', 'value']));
    if (fields.length > 0) throw GatewayError.validation(fields);
    return { endpoint: 'datastream', body: { deviceId, dataStreamId: datastreamId, value: value as string | number | number[] } };
  }
  throw GatewayError.validation([{ name: 'name', message: `must be one of ${COMMAND_NAMES.join(', ')}` }]);
}

/**
 * The Command after the vendor accepted it. Both vendor calls act at once and answer 204 (the event is on the
 * timeline, the value is stored in the cloud and pushed to a connected device); whether the device itself got
 * it is not reported, so the status is `sent`, never `delivered`.
 */
export function mapCommand(command: SendCommandInput, deviceId: string, connectionId: string, at: number): Command {
  const time = new Date(at).toISOString();
  return {
    object: 'command',
    id: toUnifiedId(connectionId, command.id),
    device_id: toUnifiedId(connectionId, deviceId),
    name: command.name,
    params: command.params ?? {},
    status: 'sent',
    created_at: time,
    updated_at: time,
  };
}
