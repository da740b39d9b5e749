/** Severity/kind of a timeline event, as the Platform API reports it in `eventType`. */
export type BlynkEventType = 'ONLINE' | 'OFFLINE' | 'INFORMATION' | 'WARNING' | 'CRITICAL' | 'CONTENT';

export const EVENT_TYPES: readonly BlynkEventType[] = ['ONLINE', 'OFFLINE', 'INFORMATION', 'WARNING', 'CRITICAL', 'CONTENT'];

export type DataStreamType = 'Integer' | 'Double' | 'String' | 'Location';

export type MetaFieldType = 'DeviceName' | 'DeviceOwner' | 'Text' | 'Number' | 'List';

export interface BlynkOrganization {
  id: number;
  name: string;
  parentId: number | null;
}

export interface BlynkUser {
  id: number;
  email: string;
  name: string;
  orgId: number;
  /** Transfers to an owner whose account is not activated are refused. */
  activated: boolean;
}

export interface TemplateDataStream {
  id: number;
  pin: string;
  label: string;
  alias: string;
  dataType: DataStreamType;
  min?: number;
  max?: number;
  /**
   * The Platform API's MeasurementUnits name. `Celsius` is the docs' example; the other names follow it
   * (the enum's full list is not readable in the docs).
   */
  units?: string;
  /** Writable from dashboards/apps; these are the ones user actions are logged for. */
  control?: boolean;
}

export interface TemplateEvent {
  id: number;
  code: string;
  name: string;
  type: BlynkEventType;
}

export interface TemplateMetaField {
  id: number;
  name: string;
  type: MetaFieldType;
  isMandatory: boolean;
  includeInProvision: boolean;
  options?: readonly string[];
  min?: number;
  max?: number;
}

export interface BlynkTemplate {
  /** Internal numeric id, the `templateId` of device objects. */
  id: number;
  /** Public `TMPL…` id, used by create-device and compiled into firmware. */
  templateId: string;
  name: string;
  orgId: number;
  boardType: string;
  firmwareVersion: string;
  firmwareBuild: string;
  blynkVersion: string;
  dataStreams: readonly TemplateDataStream[];
  events: readonly TemplateEvent[];
  metaFields: readonly TemplateMetaField[];
}

export interface BlynkTag {
  id: number;
  name: string;
  orgId: number;
}

export interface HardwareInfo {
  version: string;
  fwType: string;
  blynkVersion: string;
  boardType: string;
  build: string;
  templateId: string;
}

export interface LifecycleStatus {
  eventId?: number;
  name: string;
  icon: string;
  color: string;
}

export type DataStreamValueJson = string | number | [number, number];

export interface StoredValue {
  value: DataStreamValueJson;
  updatedAt: number;
}

/** One timeline entry, in the wire shape of `GET …/device/timeline`. */
export interface BlynkTimelineEvent {
  id: number;
  eventId: number;
  orgId: number;
  eventType: BlynkEventType;
  description: string | null;
  ts: number;
  isResolved: boolean;
  resolvedAt: number | null;
  resolvedComment: string | null;
}

/** One entry of the device actions log, in the wire shape of `GET …/device/logs`. */
export interface BlynkActionLogEntry {
  triggerUserEmail: string;
  value: number | string;
  pin: number;
  pinType: 'VIRTUAL';
  isOnline: boolean;
  createdAt: number;
}

export interface StoredDevice {
  id: number;
  name: string;
  template: BlynkTemplate;
  orgId: number;
  token: string;
  activatedAt: number;
  ownerUserId: number | null;
  hardwareInfo: HardwareInfo | null;
  lifecycleStatus: LifecycleStatus;
  firstConnectTime: number;
  firmwareUpdatedAt: number;
  connectTime: number;
  disconnectTime: number;
  ip: string | null;
  isLocked: boolean;
  lastReceivedEventAt: number;
  connected: boolean;
  tagIds: number[];
  /** Current datastream values by datastream id. */
  values: Map<number, StoredValue>;
  /** Values of the plain metafields (name and owner metafields are derived from the device). */
  metaValues: Map<number, string | number>;
  /** Newest first. */
  timeline: BlynkTimelineEvent[];
  /** Newest first. */
  logs: BlynkActionLogEntry[];
}
