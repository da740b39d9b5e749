import { DAY, HOUR, SeededRandom } from '@devicegate/emulators/kit';
import type { DeviceType, EventData } from './disruptive.types.js';
import { buildEventData, PRODUCT_NUMBERS, signalFromRssi } from './disruptive.events.js';
import { xid } from './disruptive.ids.js';
import { DisruptiveStore, type DeviceRecord } from './disruptive.store.js';
import { isoFromMicros } from './disruptive.time.js';

/** The fixed ids and service account every start of the emulator accepts (documented in the README). */
export const DISRUPTIVE_SANDBOX_CREDENTIALS = {
  keyId: 'cn7bd2b3sqpg00e0ib50',
  secret: '8f3c2a9e6b1d4f7a0c5e9b2d6a8f1c3e',
  email: 'cn7bcl33sqpg00e0ib4g@cn7bb3m3sqpg00e0ib30.serviceaccount.d21s.com',
  serviceAccountId: 'cn7bcl33sqpg00e0ib4g',
  organizationId: 'cn7ba0n3sqpg00e0ib2g',
  projectIds: ['cn7bb3m3sqpg00e0ib30', 'cn7bbdb3sqpg00e0ib3g'],
} as const;

const MIN = 60_000;
/** Seed ids use device "creation" times in 2022–2023, so they start with `c` like real ones. */
const ID_EPOCH_S = 1_650_000_000;

interface DemoDevice {
  project: 0 | 1;
  type: DeviceType;
  labels: Record<string, string>;
  profile?: 'room' | 'server' | 'freezer' | 'archive' | 'ethernet' | 'cellular';
  emulated?: boolean;
}

/** The demo set: a Cloud Connector and a mix of sensors per project, named and labelled as in DT Studio. */
const DEMO: readonly DemoDevice[] = [
  { project: 0, type: 'temperature', profile: 'room', labels: { name: 'Meeting room Fjord', floor: '3', room: 'fjord', zone: 'meeting-rooms' } },
  { project: 0, type: 'temperature', profile: 'server', labels: { name: 'Server room rack 2', floor: 'B1', room: 'server-room', critical: 'true' } },
  { project: 0, type: 'humidity', profile: 'archive', labels: { name: 'Archive climate', floor: 'B1', room: 'archive' } },
  { project: 0, type: 'touch', labels: { name: 'Reception service button', floor: '1', room: 'reception' } },
  { project: 0, type: 'proximity', labels: { name: 'Main entrance door', floor: '1', room: 'lobby', asset: 'door' } },
  { project: 0, type: 'co2', labels: { name: 'Open office air quality', floor: '3', zone: 'open-office' } },
  { project: 0, type: 'waterDetector', labels: { name: 'Kitchen sink leak', floor: '3', room: 'kitchen', critical: 'true' } },
  { project: 0, type: 'deskOccupancy', labels: { name: 'Desk 3.14', floor: '3', zone: 'open-office', desk: '3.14' } },
  { project: 0, type: 'motion', labels: { name: 'Corridor 3 motion', floor: '3', zone: 'corridor' } },
  { project: 0, type: 'ccon', profile: 'ethernet', labels: { name: 'Cloud Connector floor 3', floor: '3' } },
  { project: 1, type: 'temperature', profile: 'freezer', labels: { name: 'Freezer 1', zone: 'cold-storage', asset: 'freezer-1', 'min-temp': '-24', 'max-temp': '-16' } },
  { project: 1, type: 'proximityCounter', labels: { name: 'Loading dock gate', zone: 'dock' } },
  { project: 1, type: 'contact', labels: { name: 'Fire exit door', zone: 'dock', critical: 'true' } },
  { project: 1, type: 'touchCounter', labels: { name: 'Feedback station exit', zone: 'exit' } },
  { project: 1, type: 'ccon', profile: 'cellular', labels: { name: 'Warehouse Cloud Connector', zone: 'office' } },
  { project: 1, type: 'temperature', profile: 'room', emulated: true, labels: { name: 'Virtual test sensor', purpose: 'integration-test', 'virtual-sensor': '' } },
];

export const DEMO_DEVICE_COUNT = DEMO.length;

