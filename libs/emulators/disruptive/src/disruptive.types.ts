/** Wire shapes of the Disruptive Technologies REST API v2, as the vendor reference describes them. */

export type DeviceType =
  | 'temperature'
  | 'proximity'
  | 'touch'
  | 'humidity'
  | 'proximityCounter'
  | 'touchCounter'
  | 'waterDetector'
  | 'co2'
  | 'motion'
  | 'deskOccupancy'
  | 'contact'
  | 'ccon';

export const DEVICE_TYPES: readonly DeviceType[] = [
  'temperature',
  'proximity',
  'touch',
  'humidity',
  'proximityCounter',
  'touchCounter',
  'waterDetector',
  'co2',
  'motion',
  'deskOccupancy',
  'contact',
  'ccon',
];

/** Roles a service account can hold; the emulator's account holds one of them everywhere. */
export type DtRole = 'roles/project.user' | 'roles/project.developer' | 'roles/project.admin' | 'roles/organization.admin';

export interface DtErrorBody {
  error: string;
  code: number;
  help: string;
}

export interface DtLocation {
  latitude: number;
  longitude: number;
  timeLocation: string;
}

export interface DtProject {
  name: string;
  displayName: string;
  organization: string;
  organizationDisplayName: string;
  sensorCount: number;
  cloudConnectorCount: number;
  inventory: boolean;
  location: DtLocation;
  labels: Record<string, string>;
}

export interface DtOrganization {
  name: string;
  displayName: string;
}

/** `reported` maps an event type to that event's latest data, or null when never reported. */
export type DtReported = Record<string, EventData | null>;

export interface DtDevice {
  name: string;
  type: DeviceType;
  productNumber: string;
  labels: Record<string, string>;
  reported: DtReported;
}

/** How the Emulator API shows a virtual device (no `reported`). */
export interface DtEmulatedDevice {
  name: string;
  type: DeviceType;
  productNumber: string;
  labels: Record<string, string>;
}

/** The payload under `data.<eventType>`; its fields depend on the event type. */
export type EventData = Record<string, unknown>;

export interface DtEvent {
  eventId: string;
  targetName: string;
  eventType: string;
  data: Record<string, unknown>;
  timestamp: string;
}

export interface DtBatchError {
  device: string;
  status: { code: 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'INTERNAL_ERROR'; message: string };
}

export type DataConnectorType = 'HTTP_PUSH' | 'AZURE_SERVICE_BUS' | 'AZURE_EVENT_HUB' | 'GOOGLE_CLOUD_PUBSUB' | 'AWS_SQS';
export type DataConnectorStatus = 'ACTIVE' | 'USER_DISABLED' | 'SYSTEM_DISABLED';

export interface DtHttpConfig {
  url: string;
  signatureSecret: string;
  headers: Record<string, string>;
}

export interface DtDataConnector {
  name: string;
  displayName: string;
  type: DataConnectorType;
  status: DataConnectorStatus;
  events: string[];
  labels: string[];
  httpConfig?: DtHttpConfig;
  azureServiceBusConfig?: Record<string, unknown>;
  azureEventHubConfig?: Record<string, unknown>;
  pubsubConfig?: Record<string, unknown>;
  awsSqsConfig?: Record<string, unknown>;
}

export interface DtDataConnectorMetrics {
  successCount: number;
  errorCount: number;
  latency99p: string;
}

/** The body DT posts to an HTTP_PUSH data connector (§6.3), built here so a delivery layer only has to send it. */
export interface DtPushBody {
  event: DtEvent;
  labels: Record<string, string>;
  metadata: { deviceId: string; projectId: string; deviceType: DeviceType; productNumber: string };
}
