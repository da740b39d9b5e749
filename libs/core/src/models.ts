/** Canonical models of the contract (API.md §3). Providers map vendor objects into these. */

export const PROVIDER_IDS = ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export type Order = 'ASC' | 'DESC';

/** RFC 3339 UTC with milliseconds and `Z`. */
export type Timestamp = string;

export type ProjectKind = 'space' | 'project' | 'organization' | 'account';

export interface Project {
  object: 'project';
  id: string;
  connection_id: string;
  provider: ProviderId;
  name: string | null;
  kind: ProjectKind;
  device_count: number | null;
  created_at: Timestamp | null;
  native?: unknown;
}

export interface Device {
  object: 'device';
  id: string;
  connection_id: string;
  provider: ProviderId;
  project_id: string | null;
  name: string | null;
  type: string | null;
  serial_number: string | null;
  labels: Record<string, string>;
  tags: string[] | null;
  online: boolean | null;
  last_seen_at: Timestamp | null;
  created_at: Timestamp | null;
  updated_at: Timestamp | null;
  /** The latest reading of each name, where the vendor's device object carries them (DT `reported`, Blynk datastreams). */
  readings?: Reading[];
  native?: unknown;
}

/** One measured value, in one shape across vendors (API.md §3 Reading). */
export interface Reading {
  object: 'reading';
  /** `<message id>:<native name>` (or `<device id>:<native name>` for a value not carried by a message). */
  id: string;
  device_id: string;
  connection_id: string;
  provider: ProviderId;
  /** A common lower-case name where one fits (`temperature`), else the vendor's own name. */
  name: string;
  /** The vendor's field, datastream, event type or LwM2M path. */
  native_name: string;
  value: number | boolean | string;
  /** UCUM code, the vendor's own unit string when it has no UCUM code, or null when unknown. */
  unit: string | null;
  /** When it was measured: the device's or sensor's time when known, else when the cloud received it. */
  at: Timestamp;
  message_id: string | null;
}

export interface DeviceStatus {
  object: 'device_status';
  device_id: string;
  online: boolean | null;
  last_seen_at: Timestamp | null;
  checked_at: Timestamp;
  details: Record<string, unknown>;
  /** The latest reading of each name the device reports; `[]` when none. */
  readings: Reading[];
  /** The vendor objects the status was read from, by what they are (`device`, `echo`, …). */
  native?: Record<string, unknown>;
}

export type MessageDirection = 'uplink' | 'downlink';
export type MessageType = 'data' | 'event' | 'status' | 'config' | 'command' | 'log';

export interface Message {
  object: 'message';
  id: string;
  device_id: string;
  connection_id: string;
  provider: ProviderId;
  direction: MessageDirection;
  type: MessageType;
  native_type: string | null;
  created_at: Timestamp;
  device_time: Timestamp | null;
  data: Record<string, unknown>;
  /** The readings this message carries (served in events and reading lists, not in message lists). */
  readings?: Reading[];
  native?: unknown;
}

export type CommandStatus = 'queued' | 'sent' | 'delivered' | 'failed' | 'unknown';

export interface Command {
  object: 'command';
  id: string;
  device_id: string;
  name: string;
  params: Record<string, unknown>;
  status: CommandStatus;
  created_at: Timestamp | null;
  updated_at: Timestamp | null;
  /** The device's answer, where the vendor reports one after the send (Izuma `async-responses`). */
  result?: CommandResult | null;
  native?: unknown;
}

/** A device's answer to a command, as the vendor reports it. */
export interface CommandResult {
  /** The vendor's status code of the answer (Izuma: the device's CoAP-like code, or the service's own 429/5xx). */
  status: number | null;
  /** The vendor's error token, or null. */
  error: string | null;
  /** The answer's payload as text when it is text, else null (`payload_b64` keeps it whole). */
  payload: string | null;
  payload_b64: string | null;
  content_type: string | null;
}

/** What a vendor push reports of a command sent earlier: its unified id, its new status and the device's answer. */
export interface CommandOutcome {
  id: string;
  status: CommandStatus;
  at: Timestamp;
  result: CommandResult;
}

export type ConnectionStatus = 'ok' | 'degraded' | 'unavailable' | 'unknown';

/** Input of createDevice, after validation. Ids are native (the connection is already resolved). */
export interface CreateDeviceInput {
  project_id?: string;
  name?: string;
  type?: string;
  serial_number?: string;
  labels?: Record<string, string>;
  tags?: string[];
  params?: Record<string, unknown>;
}

/** Input of updateDevice: `labels` merges (null removes a label), `tags` replaces the set. */
export interface UpdateDeviceInput {
  name?: string;
  labels?: Record<string, string | null>;
  tags?: string[];
}

export interface SendCommandInput {
  /** The command id devicegate assigned (native part), so vendors that take a caller id can use it. */
  id: string;
  name: string;
  params: Record<string, unknown>;
}

/** Target of a transfer: a native project id of the same connection, or a vendor user id. */
export interface TransferInput {
  project_id?: string;
  owner_user_id?: string;
}
