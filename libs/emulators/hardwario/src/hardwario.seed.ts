import { DAY, HOUR } from '@devicegate/emulators/kit';
import { SeededRandom } from '@devicegate/emulators/kit';
import { PRODUCTS, dataBody, sessionBody, statsBody, type BodyContext, type ChesterProduct } from './hardwario.bodies.js';
import type { ConnectorRecord, DeviceRecord, HardwarioStore, MessageRecord, TagRecord } from './hardwario.store.js';
import type { HardwarioSpace, MessageType, TagAccessType } from './hardwario.types.js';

export const SANDBOX_SPACE: HardwarioSpace = {
  id: '018e08bc-a806-7e52-a5e8-be5b5ff6c1b3',
  name: 'devicegate-demo',
  type: 'team',
  owner_id: '018bed0a-cf2f-7d49-ae0f-4768890e20ef',
  user_role: 'admin',
  created_at: '2024-03-04T09:12:45.318Z',
};

const MINUTE = 60_000;

interface TagSeed {
  name: string;
  color: string;
  access: TagAccessType;
}

const TAGS: TagSeed[] = [
  { name: 'outdoor', color: '#2e7d32', access: 'write' },
  { name: 'indoor', color: '#009cfa', access: 'write' },
  { name: 'agriculture', color: '#8bc34a', access: 'write' },
  { name: 'warehouse', color: '#ff9800', access: 'write' },
  { name: 'critical', color: '#e53935', access: 'write' },
  { name: 'metering', color: '#7e57c2', access: 'read' },
  { name: 'actuators', color: '#00897b', access: 'write' },
];

type Activity = { kind: 'active' } | { kind: 'stale'; days: number } | { kind: 'never' };

interface DemoSeed {
  name: string;
  product: ChesterProduct;
  serial: string;
  tags: string[];
  label: Record<string, string>;
  comment: string | null;
  externalId: string | null;
  /** Main sensor level: °C for climate products, A for current meters. */
  base: number;
  activity: Activity;
  /** Mid-week reboot (a second session). */
  reboot?: boolean;
}

const DEMO: DemoSeed[] = [
  { name: 'meteo-roof-brno', product: 'meteo', serial: '2159020389', tags: ['outdoor'], label: { site: 'brno-hq', location: 'roof' }, comment: 'Mast above the north staircase', externalId: 'wx-brno-01', base: 11, activity: { kind: 'active' } },
  { name: 'meteo-field-olomouc', product: 'meteo', serial: '2159020412', tags: ['outdoor', 'agriculture'], label: { site: 'olomouc-farm', field: 'east-12' }, comment: null, externalId: 'wx-olo-02', base: 9, activity: { kind: 'active' }, reboot: true },
  { name: 'clime-office-3f', product: 'clime', serial: '2159020437', tags: ['indoor'], label: { site: 'brno-hq', floor: '3', room: 'open-space' }, comment: null, externalId: null, base: 22.8, activity: { kind: 'active' } },
  { name: 'clime-server-room', product: 'clime', serial: '2159020445', tags: ['indoor', 'critical'], label: { site: 'brno-hq', room: 'server-room' }, comment: 'Alarm above 30 °C', externalId: 'it-sr-01', base: 21.4, activity: { kind: 'active' } },
  { name: 'clime-cold-store-a', product: 'clime', serial: '2159020451', tags: ['warehouse', 'critical'], label: { site: 'prague-warehouse', zone: 'cold-a' }, comment: null, externalId: 'cs-a', base: 3.2, activity: { kind: 'active' } },
  { name: 'clime-greenhouse-2', product: 'clime', serial: '2159020468', tags: ['agriculture'], label: { site: 'olomouc-farm', building: 'greenhouse-2' }, comment: 'Battery low since spring', externalId: null, base: 24.5, activity: { kind: 'stale', days: 4 } },
  { name: 'control-pump-station', product: 'control', serial: '2159020474', tags: ['critical', 'actuators'], label: { site: 'olomouc-farm', asset: 'irrigation-pump' }, comment: null, externalId: 'pump-01', base: 18, activity: { kind: 'active' } },
  { name: 'control-gate-north', product: 'control', serial: '2159020481', tags: [], label: { site: 'prague-warehouse', asset: 'gate-north' }, comment: null, externalId: null, base: 14, activity: { kind: 'active' } },
  { name: 'current-main-switchboard', product: 'current', serial: '2159020497', tags: ['metering'], label: { site: 'brno-hq', panel: 'main' }, comment: null, externalId: 'pm-main', base: 42, activity: { kind: 'active' } },
  { name: 'current-hvac-line', product: 'current', serial: '2159020503', tags: ['metering', 'indoor'], label: { site: 'brno-hq', panel: 'hvac' }, comment: null, externalId: null, base: 17, activity: { kind: 'active' } },
  { name: 'counter-water-main', product: 'counter', serial: '2159020519', tags: ['metering'], label: { site: 'prague-warehouse', meter: 'water-main' }, comment: 'Pulse output 1 l/pulse', externalId: 'wm-0042', base: 12, activity: { kind: 'stale', days: 2 } },
  { name: 'push-reception-desk', product: 'push', serial: '2159020526', tags: [], label: {}, comment: null, externalId: null, base: 21, activity: { kind: 'active' } },
  { name: 'scale-silo-1', product: 'scale', serial: '2159020532', tags: ['agriculture'], label: { site: 'olomouc-farm', silo: '1' }, comment: null, externalId: 'silo-1', base: 8, activity: { kind: 'active' } },
  { name: 'range-tank-diesel', product: 'range', serial: '2159020549', tags: [], label: { site: 'prague-warehouse', tank: 'diesel' }, comment: 'Claimed, waiting for installation', externalId: null, base: 10, activity: { kind: 'never' } },
];