const EXTRA_TYPES: readonly DeviceType[] = ['temperature', 'humidity', 'touch', 'proximity', 'co2', 'waterDetector', 'motion', 'deskOccupancy', 'contact', 'touchCounter', 'proximityCounter'];
const EXTRA_NAMES: Record<DeviceType, string> = {
  temperature: 'Temperature',
  humidity: 'Humidity',
  touch: 'Button',
  proximity: 'Door',
  co2: 'Air quality',
  waterDetector: 'Leak',
  motion: 'Motion',
  deskOccupancy: 'Desk',
  contact: 'Window',
  touchCounter: 'Feedback',
  proximityCounter: 'Counter',
  ccon: 'Cloud Connector',
};

/** Local time in Norway as UTC+1 (daylight saving ignored: an hour off in summer does not matter for demo data). */
const localHour = (ms: number) => (((ms + HOUR) % DAY) + DAY) % DAY / HOUR;
/** 1970-01-01 was a Thursday (day 4 counting Sunday as 0). */
const isWeekday = (ms: number) => {
  const day = (Math.floor((ms + HOUR) / DAY) + 4) % 7;
  return day >= 1 && day <= 5;
};
const isWorkTime = (ms: number) => isWeekday(ms) && localHour(ms) >= 7 && localHour(ms) < 17;
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

interface Pending {
  us: number;
  type: string;
  input: Record<string, unknown>;
}

/** Collects one device's events out of order, then stores them sorted with ids and timestamps. */
class Timeline {
  readonly items: Pending[] = [];
  constructor(
    private readonly rng: SeededRandom,
    /** Nothing is recorded at or after this instant: the seeded past must end before `now`. */
    private readonly until: number,
  ) {}

  add(ms: number, type: string, input: Record<string, unknown> = {}): void {
    if (ms >= this.until) return;
    this.items.push({ us: Math.floor(ms) * 1000 + this.rng.int(0, 999), type, input });
  }

  flush(store: DisruptiveStore, device: DeviceRecord): void {
    this.items.sort((a, b) => a.us - b.us);
    for (const item of this.items) {
      const data: EventData = buildEventData(item.type, item.input, isoFromMicros(item.us));
      store.seedEvent(device, item.type, data, item.us, xid(item.us / 1e6, this.rng));
    }
  }
}

/** Calls `fn` at every heartbeat (about every 15 minutes, ±3) in [from, to). */
function heartbeats(from: number, to: number, rng: SeededRandom, fn: (ms: number) => void): void {
  for (let t = from + rng.int(0, 15 * MIN); t < to; t += 15 * MIN + rng.int(-3 * MIN, 3 * MIN)) fn(t);
}

/** Calls `fn` for every whole hour in [from, to). */
function hours(from: number, to: number, fn: (ms: number) => void): void {
  for (let t = Math.ceil(from / HOUR) * HOUR; t < to; t += HOUR) fn(t);
}

interface Context {
  rng: SeededRandom;
  line: Timeline;
  from: number;
  to: number;
  /** Id of the Cloud Connector sensors report through. */
  cconId: string;
}

function sensorNetwork(ctx: Context, baseRssi: number): void {
  const { rng, line } = ctx;
  heartbeats(ctx.from, ctx.to, rng, (t) => {
    const rssi = baseRssi + rng.int(-4, 4);
    const signalStrength = signalFromRssi(rssi);
    line.add(t + rng.int(20, 400), 'networkStatus', {
      signalStrength,
      rssi,
      cloudConnectors: [{ id: ctx.cconId, signalStrength, rssi }],
      transmissionMode: signalStrength < 20 ? 'HIGH_POWER_BOOST_MODE' : 'LOW_POWER_STANDARD_MODE',
    });
  });
  let battery = rng.int(55, 100);
  for (let t = ctx.from + rng.int(0, Math.min(4 * HOUR, ctx.to - ctx.from - 1)); t < ctx.to; t += DAY) {
    if (rng.bool(0.2)) battery = Math.max(1, battery - 1);
    line.add(t, 'batteryStatus', { percentage: battery });
  }
}

