import { DAY, HOUR, SeededRandom } from '@devicegate/emulators/kit';
import type {
  BlynkActionLogEntry,
  BlynkOrganization,
  BlynkTag,
  BlynkTemplate,
  BlynkTimelineEvent,
  BlynkUser,
  DataStreamValueJson,
  HardwareInfo,
  LifecycleStatus,
  StoredDevice,
  StoredValue,
  TemplateDataStream,
  TemplateEvent,
  TemplateMetaField,
} from './blynk.types.js';

const MINUTE = 60_000;

export const ORG_ID = 101;
export const SUB_ORG_ID = 102;
/** An organization the sandbox client has no access to; its objects must look missing. */
export const FOREIGN_ORG_ID = 900;
export const FOREIGN_DEVICE_ID = 500;
export const FIRST_DEVICE_ID = 1001;

export const ORGANIZATIONS: readonly BlynkOrganization[] = [
  { id: ORG_ID, name: 'Acme Facilities', parentId: null },
  { id: SUB_ORG_ID, name: 'Acme North Warehouse', parentId: ORG_ID },
  { id: FOREIGN_ORG_ID, name: 'Globex Utilities', parentId: null },
];

export const USERS: readonly BlynkUser[] = [
  { id: 201, email: 'facilities.admin@acme-facilities.example', name: 'Dana Whitfield', orgId: ORG_ID, activated: true },
  { id: 202, email: 'maria.keller@acme-facilities.example', name: 'Maria Keller', orgId: ORG_ID, activated: true },
  { id: 203, email: 'tom.okafor@acme-facilities.example', name: 'Tom Okafor', orgId: ORG_ID, activated: true },
  { id: 204, email: 'lena.berg@acme-north.example', name: 'Lena Berg', orgId: SUB_ORG_ID, activated: true },
  { id: 205, email: 'raj.patel@acme-north.example', name: 'Raj Patel', orgId: SUB_ORG_ID, activated: true },
  { id: 206, email: 'sam.novak@acme-facilities.example', name: 'Sam Novak', orgId: ORG_ID, activated: false },
  { id: 901, email: 'ops@globex-utilities.example', name: 'Globex Operations', orgId: FOREIGN_ORG_ID, activated: true },
];

export const TAGS: readonly BlynkTag[] = [
  { id: 1, name: 'In Service', orgId: ORG_ID },
  { id: 2, name: 'Maintenance', orgId: ORG_ID },
  { id: 3, name: 'Pilot', orgId: ORG_ID },
  { id: 4, name: 'Cold Chain', orgId: ORG_ID },
  { id: 5, name: 'Rooftop', orgId: ORG_ID },
  { id: 6, name: 'Critical Asset', orgId: ORG_ID },
  { id: 7, name: 'North Site', orgId: SUB_ORG_ID },
  { id: 8, name: 'Loading Dock', orgId: SUB_ORG_ID },
  { id: 90, name: 'Globex Field', orgId: FOREIGN_ORG_ID },
];

/** Every template carries Blynk's two built-in connectivity events before its own ones. */
const SYSTEM_EVENTS: readonly TemplateEvent[] = [
  { id: 1, code: 'online', name: 'Online', type: 'ONLINE' },
  { id: 2, code: 'offline', name: 'Offline', type: 'OFFLINE' },
];

export const ZONES = ['North', 'South', 'East', 'West', 'Central'] as const;

const META_FIELDS: readonly TemplateMetaField[] = [
  { id: 1, name: 'Device Name', type: 'DeviceName', isMandatory: true, includeInProvision: true },
  { id: 2, name: 'Device Owner', type: 'DeviceOwner', isMandatory: false, includeInProvision: true },
  { id: 3, name: 'Location', type: 'Text', isMandatory: false, includeInProvision: true },
  { id: 4, name: 'Serial Number', type: 'Text', isMandatory: true, includeInProvision: false },
  { id: 5, name: 'Zone', type: 'List', isMandatory: false, includeInProvision: false, options: ZONES },
  { id: 6, name: 'Service Interval Days', type: 'Number', isMandatory: false, includeInProvision: false, min: 1, max: 365 },
];