export const DEMO_DEVICE_COUNT = DEMO.length;

const EXTRA_PRODUCTS: ChesterProduct[] = ['clime', 'meteo', 'current', 'counter', 'control', 'push', 'scale', 'range'];
const SITES = ['brno-hq', 'prague-warehouse', 'olomouc-farm', 'ostrava-plant'];

const DEMO_CREATED = Date.parse('2024-03-11T08:30:00.000Z');
const EXTRA_CREATED = Date.parse('2024-06-03T08:00:00.000Z');

const sec = (ms: number) => Math.floor(ms / 1000);

/** Codec and config hashes follow the firmware, so devices of one product share them. */
function productHashes(): Record<ChesterProduct, { config: string; decoder: string; encoder: string }> {
  const rng = new SeededRandom(0x4857_0001);
  const out = {} as Record<ChesterProduct, { config: string; decoder: string; encoder: string }>;
  for (const product of Object.keys(PRODUCTS) as ChesterProduct[]) {
    out[product] = { config: rng.hex(32), decoder: rng.hex(32), encoder: rng.hex(32) };
  }
  return out;
}

export interface SeedOptions {
  now: number;
  deviceCount: number;
}

/** Fills the store with the demo space: the same ids, names and payloads at every start (times follow `now`). */
export function seedStore(store: HardwarioStore, options: SeedOptions): void {
  const { now } = options;
  const idRng = new SeededRandom(0x4857_0002);
  const hashes = productHashes();

  const tagIds = new Map<string, string>();
  TAGS.forEach((seed, i) => {
    const createdMs = Date.parse('2024-03-05T10:00:00.000Z') + i * 7 * MINUTE + i * 1_303;
    const tag: TagRecord = { id: idRng.uuid7(createdMs), name: seed.name, color: seed.color, accessType: seed.access, createdMs };
    store.tags.set(tag.id, tag);
    tagIds.set(seed.name, tag.id);
  });

  const demoCount = Math.min(options.deviceCount, DEMO.length);
  const demoRecords: DeviceRecord[] = [];
  for (let i = 0; i < demoCount; i++) {
    const seed = DEMO[i];
    const createdMs = DEMO_CREATED + i * 3 * DAY + i * 5_417_331;
    const never = seed.activity.kind === 'never';
    const h = hashes[seed.product];
    demoRecords.push({
      id: idRng.uuid7(createdMs),
      name: seed.name,
      comment: seed.comment,
      serialNumber: seed.serial,
      externalId: seed.externalId,
      label: { ...seed.label },
      tagIds: seed.tags.map((t) => tagIds.get(t) as string),
      createdMs,
      lastSeenMs: null,
      sessionId: null,
      configHash: never ? null : h.config,
      decoderHash: never ? null : h.decoder,
      encoderHash: never ? null : h.encoder,
      dashboardType: `chester-${seed.product}`,
      token: idRng.hex(32),
      secret: null,
    });
  }
  store.addDevicesInOrder(demoRecords);
  seedExtraDevices(store, options, hashes, [...tagIds.values()]);

  const messages: MessageRecord[] = [];
  const msgRng = new SeededRandom(0x4857_0003);
  demoRecords.forEach((device, i) => messages.push(...weekOfMessages(device, DEMO[i], i, now, msgRng)));
  messages.sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const m of messages) store.addMessage(m, false);

  const pumpTag = tagIds.get('critical') as string;
  const connectorCreated = Date.parse('2024-04-02T13:20:41.877Z');
  const connector: ConnectorRecord = {
    id: idRng.uuid7(connectorCreated),
    name: 'critical-alerts-webhook',
    direction: 'up',
    // Disabled so that sandbox data never leaves the machine until someone turns it on.
    state: 'disabled',
    triggers: ['data', 'session'],
    tagIds: [pumpTag],
    transformation:
      'function main(job) {\n  return {\n    "method": "POST",\n    "url": "https://alerts.example.com/hardwario",\n    "header": { "Content-Type": "application/json" },\n    "data": { "message": job.message, "device": job.device, "connector": job.connector }\n  };\n}',
    retryDelays: [10, 30, 60, 600, 1800, 3600, 10800, 21600, 43200],
    timeout: 0,
    createdMs: connectorCreated,
  };
  store.connectors.set(connector.id, connector);
}