function temperatureValue(profile: DemoDevice['profile'], t: number, rng: SeededRandom): number {
  const hour = localHour(t);
  switch (profile) {
    case 'server':
      return round(23.8 + rng.float(-0.3, 0.3));
    case 'freezer': {
      // A defrost cycle every eight hours warms the freezer for about 25 minutes.
      const defrost = t % (8 * HOUR) < 25 * MIN;
      return round((defrost ? -12.5 : -19.5) + rng.float(-0.4, 0.4));
    }
    case 'archive':
      return round(18.2 + rng.float(-0.3, 0.3));
    default: {
      const heating = isWorkTime(t) ? 1.2 : 0;
      return round(20.5 + heating + 0.8 * Math.sin(((hour - 9) / 24) * 2 * Math.PI) + rng.float(-0.15, 0.15));
    }
  }
}

function fillSensor(ctx: Context, spec: { type: DeviceType; profile?: DemoDevice['profile'] }, incidentAt: number): void {
  const { rng, line, from, to } = ctx;
  const { type, profile } = spec;
  switch (type) {
    case 'temperature':
      heartbeats(from, to, rng, (t) => line.add(t, 'temperature', { value: temperatureValue(profile, t, rng) }));
      break;
    case 'humidity':
      heartbeats(from, to, rng, (t) =>
        line.add(t, 'humidity', { temperature: temperatureValue(profile, t, rng), relativeHumidity: round(42 + 4 * Math.sin(t / (2 * DAY)) + rng.float(-1, 1), 1) }),
      );
      break;
    case 'co2':
      heartbeats(from, to, rng, (t) => {
        const hour = localHour(t);
        const occupied = isWorkTime(t) ? Math.sin(((hour - 7) / 10) * Math.PI) : 0;
        line.add(t, 'co2', { ppm: Math.round(430 + 650 * occupied + rng.int(-15, 15)) });
        line.add(t + 2, 'pressure', { pascal: Math.round(100_900 + 700 * Math.sin(t / (3 * DAY)) + rng.int(-20, 20)) });
        line.add(t + 4, 'temperature', { value: temperatureValue('room', t, rng) });
        line.add(t + 6, 'humidity', { temperature: temperatureValue('room', t, rng), relativeHumidity: round(33 + 8 * occupied + rng.float(-1, 1), 1) });
      });
      break;
    case 'waterDetector': {
      const leakEnd = incidentAt + 40 * MIN;
      const leaking = (t: number) => t >= incidentAt && t < leakEnd;
      if (incidentAt > from && incidentAt < to) {
        line.add(incidentAt, 'waterPresent', { state: 'PRESENT' });
        if (leakEnd < to) line.add(leakEnd, 'waterPresent', { state: 'NOT_PRESENT' });
      }
      heartbeats(from, to, rng, (t) => line.add(t, 'waterPresent', { state: leaking(t) ? 'PRESENT' : 'NOT_PRESENT' }));
      break;
    }
    case 'touch':
      hours(from, to, (h) => {
        if (!isWorkTime(h)) return;
        for (let n = rng.int(0, 3); n > 0; n--) line.add(h + rng.int(0, HOUR - 1), 'touch');
      });
      break;
    case 'proximity':
      line.add(from, 'objectPresent', { state: 'PRESENT' });
      hours(from, to, (h) => {
        const openings = isWorkTime(h) ? rng.int(1, 4) : rng.bool(0.05) ? 1 : 0;
        for (let n = 0; n < openings; n++) {
          const at = h + n * (HOUR / 4) + rng.int(0, 10 * MIN);
          line.add(at, 'objectPresent', { state: 'NOT_PRESENT' });
          line.add(Math.min(at + rng.int(20_000, 3 * MIN), to - 1), 'objectPresent', { state: 'PRESENT' });
        }
      });
      break;
    case 'motion':
      line.add(from, 'motion', { state: 'NO_MOTION_DETECTED' });
      hours(from, to, (h) => {
        if (!isWorkTime(h) && !rng.bool(0.03)) return;
        const episodes = isWorkTime(h) ? rng.int(1, 4) : 1;
        for (let n = 0; n < episodes; n++) {
          const at = h + n * (HOUR / 4) + rng.int(0, 3 * MIN);
          line.add(at, 'motion', { state: 'MOTION_DETECTED' });
          line.add(Math.min(at + rng.int(1 * MIN, 10 * MIN), to - 1), 'motion', { state: 'NO_MOTION_DETECTED' });
        }
      });
      break;
    case 'deskOccupancy':
      line.add(from, 'deskOccupancy', { state: 'NOT_OCCUPIED', remarks: [] });
      for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
        if (!isWeekday(day + 12 * HOUR) || rng.bool(0.2)) continue;
        const marks = [7 * HOUR + rng.int(0, 90 * MIN), 10 * HOUR + rng.int(0, 60 * MIN), 11 * HOUR + rng.int(0, 30 * MIN), 14 * HOUR + rng.int(0, 90 * MIN)];
        marks.forEach((offset, i) => {
          const at = day + offset;
          if (at > from && at < to) line.add(at, 'deskOccupancy', { state: i % 2 === 0 ? 'OCCUPIED' : 'NOT_OCCUPIED', remarks: [] });
        });
      }
      break;
    case 'contact':
      line.add(from, 'contact', { state: 'CLOSED' });
      for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
        for (let n = rng.int(0, 2); n > 0; n--) {
          const at = day + rng.int(6 * HOUR, 18 * HOUR);
          if (at <= from || at >= to) continue;
          line.add(at, 'contact', { state: 'OPEN' });
          line.add(Math.min(at + rng.int(30_000, 6 * MIN), to - 1), 'contact', { state: 'CLOSED' });
        }
      }
      break;
    case 'touchCounter':
    case 'proximityCounter': {
      let total = rng.int(1_000, 20_000);
      const eventType = type === 'touchCounter' ? 'touchCount' : 'objectPresentCount';
      heartbeats(from, to, rng, (t) => {
        total += isWorkTime(t) ? rng.int(0, type === 'touchCounter' ? 4 : 12) : rng.int(0, 1);
        line.add(t, eventType, { total });
      });
      break;
    }
    case 'ccon':
      break;
  }
  // Someone touches most sensors now and then, e.g. to find them in DT Studio.
  if (type !== 'touch' && rng.bool(0.6) && to - from > DAY) line.add(from + rng.int(0, to - from - 1), 'touch');
}