type TemplateKey = 'env' | 'relay' | 'water' | 'cold';

const template = (t: Omit<BlynkTemplate, 'events' | 'metaFields'> & { events: TemplateEvent[] }): BlynkTemplate => ({
  ...t,
  events: [...SYSTEM_EVENTS, ...t.events],
  metaFields: META_FIELDS,
});

const ds = (id: number, pin: string, label: string, dataType: TemplateDataStream['dataType'], extra: Partial<TemplateDataStream> = {}): TemplateDataStream => ({
  id,
  pin,
  label,
  alias: label,
  dataType,
  ...extra,
});

export const TEMPLATES: Record<TemplateKey, BlynkTemplate> = {
  env: template({
    id: 3501,
    templateId: 'TMPL4bXq7RzKc',
    name: 'Environment Sensor',
    orgId: ORG_ID,
    boardType: 'ESP32',
    firmwareVersion: '2.3.1',
    firmwareBuild: 'Mar 12 2026 09:41:17',
    blynkVersion: '1.3.2',
    dataStreams: [
      ds(1, 'v0', 'Temperature', 'Double', { min: -40, max: 85, units: 'Celsius' }),
      ds(2, 'v1', 'Humidity', 'Double', { min: 0, max: 100, units: 'Percentage' }),
      ds(3, 'v2', 'CO2', 'Integer', { min: 0, max: 5000, units: 'PartsPerMillion' }),
      ds(4, 'v3', 'Battery', 'Integer', { min: 0, max: 100, units: 'Percentage' }),
      ds(5, 'v4', 'Report Interval', 'Integer', { min: 10, max: 3600, units: 'Second', control: true }),
    ],
    events: [
      { id: 3, code: 'high_temperature', name: 'High Temperature', type: 'WARNING' },
      { id: 4, code: 'low_battery', name: 'Low Battery', type: 'WARNING' },
      { id: 5, code: 'co2_critical', name: 'CO2 Critical', type: 'CRITICAL' },
      { id: 6, code: 'sensor_calibrated', name: 'Sensor Calibrated', type: 'INFORMATION' },
    ],
  }),
  relay: template({
    id: 3502,
    templateId: 'TMPL8RITg_f9Q',
    name: 'Smart Relay',
    orgId: ORG_ID,
    boardType: 'ESP8266',
    firmwareVersion: '1.8.0',
    firmwareBuild: 'Jan 30 2026 16:05:52',
    blynkVersion: '1.3.2',
    dataStreams: [
      ds(1, 'v0', 'Power', 'Integer', { min: 0, max: 1, control: true }),
      ds(2, 'v1', 'Current', 'Double', { min: 0, max: 20, units: 'Ampere' }),
      ds(3, 'v2', 'Energy', 'Double', { min: 0, max: 100000, units: 'KiloWattHour' }),
      ds(4, 'v5', 'Mode', 'String', { control: true }),
    ],
    events: [
      { id: 3, code: 'overcurrent', name: 'Overcurrent', type: 'CRITICAL' },
      { id: 4, code: 'relay_switched', name: 'Relay Switched', type: 'INFORMATION' },
      { id: 5, code: 'schedule_missed', name: 'Schedule Missed', type: 'WARNING' },
    ],
  }),
  water: template({
    id: 3503,
    templateId: 'TMPL2Wm9hVx3L',
    name: 'Water Meter',
    orgId: ORG_ID,
    boardType: 'Particle Boron',
    firmwareVersion: '3.0.4',
    firmwareBuild: 'Feb 18 2026 11:20:03',
    blynkVersion: '1.3.0',
    dataStreams: [
      ds(1, 'v0', 'Flow Rate', 'Double', { min: 0, max: 200, units: 'LitersPerMinute' }),
      ds(2, 'v1', 'Total Volume', 'Double', { min: 0, max: 1000000, units: 'CubicMeter' }),
      ds(3, 'v2', 'Leak Detected', 'Integer', { min: 0, max: 1 }),
      ds(4, 'v3', 'Signal', 'Integer', { min: -120, max: -30, units: 'DecibelMilliwatt' }),
      ds(5, 'v4', 'Location', 'Location'),
      ds(6, 'v5', 'Valve', 'Integer', { min: 0, max: 1, control: true }),
    ],
    events: [
      { id: 3, code: 'leak_detected', name: 'Leak Detected', type: 'CRITICAL' },
      { id: 4, code: 'high_flow', name: 'High Flow', type: 'WARNING' },
      { id: 5, code: 'daily_report', name: 'Daily Report', type: 'INFORMATION' },
    ],
  }),
  cold: template({
    id: 3504,
    templateId: 'TMPLc0LdR00m7',
    name: 'Cold Room Monitor',
    orgId: ORG_ID,
    boardType: 'ESP32',
    firmwareVersion: '1.2.7',
    firmwareBuild: 'Apr 02 2026 08:12:44',
    blynkVersion: '1.3.2',
    dataStreams: [
      ds(1, 'v0', 'Temperature', 'Double', { min: -30, max: 30, units: 'Celsius' }),
      ds(2, 'v1', 'Door Open', 'Integer', { min: 0, max: 1 }),
      ds(3, 'v2', 'Compressor', 'String'),
      ds(4, 'v3', 'Setpoint', 'Double', { min: -25, max: 10, units: 'Celsius', control: true }),
    ],
    events: [
      { id: 3, code: 'temp_out_of_range', name: 'Temperature Out Of Range', type: 'CRITICAL' },
      { id: 4, code: 'door_open_too_long', name: 'Door Open Too Long', type: 'WARNING' },
      { id: 5, code: 'defrost_cycle', name: 'Defrost Cycle', type: 'INFORMATION' },
    ],
  }),
};