/** Devices beyond the demo set: cheap to make (no messages), varied enough for filters and sorts. */
function seedExtraDevices(store: HardwarioStore, options: SeedOptions, hashes: ReturnType<typeof productHashes>, tags: string[]): void {
  const { now, deviceCount } = options;
  if (deviceCount <= DEMO.length) return;
  const rng = new SeededRandom(0x4857_0004);
  const out: DeviceRecord[] = [];
  for (let i = DEMO.length; i < deviceCount; i++) {
    const product = EXTRA_PRODUCTS[i % EXTRA_PRODUCTS.length];
    const createdMs = EXTRA_CREATED + i * 41_003;
    const kind = i % 7;
    const lastSeenMs = kind === 0 ? null : kind === 1 ? now - (1 + (i % 20)) * DAY - (i % 997) * 1000 : now - (1 + (i % 55)) * MINUTE - (i % 53) * 1000;
    const tagIds = i % 4 === 0 ? [] : i % 4 === 3 ? [tags[i % tags.length], tags[(i + 3) % tags.length]] : [tags[i % tags.length]];
    const h = hashes[product];
    out.push({
      id: rng.uuid7(createdMs),
      name: `${product}-node-${String(i + 1).padStart(5, '0')}`,
      comment: null,
      serialNumber: String(2159100000 + i),
      externalId: i % 3 === 0 ? `asset-${String(i + 1).padStart(5, '0')}` : null,
      label: { site: SITES[i % SITES.length], batch: `b${i % 20}` },
      tagIds,
      createdMs,
      lastSeenMs,
      sessionId: lastSeenMs === null ? null : sec(lastSeenMs - (i % 9) * DAY - 3_600_000),
      configHash: lastSeenMs === null ? null : h.config,
      decoderHash: lastSeenMs === null ? null : h.decoder,
      encoderHash: lastSeenMs === null ? null : h.encoder,
      dashboardType: `chester-${product}`,
      token: '',
      secret: null,
    });
    const device = out[out.length - 1];
    // Factory claim tokens are never shown; a cheap stand-in keeps seeding 10,000 devices fast.
    device.token = device.id.slice(24) + device.id.slice(0, 8) + device.id.slice(9, 13) + device.id.slice(15, 18) + device.id.slice(20, 23);
  }
  store.addDevicesInOrder(out);
}

interface DownlinkPlan {
  ms: number;
  type: MessageType;
  body: unknown;
  outcome: 'sent' | 'pending' | 'cancelled';
}

/** Downlinks in the demo week, by device name; times are offsets from `now`. */
function downlinkPlan(name: string, now: number, lastUplink: number): DownlinkPlan[] {
  switch (name) {
    case 'control-pump-station':
      return [
        { ms: now - 3 * DAY - 2 * HOUR, type: 'data', body: { output_1_state: 1 }, outcome: 'sent' },
        { ms: now - 1 * DAY - 5 * HOUR, type: 'data', body: { output_1_state: 0 }, outcome: 'sent' },
        { ms: Math.min(now - MINUTE, lastUplink + MINUTE), type: 'data', body: { output_1_state: 1, output_2_state: 0 }, outcome: 'pending' },
      ];
    case 'clime-server-room':
      return [{ ms: now - 1 * DAY - 3 * HOUR, type: 'shell', body: ['info show', 'app config show'], outcome: 'sent' }];
    case 'meteo-roof-brno':
      return [{ ms: now - 6 * DAY + 2 * HOUR, type: 'config', body: ['app config interval-report 3600'], outcome: 'sent' }];
    case 'clime-greenhouse-2':
      return [
        { ms: now - 3 * DAY - HOUR, type: 'config', body: ['app config interval-sample 30'], outcome: 'cancelled' },
        { ms: now - 2 * DAY, type: 'config', body: ['app config interval-report 1800'], outcome: 'pending' },
      ];
    default:
      return [];
  }
}

