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
  native?: unknown;
}

export interface DeviceStatus {
  object: 'device_status';
  device_id: string;
  online: boolean | null;
  last_seen_at: Timestamp | null;
  checked_at: Timestamp;
  details: Record<string, unknown>;
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
  native?: unknown;
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
