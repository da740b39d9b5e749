import { SeededRandom } from '@devicegate/emulators/kit';
import {
  FOREIGN_TEMPLATE,
  IdCounter,
  ORGANIZATIONS,
  TAGS,
  TEMPLATES,
  USERS,
  deviceToken,
  hardwareInfoOf,
  lifecycleOf,
  seedDevices,
} from './blynk.seed.js';
import type {
  BlynkEventType,
  BlynkOrganization,
  BlynkTag,
  BlynkTemplate,
  BlynkTimelineEvent,
  BlynkUser,
  DataStreamValueJson,
  HardwareInfo,
  LifecycleStatus,
  StoredDevice,
  TemplateMetaField,
} from './blynk.types.js';

/** Device as list, search and update answers carry it. */
export interface DeviceSummaryJson {
  id: number;
  name: string;
  templateId: number;
  originalTemplateId: number;
  orgId: number;
  token: string;
  activatedAt: number;
  ownerUserId?: number;
  hardwareInfo?: HardwareInfo;
}

/** Device as `GET …/device/baseInfo` answers it. */
export interface DeviceBaseInfoJson {
  id: number;
  templateId: number;
  originalTemplateId: number;
  orgId: number;
  name: string;
  token: string;
  lifecycleStatus: LifecycleStatus;
  activatedAt: number;
  firstConnectTime: number;
  firmwareUpdatedAt: number;
  connectTime: number;
  disconnectTime: number;
  ownerUserId?: number;
  hardwareInfo?: HardwareInfo;
  ip?: string;
  isLocked: boolean;
  lastReceivedEventAt: number;
}

export interface DataStreamValueItemJson {
  dataStreamId: number;
  pin: string;
  dataStreamLabel: string;
  dataStreamAlias: string;
  value?: DataStreamValueJson;
  updatedAt?: number;
}

export interface MetaFieldValueJson {
  type: string;
  value: string | number;
}

/** Device as `GET …/device` answers it: base info plus current datastream and metafield values. */
export interface DeviceFullJson extends DeviceBaseInfoJson {
  dataStreamValues: DataStreamValueItemJson[];
  metaFieldValues: Array<{ id: number; name: string; value: MetaFieldValueJson }>;
}

export interface MetaFieldJson {
  id: number;
  name: string;
  isMandatory: boolean;
  includeInProvision: boolean;
  value: MetaFieldValueJson;
}

export interface ActivatedDeviceJson {
  id: number;
  orgId: number;
  templateId: number;
  ownerUserId?: number;
  activationTime: number;
}

/** In-memory state of one emulated Blynk.Cloud: organizations, users, templates, devices. */
export class BlynkStore {
  readonly orgs = new Map<number, BlynkOrganization>();
  readonly users = new Map<number, BlynkUser>();
  readonly usersByEmail = new Map<string, BlynkUser>();
  readonly templatesById = new Map<number, BlynkTemplate>();
  readonly templatesByPublicId = new Map<string, BlynkTemplate>();
  readonly tags = new Map<number, BlynkTag>();
  readonly devices = new Map<number, StoredDevice>();
  /** All devices by ascending id; new ids are always the largest, so creation appends. */
  private sorted: StoredDevice[];
  private version = 0;
  private readonly listCache = new Map<string, { version: number; devices: StoredDevice[] }>();
  private nextDeviceId: number;
  readonly eventIds: IdCounter;
  private readonly tokenRng = new SeededRandom(0x70ce);