function weekOfMessages(device: DeviceRecord, seed: DemoSeed, index: number, now: number, idRng: SeededRandom): MessageRecord[] {
  if (seed.activity.kind === 'never') return [];
  const rng = new SeededRandom(0x4857_1000 + index);
  const product = PRODUCTS[seed.product];
  const windowStart = now - 7 * DAY;
  const lastUplink = (seed.activity.kind === 'stale' ? now - seed.activity.days * DAY - rng.int(5, 300) * MINUTE : now - rng.int(3, 40) * MINUTE) - rng.int(0, 59_999);
  const firstSession = windowStart + rng.int(10, 120) * MINUTE + rng.int(0, 59_999);
  const reboot = seed.reboot ? now - 3 * DAY - rng.int(0, 600) * MINUTE - rng.int(0, 59_999) : undefined;

  const dataTimes: number[] = [];
  for (let t = lastUplink; t > firstSession + MINUTE; t -= product.reportSeconds * 1000 + rng.int(-20_000, 20_000)) dataTimes.push(t);
  dataTimes.reverse();

  // Sub-minute offsets so that queued downlinks do not all sit on round minutes.
  const plan = downlinkPlan(seed.name, now, lastUplink).map((p) => ({ ...p, ms: p.ms - rng.int(1, 59_999) }));
  const ctx: BodyContext = {
    rng,
    product: seed.product,
    serialNumber: seed.serial,
    imei: 351358815000000 + index * 7919,
    imsi: 230031000000000 + index * 104_729,
    ms: firstSession,
    sessionStartMs: firstSession,
    sequence: 0,
    state: {},
    base: seed.base,
  };

  const out: MessageRecord[] = [];
  const up = (ms: number, type: MessageType, body: unknown): void => {
    out.push({
      id: idRng.uuid7(ms),
      ms,
      deviceId: device.id,
      type,
      direction: 'up',
      body: null,
      bodyValue: body,
      raw: null,
      codecHash: type === 'data' ? device.decoderHash : null,
      downState: null,
      downStateMs: null,
      downScheduledMs: null,
      downAttempt: 0,
    });
  };
  const openSession = (ms: number, reason: string): void => {
    ctx.ms = ms;
    ctx.sessionStartMs = ms - rng.int(4, 9) * 1000;
    ctx.sequence = 0;
    up(ms, 'session', sessionBody(ctx, reason));
    up(ms + 2_137, 'config', product.config);
    device.sessionId = sec(ctx.sessionStartMs);
  };

  openSession(firstSession, 'power_on');
  let nextStats = firstSession + DAY;
  let rebooted = reboot === undefined;
  for (const t of dataTimes) {
    if (!rebooted && reboot !== undefined && t > reboot) {
      openSession(reboot, 'watchdog');
      rebooted = true;
      nextStats = reboot + DAY;
    }
    while (nextStats < t) {
      ctx.ms = nextStats;
      up(nextStats, 'stats', statsBody(ctx));
      nextStats += DAY;
    }
    ctx.ms = t;
    if (seed.product === 'control') {
      const on = plan.filter((p) => p.outcome === 'sent' && p.ms < t).pop();
      ctx.state.output1 = on && typeof on.body === 'object' && on.body !== null ? ((on.body as Record<string, number>).output_1_state ?? 0) : 0;
    }
    up(t, 'data', dataBody(ctx));
  }
  device.lastSeenMs = lastUplink;

  for (const p of plan) {
    // A queued downlink goes out with the device's next uplink after it was created.
    const next = dataTimes.find((t) => t > p.ms);
    const sentMs = p.outcome === 'sent' && next !== undefined ? next + rng.int(200, 1500) : null;
    const stateMs = p.outcome === 'cancelled' ? p.ms + 23 * HOUR : sentMs;
    out.push({
      id: idRng.uuid7(p.ms),
      ms: p.ms,
      deviceId: device.id,
      type: p.type,
      direction: 'down',
      body: JSON.stringify(p.body),
      raw: null,
      codecHash: p.type === 'data' ? device.encoderHash : null,
      downState: sentMs === null && p.outcome === 'sent' ? 'pending' : p.outcome,
      downStateMs: stateMs,
      downScheduledMs: null,
      downAttempt: sentMs === null ? 0 : 1,
    });
  }
  return out;
}
