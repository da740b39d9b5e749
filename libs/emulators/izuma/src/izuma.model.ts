/** Internal records of the Izuma emulator; the wire shapes are built from them in `izuma.views.ts`. */

export type DeviceState = 'unenrolled' | 'cloud_enrolling' | 'bootstrapped' | 'registered' | 'deregistered';

export type ResourceOps = 'r' | 'rw' | 'x';

/** One LwM2M resource as the simulated device serves it. */
export interface ResourceState {
  path: string;
  rt: string;
  ct: string;
  obs: boolean;
  ops: ResourceOps;
  value: string;
  /** When the device last reported the value (observable resources only): what Device Echo shows. */
  reportedMs?: number;
}

export interface DeviceRecord {
  id: string;
  createdMs: number;
  updatedMs: number;
  name: string;
  description: string;
  endpointName: string;
  endpointType: string;
  deviceClass: string;
  state: DeviceState;
  executionMode: 0 | 1 | 5;
  hostGateway: string;
  serialNumber: string;
  vendorId: string;
  caId: string;
  deviceKey: string;
  firmwareChecksum: string;
  issuerFingerprint: string | null;
  customAttributes: Record<string, string>;
  componentAttributes: Record<string, string>;
  groups: string[];
  bootstrappedMs?: number;
  manifestMs?: number;
  enrolmentMs?: number;
  bootstrapExpirationDate: string | null;
  connectorExpirationDate: string | null;
  autoUpdate: boolean;
  mechanism: 'connector' | 'direct';
  deployment: string;
  manifest: string;
  mechanismUrl: string;
  netId: string;
  /** Key into the model catalogue: which resources the simulated device serves. */
  model: string;
  /** LwM2M queue mode: the device sleeps and takes queued requests when it wakes up. */
  queueMode: boolean;
  /** Created on first use so that 10,000 seeded devices stay cheap. */
  resources?: Map<string, ResourceState>;
  /** The serialised DeviceData, dropped whenever the record changes. */
  view?: Record<string, unknown>;
}

export interface DeviceEventRecord {
  id: string;
  ms: number;
  deviceId: string;
  view: Record<string, unknown>;
}

export interface GroupRecord {
  id: string;
  name: string;
  description: string;
  customAttributes: Record<string, string>;
  createdMs: number;
  updatedMs: number;
  members: Set<string>;
}

/** One device request as received on `POST /v2/device-requests/{device-id}`, with its outcome. */
export interface DeviceRequestRecord {
  deviceId: string;
  asyncId: string;
  /** The access key that sent it: the async response goes to that key's channel. */
  apiKey: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  uri: string;
  payloadB64?: string;
  contentType?: string;
  accept?: string;
  retry?: number;
  expirySeconds: number;
  receivedAt: number;
  status: 'queued' | 'delivered' | 'expired';
  response?: AsyncResponse;
}

/** An `AsyncIDResponse` as the notification channel carries it. */
export interface AsyncResponse {
  id: string;
  status: number;
  payload?: string;
  ct?: string;
  error?: string;
}
