import {
  canonicalUtcIso,
  isObject,
  latestReadings,
  toReading,
  type Reading,
  type ReadingOrigin,
  type ReadingTable,
  toUnifiedId,
  type CreateDeviceInput,
  type Device,
  type DeviceStatus,
  type Message,
  type MessageType,
  type Project,
} from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import type { IzAccount, IzDevice, IzEcho, IzDeviceCreate, IzDeviceEvent } from './izuma.types.js';

/** Pure translations between Izuma wire objects and the contract's canonical models (filter push-down: izuma.push-down.ts; commands: izuma.commands.ts). */

export const PROVIDER = 'izuma' as const;

const nonEmpty = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * RFC 3339 UTC with milliseconds. Device Directory times carry microseconds (`…55.576563Z`), IAM times
 * whole seconds; the fraction is cut (not rounded) to milliseconds so that a canonical time is never later
 * than the vendor's, which keeps `__gte` push-down exact (see `vendorTime`).
 */
export function toIso(value: unknown): string | null {
  // Beyond ±8.64e15 ms a Date is invalid and toISOString throws: such a number is as unreadable as bad text.
  if (typeof value === 'number') return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? new Date(value).toISOString() : null;
  if (typeof value !== 'string') return null;
  // The Device Directory's own form, read by hand: lists map several times per device.
  const canonical = canonicalUtcIso(value);
  if (canonical !== null) return canonical;
  if (value.trim() === '') return null;
  const text = value.trim().replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * A filter bound in the vendor's date-time syntax. The canonical time is the vendor's cut to the millisecond,
 * so `canonical ≤ V` holds exactly when `vendor < V + 1 ms`: an upper bound is sent as `V.999999`, which the
 * vendor (microsecond precision, RFC 3339 with any fraction accepted) compares the same way.
 */
export function vendorTime(ms: number, bound: 'gte' | 'lte'): string {
  const iso = new Date(ms).toISOString();
  return bound === 'lte' ? iso.replace(/Z$/, '999Z') : iso;
}

/** The connection facts the mapper needs besides the vendor object. */
export interface MapContext {
  connectionId: string;
}

export function mapAccount(account: IzAccount, deviceCount: number | null, ctx: MapContext): Project {
  return {
    object: 'project',
    id: toUnifiedId(ctx.connectionId, account.id),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    name: nonEmpty(account.display_name) ?? nonEmpty(account.company) ?? null,
    kind: 'account',
    device_count: deviceCount,
    created_at: toIso(account.created_at),
    native: account,
  };
}

/** Custom attributes as labels: the spec types them string → string; scalars a server might send are stringified. */
export function mapLabels(attributes: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(attributes)) return out;
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}

/** `online` = the device is registered with the LwM2M server right now (reference §5.1). */
export const isOnline = (device: IzDevice): boolean => device.state === 'registered';

/**
 * Vendor ↔ canonical device fields. An empty string (how the service leaves `device_class`, `serial_number`
 * … unset) becomes null. `type` is `device_class`, "an ID representing the model and hardware revision".
 * `tags` stay empty: the device carries only group ids, names would cost a call per group.
 * `last_seen_at` is null: the device record holds no last-contact time.
 */
export function mapDevice(device: IzDevice, ctx: MapContext): Device {
  return {
    object: 'device',
    id: toUnifiedId(ctx.connectionId, device.id),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    project_id: nonEmpty(device.account_id) ? toUnifiedId(ctx.connectionId, device.account_id as string) : null,
    name: nonEmpty(device.name),
    type: nonEmpty(device.device_class),
    serial_number: nonEmpty(device.serial_number),
    labels: mapLabels(device.custom_attributes),
    tags: [],
    online: isOnline(device),
    last_seen_at: null,
    created_at: toIso(device.created_at),
    updated_at: toIso(device.updated_at),
    native: device,
  };
}

/**
 * The readings Device Echo holds: each reported resource value (base64 text) at its `reported_at`, where
 * the path is a measurement (`resourceReading`).
 */
