import { createHash } from 'node:crypto';
import { DAY, HOUR, SeededRandom } from '@devicegate/emulators/kit';
import type { DeviceRecord, DeviceState, GroupRecord, ResourceOps, ResourceState } from './izuma.model.js';

/**
 * Demo data: one account, a cold-chain / facilities fleet of 16 devices in every state, six groups and a
 * week of device events. Ids, names and creation times are fixed; event times are relative to `now`.
 */

const MINUTE = 60_000;

/** Fixed ids of the sandbox account and its two applications' access keys. */
export const SANDBOX_ACCOUNT_ID = '018a4aa6de650242ac12000600000000';

/**
 * Izuma ids are 32 hex characters whose first 12 are the creation time in epoch milliseconds, so ids sort
 * by creation time; devices, events and groups continue with `0000000000010010` and 4 more hex digits.
 */
export function izumaId(ms: number, suffix: string): string {
  return `${Math.floor(ms).toString(16).padStart(12, '0')}0000000000010010${suffix}`;
}

interface ResourceTemplate {
  path: string;
  rt: string;
  ops: ResourceOps;
  obs: boolean;
  value: (rng: SeededRandom, device: DeviceRecord) => string;
}

interface DeviceModel {
  manufacturer: string;
  modelNumber: string;
  deviceClass: string;
  vendorId: string;
  firmware: string;
  resources: ResourceTemplate[];
}

const r = (path: string, rt: string, ops: ResourceOps, obs: boolean, value: ResourceTemplate['value']): ResourceTemplate => ({ path, rt, ops, obs, value });
const fixed = (v: string) => () => v;

function lwm2mDevice(model: Omit<DeviceModel, 'resources'>, battery: boolean): ResourceTemplate[] {
  return [
    r('/1/0/1', '', 'rw', false, fixed('86400')),
    r('/3/0/0', '', 'r', false, fixed(model.manufacturer)),
    r('/3/0/1', '', 'r', false, fixed(model.modelNumber)),
    r('/3/0/2', '', 'r', false, (_rng, device) => device.serialNumber),
    r('/3/0/3', '', 'r', false, fixed(model.firmware)),
    r('/3/0/4', '', 'x', false, fixed('')),
    ...(battery ? [r('/3/0/9', '', 'r', true, (rng) => String(rng.int(38, 97)))] : []),
    r('/3/0/11/0', '', 'r', false, fixed('0')),
    r('/3/0/13', '', 'r', true, () => String(Math.floor(Date.now() / 1000))),
  ];
}

function model(base: Omit<DeviceModel, 'resources'>, battery: boolean, own: ResourceTemplate[]): DeviceModel {
  return { ...base, resources: [...lwm2mDevice(base, battery), ...own] };
}