/** A template of the foreign organization: creating a device from it must fail as "not found". */
export const FOREIGN_TEMPLATE: BlynkTemplate = template({
  id: 3901,
  templateId: 'TMPLgLbX0x9Qa',
  name: 'Globex Meter',
  orgId: FOREIGN_ORG_ID,
  boardType: 'ESP32',
  firmwareVersion: '0.9.0',
  firmwareBuild: 'Dec 01 2025 10:00:00',
  blynkVersion: '1.2.0',
  dataStreams: [ds(1, 'v0', 'Reading', 'Double')],
  events: [],
});

interface DemoSpec {
  name: string;
  template: TemplateKey;
  orgId: number;
  owner: number | null;
  online: boolean;
  tags: number[];
  location: string;
  zone: (typeof ZONES)[number];
  /** Activated this many minutes before `now` (fresh devices have only minutes of history). */
  recentMinutes?: number;
  locked?: boolean;
}

const DEMO: readonly DemoSpec[] = [
  { name: 'Lobby Climate', template: 'env', orgId: ORG_ID, owner: 202, online: true, tags: [1], location: 'Main Lobby', zone: 'Central' },
  { name: 'Server Room Climate', template: 'env', orgId: ORG_ID, owner: 202, online: true, tags: [1, 6], location: 'Server Room B1', zone: 'Central' },
  { name: 'Rooftop Air Quality', template: 'env', orgId: ORG_ID, owner: 203, online: false, tags: [5, 2], location: 'Roof Level 7', zone: 'North' },
  { name: "Maria's Office Sensor", template: 'env', orgId: ORG_ID, owner: 202, online: true, tags: [3], location: 'Office 4.12', zone: 'East' },
  { name: 'Kitchen Fridge Relay', template: 'relay', orgId: ORG_ID, owner: 203, online: true, tags: [1], location: 'Staff Kitchen L2', zone: 'West' },
  { name: 'HVAC Pump Relay', template: 'relay', orgId: ORG_ID, owner: 203, online: false, tags: [2, 6], location: 'Plant Room', zone: 'South' },
  { name: 'Main Water Meter', template: 'water', orgId: ORG_ID, owner: 201, online: true, tags: [1, 6], location: 'Basement Riser', zone: 'South' },
  { name: 'Cold Room A', template: 'cold', orgId: ORG_ID, owner: 203, online: true, tags: [4, 1], location: 'Canteen Storage', zone: 'West' },
  { name: 'Cold_Room-B', template: 'cold', orgId: ORG_ID, owner: null, online: false, tags: [4, 2], location: 'Canteen Storage', zone: 'West', locked: true },
  { name: 'Parking Lights Relay', template: 'relay', orgId: ORG_ID, owner: 202, online: true, tags: [3], location: 'Car Park Level -1', zone: 'North', recentMinutes: 4 },
  { name: 'Dock Door Cold Store', template: 'cold', orgId: SUB_ORG_ID, owner: 204, online: true, tags: [7, 8, 4], location: 'Dock 3', zone: 'North' },
  { name: 'Warehouse Climate 1', template: 'env', orgId: SUB_ORG_ID, owner: 204, online: true, tags: [7], location: 'Aisle 1', zone: 'North' },
  { name: 'Warehouse Climate 2', template: 'env', orgId: SUB_ORG_ID, owner: 205, online: false, tags: [7, 2], location: 'Aisle 9', zone: 'North' },
  { name: 'Sprinkler Water Meter', template: 'water', orgId: SUB_ORG_ID, owner: 205, online: true, tags: [7], location: 'Pump House', zone: 'East' },
  { name: 'Forklift Charger Relay', template: 'relay', orgId: SUB_ORG_ID, owner: 204, online: true, tags: [7, 8], location: 'Charging Bay', zone: 'North', recentMinutes: 3 },
];