function fillCloudConnector(ctx: Context, profile: DemoDevice['profile'], incidentAt: number): void {
  const { rng, line, from, to } = ctx;
  const ethernet = profile !== 'cellular';
  const available = ethernet ? ['ETHERNET', 'CELLULAR'] : ['CELLULAR'];
  const normal = ethernet ? 'ETHERNET' : 'CELLULAR';
  line.add(from, 'connectionStatus', { connection: normal, available });
  if (incidentAt > from && incidentAt < to) {
    // Ethernet connectors fail over to cellular for a while; the cellular-only one drops offline briefly.
    line.add(incidentAt, 'connectionStatus', { connection: ethernet ? 'CELLULAR' : 'OFFLINE', available });
    const back = incidentAt + (ethernet ? 95 : 12) * MIN;
    if (back < to) line.add(back, 'connectionStatus', { connection: normal, available });
  }
  const mac = ethernet ? 'f0:b5:b7:00:12:3a' : 'f0:b5:b7:00:4c:91';
  for (let t = from + rng.int(0, HOUR); t < to; t += 6 * HOUR) {
    line.add(t, 'ethernetStatus', { macAddress: ethernet ? mac : '', ipAddress: ethernet ? '10.20.3.41' : '', errors: [] });
  }
  hours(from, to, (h) => line.add(h + rng.int(0, 5 * MIN), 'cellularStatus', { signalStrength: ethernet ? rng.int(60, 85) : rng.int(40, 70), errors: [] }));
  if (to - from > DAY) line.add(from + rng.int(0, to - from - 1), 'touch');
}

export interface SeedOptions {
  now: number;
  deviceCount: number;
}