/** The simulated hardware: what each kind of device answers on `/v2/device-requests`. */
export const DEVICE_MODELS: Record<string, DeviceModel> = {
  gateway: model(
    { manufacturer: 'Northwind Systems', modelNumber: 'EG-500', deviceClass: '2f0b7d8e41a64b1c9e3d5a7f6c1b0e92', vendorId: '5c1e9a2b-7d43-4f0e-9b61-3a8d2e7c4f10', firmware: '2.6.1' },
    false,
    [r('/3/0/7/0', '', 'r', true, (rng) => String(rng.int(23500, 24400)))],
  ),
  thermo: model(
    { manufacturer: 'Frostline', modelNumber: 'CT-210', deviceClass: '7a3c51e0d2b94f86a1e0c4d9b8f23a57', vendorId: '0e4b7c2a-91d3-4a8f-b6e5-2c7d19f0a3b8', firmware: '1.8.4' },
    true,
    [
      r('/3303/0/5700', 'temperature', 'r', true, (rng) => rng.float(1.8, 4.6, 1).toFixed(1)),
      r('/3303/0/5701', '', 'r', false, fixed('Cel')),
      r('/3303/0/5601', '', 'r', false, (rng) => rng.float(0.9, 1.8, 1).toFixed(1)),
      r('/3303/0/5602', '', 'r', false, (rng) => rng.float(5.1, 7.9, 1).toFixed(1)),
      r('/3303/0/5605', '', 'x', false, fixed('')),
      r('/3304/0/5700', 'humidity', 'r', true, (rng) => rng.float(74, 91, 1).toFixed(1)),
    ],
  ),
  door: model(
    { manufacturer: 'Portis', modelNumber: 'DS-4', deviceClass: 'c94d02b7e6a14f3d8b5e1f0a7c2d6e38', vendorId: '8f2a6d1c-3b7e-4c05-a9d4-6e1b0f7c2a59', firmware: '3.1.0' },
    true,
    [
      r('/3200/0/5500', 'door_state', 'r', true, (rng) => (rng.bool(0.2) ? '1' : '0')),
      r('/3200/0/5501', 'counter', 'r', true, (rng) => String(rng.int(800, 5200))),
    ],
  ),
  light: model(
    { manufacturer: 'Lumen Array', modelNumber: 'LX-60', deviceClass: '41e8b6a0f3c25d79e1a4b0c8d6f2e3a1', vendorId: '3d9e1b6f-0a2c-4e7d-8b5a-f1c3e6d0a294', firmware: '5.0.2' },
    false,
    [
      r('/3311/0/5850', 'light_on', 'rw', true, fixed('1')),
      r('/3311/0/5851', 'dimmer', 'rw', true, (rng) => String(rng.pick([60, 70, 80, 100]))),
      r('/3311/0/5805', 'energy', 'r', true, (rng) => rng.float(300, 2400, 1).toFixed(1)),
    ],
  ),
  meter: model(
    { manufacturer: 'Kestrel Metering', modelNumber: 'EM-3P', deviceClass: 'e07f3a9c2b1d46e8a5c0f9b3d7e2a614', vendorId: 'b6a0e3f9-5c2d-4187-9e4b-0d3f7a1c8e26', firmware: '4.2.0' },
    false,
    [
      r('/3305/0/5800', 'power', 'r', true, (rng) => rng.float(4200, 38000, 1).toFixed(1)),
      r('/3305/0/5805', 'energy', 'r', true, (rng) => rng.float(12000, 96000, 1).toFixed(1)),
      r('/3305/0/5820', 'power_factor', 'r', false, (rng) => rng.float(0.86, 0.98, 2).toFixed(2)),
      r('/3305/0/5822', '', 'x', false, fixed('')),
    ],
  ),
  co2: model(
    { manufacturer: 'Airwise', modelNumber: 'Q-CO2', deviceClass: '9b2e6f1d0c3a48b7e5d1a0f8c6b3e472', vendorId: 'e1c7a4d0-8f3b-4e92-a5d6-7b0c2f9e1a38', firmware: '2.0.7' },
    false,
    [
      r('/3325/0/5700', 'co2', 'r', true, (rng) => String(rng.int(420, 1150))),
      r('/3325/0/5701', '', 'r', false, fixed('ppm')),
      r('/3303/0/5700', 'temperature', 'r', true, (rng) => rng.float(19.5, 24.5, 1).toFixed(1)),
      r('/3304/0/5700', 'humidity', 'r', true, (rng) => rng.float(32, 55, 1).toFixed(1)),
    ],
  ),
  valve: model(
    { manufacturer: 'Hydrana', modelNumber: 'AV-25', deviceClass: '5d0a3e7b1f9c42e6b8a4d2c0e7f1b395', vendorId: 'a4f8c1e6-2d7b-4a03-9c5e-8b1d6f0e3a72', firmware: '1.2.9' },
    false,
    [
      r('/3306/0/5850', 'valve_open', 'rw', true, fixed('0')),
      r('/3306/0/5851', 'valve_position', 'rw', true, fixed('35')),
    ],
  ),
};