export const DEMO_DEVICE_COUNT = DEMO.length;

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

const TOKEN_CODES = Array.from(TOKEN_ALPHABET, (c) => c.charCodeAt(0));

/**
 * A fresh 32-character device auth token, the form Blynk issues. Takes five characters from each
 * draw (64 symbols = 6 bits), which keeps seeding 10,000 devices fast.
 */
export function deviceToken(rng: SeededRandom): string {
  const codes: number[] = [];
  let bits = 0;
  let left = 0;
  for (let i = 0; i < 32; i++) {
    if (left < 6) {
      bits = Math.floor(rng.next() * 0x40000000);
      left = 30;
    }
    codes.push(TOKEN_CODES[bits & 63]);
    bits >>>= 6;
    left -= 6;
  }
  return String.fromCharCode(...codes);
}

export const hardwareInfoOf = (t: BlynkTemplate): HardwareInfo => ({
  version: t.firmwareVersion,
  fwType: t.templateId,
  blynkVersion: t.blynkVersion,
  boardType: t.boardType,
  build: t.firmwareBuild,
  templateId: t.templateId,
});

export const lifecycleOf = (online: boolean): LifecycleStatus =>
  online ? { eventId: 1, name: 'Online', icon: 'wifi', color: '#23C48E' } : { eventId: 2, name: 'Offline', icon: 'wifi-off', color: '#D3435C' };

function sampleValue(rng: SeededRandom, stream: TemplateDataStream): DataStreamValueJson {
  switch (stream.dataType) {
    case 'Location':
      return [rng.float(13.3, 13.5, 5), rng.float(52.45, 52.55, 5)];
    case 'String':
      return stream.label === 'Mode' ? rng.pick(['auto', 'manual', 'schedule']) : rng.pick(['running', 'idle', 'defrost']);
    case 'Integer':
      if (stream.label === 'CO2') return rng.int(420, 1100);
      if (stream.label === 'Battery') return rng.int(35, 100);
      if (stream.label === 'Signal') return rng.int(-105, -65);
      if (stream.label === 'Report Interval') return rng.pick([60, 300, 900]);
      if (stream.label === 'Leak Detected') return rng.bool(0.1) ? 1 : 0;
      return rng.int(stream.min ?? 0, stream.max ?? 1);
    case 'Double':
      if (stream.label === 'Temperature') return stream.max === 30 ? rng.float(1, 4.5, 1) : rng.float(19, 26, 1);
      if (stream.label === 'Humidity') return rng.float(30, 60, 1);
      if (stream.label === 'Current') return rng.float(0, 6, 2);
      if (stream.label === 'Energy') return rng.float(100, 9000, 1);
      if (stream.label === 'Flow Rate') return rng.float(0, 18, 1);
      if (stream.label === 'Total Volume') return rng.float(1000, 25000, 2);
      if (stream.label === 'Setpoint') return rng.pick([2, 3, 4]);
      return rng.float(stream.min ?? 0, stream.max ?? 100, 2);
  }
}

