import { SeededRandom } from '@devicegate/emulators/kit';
import type {
  DeviceType,
  DtDataConnector,
  DtDataConnectorMetrics,
  DtDevice,
  DtEmulatedDevice,
  DtEvent,
  DtLocation,
  DtOrganization,
  DtProject,
  DtPushBody,
  DtReported,
  EventData,
} from './disruptive.types.js';
import { buildEventData, PayloadError, REPORTED_KEYS } from './disruptive.events.js';
import { xid } from './disruptive.ids.js';
import { isoFromMicros, parseRfc3339Micros } from './disruptive.time.js';

export interface OrganizationRecord {
  id: string;
  displayName: string;
}

export interface ProjectRecord {
  id: string;
  displayName: string;
  organizationId: string;
  inventory: boolean;
  location: DtLocation;
  labels: Record<string, string>;
  /** The project's devices, kept sorted by id so default listings need no sort per request. */
  devices: DeviceRecord[];
}

export interface DeviceRecord {
  id: string;
  projectId: string;
  /** `projects/<p>/devices/<d>`, kept with the record because every event repeats it. */
  name: string;
  type: DeviceType;
  productNumber: string;
  labels: Record<string, string>;
  reported: DtReported;
  /** History, oldest first; `labelsChanged` is never stored because history does not return it. */
  events: DtEvent[];
  /** Event times in epoch microseconds, parallel to `events`, for binary search. */
  times: number[];
  emulated: boolean;
}

export interface DataConnectorRecord {
  id: string;
  projectId: string;
  resource: DtDataConnector;
  metrics: DtDataConnectorMetrics;
}

/** Something that happened to a device: a stored event, or a `labelsChanged` one. */
export interface EmittedEvent {
  event: DtEvent;
  device: DtDevice;
  projectId: string;
}

/** One push an active data connector would receive; delivery over HTTP is left to a listener. */
export interface DataConnectorPush {
  connector: DtDataConnector;
  projectId: string;
  body: DtPushBody;
}