export function echoReadings(echo: IzEcho | null, deviceId: string, ctx: MapContext): Reading[] {
  const readings: Reading[] = [];
  for (const resource of Array.isArray(echo?.resources) ? echo.resources : []) {
    const at = toIso(resource?.reported?.reported_at);
    const raw = resource?.reported?.value;
    if (!at || typeof resource.resource_path !== 'string' || typeof raw !== 'string') continue;
    const text = Buffer.from(raw, 'base64').toString('utf8');
    const origin = { connectionId: ctx.connectionId, provider: PROVIDER, deviceId: toUnifiedId(ctx.connectionId, deviceId), messageId: null, at };
    const reading = resourceReading(origin, resource.resource_path, text);
    if (reading) readings.push(reading);
  }
  return latestReadings(readings);
}

/** When the device last reported a resource value (Device Echo `last_reported_at`): the directory keeps no last-contact time. */
export const echoLastSeen = (echo: IzEcho | null): string | null => toIso(echo?.last_reported_at);

export function mapDeviceStatus(device: IzDevice, checkedAt: number, ctx: MapContext, echo: IzEcho | null = null): DeviceStatus {
  const details: Record<string, unknown> = {};
  const keys = ['state', 'lifecycle_status', 'operator_suspended', 'system_suspended', 'endpoint_name', 'endpoint_type', 'host_gateway', 'device_execution_mode'] as const;
  for (const key of keys) {
    if (device[key] !== undefined && device[key] !== null && device[key] !== '') details[key] = device[key];
  }
  const bootstrapped = toIso(device.bootstrapped_timestamp);
  if (bootstrapped) details.bootstrapped_at = bootstrapped;
  return {
    object: 'device_status',
    device_id: toUnifiedId(ctx.connectionId, device.id),
    online: isOnline(device),
    last_seen_at: echoLastSeen(echo),
    checked_at: new Date(checkedAt).toISOString(),
    details,
    readings: echoReadings(echo, device.id, ctx),
  };
}

/**
 * Contract message type of a device event. The vendor publishes no catalogue of `event_type` values
 * (only `update.device.device-created`, `update.device.device-updated` and campaign codes like `UPD2_100`),
 * so the type follows the one flag every event carries:
 *
 * | device event                                                   | contract `type` |
 * |----------------------------------------------------------------|-----------------|
 * | `state_change: true` (record created, registered, suspended …) | `status`        |
 * | anything else (firmware campaign `UPD…` codes, record edits …) | `event`         |
 *
 * Because it depends on `state_change` only, a `type` filter is pushed down as `state_change__eq/__neq`.
 */
export const eventMessageType = (event: IzDeviceEvent): MessageType => (event.state_change === true ? 'status' : 'event');

/** The contract types device events can have (see `eventMessageType`). */
export const EVENT_MESSAGE_TYPES: readonly MessageType[] = ['status', 'event'];

/**
 * A device event as a message. `created_at` is the event's `date_time` (the time the event log records,
 * and the field the vendor filters with `date_time__gte/__lte`); the log has no device clock, so
 * `device_time` is null. Events are reports about the device, hence `uplink`.
 */
export function mapEvent(event: IzDeviceEvent, deviceId: string, ctx: MapContext): Message {
  return {
    object: 'message',
    id: toUnifiedId(ctx.connectionId, event.id),
    device_id: toUnifiedId(ctx.connectionId, nonEmpty(event.device_id) ?? deviceId),
    connection_id: ctx.connectionId,
    provider: PROVIDER,
    direction: 'uplink',
    type: eventMessageType(event),
    native_type: nonEmpty(event.event_type),
    created_at: toIso(event.date_time) ?? toIso(event.created_at) ?? new Date(0).toISOString(),
    device_time: null,
    data: {
      description: nonEmpty(event.description),
      event_type_category: nonEmpty(event.event_type_category),
      event_type_description: nonEmpty(event.event_type_description),
      state_change: typeof event.state_change === 'boolean' ? event.state_change : null,
      data: isObject(event.data) ? { ...event.data } : {},
    },
    native: event,
  };
}

/**
 * IPSO Smart Objects (LwM2M object id → common name and the unit the IPSO registry gives its sensor value
 * 5700). Objects whose unit is set per device (resource 5701) keep a null unit.
 */