/** Fills a store with the organization, both projects and `deviceCount` devices. Same input, same data. */
export function seedStore(store: DisruptiveStore, options: SeedOptions): void {
  const creds = DISRUPTIVE_SANDBOX_CREDENTIALS;
  store.addOrganization({ id: creds.organizationId, displayName: 'Nordlys Facilities AS' });
  store.addProject({
    id: creds.projectIds[0],
    displayName: 'Oslo HQ',
    organizationId: creds.organizationId,
    inventory: false,
    location: { latitude: 59.91273, longitude: 10.74609, timeLocation: 'Europe/Oslo' },
    labels: { site: 'oslo' },
  });
  store.addProject({
    id: creds.projectIds[1],
    displayName: 'Trondheim Warehouse',
    organizationId: creds.organizationId,
    inventory: false,
    location: { latitude: 63.43049, longitude: 10.39506, timeLocation: 'Europe/Oslo' },
    labels: { site: 'trondheim' },
  });

  const { now } = options;
  const count = Math.max(0, Math.floor(options.deviceCount));
  const demo = DEMO.slice(0, Math.min(count, DEMO.length));
  // Ids first: sensors name the Cloud Connector of their project in networkStatus.
  const demoIds = DEMO.map((spec, i) => {
    const id = xid(ID_EPOCH_S + i * 3 * 86_400 + 3_600, new SeededRandom(7_000 + i));
    return spec.emulated ? `emu${id}` : id;
  });
  const cconOf = (project: 0 | 1) => demoIds[DEMO.findIndex((d) => d.project === project && d.type === 'ccon')];
  // The week ends a few minutes before `now`; incidents sit at fixed offsets so the story is the same each start.
  const end = now - 2 * MIN;
  const start = now - 7 * DAY;

  demo.forEach((spec, i) => {
    const rng = new SeededRandom(9_000 + i);
    const device = newDevice(demoIds[i], creds.projectIds[spec.project], spec.type, { ...spec.labels }, spec.emulated === true);
    const to = end - rng.int(0, 10 * MIN);
    const line = new Timeline(rng, to);
    const ctx: Context = { rng, line, from: start, to, cconId: spec.emulated ? 'emulated-ccon' : cconOf(spec.project) };
    if (spec.emulated) {
      // A test script published to this virtual sensor once an hour.
      hours(ctx.from, ctx.to, (h) => {
        line.add(h + 1_000, 'temperature', { value: temperatureValue('room', h, rng) });
        line.add(h + 1_200, 'networkStatus', { signalStrength: 99, rssi: 0, cloudConnectors: [{ id: 'emulated-ccon', signalStrength: 99, rssi: 0 }] });
      });
    } else if (spec.type === 'ccon') {
      fillCloudConnector(ctx, spec.profile, now - (spec.project === 0 ? 3 : 4.5) * DAY);
    } else {
      sensorNetwork(ctx, -62 - ((i * 7) % 28));
      fillSensor(ctx, spec, now - 2 * DAY - 5 * HOUR);
    }
    line.flush(store, device);
    store.addDevice(device, true);
  });

  for (let i = DEMO.length; i < count; i++) {
    const rng = new SeededRandom(100_000 + i);
    const n = i - DEMO.length + 1;
    const type = EXTRA_TYPES[n % EXTRA_TYPES.length];
    const project = (n % 2) as 0 | 1;
    const labels = { name: `${EXTRA_NAMES[type]} ${String(n).padStart(4, '0')}`, floor: String(1 + (n % 6)), batch: `b${Math.floor(n / 250)}` };
    const device = newDevice(xid(ID_EPOCH_S + 40_000_000 + n * 60, rng), creds.projectIds[project], type, labels, false);
    // Extra devices carry only their latest state: one heartbeat window shortly before `now`.
    const line = new Timeline(rng, end);
    const ctx: Context = { rng, line, from: end - 16 * MIN, to: end, cconId: cconOf(project) };
    sensorNetwork(ctx, -60 - rng.int(0, 30));
    fillSensor(ctx, { type, profile: 'room' }, 0);
    line.flush(store, device);
    store.addDevice(device, true);
  }
  store.sortDevices();
}

function newDevice(id: string, projectId: string, type: DeviceType, labels: Record<string, string>, emulated: boolean): DeviceRecord {
  return { id, projectId, name: `projects/${projectId}/devices/${id}`, type, productNumber: PRODUCT_NUMBERS[type], labels, reported: DisruptiveStore.emptyReported(type), events: [], times: [], emulated };
}