export type Listener<T> = (value: T) => void;

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Index of the first element of the sorted `times` that is ≥ `value`. */
export function lowerBound(times: readonly number[], value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The emulator's whole state: organizations, projects, devices with history, data connectors. */
export class DisruptiveStore {
  readonly organizations = new Map<string, OrganizationRecord>();
  readonly projects = new Map<string, ProjectRecord>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly connectors = new Map<string, DataConnectorRecord>();
  private readonly eventListeners = new Set<Listener<EmittedEvent>>();
  private readonly pushListeners = new Set<Listener<DataConnectorPush>>();
  /** Ids minted at run time (events, emulated devices, connectors) come from here, so runs replay alike. */
  private readonly rng = new SeededRandom(0x0d15c0);
  private readonly startedAt = Date.now();

  constructor(private readonly anchorMs: number) {}

  /** The emulator clock in epoch ms: it starts at the `now` anchor and runs in real time. */
  nowMs(): number {
    return this.anchorMs + (Date.now() - this.startedAt);
  }

  nowMicros(): number {
    return Math.floor(this.nowMs() * 1000);
  }

  newId(seconds = this.nowMs() / 1000): string {
    return xid(seconds, this.rng);
  }

  // ---- organizations and projects ----

  addOrganization(org: OrganizationRecord): void {
    this.organizations.set(org.id, org);
  }

  addProject(project: Omit<ProjectRecord, 'devices'>): ProjectRecord {
    const record: ProjectRecord = { ...project, devices: [] };
    this.projects.set(record.id, record);
    return record;
  }

  /** Projects in id order, as listings return them. */
  sortedProjects(): ProjectRecord[] {
    return [...this.projects.values()].sort(byId);
  }

  organizationWire(org: OrganizationRecord): DtOrganization {
    return { name: `organizations/${org.id}`, displayName: org.displayName };
  }

  projectWire(project: ProjectRecord): DtProject {
    const org = this.organizations.get(project.organizationId);
    let cloudConnectorCount = 0;
    for (const device of project.devices) if (device.type === 'ccon') cloudConnectorCount += 1;
    return {
      name: `projects/${project.id}`,
      displayName: project.displayName,
      organization: `organizations/${project.organizationId}`,
      organizationDisplayName: org?.displayName ?? '',
      sensorCount: project.devices.length - cloudConnectorCount,
      cloudConnectorCount,
      inventory: project.inventory,
      location: { ...project.location },
      labels: { ...project.labels },
    };
  }

  // ---- devices ----

  /** Adds a device; `bulk` skips keeping the project list sorted (call `sortDevices` afterwards). */
  addDevice(device: DeviceRecord, bulk = false): void {
    this.devices.set(device.id, device);
    const list = this.projects.get(device.projectId)!.devices;
    if (bulk) {
      list.push(device);
      return;
    }
    let i = list.length;
    while (i > 0 && list[i - 1].id > device.id) i -= 1;
    list.splice(i, 0, device);
  }

  sortDevices(): void {
    for (const project of this.projects.values()) project.devices.sort(byId);
  }

  removeDevice(device: DeviceRecord): void {
    this.devices.delete(device.id);
    const list = this.projects.get(device.projectId)!.devices;
    const i = list.indexOf(device);
    if (i >= 0) list.splice(i, 1);
  }

  moveDevice(device: DeviceRecord, targetProjectId: string): void {
    if (device.projectId === targetProjectId) return;
    this.removeDevice(device);
    device.projectId = targetProjectId;
    device.name = `projects/${targetProjectId}/devices/${device.id}`;
    for (const event of device.events) event.targetName = device.name;
    this.addDevice(device);
  }

  static emptyReported(type: DeviceType): DtReported {
    const reported: DtReported = {};
    for (const key of REPORTED_KEYS[type]) reported[key] = null;
    return reported;
  }

  deviceWire(device: DeviceRecord): DtDevice {
    return {
      name: device.name,
      type: device.type,
      productNumber: device.productNumber,
      labels: { ...device.labels },
      reported: { ...device.reported },
    };
  }

  emulatedDeviceWire(device: DeviceRecord): DtEmulatedDevice {
    return { name: device.name, type: device.type, productNumber: device.productNumber, labels: { ...device.labels } };
  }

  // ---- events ----

  /**
   * Stores an already-built event (seed path): no validation, no listeners. Events must arrive in time
   * order per device; `reported` keeps the latest payload per type.
   */
  seedEvent(device: DeviceRecord, eventType: string, data: EventData, us: number, eventId: string): void {
    const timestamp = data.updateTime as string;
    device.events.push({ eventId, targetName: device.name, eventType, data: { [eventType]: data }, timestamp });
    device.times.push(us);
    device.reported[eventType] = data;
  }

  /**
   * Publishes one event the way the Emulator API does: the body has exactly one key, the event type,
   * whose value is that event's data. Throws PayloadError when the body does not fit the device.
   */
  publish(device: DeviceRecord, body: unknown): DtEvent {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new PayloadError('body must be a JSON object with one event type key');
    const keys = Object.keys(body);
    if (keys.length !== 1) throw new PayloadError('body must hold exactly one event type');
    const eventType = keys[0];
    if (eventType === 'labelsChanged') throw new PayloadError('labelsChanged events cannot be published');
    if (!REPORTED_KEYS[device.type].includes(eventType)) throw new PayloadError(`event type ${eventType} is not valid for device type ${device.type}`);
    const input = (body as Record<string, unknown>)[eventType] ?? {};
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new PayloadError(`${eventType} must be an object`);
    const given = (input as Record<string, unknown>).updateTime;
    let us = this.nowMicros();
    if (given !== undefined) {
      us = typeof given === 'string' ? parseRfc3339Micros(given) : NaN;
      if (Number.isNaN(us)) throw new PayloadError('updateTime must be an RFC 3339 timestamp');
    }
    const timestamp = isoFromMicros(us);
    const data = buildEventData(eventType, input as Record<string, unknown>, timestamp);
    const event: DtEvent = { eventId: this.newId(us / 1e6), targetName: device.name, eventType, data: { [eventType]: data }, timestamp };
    // A backdated updateTime lands in its place in history; `reported` only moves forward.
    const at = lowerBound(device.times, us + 1);
    device.events.splice(at, 0, event);
    device.times.splice(at, 0, us);
    const current = device.reported[eventType];
    const currentUs = current && typeof current.updateTime === 'string' ? parseRfc3339Micros(current.updateTime) : -Infinity;
    if (us >= currentUs) device.reported[eventType] = data;
    this.emit(device, event);
    return event;
  }

  /** Applies label edits and emits `labelsChanged` (stream and connectors only, never history). */
  changeLabels(device: DeviceRecord, add: Record<string, string>, remove: readonly string[]): void {
    const added: Record<string, string> = {};
    const modified: Record<string, string> = {};
    const removed: string[] = [];
    for (const [key, value] of Object.entries(add)) {
      if (!(key in device.labels)) added[key] = value;
      else if (device.labels[key] !== value) modified[key] = value;
      device.labels[key] = value;
    }
    for (const key of remove) {
      if (key in device.labels && !(key in add)) {
        delete device.labels[key];
        removed.push(key);
      }
    }
    if (Object.keys(added).length + Object.keys(modified).length + removed.length === 0) return;
    const us = this.nowMicros();
    const event: DtEvent = {
      eventId: this.newId(us / 1e6),
      targetName: device.name,
      eventType: 'labelsChanged',
      data: { added, modified, removed },
      timestamp: isoFromMicros(us),
    };
    this.emit(device, event);
  }

  onEvent(listener: Listener<EmittedEvent>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onDataConnectorPush(listener: Listener<DataConnectorPush>): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  private emit(device: DeviceRecord, event: DtEvent): void {
    const wire = this.deviceWire(device);
    for (const listener of this.eventListeners) listener({ event, device: wire, projectId: device.projectId });
    if (this.pushListeners.size === 0) return;
    for (const connector of this.connectors.values()) {
      if (connector.projectId !== device.projectId) continue;
      const push = this.pushFor(connector, device, event);
      if (push) for (const listener of this.pushListeners) listener(push);
    }
  }

  /** The push a connector gets for an event, or undefined when it is disabled or filters the type out. */
  pushFor(connector: DataConnectorRecord, device: DeviceRecord, event: DtEvent): DataConnectorPush | undefined {
    const { resource } = connector;
    if (resource.status !== 'ACTIVE') return undefined;
    if (resource.events.length > 0 && !resource.events.includes(event.eventType)) return undefined;
    const labels: Record<string, string> = {};
    for (const key of resource.labels) if (key in device.labels) labels[key] = device.labels[key];
    return {
      connector: structuredClone(resource),
      projectId: connector.projectId,
      body: {
        event: structuredClone(event),
        labels,
        metadata: { deviceId: device.id, projectId: device.projectId, deviceType: device.type, productNumber: device.productNumber },
      },
    };
  }

  /** `:sync`: the latest event of each type for every device of the connector's project. */
  sync(connector: DataConnectorRecord): number {
    let pushed = 0;
    for (const device of this.projects.get(connector.projectId)?.devices ?? []) {
      const latest = new Map<string, DtEvent>();
      for (const event of device.events) latest.set(event.eventType, event);
      for (const event of latest.values()) {
        const push = this.pushFor(connector, device, event);
        if (!push) continue;
        pushed += 1;
        for (const listener of this.pushListeners) listener(push);
      }
    }
    return pushed;
  }
}