/** Builds the resource tree of a device from its model (on first use). */
export function resourcesFor(device: DeviceRecord): Map<string, ResourceState> {
  const catalogue = DEVICE_MODELS[device.model] ?? DEVICE_MODELS.thermo;
  const rng = new SeededRandom(parseInt(device.id.slice(-8), 16) ^ 0x5eed);
  const map = new Map<string, ResourceState>();
  for (const template of catalogue.resources) {
    const resource: ResourceState = { path: template.path, rt: template.rt, ct: 'text/plain', obs: template.obs, ops: template.ops, value: template.value(rng, device) };
    // An observable resource was last reported when the device last changed (registered, updated).
    if (template.obs) resource.reportedMs = device.updatedMs;
    map.set(template.path, resource);
  }
  return map;
}

interface DemoDevice {
  name: string;
  model: keyof typeof DEVICE_MODELS;
  state: DeviceState;
  description: string;
  attributes: Record<string, string>;
  groups: string[];
  executionMode: 0 | 1 | 5;
  /** Name of the Edge gateway it sits behind. */
  gateway?: string;
  queueMode?: boolean;
  endpointType?: string;
}

const DEMO_DEVICES: DemoDevice[] = [
  { name: 'gw-hall-a', model: 'gateway', state: 'registered', description: 'Edge gateway, Hall A network cabinet', attributes: { site: 'Hamburg', zone: 'Hall A', role: 'gateway' }, groups: ['Gateways', 'Hall A'], executionMode: 5, endpointType: 'MBED_GW' },
  { name: 'coldroom-a1-temp', model: 'thermo', state: 'registered', description: 'Cold room A1 temperature and humidity', attributes: { site: 'Hamburg', zone: 'Hall A', asset: 'CR-A1', setpoint: 'C3' }, groups: ['Cold chain', 'Hall A'], executionMode: 1, gateway: 'gw-hall-a' },
  { name: 'coldroom-a2-temp', model: 'thermo', state: 'registered', description: 'Cold room A2 temperature and humidity', attributes: { site: 'Hamburg', zone: 'Hall A', asset: 'CR-A2', setpoint: 'C3' }, groups: ['Cold chain', 'Hall A'], executionMode: 1, gateway: 'gw-hall-a' },
  { name: 'dock-door-3', model: 'door', state: 'registered', description: 'Loading dock door 3 contact sensor', attributes: { site: 'Hamburg', zone: 'Dock', door: 'D3' }, groups: ['Hall A'], executionMode: 1, queueMode: true },
  { name: 'hall-a-lights-north', model: 'light', state: 'registered', description: 'Hall A north high-bay lighting controller', attributes: { site: 'Hamburg', zone: 'Hall A', circuit: 'L-N1' }, groups: ['Hall A', 'Lighting'], executionMode: 1 },
  { name: 'hall-a-main-meter', model: 'meter', state: 'registered', description: 'Hall A main distribution three-phase meter', attributes: { site: 'Hamburg', zone: 'Hall A', feeder: 'MDB-1' }, groups: ['Energy', 'Hall A'], executionMode: 5 },
  { name: 'office-co2-2f', model: 'co2', state: 'registered', description: 'Second floor open office air quality', attributes: { site: 'Hamburg', zone: 'Office', floor: 'F2' }, groups: ['Offices'], executionMode: 1 },
  { name: 'gw-hall-b', model: 'gateway', state: 'deregistered', description: 'Edge gateway, Hall B (offline since power outage)', attributes: { site: 'Hamburg', zone: 'Hall B', role: 'gateway' }, groups: ['Gateways'], executionMode: 5, endpointType: 'MBED_GW' },
  { name: 'coldroom-b1-temp', model: 'thermo', state: 'deregistered', description: 'Cold room B1 temperature and humidity', attributes: { site: 'Hamburg', zone: 'Hall B', asset: 'CR-B1', setpoint: 'C2' }, groups: ['Cold chain'], executionMode: 1, gateway: 'gw-hall-b' },
  { name: 'dock-door-7', model: 'door', state: 'deregistered', description: 'Loading dock door 7 contact sensor (battery empty)', attributes: { site: 'Hamburg', zone: 'Dock', door: 'D7' }, groups: [], executionMode: 1, queueMode: true },
  { name: 'chiller-valve-b2', model: 'valve', state: 'bootstrapped', description: 'Chiller loop B2 motorised valve', attributes: { site: 'Hamburg', zone: 'Hall B', loop: 'CHW-B2' }, groups: ['Cold chain'], executionMode: 1 },
  { name: 'office-co2-3f', model: 'co2', state: 'bootstrapped', description: 'Third floor meeting rooms air quality', attributes: { site: 'Hamburg', zone: 'Office', floor: 'F3' }, groups: ['Offices'], executionMode: 1 },
  { name: 'spare-thermo-01', model: 'thermo', state: 'unenrolled', description: 'Spare cold room sensor, pre-registered', attributes: { status: 'spare', shelf: 'S4' }, groups: [], executionMode: 0 },
  { name: 'spare-meter-02', model: 'meter', state: 'unenrolled', description: 'Spare sub-meter, awaiting installation', attributes: { status: 'spare' }, groups: [], executionMode: 0 },
  { name: 'roof-meter-pv', model: 'meter', state: 'cloud_enrolling', description: 'Rooftop PV inverter meter', attributes: { site: 'Hamburg', zone: 'Roof', feeder: 'PV-1' }, groups: ['Energy'], executionMode: 5 },
  { name: 'hall-b-lights-south', model: 'light', state: 'registered', description: 'Hall B south high-bay lighting controller', attributes: { site: 'Hamburg', zone: 'Hall B', circuit: 'L-S2' }, groups: ['Lighting'], executionMode: 1 },
];