function describe(rng: SeededRandom, code: string): string {
  switch (code) {
    case 'high_temperature':
      return `Temperature ${rng.float(27, 33, 1)}°C exceeded 27.0°C threshold`;
    case 'low_battery':
      return `Battery level dropped to ${rng.int(8, 19)}%`;
    case 'co2_critical':
      return `CO2 concentration ${rng.int(1500, 2400)} ppm above 1500 ppm limit`;
    case 'sensor_calibrated':
      return 'Automatic baseline calibration completed';
    case 'overcurrent':
      return `Load current ${rng.float(16, 19, 1)} A exceeded 16 A, relay opened`;
    case 'relay_switched':
      return `Relay switched ${rng.bool() ? 'ON' : 'OFF'} by schedule`;
    case 'schedule_missed':
      return `Scheduled switch at ${String(rng.int(5, 22)).padStart(2, '0')}:00 was not executed`;
    case 'leak_detected':
      return `Continuous flow of ${rng.float(0.5, 3, 1)} L/min for 2 hours, possible leak`;
    case 'high_flow':
      return `Flow rate ${rng.float(40, 75, 1)} L/min above 40 L/min`;
    case 'daily_report':
      return `Daily consumption ${rng.float(2, 14, 2)} m³`;
    case 'temp_out_of_range':
      return `Cold room temperature ${rng.float(6, 11, 1)}°C outside 0..5°C`;
    case 'door_open_too_long':
      return `Door open for ${rng.int(6, 25)} minutes`;
    case 'defrost_cycle':
      return `Defrost cycle finished in ${rng.int(12, 30)} min`;
    default:
      return code;
  }
}

const RESOLVE_COMMENTS = ['Checked on site, back to normal', 'Acknowledged by operator', 'Filter replaced', 'False alarm', 'Fixed during scheduled maintenance'];

/** Hands out timeline event ids, shared by seeding and the running emulator. */
export class IdCounter {
  constructor(private next: number) {}
  take(): number {
    return this.next++;
  }
}

interface Session {
  on: number;
  off: number | null;
}

/**
 * A week of connectivity sessions and template events for one device, oldest first. Sessions end
 * minutes before `now` for online devices and hours before for offline ones.
 */
function weekOfEvents(rng: SeededRandom, device: StoredDevice, online: boolean, now: number, ids: IdCounter, sessions: Session[]): BlynkTimelineEvent[] {
  const events = device.template.events;
  const custom = events.filter((e) => e.type !== 'ONLINE' && e.type !== 'OFFLINE');
  const weighted = custom.flatMap((e) => (e.type === 'INFORMATION' ? [e, e, e] : e.type === 'WARNING' ? [e, e] : [e]));
  const out: Array<Omit<BlynkTimelineEvent, 'id'>> = [];
  const push = (event: TemplateEvent, ts: number, description: string | null) =>
    out.push({ eventId: event.id, orgId: device.orgId, eventType: event.type, description, ts, isResolved: false, resolvedAt: null, resolvedComment: null });
  const end = online ? now - rng.int(2, 15) * MINUTE : now - rng.int(1 * HOUR, 8 * HOUR);
  let t = Math.max(device.activatedAt + 5 * MINUTE, now - 7 * DAY + rng.int(0, 2 * HOUR));
  let on = true;
  push(events[0], t, null);
  sessions.push({ on: t, off: null });
  while (t < end) {
    if (on) {
      const until = Math.min(t + rng.int(4 * HOUR, 36 * HOUR), end);
      for (let e = t + rng.int(20 * MINUTE, 3 * HOUR); e < until; e += rng.int(2 * HOUR, 8 * HOUR)) {
        const event = rng.pick(weighted);
        push(event, e, describe(rng, event.code));
      }
      t = until;
      if (t >= end && online) break;
      push(events[1], t, null);
      sessions[sessions.length - 1].off = t;
      on = false;
    } else {
      t += rng.int(3 * MINUTE, 2 * HOUR);
      if (t >= end) t = end;
      if (t >= end && !online) break;
      push(events[0], t, null);
      sessions.push({ on: t, off: null });
      on = true;
    }
  }
  for (const event of out) {
    if ((event.eventType === 'WARNING' || event.eventType === 'CRITICAL') && rng.bool(0.7)) {
      const at = event.ts + rng.int(10 * MINUTE, 3 * HOUR);
      if (at < now) {
        event.isResolved = true;
        event.resolvedAt = at;
        event.resolvedComment = rng.pick(RESOLVE_COMMENTS);
      }
    }
  }
  return out.map((e) => ({ id: ids.take(), ...e }));
}

