import { isoMicros } from '@devicegate/emulators/kit';
import type { DeviceEventRecord, DeviceRecord, GroupRecord } from './izuma.model.js';
import { izumaId, type SeedEvent } from './izuma.seed.js';

/** Device Directory writes date-times with microseconds; the sub-millisecond digits are derived from the time. */
export const ddTime = (ms: number): string => isoMicros(ms, (Math.floor(ms) * 7919) % 1000);

/** IAM writes date-times to the second. */
export const iamTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/**
 * A `DeviceData` object. Fields the spec marks x-nullable are null when unset; other unset date-times are
 * left out, since the spec does not allow null for them.
 */
export function deviceView(device: DeviceRecord, accountId: string): Record<string, unknown> {
  if (device.view) return device.view;
  const view: Record<string, unknown> = {
    object: 'device',
    id: device.id,
    account_id: accountId,
    name: device.name,
    description: device.description,
    endpoint_name: device.endpointName,
    endpoint_type: device.endpointType,
    device_class: device.deviceClass,
    state: device.state,
    lifecycle_status: 'enabled',
    deployed_state: device.executionMode === 5 ? 'production' : 'development',
    device_execution_mode: device.executionMode,
    host_gateway: device.hostGateway,
    serial_number: device.serialNumber,
    vendor_id: device.vendorId,
    custom_attributes: { ...device.customAttributes },
    component_attributes: { ...device.componentAttributes },
    groups: [...device.groups],
    net_id: device.netId,
    operator_suspended: false,
    system_suspended: false,
    auto_update: device.autoUpdate,
    ca_id: device.caId,
    device_key: device.deviceKey,
    firmware_checksum: device.firmwareChecksum,
    issuer_fingerprint: device.issuerFingerprint,
    bootstrap_expiration_date: device.bootstrapExpirationDate,
    connector_expiration_date: device.connectorExpirationDate,
    deployment: device.deployment,
    manifest: device.manifest,
    mechanism: device.mechanism,
    mechanism_url: device.mechanismUrl,
    created_at: ddTime(device.createdMs),
    updated_at: ddTime(device.updatedMs),
    etag: ddTime(device.updatedMs),
  };
  if (device.bootstrappedMs !== undefined) view.bootstrapped_timestamp = ddTime(device.bootstrappedMs);
  if (device.enrolmentMs !== undefined) view.enrolment_list_timestamp = ddTime(device.enrolmentMs);
  if (device.manifestMs !== undefined) view.manifest_timestamp = ddTime(device.manifestMs);
  device.view = view;
  return view;
}

export function groupView(group: GroupRecord): Record<string, unknown> {
  return {
    object: 'device-group',
    id: group.id,
    name: group.name,
    description: group.description,
    custom_attributes: { ...group.customAttributes },
    devices_count: group.members.size,
    created_at: ddTime(group.createdMs),
    updated_at: ddTime(group.updatedMs),
    etag: ddTime(group.updatedMs),
  };
}

export function eventRecord(event: SeedEvent, suffix: string): DeviceEventRecord {
  const id = izumaId(event.ms, suffix);
  const at = ddTime(event.ms);
  return {
    id,
    ms: event.ms,
    deviceId: event.deviceId,
    view: {
      object: 'device-event',
      id,
      device_id: event.deviceId,
      date_time: at,
      created_at: at,
      etag: at,
      event_type: event.eventType,
      event_type_category: event.category ?? '',
      event_type_description: event.typeDescription ?? '',
      description: event.description,
      state_change: event.stateChange,
      data: { ...(event.data ?? {}) },
      changes: {},
    },
  };
}

/** Reads one DeviceData field straight from the record, so filtering 10,000 devices builds no views. */
const DEVICE_FIELDS: Record<string, (device: DeviceRecord) => unknown> = {
  id: (d) => d.id,
  name: (d) => d.name,
  description: (d) => d.description,
  endpoint_name: (d) => d.endpointName,
  endpoint_type: (d) => d.endpointType,
  device_class: (d) => d.deviceClass,
  state: (d) => d.state,
  lifecycle_status: () => 'enabled',
  deployed_state: (d) => (d.executionMode === 5 ? 'production' : 'development'),
  device_execution_mode: (d) => d.executionMode,
  host_gateway: (d) => d.hostGateway,
  serial_number: (d) => d.serialNumber,
  vendor_id: (d) => d.vendorId,
  net_id: (d) => d.netId,
  ca_id: (d) => d.caId,
  device_key: (d) => d.deviceKey,
  firmware_checksum: (d) => d.firmwareChecksum,
  auto_update: (d) => d.autoUpdate,
  operator_suspended: () => false,
  system_suspended: () => false,
  mechanism: (d) => d.mechanism,
  mechanism_url: (d) => d.mechanismUrl,
  deployment: (d) => d.deployment,
  manifest: (d) => d.manifest,
  created_at: (d) => d.createdMs,
  updated_at: (d) => d.updatedMs,
  bootstrapped_timestamp: (d) => d.bootstrappedMs,
  enrolment_list_timestamp: (d) => d.enrolmentMs,
  manifest_timestamp: (d) => d.manifestMs,
  bootstrap_expiration_date: (d) => d.bootstrapExpirationDate,
  connector_expiration_date: (d) => d.connectorExpirationDate,
};

/** A device field for filtering: date-times as epoch ms, everything else as the API shows it. */
export function deviceFieldValue(device: DeviceRecord, field: string, accountId: string): unknown {
  if (field === 'account_id') return accountId;
  const read = DEVICE_FIELDS[field];
  return read ? read(device) : deviceView(device, accountId)[field];
}
