import { DAY, HOUR, SeededRandom } from '@devicegate/emulators/kit';
import { ProjectStore } from './iottly.store.js';
import type { IottlyDeviceProps, MessageType, MessageTypeDefinition, OperatingStatus, StoredMessage } from './iottly.types.js';

/** The sandbox credentials: fixed at every start, documented in the README. */
export const IOTTLY_SANDBOX_CREDENTIALS = {
  /** API key of the demo project (the key shown in the vendor's "Manage API keys" screenshot). */
  apiKey: '719cc48b13aa7be9a89a433493966f64',
  /** The demo project (the reference's example project id). */
  projectId: '59c19cacecc01400075f3bc9',
  /** A second, small project with its own key, for "key of another project" (403) cases. */
  otherProjectId: '5fb3e2a17c0d4b0008a9c4e1',
  otherApiKey: '3f6c0e9a8b2d41f7a5c39e0d1b7f2a64',
} as const;

export type IottlySandboxCredentials = typeof IOTTLY_SANDBOX_CREDENTIALS;

/** Every new iottly project starts with these two commands. */
const DEFAULT_COMMANDS: MessageTypeDefinition[] = [
  {
    type: 'echo',
    description: 'Echoes the content back as a message',
    direction: 'command',
    keywords: { content: { type: 'FixedValue', value: 'IOTTLY hello world!!!!' } },
  },
  {
    type: 'examplecommand',
    description: 'Example command',
    direction: 'command',
    keywords: { status: { type: 'MultipleChoice', listvalues: ['start', 'stop'] } },
  },
];

/** The demo project's own message types: two custom commands and one declared event. */
const DEMO_TYPES: MessageTypeDefinition[] = [
  ...DEFAULT_COMMANDS,
  {
    type: 'LED_control',
    description: 'Switch the status LED on or off',
    direction: 'command',
    keywords: { state: { type: 'MultipleChoice', listvalues: ['on', 'off'] } },
  },
  {
    type: 'setpoints',
    description: 'Set the climate setpoints of a controller',
    direction: 'command',
    keywords: { temperature: { type: 'FreeValue' }, humidity: { type: 'FreeValue' } },
  },
  {
    type: 'button_pressed',
    description: 'A push button changed state',
    direction: 'event',
    keywords: { GPIO: { type: 'FreeValue' }, state: { type: 'FreeValue' } },
  },
];

type Kind = 'greenhouse' | 'coldroom' | 'pump' | 'weather' | 'beehive' | 'boiler' | 'buttons' | 'tank' | 'solar' | 'air' | 'lab';

interface DemoDevice {
  name: string;
  kind: Kind;
  status: OperatingStatus;
  /** For a disconnected device: how long ago it went offline. */
  offlineFor?: number;
  installing?: boolean;
  agentVersion: string;
  /** Device clock offset from the server clock (a drifting RTC), ms. */
  clockSkew?: number;
}