const onlineAt = (sessions: readonly Session[], ts: number): boolean => sessions.some((s) => s.on <= ts && (s.off === null || ts < s.off));

function actionLog(rng: SeededRandom, device: StoredDevice, sessions: readonly Session[], now: number, emails: readonly string[]): BlynkActionLogEntry[] {
  const controls = device.template.dataStreams.filter((s) => s.control);
  const start = Math.max(device.activatedAt, now - 7 * DAY);
  const count = rng.int(4, 12);
  const entries: BlynkActionLogEntry[] = [];
  for (let i = 0; i < count; i++) {
    const stream = rng.pick(controls);
    const createdAt = rng.int(start, now - 10 * MINUTE);
    const raw = sampleValue(rng, stream);
    entries.push({
      triggerUserEmail: rng.pick(emails),
      value: typeof raw === 'number' ? raw : String(raw),
      pin: Number(stream.pin.slice(1)),
      pinType: 'VIRTUAL',
      isOnline: onlineAt(sessions, createdAt),
      createdAt,
    });
  }
  return entries.sort((a, b) => b.createdAt - a.createdAt);
}

function baseDevice(id: number, name: string, t: BlynkTemplate, orgId: number, token: string, activatedAt: number, owner: number | null): StoredDevice {
  return {
    id,
    name,
    template: t,
    orgId,
    token,
    activatedAt,
    ownerUserId: owner,
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
}

const SERIAL_PREFIX: Record<TemplateKey, string> = { env: 'ENV', relay: 'RLY', water: 'WTR', cold: 'CLD' };

function demoDevice(index: number, spec: DemoSpec, now: number, ids: IdCounter): StoredDevice {
  const rng = new SeededRandom(0xb1e0 + index);
  const t = TEMPLATES[spec.template];
  const activatedAt = spec.recentMinutes !== undefined ? now - spec.recentMinutes * MINUTE - rng.int(0, 30_000) : now - rng.int(30, 420) * DAY - rng.int(0, DAY);
  const device = baseDevice(FIRST_DEVICE_ID + index, spec.name, t, spec.orgId, deviceToken(rng), activatedAt, spec.owner);
  device.tagIds = [...spec.tags];
  device.isLocked = spec.locked ?? false;
  device.hardwareInfo = hardwareInfoOf(t);
  device.ip = `203.0.113.${rng.int(2, 254)}`;
  device.metaValues.set(3, spec.location);
  device.metaValues.set(4, `SN-${SERIAL_PREFIX[spec.template]}-${String(rng.int(100000, 999999))}`);
  device.metaValues.set(5, spec.zone);
  device.metaValues.set(6, rng.pick([30, 90, 180]));

  const sessions: Session[] = [];
  let chronological: BlynkTimelineEvent[];
  if (spec.recentMinutes !== undefined) {
    const ts = activatedAt + rng.int(20_000, 60_000);
    chronological = [{ id: ids.take(), eventId: 1, orgId: spec.orgId, eventType: 'ONLINE', description: null, ts, isResolved: false, resolvedAt: null, resolvedComment: null }];
    sessions.push({ on: ts, off: null });
  } else {
    chronological = weekOfEvents(rng, device, spec.online, now, ids, sessions);
    if (rng.bool(0.4)) device.firmwareUpdatedAt = now - rng.int(8, 60) * DAY;
  }
  device.timeline = chronological.reverse();
  const lastOn = sessions[sessions.length - 1];
  device.connected = spec.online;
  device.connectTime = lastOn.on;
  device.disconnectTime = [...sessions].reverse().find((s) => s.off !== null)?.off ?? 0;
  device.firstConnectTime = spec.recentMinutes !== undefined ? lastOn.on : activatedAt + rng.int(MINUTE, 20 * MINUTE);
  device.lifecycleStatus = lifecycleOf(spec.online);
  device.lastReceivedEventAt = device.timeline.find((e) => e.eventType !== 'ONLINE' && e.eventType !== 'OFFLINE')?.ts ?? 0;
  const valuesAt = spec.online ? now - rng.int(5_000, 5 * MINUTE) : (lastOn.off ?? now) - rng.int(5_000, 60_000);
  for (const stream of t.dataStreams) device.values.set(stream.id, { value: sampleValue(rng, stream), updatedAt: valuesAt });
  const emails = USERS.filter((u) => u.orgId === spec.orgId && u.activated).map((u) => u.email);
  device.logs = actionLog(rng, device, sessions, now, emails);
  return device;
}

const EXTRA_NAMES: Record<TemplateKey, string> = { env: 'Env Sensor', relay: 'Relay', water: 'Water Meter', cold: 'Cold Room' };
const TEMPLATE_KEYS: readonly TemplateKey[] = ['env', 'relay', 'water', 'cold'];

/** Bulk devices for large seeds: real-looking objects, current values only, no history. */
function extraDevice(rng: SeededRandom, id: number, now: number): StoredDevice {
  const key = TEMPLATE_KEYS[id % TEMPLATE_KEYS.length];
  const t = TEMPLATES[key];
  const orgId = id % 5 === 0 ? SUB_ORG_ID : ORG_ID;
  const activatedAt = now - rng.int(1, 400) * DAY - rng.int(0, DAY);
  const owner = rng.bool(0.6) ? (orgId === ORG_ID ? rng.pick([202, 203]) : rng.pick([204, 205])) : null;
  const device = baseDevice(id, `${EXTRA_NAMES[key]} ${String(id).padStart(5, '0')}`, t, orgId, deviceToken(rng), activatedAt, owner);
  const online = rng.bool(0.7);
  device.connected = online;
  device.hardwareInfo = hardwareInfoOf(t);
  device.ip = `198.51.100.${rng.int(2, 254)}`;
  device.firstConnectTime = activatedAt + 5 * MINUTE;
  device.connectTime = now - rng.int(1, 72) * HOUR;
  device.disconnectTime = online ? device.connectTime - rng.int(1, 30) * MINUTE : device.connectTime + rng.int(1, 60) * MINUTE;
  device.lifecycleStatus = lifecycleOf(online);
  device.metaValues.set(4, `SN-${SERIAL_PREFIX[key]}-${String(100000 + id)}`);
  const updatedAt = online ? now - rng.int(5_000, 10 * MINUTE) : device.disconnectTime;
  for (const stream of t.dataStreams) {
    const value: StoredValue = { value: sampleValue(rng, stream), updatedAt };
    device.values.set(stream.id, value);
  }
  return device;
}

export interface SeedResult {
  devices: StoredDevice[];
  nextEventId: IdCounter;
}

/** The same devices at every start; only timestamps move with `now`. */
export function seedDevices(now: number, deviceCount: number): SeedResult {
  const ids = new IdCounter(1);
  const devices: StoredDevice[] = [];
  const demo = Math.min(deviceCount, DEMO.length);
  for (let i = 0; i < demo; i++) devices.push(demoDevice(i, DEMO[i], now, ids));
  const rng = new SeededRandom(0x5eed);
  for (let id = FIRST_DEVICE_ID + demo; id < FIRST_DEVICE_ID + deviceCount; id++) devices.push(extraDevice(rng, id, now));

  const foreign = baseDevice(FOREIGN_DEVICE_ID, 'Globex Pilot Meter', FOREIGN_TEMPLATE, FOREIGN_ORG_ID, deviceToken(new SeededRandom(0x900)), now - 90 * DAY, 901);
  foreign.tagIds = [90];
  devices.push(foreign);
  return { devices, nextEventId: ids };
}