export const DEMO_DEVICE_COUNT = DEMO_DEVICES.length;

const GROUPS: Array<{ name: string; description: string; attributes: Record<string, string> }> = [
  { name: 'Gateways', description: 'Edge gateways of the Hamburg site.', attributes: { owner: 'IT operations' } },
  { name: 'Hall A', description: 'Everything installed in Hall A.', attributes: { site: 'Hamburg' } },
  { name: 'Cold chain', description: 'Cold room sensors and chiller actuators (HACCP relevant).', attributes: { audit: 'HACCP', owner: 'Quality' } },
  { name: 'Lighting', description: 'High-bay lighting controllers.', attributes: { owner: 'Facilities' } },
  { name: 'Energy', description: 'Electricity meters for the energy report.', attributes: { owner: 'Facilities', report: 'ISO50001' } },
  { name: 'Offices', description: 'Office air quality monitoring.', attributes: { owner: 'Facilities' } },
];

/** Creation times of the demo records are fixed so that their ids never change. */
const DEMO_EPOCH = Date.UTC(2023, 8, 12, 9, 14, 3, 211);
const EXTRA_EPOCH = Date.UTC(2024, 1, 1, 7, 0, 0, 0);

const fingerprint = (rng: SeededRandom) =>
  Array.from({ length: 32 }, () => rng.hex(2).toUpperCase()).join(':');

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function baseDevice(rng: SeededRandom, id: string, createdMs: number, name: string, modelKey: string, state: DeviceState): DeviceRecord {
  const catalogue = DEVICE_MODELS[modelKey];
  const enrolled = state !== 'unenrolled' && state !== 'cloud_enrolling';
  return {
    id,
    createdMs,
    updatedMs: createdMs,
    name,
    description: '',
    endpointName: rng.uuid4(),
    endpointType: 'default',
    deviceClass: catalogue.deviceClass,
    state,
    executionMode: 1,
    hostGateway: '',
    serialNumber: `${catalogue.modelNumber.replace('-', '')}-${isoDate(createdMs).slice(2, 7).replace('-', '')}-${String(rng.int(1, 99999)).padStart(5, '0')}`,
    vendorId: catalogue.vendorId,
    caId: enrolled ? '017e5c3a9d1b0242ac12000600000000' : '',
    deviceKey: enrolled ? fingerprint(rng) : '',
    firmwareChecksum: enrolled ? rng.hex(64) : '',
    issuerFingerprint: enrolled ? rng.hex(64).toUpperCase() : null,
    customAttributes: {},
    componentAttributes: {},
    groups: [],
    bootstrapExpirationDate: null,
    connectorExpirationDate: null,
    autoUpdate: false,
    mechanism: 'connector',
    deployment: '',
    manifest: '',
    mechanismUrl: '',
    netId: '',
    model: modelKey,
    queueMode: false,
  };
}

