/**
 * Wire types of the Izuma Device Management REST API, as far as devicegate reads or writes them.
 * Field names and shapes follow the vendor's Swagger 2.0 spec (Device Directory v3, Connect v2, IAM v3).
 * Every field is optional unless the spec requires it: the service may leave any of them out.
 */

/** Lifecycle states of a device record (`DeviceData.state`). */
export type IzDeviceState = 'unenrolled' | 'cloud_enrolling' | 'bootstrapped' | 'registered' | 'deregistered';

/** `DeviceData` of the Device Directory. */
export interface IzDevice {
  object?: 'device' | string;
  id: string;
  account_id?: string;
  name?: string | null;
  description?: string | null;
  endpoint_name?: string | null;
  endpoint_type?: string | null;
  device_class?: string | null;
  serial_number?: string | null;
  vendor_id?: string | null;
  state?: IzDeviceState | string | null;
  lifecycle_status?: 'enabled' | 'blocked' | string | null;
  deployed_state?: string | null;
  device_execution_mode?: number | null;
  host_gateway?: string | null;
  custom_attributes?: Record<string, string> | null;
  component_attributes?: Record<string, string> | null;
  groups?: string[] | null;
  net_id?: string | null;
  operator_suspended?: boolean | null;
  system_suspended?: boolean | null;
  last_operator_suspended_category?: string | null;
  last_operator_suspended_description?: string | null;
  last_operator_suspended_updated_at?: string | null;
  last_system_suspended_category?: string | null;
  last_system_suspended_description?: string | null;
  last_system_suspended_updated_at?: string | null;
  firmware_checksum?: string | null;
  bootstrap_expiration_date?: string | null;
  connector_expiration_date?: string | null;
  bootstrapped_timestamp?: string | null;
  enrolment_list_timestamp?: string | null;
  manifest_timestamp?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  etag?: string | null;
  [extra: string]: unknown;
}

/** The v3 list envelope (`DevicePage`, `DeviceEventPage`). */
export interface IzPage<T> {
  object?: 'list' | string;
  limit?: number;
  after?: string | null;
  order?: 'ASC' | 'DESC' | string;
  has_more?: boolean;
  total_count?: number;
  data: T[];
}

/** `DeviceEventData`: one entry of a device's event log. */
export interface IzDeviceEvent {
  object?: 'device-event' | string;
  id: string;
  date_time: string;
  created_at?: string | null;
  etag?: string | null;
  device_id?: string | null;
  event_type?: string | null;
  event_type_category?: string | null;
  event_type_description?: string | null;
  description?: string | null;
  state_change?: boolean | null;
  data?: Record<string, string> | null;
  changes?: Record<string, unknown> | null;
  [extra: string]: unknown;
}

/** `AccountInfo` of `GET /v3/accounts/me` (the fields devicegate reads; more exist). */
export interface IzAccount {
  object?: 'account' | string;
  id: string;
  display_name?: string | null;
  company?: string | null;
  email?: string | null;
  status?: 'ENROLLING' | 'ACTIVE' | 'RESTRICTED' | 'SUSPENDED' | string;
  tier?: string;
  end_market?: string;
  created_at?: string | null;
  updated_at?: string | null;
  etag?: string;
  [extra: string]: unknown;
}

/** `DeviceDataPostRequest`: every field optional. */
export interface IzDeviceCreate {
  name?: string;
  device_class?: string;
  serial_number?: string;
  custom_attributes?: Record<string, string>;
  [extra: string]: unknown;
}

/** `DeviceDataPutRequest`: fields left out stay unchanged; `custom_attributes` replaces the whole map. */
export interface IzDeviceUpdate {
  name?: string;
  custom_attributes?: Record<string, string>;
}

/** CoAP methods that `/v2/device-requests` accepts. */
export type IzRequestMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** `DeviceRequest`: the body of `POST /v2/device-requests/{device-id}`. */
export interface IzDeviceRequest {
  method: IzRequestMethod;
  uri: string;
  accept?: string;
  'content-type'?: string;
  'payload-b64'?: string;
}

/** Query options of `POST /v2/device-requests/{device-id}` besides the required `async-id`. */
export interface IzDeviceRequestOptions {
  retry?: number;
  'expiry-seconds'?: number;
}

/** The v3 error object (`ErrorResponse`). */
export interface IzErrorBody {
  object?: 'error' | string;
  code?: number;
  type?: string;
  message?: string;
  fields?: Array<{ name?: string; message?: string }>;
  request_id?: string;
}

/** `GET /v3/devices/{device-id}/echo` (reference §5.13): the last known state of the device's resources. */
export interface IzEchoResource {
  resource_path?: string;
  subscribed?: boolean;
  /** `value` is base64; `reported_at` when the device last reported it. */
  reported?: { value?: string | null; content_type?: string | null; reported_at?: string | null; expires_at?: string | null } | null;
}

export interface IzEcho {
  object?: string;
  device_id?: string;
  last_reported_at?: string | null;
  resources?: IzEchoResource[] | null;
}