export const IPSO_OBJECTS: ReadingTable = {
  '3303': { name: 'temperature', unit: 'Cel' },
  '3304': { name: 'humidity', unit: '%' },
  '3301': { name: 'illuminance', unit: 'lx' },
  '3315': { name: 'pressure', unit: 'hPa' },
  '3316': { name: 'voltage', unit: 'V' },
  '3317': { name: 'current', unit: 'A' },
  '3328': { name: 'power', unit: 'W' },
  '3331': { name: 'energy', unit: 'kW.h' },
  '3325': { name: 'co2', unit: '[ppm]' },
  '3200': { name: 'digital_input', unit: null },
  '3302': { name: 'motion', unit: null },
};

/** Device object (3) resources that are measurements: battery level and power source voltage. */
const DEVICE_RESOURCES: ReadingTable = {
  '/3/0/9': { name: 'battery_level', unit: '%' },
  '/3/0/7': { name: 'battery_voltage', unit: 'mV' },
};

/** The measured value resources of IPSO objects: sensor value, digital input state and counter. */
const VALUE_RESOURCES = new Set(['5700', '5500', '5501']);

/**
 * A resource value (a notification or a device-request answer, as plain text) as a Reading, when the path is
 * a measurement: `/3303/0/5700` → temperature in Cel. Numbers stay numbers, `true`/`false` and `0`/`1` of a
 * digital input state become booleans; other paths give no reading.
 */
export function resourceReading(origin: ReadingOrigin, path: string, text: string | null): Reading | undefined {
  if (text === null) return undefined;
  const [, object, , resource] = path.split('/');
  const spec = Object.hasOwn(DEVICE_RESOURCES, path) ? DEVICE_RESOURCES[path] : VALUE_RESOURCES.has(resource) && Object.hasOwn(IPSO_OBJECTS, object) ? IPSO_OBJECTS[object] : undefined;
  if (!spec) return undefined;
  const trimmed = text.trim();
  let value: number | boolean | string = trimmed;
  if (resource === '5500') value = trimmed === '1' || trimmed === 'true';
  else if (trimmed !== '' && Number.isFinite(Number(trimmed))) value = Number(trimmed);
  const named = resource === '5501' ? { name: `${spec.name}_count`, unit: null } : spec;
  return toReading(origin, path, value, named);
}

/** The label merge of the contract's PATCH, shared by every provider. */
export { mergeLabels } from '@devicegate/core';

/** `DeviceDataPostRequest` fields a caller may add through `params` (those not covered by the contract's own fields). */
export const CREATE_PARAM_FIELDS: readonly string[] = [
  'auto_update',
  'bootstrap_expiration_date',
  'ca_id',
  'connector_expiration_date',
  'deployment',
  'description',
  'device_execution_mode',
  'device_key',
  'endpoint_name',
  'endpoint_type',
  'host_gateway',
  'issuer_fingerprint',
  'manifest',
  'mechanism',
  'mechanism_url',
  'state',
  'vendor_id',
];

/** Vendor field → contract field of a create call, for field errors the vendor reports. */
export function createFieldNames(input: CreateDeviceInput): Record<string, string> {
  const names: Record<string, string> = { name: 'name', device_class: 'type', serial_number: 'serial_number', custom_attributes: 'labels' };
  for (const key of Object.keys(input.params ?? {})) names[key] = `params.${key}`;
  return names;
}

/** The body of `POST /v3/devices`. Tags and unknown `params` keys are refused before any vendor call. */
export function toCreateBody(input: CreateDeviceInput): IzDeviceCreate {
  if (input.tags && input.tags.length > 0) {
    throw new GatewayError('not_supported', 'Izuma devices have no tags; device groups can be managed through passthrough (/v3/device-groups).');
  }
  const body: IzDeviceCreate = {};
  const unknown: FieldError[] = [];
  for (const [key, value] of Object.entries(input.params ?? {})) {
    if (!CREATE_PARAM_FIELDS.includes(key)) unknown.push({ name: `params.${key}`, message: `is not a field of an Izuma device; allowed: ${CREATE_PARAM_FIELDS.join(', ')}` });
    else body[key] = value;
  }
  if (unknown.length > 0) throw GatewayError.validation(unknown);
  if (input.name !== undefined) body.name = input.name;
  if (input.type !== undefined) body.device_class = input.type;
  if (input.serial_number !== undefined) body.serial_number = input.serial_number;
  if (input.labels !== undefined) body.custom_attributes = { ...input.labels };
  return body;
}