export interface SeedEvent {
  deviceId: string;
  ms: number;
  eventType: string;
  description: string;
  stateChange: boolean;
  category?: string;
  typeDescription?: string;
  data?: Record<string, string>;
}

export interface SeedData {
  devices: DeviceRecord[];
  groups: GroupRecord[];
  events: SeedEvent[];
}

/**
 * Event types. `update.device.device-created` / `-updated`, the firmware-update and campaign types and
 * `UPD2_100` appear in the spec and the vendor SDKs; there is no public catalogue of the lifecycle ones, so
 * bootstrap / registration / de-registration / expiry follow the same `update.device.*` naming [inferred].
 */
export const EVENT_TYPES = {
  created: 'update.device.device-created',
  updated: 'update.device.device-updated',
  bootstrapped: 'update.device.device-bootstrapped',
  registered: 'update.device.device-registered',
  deregistered: 'update.device.device-deregistered',
  expired: 'update.device.device-registration-expired',
  campaignMetadata: 'update.deployment.campaign-device-metadata-created',
  updateState: 'update.connector.connector-device.firmware-update.state',
  updateResult: 'update.connector.connector-device.firmware-update.result',
} as const;

export function seedIzuma(now: number, deviceCount: number): SeedData {
  const rng = new SeededRandom(0x1205a);
  const groups: GroupRecord[] = GROUPS.map((group, i) => {
    const createdMs = DEMO_EPOCH + 3 * DAY + i * 7 * HOUR + rng.int(0, 59) * MINUTE;
    return {
      id: izumaId(createdMs, rng.hex(4)),
      name: group.name,
      description: group.description,
      customAttributes: group.attributes,
      createdMs,
      updatedMs: createdMs,
      members: new Set<string>(),
    };
  });
  const groupByName = new Map(groups.map((group) => [group.name, group]));

  const devices: DeviceRecord[] = [];
  const byName = new Map<string, DeviceRecord>();
  const demoCount = Math.min(deviceCount, DEMO_DEVICES.length);
  DEMO_DEVICES.forEach((demo, i) => {
    // Draw for every demo device so that a smaller deviceCount keeps the same ids for the first ones.
    const createdMs = DEMO_EPOCH + i * 9 * DAY + rng.int(0, 8 * 60) * MINUTE + rng.int(0, 59_999);
    const device = baseDevice(rng, izumaId(createdMs, rng.hex(4)), createdMs, demo.name, demo.model, demo.state);
    if (i >= demoCount) return;
    device.description = demo.description;
    device.customAttributes = { ...demo.attributes };
    device.executionMode = demo.executionMode;
    device.queueMode = demo.queueMode ?? false;
    device.endpointType = demo.endpointType ?? 'default';
    if (demo.gateway) {
      const gateway = byName.get(demo.gateway);
      if (gateway) device.hostGateway = gateway.id;
      // Devices behind Edge register under the name their protocol translator gives them.
      device.endpointName = demo.name;
    }
    if (demo.model === 'gateway') device.componentAttributes = { 'edge-core': '0.21.0', 'pelion-edge': '2.6.1' };
    else if (demo.state !== 'unenrolled') device.componentAttributes = { 'mbed-client': '4.13.0' };
    if (demo.state !== 'unenrolled' && demo.state !== 'cloud_enrolling') {
      device.bootstrappedMs = createdMs + rng.int(20, 240) * MINUTE;
      device.connectorExpirationDate = isoDate(createdMs + 730 * DAY);
      device.bootstrapExpirationDate = isoDate(createdMs + 3650 * DAY);
      device.enrolmentMs = createdMs - rng.int(1, 5) * DAY;
    }
    for (const name of demo.groups) {
      const group = groupByName.get(name);
      if (!group) continue;
      group.members.add(device.id);
      device.groups.push(group.id);
    }
    devices.push(device);
    byName.set(demo.name, device);
  });

  // Bulk devices draw their values from hashes instead of the PRNG: 10,000 of them must seed in milliseconds.
  const extraModels = ['thermo', 'meter', 'door', 'light', 'co2'];
  const extraStates: DeviceState[] = ['registered', 'registered', 'registered', 'deregistered', 'bootstrapped', 'registered', 'unenrolled'];
  const sites = ['Hamburg', 'Bremen', 'Kiel', 'Rostock', 'Hannover'];
  for (let i = 0; i < deviceCount - demoCount; i++) {
    const digest = (label: string) => createHash('sha256').update(`izuma-extra:${i}:${label}`).digest('hex');
    const a = digest('a');
    const createdMs = EXTRA_EPOCH + i * 47 * MINUTE + (parseInt(a.slice(0, 6), 16) % 2_000_000);
    const modelKey = extraModels[i % extraModels.length];
    const catalogue = DEVICE_MODELS[modelKey];
    const state = extraStates[i % extraStates.length];
    const enrolled = state !== 'unenrolled';
    const b = digest('b');
    devices.push({
      id: izumaId(createdMs, a.slice(6, 10)),
      createdMs,
      updatedMs: createdMs,
      name: `${modelKey}-${String(i + 1).padStart(5, '0')}`,
      description: `${catalogue.manufacturer} ${catalogue.modelNumber}`,
      endpointName: `${a.slice(10, 18)}-${a.slice(18, 22)}-4${a.slice(23, 26)}-a${a.slice(27, 30)}-${a.slice(30, 42)}`,
      endpointType: 'default',
      deviceClass: catalogue.deviceClass,
      state,
      executionMode: 1,
      hostGateway: '',
      serialNumber: `${catalogue.modelNumber.replace('-', '')}-${isoDate(createdMs).slice(2, 7).replace('-', '')}-${String(parseInt(a.slice(42, 48), 16) % 100000).padStart(5, '0')}`,
      vendorId: catalogue.vendorId,
      caId: enrolled ? '017e5c3a9d1b0242ac12000600000000' : '',
      deviceKey: enrolled ? b.toUpperCase().match(/../g)?.join(':') ?? '' : '',
      firmwareChecksum: enrolled ? digest('firmware') : '',
      issuerFingerprint: enrolled ? digest('issuer').toUpperCase() : null,
      customAttributes: { site: sites[i % sites.length], batch: `B${2024 + (i % 2)}-${(i % 12) + 1}` },
      componentAttributes: enrolled ? { 'mbed-client': '4.12.0' } : {},
      groups: [],
      bootstrappedMs: enrolled ? createdMs + 30 * MINUTE : undefined,
      bootstrapExpirationDate: null,
      connectorExpirationDate: null,
      autoUpdate: false,
      mechanism: 'connector',
      deployment: '',
      manifest: '',
      mechanismUrl: '',
      netId: '',
      model: modelKey,
      queueMode: modelKey === 'door',
    });
  }

  const events = demoEvents(now, devices.slice(0, demoCount), byName);
  for (const device of devices.slice(demoCount)) {
    events.push({ deviceId: device.id, ms: device.createdMs, eventType: EVENT_TYPES.created, description: 'Device record created', stateChange: true });
  }
  return { devices, groups, events };
}