  constructor(now: number, deviceCount: number) {
    for (const org of ORGANIZATIONS) this.orgs.set(org.id, org);
    for (const user of USERS) {
      this.users.set(user.id, user);
      this.usersByEmail.set(user.email.toLowerCase(), user);
    }
    for (const t of [...Object.values(TEMPLATES), FOREIGN_TEMPLATE]) {
      this.templatesById.set(t.id, t);
      this.templatesByPublicId.set(t.templateId, t);
    }
    for (const tag of TAGS) this.tags.set(tag.id, tag);
    const seed = seedDevices(now, deviceCount);
    this.eventIds = seed.nextEventId;
    for (const device of seed.devices) this.devices.set(device.id, device);
    this.sorted = [...seed.devices].sort((a, b) => a.id - b.id);
    this.nextDeviceId = this.sorted[this.sorted.length - 1].id + 1;
  }

  /** The organization and every organization below it. */
  orgTree(orgId: number): Set<number> {
    const tree = new Set<number>([orgId]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const org of this.orgs.values()) {
        if (org.parentId !== null && tree.has(org.parentId) && !tree.has(org.id)) {
          tree.add(org.id);
          grew = true;
        }
      }
    }
    return tree;
  }

  /** Devices of the given organizations, ascending by id; cached until the next change. */
  devicesOf(orgIds: ReadonlySet<number>): StoredDevice[] {
    const key = [...orgIds].sort((a, b) => a - b).join(',');
    const cached = this.listCache.get(key);
    if (cached && cached.version === this.version) return cached.devices;
    const devices = this.sorted.filter((d) => orgIds.has(d.orgId));
    this.listCache.set(key, { version: this.version, devices });
    return devices;
  }

  private changed(): void {
    this.version += 1;
  }

  createDevice(input: { name: string; template: BlynkTemplate; orgId: number; ownerUserId: number | null; now: number }): StoredDevice {
    const device: StoredDevice = {
      id: this.nextDeviceId++,
      name: input.name,
      template: input.template,
      orgId: input.orgId,
      token: deviceToken(this.tokenRng),
      activatedAt: input.now,
      ownerUserId: input.ownerUserId,
      hardwareInfo: null,
      lifecycleStatus: { name: 'Offline', icon: 'wifi-off', color: '#D3435C' },
      firstConnectTime: 0,
      firmwareUpdatedAt: 0,
      connectTime: 0,
      disconnectTime: 0,
      ip: null,
      isLocked: false,
      lastReceivedEventAt: 0,
      connected: false,
      tagIds: [],
      values: new Map(),
      metaValues: new Map(),
      timeline: [],
      logs: [],
    };
    this.devices.set(device.id, device);
    this.sorted.push(device);
    this.changed();
    return device;
  }

  deleteDevice(device: StoredDevice): void {
    this.devices.delete(device.id);
    const index = this.sorted.indexOf(device);
    if (index >= 0) this.sorted.splice(index, 1);
    this.changed();
  }

  moveDevice(device: StoredDevice, orgId: number): void {
    device.orgId = orgId;
    for (const event of device.timeline) event.orgId = orgId;
    this.changed();
  }

  /** Adds an event to a device timeline, keeping it newest first. */
  addEvent(device: StoredDevice, input: { eventId: number; eventType: BlynkEventType; description: string | null; ts: number }): BlynkTimelineEvent {
    const event: BlynkTimelineEvent = {
      id: this.eventIds.take(),
      eventId: input.eventId,
      orgId: device.orgId,
      eventType: input.eventType,
      description: input.description,
      ts: input.ts,
      isResolved: false,
      resolvedAt: null,
      resolvedComment: null,
    };
    const timeline = device.timeline;
    let lo = 0;
    let hi = timeline.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (timeline[mid].ts > input.ts) lo = mid + 1;
      else hi = mid;
    }
    timeline.splice(lo, 0, event);
    if (lo === 0) {
      if (input.eventType === 'ONLINE') this.setConnected(device, true, input.ts);
      else if (input.eventType === 'OFFLINE') this.setConnected(device, false, input.ts);
      else device.lastReceivedEventAt = Math.max(device.lastReceivedEventAt, input.ts);
    }
    return event;
  }

  private setConnected(device: StoredDevice, connected: boolean, ts: number): void {
    device.connected = connected;
    if (connected) {
      device.connectTime = ts;
      if (device.firstConnectTime === 0) device.firstConnectTime = ts;
      device.hardwareInfo ??= hardwareInfoOf(device.template);
    } else {
      device.disconnectTime = ts;
    }
    device.lifecycleStatus = lifecycleOf(connected);
  }

  summary(d: StoredDevice): DeviceSummaryJson {
    const json: DeviceSummaryJson = {
      id: d.id,
      name: d.name,
      templateId: d.template.id,
      originalTemplateId: d.template.id,
      orgId: d.orgId,
      token: d.token,
      activatedAt: d.activatedAt,
    };
    // Absent rather than null: the schema marks both optional and the legacy examples never show nulls.
    if (d.ownerUserId !== null) json.ownerUserId = d.ownerUserId;
    if (d.hardwareInfo) json.hardwareInfo = { ...d.hardwareInfo };
    return json;
  }

  baseInfo(d: StoredDevice): DeviceBaseInfoJson {
    return {
      id: d.id,
      templateId: d.template.id,
      originalTemplateId: d.template.id,
      orgId: d.orgId,
      name: d.name,
      token: d.token,
      lifecycleStatus: { ...d.lifecycleStatus },
      activatedAt: d.activatedAt,
      firstConnectTime: d.firstConnectTime,
      firmwareUpdatedAt: d.firmwareUpdatedAt,
      connectTime: d.connectTime,
      disconnectTime: d.disconnectTime,
      ...(d.ownerUserId !== null ? { ownerUserId: d.ownerUserId } : {}),
      ...(d.hardwareInfo ? { hardwareInfo: { ...d.hardwareInfo } } : {}),
      ...(d.ip !== null ? { ip: d.ip } : {}),
      isLocked: d.isLocked,
      lastReceivedEventAt: d.lastReceivedEventAt,
    };
  }

  full(d: StoredDevice): DeviceFullJson {
    const dataStreamValues = d.template.dataStreams.map((stream): DataStreamValueItemJson => {
      const item: DataStreamValueItemJson = { dataStreamId: stream.id, pin: stream.pin, dataStreamLabel: stream.label, dataStreamAlias: stream.alias };
      const stored = d.values.get(stream.id);
      if (stored) {
        item.value = Array.isArray(stored.value) ? [stored.value[0], stored.value[1]] : stored.value;
        item.updatedAt = stored.updatedAt;
      }
      return item;
    });
    const metaFieldValues = d.template.metaFields.map((field) => ({ id: field.id, name: field.name, value: this.metaValue(d, field) }));
    return { ...this.baseInfo(d), dataStreamValues, metaFieldValues };
  }

  metaValue(d: StoredDevice, field: TemplateMetaField): MetaFieldValueJson {
    switch (field.type) {
      case 'DeviceName':
        return { type: 'DeviceName', value: d.name };
      case 'DeviceOwner':
        return { type: 'DeviceOwner', value: d.ownerUserId !== null ? (this.users.get(d.ownerUserId)?.email ?? '') : '' };
      case 'Number':
        return { type: 'Number', value: d.metaValues.get(field.id) ?? field.min ?? 0 };
      default:
        return { type: field.type, value: d.metaValues.get(field.id) ?? '' };
    }
  }

  metaFields(d: StoredDevice): MetaFieldJson[] {
    return d.template.metaFields.map((field) => ({
      id: field.id,
      name: field.name,
      isMandatory: field.isMandatory,
      includeInProvision: field.includeInProvision,
      value: this.metaValue(d, field),
    }));
  }

  activated(d: StoredDevice): ActivatedDeviceJson {
    return {
      id: d.id,
      orgId: d.orgId,
      templateId: d.template.id,
      ...(d.ownerUserId !== null ? { ownerUserId: d.ownerUserId } : {}),
      activationTime: d.activatedAt,
    };
  }
}