const DEMO_DEVICES: DemoDevice[] = [
  { name: 'Greenhouse North', kind: 'greenhouse', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Greenhouse South', kind: 'greenhouse', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Cold room 1', kind: 'coldroom', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Cold room 2', kind: 'coldroom', status: 'disconnected', offlineFor: 2 * DAY + 3 * HOUR, agentVersion: '1.7.2' },
  { name: 'Irrigation pump A', kind: 'pump', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Weather mast', kind: 'weather', status: 'connected', agentVersion: '1.7.2' },
  { name: 'Beehive scale 3', kind: 'beehive', status: 'disconnected', offlineFor: 5 * HOUR, agentVersion: '1.6.9', clockSkew: -184_000 },
  { name: 'Boiler room', kind: 'boiler', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Lobby button panel', kind: 'buttons', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Water tank level', kind: 'tank', status: 'connected', agentVersion: '1.7.2' },
  { name: 'Solar inverter', kind: 'solar', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Workshop air quality', kind: 'air', status: 'disconnected', offlineFor: 26 * HOUR, agentVersion: '1.7.4' },
  { name: 'rpi-lab-bench', kind: 'lab', status: 'connected', agentVersion: '1.7.4' },
  { name: 'Spare kit (installing)', kind: 'lab', status: 'disconnected', installing: true, agentVersion: '1.7.4' },
];

export const DEMO_DEVICE_COUNT = DEMO_DEVICES.length;

/** Raspberry Pi Foundation OUIs, as the demo fleet is Raspberry Pi boards. */
const PI_OUIS = ['b8:27:eb', 'dc:a6:32', 'e4:5f:01'];

/** Makes 24-hex ObjectIds: 4 bytes of seconds, a fixed 5-byte "process" part and a counter, like Mongo drivers. */
class ObjectIdFactory {
  private readonly process: string;
  private counter: number;

  constructor(rng: SeededRandom) {
    this.process = rng.hex(10);
    this.counter = rng.int(0, 0xffff);
  }

  make(ms: number): string {
    this.counter = (this.counter + 1) & 0xffffff;
    return Math.floor(ms / 1000).toString(16).padStart(8, '0') + this.process + this.counter.toString(16).padStart(6, '0');
  }
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Hour of day in [0, 24) (UTC) for daily cycles in the telemetry. */
const hourOf = (ms: number) => (ms % DAY) / HOUR;
/** 1 at 14:00, -1 at 02:00. */
const daily = (ms: number) => Math.cos(((hourOf(ms) - 14) / 24) * 2 * Math.PI);

interface KindProfile {
  /** Mean gap between two userdefined messages, ms. */
  interval: number;
  payload: (rng: SeededRandom, t: number, step: number) => Record<string, unknown>;
}

const KINDS: Record<Kind, KindProfile> = {
  greenhouse: {
    interval: 15 * 60_000,
    payload: (rng, t) => ({
      greenhouse: {
        temperature: round(22 + 6 * daily(t) + rng.float(-0.6, 0.6)),
        humidity: round(64 - 12 * daily(t) + rng.float(-2, 2)),
        soil_moisture: rng.int(33, 47),
        light_lux: Math.max(0, Math.round(18000 * daily(t) + rng.int(-800, 800))),
      },
    }),
  },
  coldroom: {
    interval: 10 * 60_000,
    payload: (rng) => {
      const open = rng.bool(0.04);
      return { fridge: { temperature: round(open ? rng.float(5, 8) : rng.float(2.4, 4.1)), door_open: open, compressor: rng.bool(0.55) ? 'on' : 'off' } };
    },
  },
  pump: {
    interval: 15 * 60_000,
    payload: (rng, t) => {
      const h = hourOf(t);
      // Watering runs early morning and evening.
      const running = (h >= 5 && h < 8) || (h >= 19 && h < 21);
      return { pump: { running, flow_lpm: running ? rng.float(28, 36) : 0, pressure_bar: running ? rng.float(1.9, 2.4) : rng.float(0.1, 0.3) } };
    },
  },
  weather: {
    interval: 10 * 60_000,
    payload: (rng, t) => ({
      weather: {
        temperature: round(13 + 5 * daily(t) + rng.float(-0.5, 0.5)),
        humidity: rng.int(55, 88),
        pressure_hpa: rng.float(1006, 1021, 1),
        wind_ms: rng.float(0, 9, 1),
        rain_mm: rng.bool(0.1) ? rng.float(0.2, 3, 1) : 0,
      },
    }),
  },
  beehive: {
    interval: 20 * 60_000,
    payload: (rng, t, step) => ({
      hive: { weight_kg: round(41.2 + step * 0.004 + rng.float(-0.1, 0.1), 2), temperature: rng.float(33.9, 35.4, 1), humidity: rng.int(52, 63) },
    }),
  },
  boiler: {
    interval: 15 * 60_000,
    payload: (rng) => {
      const burner = rng.bool(0.6);
      return { boiler: { flow_temp: burner ? rng.float(62, 70, 1) : rng.float(45, 55, 1), return_temp: rng.float(40, 50, 1), burner: burner ? 'on' : 'off' } };
    },
  },
  buttons: {
    interval: 12 * 60_000,
    payload: (rng) => ({ button_pressed: { GPIO: rng.pick([12, 16, 20]), state: rng.int(0, 1) } }),
  },
  tank: {
    interval: 20 * 60_000,
    payload: (rng, t, step) => {
      const level = 90 + ((step * 7) % 110) + rng.int(-2, 2);
      return { tank: { level_cm: level, volume_l: level * 25 } };
    },
  },
  solar: {
    interval: 15 * 60_000,
    payload: (rng, t) => {
      const sun = Math.max(0, daily(t));
      return { inverter: { power_w: Math.round(3200 * sun * rng.float(0.8, 1)), grid_voltage: rng.float(228, 236, 1), status: sun > 0 ? 'producing' : 'standby' } };
    },
  },
  air: {
    interval: 15 * 60_000,
    payload: (rng, t) => ({ air: { co2_ppm: Math.round(520 + 380 * Math.max(0, daily(t)) + rng.int(-40, 40)), pm25: rng.float(3, 18, 1), voc_index: rng.int(60, 180) } }),
  },
  lab: {
    interval: 15 * 60_000,
    payload: (rng, t, step) => {
      if (step % 24 === 5) return { ECHO: { echo: { content: 'IOTTLY hello world!!!!' } } };
      if (step % 36 === 11) return { LED_control: { state: rng.pick(['on', 'off']) } };
      return { cpu: { temperature: rng.float(44, 58, 1), load: rng.float(0.05, 0.9, 2) } };
    },
  },
};

const FIRMWARE_STARTED = { process: { status: { started: 'loaded firmware: userdefinedfw.py' }, name: 'MainProcess' }, operatingstatus: 'ok' };

function seedMessages(project: ProjectStore, device: IottlyDeviceProps, demo: DemoDevice, index: number, now: number, ids: ObjectIdFactory): void {
  const rng = new SeededRandom(0x10771 + index * 7919);
  const profile = KINDS[demo.kind];
  const skew = demo.clockSkew ?? 0;
  const out: Array<Omit<StoredMessage, 'oid'>> = [];
  const push = (t: number, type: MessageType, payload: Record<string, unknown>) => {
    // The device stamps a message a moment before the server receives it, in whole seconds.
    const deviceTs = Math.floor((t - rng.int(200, 4000) + skew) / 1000) * 1000;
    out.push({ from: device.ID, to: project.info.id, timestamp: t, devicetimestamp: deviceTs, type, payload });
  };

  if (demo.installing) {
    // Registered a couple of hours ago, agent started once, never ran user firmware.
    const t = now - 2 * HOUR - rng.int(0, 600_000);
    push(t, 'iottlyagent', { connectionstatus: 'connected' });
    push(t + 1500, 'iottlyagent', FIRMWARE_STARTED);
    push(t + 40 * 60_000, 'iottlyagent', { connectionstatus: 'disconnected' });
    out.forEach((m) => project.messagesOf(device.ID).add({ ...m, oid: ids.make(m.timestamp) }));
    return;
  }

  const start = now - 7 * DAY + rng.int(0, 30 * 60_000);
  const end = demo.status === 'disconnected' ? now - (demo.offlineFor ?? DAY) : now - rng.int(20_000, 120_000);
  // One or two short outages during the week; a reconnect restarts the user firmware.
  const outages: Array<[number, number]> = [];
  for (let i = 0, n = rng.int(1, 2); i < n; i++) {
    const from = start + rng.int(1, 5) * DAY + rng.int(0, 20 * HOUR);
    if (from < end - 2 * HOUR) outages.push([from, from + rng.int(12, 95) * 60_000]);
  }
  outages.sort((a, b) => a[0] - b[0]);

  push(start, 'iottlyagent', { connectionstatus: 'connected' });
  push(start + 1200, 'iottlyagent', FIRMWARE_STARTED);
  for (const [down, up] of outages) {
    push(down, 'iottlyagent', { connectionstatus: 'disconnected' });
    push(up, 'iottlyagent', { connectionstatus: 'connected' });
    push(up + 900, 'iottlyagent', FIRMWARE_STARTED);
  }
  if (demo.kind === 'lab') {
    // A firmware upload without an `examplecommand` handler: the agent reports a warning.
    const t = start + 3 * DAY + rng.int(0, 6 * HOUR);
    push(t, 'iottlyagent', { process: { status: { warning: 'no handler found for command: examplecommand' }, name: 'MainProcess' }, operatingstatus: 'error' });
  }
  if (demo.status === 'disconnected') push(end, 'iottlyagent', { connectionstatus: 'disconnected' });

  let step = 0;
  for (let t = start + 30_000; t < end; t += profile.interval + rng.int(-45_000, 45_000)) {
    if (outages.some(([down, up]) => t >= down && t < up)) continue;
    push(t + rng.int(0, 999), 'userdefined', profile.payload(rng, t, step));
    step += 1;
  }

  out.sort((a, b) => a.timestamp - b.timestamp);
  const box = project.messagesOf(device.ID);
  for (const m of out) box.add({ ...m, oid: ids.make(m.timestamp) });
}

export interface SeedOptions {
  now: number;
  deviceCount: number;
}

export interface SeededWorld {
  main: ProjectStore;
  other: ProjectStore;
}

function mac(rng: SeededRandom, ouis: readonly string[] = PI_OUIS): string {
  const tail = rng.hex(6);
  return `${rng.pick(ouis)}:${tail.slice(0, 2)}:${tail.slice(2, 4)}:${tail.slice(4, 6)}`;
}

/** Builds the same demo world at every start; only message timestamps move with `now`. */
export function seedWorld({ now, deviceCount }: SeedOptions): SeededWorld {
  const ids = new ObjectIdFactory(new SeededRandom(0x5eed1));
  const main = new ProjectStore(
    { id: IOTTLY_SANDBOX_CREDENTIALS.projectId, name: 'Smart Farm Lab', board: 'Linux ARMv6', agentVersion: '1.7.4', agentArch: 'ARMv6' },
    [IOTTLY_SANDBOX_CREDENTIALS.apiKey],
    DEMO_TYPES,
  );

  // Identities come from their own generator so that the message seed never shifts them.
  const idRng = new SeededRandom(0x1077);
  const groups = [idRng.uuid4(), idRng.uuid4()];
  const demoCount = Math.min(deviceCount, DEMO_DEVICES.length);
  for (let i = 0; i < demoCount; i++) {
    const demo = DEMO_DEVICES[i];
    const device: IottlyDeviceProps = {
      macaddress: mac(idRng),
      name: demo.name,
      installing: demo.installing ?? false,
      pair_code: '',
      fwsyncstatus: 'sync',
      operatingstatus: demo.status,
      token: idRng.hex(32),
      agent_version: demo.agentVersion,
      ID: idRng.uuid4(),
      deploymentgroup: groups[i % 5 === 4 ? 1 : 0],
    };
    main.addDevice(device);
    seedMessages(main, device, demo, i, now, ids);
  }

  // Extra devices (for scale tests) have identities but no message history.
  const extraRng = new SeededRandom(0xe7a);
  for (let i = demoCount; i < deviceCount; i++) {
    main.addDevice({
      macaddress: mac(extraRng),
      name: `field-node-${String(i + 1).padStart(5, '0')}`,
      installing: false,
      pair_code: '',
      fwsyncstatus: 'sync',
      operatingstatus: extraRng.bool(0.7) ? 'connected' : 'disconnected',
      token: extraRng.hex(32),
      agent_version: extraRng.pick(['1.7.4', '1.7.2', '1.6.9']),
      ID: extraRng.uuid4(),
      deploymentgroup: groups[extraRng.int(0, 1)],
    });
  }

  // Unused tokens of the license pool.
  const licenseRng = new SeededRandom(0x11c);
  for (let i = 0; i < 4; i++) main.addFreeLicense(licenseRng.hex(32));

  const other = new ProjectStore(
    { id: IOTTLY_SANDBOX_CREDENTIALS.otherProjectId, name: 'Warehouse pilot', board: 'Linux AMD64', agentVersion: '1.7.4', agentArch: 'AMD64' },
    [IOTTLY_SANDBOX_CREDENTIALS.otherApiKey],
    DEFAULT_COMMANDS,
  );
  const otherRng = new SeededRandom(0x07e2);
  const otherGroup = otherRng.uuid4();
  for (const name of ['Dock door 1', 'Forklift charger']) {
    const device: IottlyDeviceProps = {
      macaddress: mac(otherRng, ['00:1e:06']),
      name,
      installing: false,
      pair_code: '',
      fwsyncstatus: 'sync',
      operatingstatus: 'connected',
      token: otherRng.hex(32),
      agent_version: '1.7.4',
      ID: otherRng.uuid4(),
      deploymentgroup: otherGroup,
    };
    other.addDevice(device);
    const t = now - 3 * HOUR - otherRng.int(0, 600_000);
    other.messagesOf(device.ID).add({
      oid: ids.make(t),
      from: device.ID,
      to: other.info.id,
      timestamp: t,
      devicetimestamp: Math.floor((t - 800) / 1000) * 1000,
      type: 'iottlyagent',
      payload: { connectionstatus: 'connected' },
    });
  }
  return { main, other };
}