/** A week of lifecycle history per demo device, ending shortly before `now`. */
function demoEvents(now: number, devices: DeviceRecord[], byName: Map<string, DeviceRecord>): SeedEvent[] {
  const rng = new SeededRandom(0xe4e47);
  const events: SeedEvent[] = [];
  const add = (device: DeviceRecord | undefined, ms: number, eventType: string, description: string, stateChange: boolean, extra: Partial<SeedEvent> = {}) => {
    if (!device) return;
    events.push({ deviceId: device.id, ms: Math.floor(ms), eventType, description, stateChange, ...extra });
  };
  const ago = (ms: number) => now - ms;
  const jitter = () => rng.int(0, 40) * MINUTE + rng.int(0, 59_999);
  const campaignA = 'd2e1f0a8b7c64d5e9f3a2b1c0d9e8f71';
  const campaignB = '6b0c9d8e7f1a4b2c8d3e5f6a7b8c9d04';

  for (const device of devices) {
    add(device, device.createdMs, EVENT_TYPES.created, 'Device record created', true);
    if (device.bootstrappedMs) add(device, device.bootstrappedMs, EVENT_TYPES.bootstrapped, 'Device bootstrapped', true);
  }

  // Mains-powered devices that stayed up: one network hiccup each, plus the odd record edit.
  for (const name of ['gw-hall-a', 'hall-a-lights-north', 'hall-a-main-meter', 'office-co2-2f', 'hall-b-lights-south']) {
    const device = byName.get(name);
    const hiccups = rng.int(2, 4);
    for (let i = 0; i < hiccups; i++) {
      const down = ago(rng.int(8 + i * 40, 40 + i * 40) * HOUR) + jitter();
      add(device, down, EVENT_TYPES.deregistered, 'Device deregistered', true);
      add(device, down + rng.int(2, 25) * MINUTE, EVENT_TYPES.registered, 'Device registered', true);
    }
    if (rng.bool(0.7)) add(device, ago(rng.int(2, 160) * HOUR) + jitter(), EVENT_TYPES.updated, 'Device record updated: custom_attributes', false, { data: { fields: 'custom_attributes' } });
  }
  // The gateway reboot four days ago took its child sensors down with it.
  const gatewayReboot = ago(4 * DAY + 3 * HOUR) + jitter();
  add(byName.get('gw-hall-a'), gatewayReboot, EVENT_TYPES.deregistered, 'Device deregistered', true);
  add(byName.get('gw-hall-a'), gatewayReboot + 6 * MINUTE, EVENT_TYPES.registered, 'Device registered', true);
  for (const name of ['coldroom-a1-temp', 'coldroom-a2-temp']) {
    add(byName.get(name), gatewayReboot + 20_000, EVENT_TYPES.deregistered, 'Device deregistered', true);
    add(byName.get(name), gatewayReboot + 7 * MINUTE + rng.int(0, 50_000), EVENT_TYPES.registered, 'Device registered', true);
  }
  // Firmware campaign for the cold room sensors, three days ago.
  const campaignStart = ago(3 * DAY) + jitter();
  for (const [i, name] of ['coldroom-a1-temp', 'coldroom-a2-temp'].entries()) {
    const device = byName.get(name);
    const t = campaignStart + i * 4 * MINUTE;
    add(device, t, EVENT_TYPES.campaignMetadata, 'Device added to update campaign', false, { data: { campaign_id: campaignA } });
    add(device, t + 2 * MINUTE, EVENT_TYPES.updateState, 'Firmware update state: downloading', false, { data: { campaign_id: campaignA, state: 'downloading' } });
    add(device, t + 9 * MINUTE, EVENT_TYPES.updateState, 'Firmware update state: updating', false, { data: { campaign_id: campaignA, state: 'updating' } });
    add(device, t + 10 * MINUTE, EVENT_TYPES.deregistered, 'Device deregistered', true);
    add(device, t + 12 * MINUTE, EVENT_TYPES.registered, 'Device registered', true);
    add(device, t + 12 * MINUTE + 30_000, EVENT_TYPES.updateResult, 'Firmware update succeeded', false, { data: { campaign_id: campaignA, result: 'success', firmware_version: '1.8.4' } });
    add(device, t + 12 * MINUTE + 31_000, EVENT_TYPES.updated, 'Device record updated: firmware_checksum', false, { data: { fields: 'firmware_checksum,manifest_timestamp' } });
    if (device) device.manifestMs = t + 12 * MINUTE + 31_000;
  }
  // The battery door sensor on dock 3 got a new battery.
  const door3 = byName.get('dock-door-3');
  // It drops off the network overnight when the dock closes and re-registers at opening time.
  for (let day = 7; day >= 1; day--) {
    if (day === 3) continue;
    add(door3, ago(day * DAY) - 4 * HOUR + jitter(), EVENT_TYPES.expired, 'Device registration expired', true);
    add(door3, ago(day * DAY) + 5 * HOUR + jitter(), EVENT_TYPES.registered, 'Device registered', true);
  }
  const swap = ago(3 * DAY + 6 * HOUR) + jitter();
  add(door3, swap, EVENT_TYPES.expired, 'Device registration expired', true);
  add(door3, swap + 2 * HOUR + jitter(), EVENT_TYPES.registered, 'Device registered', true);
  add(door3, swap + 2 * HOUR + 45 * MINUTE, EVENT_TYPES.updated, 'Device record updated: custom_attributes', false, { data: { fields: 'custom_attributes' } });
  // Dock 7 ran out of battery two days ago after daily re-registrations.
  const door7 = byName.get('dock-door-7');
  for (let day = 6; day >= 3; day--) add(door7, ago(day * DAY) + 6 * HOUR + jitter(), EVENT_TYPES.registered, 'Device registered', true);
  add(door7, ago(2 * DAY) + jitter(), EVENT_TYPES.expired, 'Device registration expired', true);
  // Hall B lost power 30 hours ago; the gateway and the sensor behind it are still gone.
  const outage = ago(30 * HOUR) + jitter();
  add(byName.get('gw-hall-b'), ago(5 * DAY) + jitter(), EVENT_TYPES.registered, 'Device registered', true);
  add(byName.get('gw-hall-b'), outage, EVENT_TYPES.deregistered, 'Device deregistered', true);
  add(byName.get('coldroom-b1-temp'), outage + 5 * MINUTE, EVENT_TYPES.expired, 'Device registration expired', true);
  // office-co2-3f rejected a firmware manifest, was reset and has only bootstrapped since.
  const co2 = byName.get('office-co2-3f');
  const failed = ago(5 * DAY) + jitter();
  add(co2, failed, EVENT_TYPES.campaignMetadata, 'Device added to update campaign', false, { data: { campaign_id: campaignB } });
  add(co2, failed + 3 * MINUTE, 'UPD2_100', 'FAIL', false, { category: 'FAIL_MANIFEST_REJECTED', typeDescription: 'FAIL', data: { campaign_id: campaignB } });
  add(co2, failed + 40 * MINUTE, EVENT_TYPES.deregistered, 'Device deregistered', true);
  add(co2, ago(2 * DAY) + jitter(), EVENT_TYPES.bootstrapped, 'Device bootstrapped', true);
  if (co2) co2.bootstrappedMs = events[events.length - 1].ms;
  // The chiller valve was commissioned but never connected to the LwM2M server.
  add(byName.get('chiller-valve-b2'), ago(6 * DAY) + jitter(), EVENT_TYPES.updated, 'Device record updated: name, description', false, { data: { fields: 'name,description' } });
  // The PV meter is in its first bootstrap right now.
  add(byName.get('roof-meter-pv'), ago(38 * MINUTE), EVENT_TYPES.updated, 'Device state changed: cloud_enrolling', true, { data: { fields: 'state' } });
  add(byName.get('spare-thermo-01'), ago(26 * HOUR) + jitter(), EVENT_TYPES.updated, 'Device record updated: custom_attributes', false, { data: { fields: 'custom_attributes' } });

  // updated_at follows the newest event that changed the record or its state.
  const byId = new Map(devices.map((device) => [device.id, device]));
  for (const event of events) {
    const device = byId.get(event.deviceId);
    if (device && event.ms > device.updatedMs) device.updatedMs = event.ms;
  }
  return events;
}
