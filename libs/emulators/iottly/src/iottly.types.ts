/** Wire shapes of the iottly v1.0 REST API, as the vendor reference documents them. */

export type OperatingStatus = 'connected' | 'disconnected';
export type MessageType = 'userdefined' | 'iottlyagent';

/** One device as `devices/props` and `device/{id}/props` return it (all ten fields of the reference). */
export interface IottlyDeviceProps {
  macaddress: string;
  name: string;
  installing: boolean;
  pair_code: string;
  fwsyncstatus: string;
  operatingstatus: OperatingStatus;
  token: string;
  agent_version: string;
  ID: string;
  deploymentgroup: string;
}

/** How a keyword of a declared message type takes its value (names of the project document). */
export type KeywordKind = 'FixedValue' | 'MultipleChoice' | 'FreeValue';

export interface KeywordDefinition {
  type: KeywordKind;
  /** The constant of a FixedValue keyword. */
  value?: string;
  /** The allowed values of a MultipleChoice keyword. */
  listvalues?: string[];
}

/** A message type declared in a project's Messages panel; only `command` types can be sent. */
export interface MessageTypeDefinition {
  type: string;
  description: string;
  direction: 'command' | 'event';
  keywords: Record<string, KeywordDefinition>;
}

/** A device message as the emulator keeps it; both message APIs render it differently. */
export interface StoredMessage {
  /** 24-hex ObjectId, shown only by the history API. */
  oid: string;
  from: string;
  to: string;
  /** Server receive time, epoch ms. */
  timestamp: number;
  /** Device clock, epoch ms (whole seconds in practice). */
  devicetimestamp: number;
  type: MessageType;
  payload: Record<string, unknown>;
}

/** A message in the history API: Mongo extended JSON dates and ids. */
export interface HistoryMessage {
  _id: { $oid: string };
  from: string;
  to: string;
  timestamp: { $date: string };
  devicetimestamp: { $date: string };
  type: MessageType;
  payload: Record<string, unknown>;
}

/** A message in the paginated API: zone-less ISO strings, no `_id`. */
export interface PaginatedMessage {
  from: string;
  timestamp: string;
  to: string;
  devicetimestamp: string;
  type: MessageType;
  payload: Record<string, unknown>;
}

/** One entry of the license map. A free token has an empty `board`. */
export interface LicenseEntry {
  status: 'paired' | 'available';
  board: { macaddress: string; operatingstatus: OperatingStatus; id: string; name: string } | Record<string, never>;
}

/** A command accepted by `POST project/{p}/device/{id}/command`, kept for tests. */
export interface RecordedCommand {
  projectId: string;
  deviceId: string;
  cmdType: string;
  /** The `values` object exactly as the client sent it. */
  values: Record<string, unknown>;
  /** What the device would receive over MQTT: the template with the values applied. */
  delivered: Record<string, unknown>;
  /** Emulator clock when the command was accepted, epoch ms. */
  receivedAt: number;
}
