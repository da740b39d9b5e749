/**
 * Wire types of the Blynk.Cloud Platform API (Devices tag and the OAuth2 token endpoint), as the vendor
 * reference describes them. Times are epoch milliseconds; `0` stands for "never" in several fields.
 * Optional fields are ones the reference marks optional or that only some endpoints return.
 */

/** `POST /oauth2/token?grant_type=client_credentials` 200 (`OAuth2Token`). */
export interface BlynkToken {
  access_token: string;
  token_type: string;
  /** Seconds; 86,400 today, "subject to change — use the returned value". */
  expires_in: number;
  refresh_token?: string | null;
}

/** `DeviceHardwareInfo`: what the firmware reported about itself. */
export interface BlynkHardwareInfo {
  version?: string;
  fwType?: string;
  blynkVersion?: string;
  boardType?: string;
  build?: string;
  /** The `TMPL…` template ID compiled into the firmware. */
  templateId?: string;
}

/** A device as lists and searches return it (`Device` schema). */
export interface BlynkDevice {
  id: number;
  name: string;
  /** Numeric template id (the create body takes the `TMPL…` string instead). */
  templateId: number;
  originalTemplateId?: number;
  orgId: number;
  /** The device's own auth token: a device credential, returned by the vendor in every device object. */
  token?: string;
  activatedAt?: number | null;
  ownerUserId?: number | null;
  hardwareInfo?: BlynkHardwareInfo | null;
}

export interface BlynkLifecycleStatus {
  eventId?: number;
  name?: string;
  icon?: string;
  color?: string;
}

export interface BlynkDatastreamValue {
  dataStreamId: number;
  pin: string;
  dataStreamLabel: string;
  dataStreamAlias: string;
  /** string, number, or `[lon, lat]`. */
  value?: string | number | number[] | null;
  updatedAt?: number | null;
}

export interface BlynkMetaFieldValue {
  id: number;
  name: string;
  isMandatory?: boolean;
  includeInProvision?: boolean;
  value?: { type: string; value?: unknown } | null;
}

/** `GET …/device/baseInfo`: the device plus connection facts. */
export interface BlynkDeviceBaseInfo extends BlynkDevice {
  lifecycleStatus?: BlynkLifecycleStatus | null;
  firstConnectTime?: number | null;
  firmwareUpdatedAt?: number | null;
  connectTime?: number | null;
  disconnectTime?: number | null;
  lastReportedAt?: number | null;
  ip?: string | null;
  isLocked?: boolean | null;
  lastReceivedEventAt?: number | null;
}

/** `GET …/device` (and the answers of rename and create): base info plus current values. */
export interface BlynkDeviceFull extends BlynkDeviceBaseInfo {
  dataStreamValues?: BlynkDatastreamValue[] | null;
  metaFieldValues?: BlynkMetaFieldValue[] | null;
}

/** Paged answers: `{content, totalElements}`; no page/size echo. */
export interface BlynkPage<T> {
  content: T[];
  totalElements: number;
}

/** `GET …/device/online`. */
export interface BlynkOnline {
  connected: boolean;
}

/** `GET …/device/tags` item (legacy name of the owner field: `tagOwnerOrgId`). */
export interface BlynkDeviceTag {
  id: number;
  name: string;
  tagOwnerOrgId?: number;
}

/** `GET …/device/timeline` item. */
/** An event a template defines (`GET …/template/events`, Template Events page of the docs): `eventCode` is what triggers it. */
export interface BlynkTemplateEvent {
  id: number;
  name: string;
  eventCode?: string;
  type: string;
}

/** A datastream a template defines (`GET …/template/datastreams`): `units` is the vendor's MeasurementUnits name (e.g. `Celsius`). */
export interface BlynkTemplateDataStream {
  id: number;
  label: string;
  alias: string;
  units?: string | null;
  type: string;
  pin: number;
  pinType?: string;
}

export interface BlynkTimelineEvent {
  id?: number;
  /** The template event this occurrence belongs to. */
  eventId?: number;
  orgId?: number;
  /** `INFORMATION`, `WARNING`, `CRITICAL`, and for connection changes `ONLINE` / `OFFLINE`. */
  eventType?: string;
  description?: string | null;
  ts: number;
  isResolved?: boolean;
  resolvedAt?: number | null;
  resolvedComment?: string | null;
}

/** Query of `GET /api/v1/organization/devices`. */
export interface BlynkDeviceListQuery {
  orgId: number;
  includeSubOrgDevices: boolean;
  page: number;
  size: number;
}

/** Query of `GET /api/v1/organization/search/devices`. */
export interface BlynkDeviceSearchQuery {
  query: string;
  sortBy: string;
  sortOrder: 'ASC' | 'DESC';
  page: number;
  size: number;
}

/** Query of `GET /api/v1/organization/device/timeline`. */
export interface BlynkTimelineQuery {
  deviceId: number;
  eventType?: string;
  page: number;
  size: number;
}

/** Body of `POST /api/v1/organization/device/create`. */
export interface BlynkCreateDeviceBody {
  /** The `TMPL…` template ID. */
  templateId: string;
  name: string;
  orgId?: number;
  ownerId?: number;
}

/**
 * Body of `POST …/device/transfer/to-owner`. The current page names the fields only by description ("Device
 * ID to transfer", "New owner user ID"); the same operation's earlier page, blynkkk/docs
 * `blynk.cloud/platform-https-api/devices-api/transfer-device.md` (commit 1647e928), names them `deviceId`,
 * `newUserId` and `newOrgId`, with the example body `{"deviceId":1,"newUserId":1}`.
 */
export interface BlynkTransferToOwnerBody {
  deviceId: number;
  newUserId: number;
}

/** Body of `POST …/device/transfer/to-organization` (`newOrgId`: the source above). */
export interface BlynkTransferToOrganizationBody {
  deviceId: number;
  newOrgId: number;
}

/** Body of `POST …/device/trigger-event`. */
export interface BlynkTriggerEventBody {
  deviceId: number;
  eventCode: string;
  eventDescription?: string;
}

/** Body of `POST …/device/datastream`. */
export interface BlynkDatastreamBody {
  deviceId: number;
  dataStreamId: number;
  value: string | number | number[];
}
