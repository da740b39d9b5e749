/**
 * Wire types of the Disruptive Technologies REST API v2, as the vendor reference describes them.
 * They never leave this library: the mapper turns them into the canonical models.
 */

/** `GET /projects` item and `GET /projects/{project}` (§5.1). */
export interface DtProject {
  /** `projects/<projectId>`. */
  name: string;
  displayName?: string;
  /** `organizations/<orgId>`. */
  organization?: string;
  organizationDisplayName?: string;
  sensorCount?: number;
  cloudConnectorCount?: number;
  inventory?: boolean;
  location?: { latitude?: number; longitude?: number; timeLocation?: string } | null;
  labels?: Record<string, string> | null;
}

/** Paged list answers: the list key plus `nextPageToken`, `""` on the last page (§3.4). */
export interface DtProjectList {
  projects: DtProject[];
  nextPageToken?: string;
}

export interface DtCloudConnectorSignal {
  id?: string;
  signalStrength?: number;
  rssi?: number;
}

export interface DtNetworkStatus {
  signalStrength?: number;
  rssi?: number;
  updateTime?: string;
  cloudConnectors?: DtCloudConnectorSignal[];
  transmissionMode?: string;
}

export interface DtBatteryStatus {
  percentage?: number;
  updateTime?: string;
}

export interface DtTemperature {
  value?: number;
  isBackfilled?: boolean;
  samples?: Array<{ value?: number; sampleTime?: string }>;
  updateTime?: string;
}

export interface DtHumidity {
  temperature?: number;
  relativeHumidity?: number;
  isBackfilled?: boolean;
  samples?: Array<{ temperature?: number; relativeHumidity?: number; sampleTime?: string }>;
  updateTime?: string;
}

export interface DtConnectionStatus {
  /** `SDS` | `ETHERNET` | `CELLULAR` | `OFFLINE`. */
  connection?: string;
  available?: string[];
  updateTime?: string;
}

export interface DtCellularStatus {
  signalStrength?: number;
  errors?: Array<{ code?: string; message?: string }>;
  updateTime?: string;
}

/** Any `reported` entry: every event payload carries `updateTime`. */
export interface DtReportedEntry {
  updateTime?: string;
  [field: string]: unknown;
}

/** The latest data per event type; entries not yet reported are `null` (§5.4). */
export interface DtReported {
  networkStatus?: DtNetworkStatus | null;
  batteryStatus?: DtBatteryStatus | null;
  touch?: DtReportedEntry | null;
  temperature?: DtTemperature | null;
  humidity?: DtHumidity | null;
  connectionStatus?: DtConnectionStatus | null;
  cellularStatus?: DtCellularStatus | null;
  [eventType: string]: unknown;
}

/** A sensor or Cloud Connector (§5.4). */
export interface DtDevice {
  /** `projects/<projectId>/devices/<deviceId>`. */
  name: string;
  type?: string;
  productNumber?: string;
  labels?: Record<string, string> | null;
  reported?: DtReported | null;
}

export interface DtDeviceList {
  devices: DtDevice[];
  nextPageToken?: string;
}

/** Query of `GET /projects/{project}/devices`; arrays are sent as repeated keys (§3.3). */
export interface DtDeviceListQuery {
  organization?: string;
  projects?: string[];
  device_ids?: string[];
  device_types?: string[];
  label_filters?: string[];
  page_size: number;
  page_token?: string;
}

/** The event envelope (§5.9). */
export interface DtEvent {
  eventId: string;
  /** `projects/<p>/devices/<d>`. */
  targetName: string;
  eventType: string;
  /** Keyed by `eventType` (except `labelsChanged`); `null` on pings. */
  data: Record<string, unknown> | null;
  timestamp: string;
}

export interface DtEventList {
  events: DtEvent[];
  nextPageToken?: string;
}

/** Query of `GET /projects/{p}/devices/{d}/events`. */
export interface DtEventListQuery {
  event_types?: string[];
  start_time?: string;
  end_time?: string;
  page_size: number;
  page_token?: string;
}

/** `POST /projects/{p}/devices:batchUpdate` body (§5.6). */
export interface DtBatchUpdateBody {
  devices: string[];
  addLabels?: Record<string, string>;
  removeLabels?: string[];
}

/** A per-device failure of a batch call; `code` ∈ INVALID_ARGUMENT, NOT_FOUND, INTERNAL_ERROR. */
export interface DtBatchError {
  device?: string;
  status?: { code?: string; message?: string };
}

export interface DtBatchUpdateResponse {
  batchErrors?: DtBatchError[];
}

/** `POST /projects/{target}/devices:transfer` answer (§5.7). */
export interface DtTransferResponse {
  transferredDevices?: string[];
  transferErrors?: DtBatchError[];
}

/** Error body of every non-2xx answer (§3.6). */
export interface DtErrorBody {
  error?: string;
  code?: number;
  help?: string;
}

/** Token endpoint answer (§2.2). */
export interface DtTokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
}
