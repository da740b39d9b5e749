import type { SeededRandom } from '@devicegate/emulators/kit';

// Bound once: global lookups are slow inside Jest's vm context and the seed calls these thousands of times.
const { floor, sin, PI, max, round } = Math;

/** CHESTER product families the demo space holds; each has its own firmware, config lines and payload blocks. */
export type ChesterProduct = 'meteo' | 'clime' | 'control' | 'current' | 'counter' | 'push' | 'scale' | 'range';

export interface ProductInfo {
  fwName: string;
  fwVersion: string;
  hwVariant: string;
  /** Seconds between data reports. */
  reportSeconds: number;
  config: string[];
}

export const PRODUCTS: Record<ChesterProduct, ProductInfo> = {
  meteo: {
    fwName: 'CHESTER Meteo',
    fwVersion: 'v3.1.0',
    hwVariant: 'CDGLS',
    reportSeconds: 3600,
    config: ['app config interval-sample 60', 'app config interval-aggreg 600', 'app config interval-report 3600', 'lte config antenna ext'],
  },
  clime: {
    fwName: 'CHESTER Clime',
    fwVersion: 'v3.2.1',
    hwVariant: 'CGLS',
    reportSeconds: 3600,
    config: ['app config interval-sample 60', 'app config interval-aggreg 600', 'app config interval-report 3600', 'app config hygro-t-alarm-hi-thr 30'],
  },
  control: {
    fwName: 'CHESTER Control',
    fwVersion: 'v3.0.4',
    hwVariant: 'CDGLS-X4',
    reportSeconds: 1800,
    config: ['app config interval-report 1800', 'app config trigger-input-type npn', 'app config trigger-duration-active 100', 'app config backup-report-connected true'],
  },
  current: {
    fwName: 'CHESTER Current',
    fwVersion: 'v3.0.2',
    hwVariant: 'CGLS-K1',
    reportSeconds: 3600,
    config: ['app config interval-sample 60', 'app config interval-aggreg 900', 'app config interval-report 3600', 'app config channel-active 1 true'],
  },
  counter: {
    fwName: 'CHESTER Counter',
    fwVersion: 'v3.0.0',
    hwVariant: 'CGLS-X0',
    reportSeconds: 7200,
    config: ['app config interval-report 7200', 'app config counter-interval-aggreg 600', 'app config counter-input-type npn'],
  },
  push: {
    fwName: 'CHESTER Push',
    fwVersion: 'v2.4.0',
    hwVariant: 'CGLS',
    reportSeconds: 21600,
    config: ['app config interval-report 21600', 'app config event-report-delay 1', 'app config button-x-click-report true'],
  },
  scale: {
    fwName: 'CHESTER Scale',
    fwVersion: 'v3.0.1',
    hwVariant: 'CGLS-X3',
    reportSeconds: 10800,
    config: ['app config interval-sample 300', 'app config interval-aggreg 1800', 'app config interval-report 10800', 'app config channel-mask 3'],
  },
  range: {
    fwName: 'CHESTER Range',
    fwVersion: 'v2.1.0',
    hwVariant: 'CGLS-X1',
    reportSeconds: 3600,
    config: ['app config interval-sample 300', 'app config interval-report 3600'],
  },
};

/** The per-device state a payload builder reads, kept across one device's week of messages. */
export interface BodyContext {
  rng: SeededRandom;
  product: ChesterProduct;
  serialNumber: string;
  imei: number;
  imsi: number;
  /** Epoch ms of the message. */
  ms: number;
  sessionStartMs: number;
  sequence: number;
  /** Product-specific running values (counters, weights, level). */
  state: Record<string, number>;
  /** Base value for the main sensor (temperature, current …). */
  base: number;
}

const sec = (ms: number) => floor(ms / 1000);

/** A smooth daily curve peaking mid-afternoon, so charts of the demo data look like real weather. */
function daily(ms: number, amplitude: number): number {
  const hour = (ms / 3_600_000) % 24;
  return amplitude * sin(((hour - 9) / 24) * 2 * PI);
}

interface Aggregate {
  timestamp: number;
  min: number;
  max: number;
  avg: number;
  mdn: number;
}

/** CHESTER aggregates samples into per-window min/max/avg/median entries covering one report interval. */
function series(ctx: BodyContext, windowSeconds: number, value: (ms: number) => number, spread: number, digits = 2): { measurements: Aggregate[] } {
  const p = PRODUCTS[ctx.product];
  const windows = max(1, round(p.reportSeconds / windowSeconds));
  const measurements: Aggregate[] = [];
  const f = 10 ** digits;
  const fix = (v: number) => round(v * f) / f;
  for (let i = windows - 1; i >= 0; i--) {
    const t = ctx.ms - i * windowSeconds * 1000;
    const avg = value(t) + ctx.rng.float(-spread, spread, 3);
    const half = ctx.rng.float(0, spread * 2, 3);
    measurements.push({ timestamp: sec(t - windowSeconds * 1000), min: fix(avg - half), max: fix(avg + half), avg: fix(avg), mdn: fix(avg + ctx.rng.float(-half / 2, half / 2, 3)) });
  }
  return { measurements };
}

function attribute(ctx: BodyContext) {
  const p = PRODUCTS[ctx.product];
  return {
    vendor_name: 'HARDWARIO',
    product_name: 'CHESTER-M',
    hw_variant: p.hwVariant,
    hw_revision: 'R3.2',
    fw_name: p.fwName,
    fw_version: p.fwVersion,
    serial_number: ctx.serialNumber,
  };
}

function network(ctx: BodyContext) {
  const r = ctx.rng;
  return {
    imei: ctx.imei,
    imsi: ctx.imsi,
    parameter: {
      eest: r.int(5, 9),
      ecl: r.int(0, 1),
      rsrp: r.int(-112, -78),
      rsrq: r.int(-12, -4),
      snr: r.int(-2, 14),
      plmn: 23003,
      cid: 939040,
      band: 20,
      earfcn: 6447,
    },
  };
}

function system(ctx: BodyContext) {
  const r = ctx.rng;
  const rest = r.float(3.56, 3.64, 2);
  return {
    uptime: sec(ctx.ms - ctx.sessionStartMs),
    voltage_rest: rest,
    voltage_load: round((rest - r.float(0.05, 0.12, 2)) * 100) / 100,
    current_load: r.int(28, 64),
  };
}

function thermometer(ctx: BodyContext) {
  return { temperature: round((ctx.base + daily(ctx.ms, 1.5) + ctx.rng.float(-0.3, 0.3)) * 100) / 100 };
}

function accelerometer(ctx: BodyContext) {
  const r = ctx.rng;
  return { accel_x: r.float(-0.3, 0.3), accel_y: r.float(9.6, 9.9), accel_z: r.float(-0.3, 0.3), orientation: 3 };
}

function productBlocks(ctx: BodyContext): Record<string, unknown> {
  const r = ctx.rng;
  switch (ctx.product) {
    case 'meteo':
      return {
        hygrometer: {
          temperature: series(ctx, 600, (t) => ctx.base + daily(t, 6), 0.4),
          humidity: series(ctx, 600, (t) => 68 - daily(t, 18), 2, 1),
        },
        barometer: { pressure: series(ctx, 600, () => 98.6 + daily(ctx.ms / 7, 0.8), 0.05, 3) },
        weather_station: {
          wind_speed: series(ctx, 600, () => max(0, 3.2 + daily(ctx.ms, 1.8)), 1.2),
          wind_direction: series(ctx, 600, () => 225, 40, 0),
          rainfall: { measurements: [{ timestamp: sec(ctx.ms - 3_600_000), value: r.bool(0.15) ? r.float(0.2, 4.8, 1) : 0 }] },
        },
      };
    case 'clime':
      return {
        hygrometer: {
          temperature: series(ctx, 600, (t) => ctx.base + daily(t, ctx.base > 15 ? 1.2 : 0.4), 0.2),
          humidity: series(ctx, 600, (t) => (ctx.base > 15 ? 41 : 78) - daily(t, 4), 1.5, 1),
        },
      };
    case 'control': {
      ctx.state.pulses = (ctx.state.pulses ?? 1200) + r.int(0, 40);
      return {
        trigger: { input_a: { state: r.bool(0.2) ? 1 : 0, events: r.bool(0.25) ? [{ timestamp: sec(ctx.ms - r.int(60, 1700) * 1000), type: 'activation' }] : [] } },
        counter: { input_b: { value: ctx.state.pulses } },
        output: { output_1_state: ctx.state.output1 ?? 0, output_2_state: 0, output_3_state: 0, output_4_state: 0 },
        backup: { line_voltage: r.float(23.6, 24.3), battery_voltage: r.float(12.6, 13.4), state: 'connected' },
      };
    }
    case 'current': {
      const load = (t: number) => max(0.4, ctx.base + daily(t, ctx.base * 0.35));
      return {
        current: {
          channel_1: series(ctx, 900, load, ctx.base * 0.08),
          channel_2: series(ctx, 900, (t) => load(t) * 0.82, ctx.base * 0.07),
          channel_3: series(ctx, 900, (t) => load(t) * 0.91, ctx.base * 0.07),
        },
      };
    }
    case 'counter': {
      const delta = round(max(0, 140 + daily(ctx.ms, 120) + r.int(-20, 20)));
      ctx.state.total = (ctx.state.total ?? 583_420) + delta;
      return { counter: { channel_a: { total: ctx.state.total, delta } } };
    }
    case 'push': {
      const pressed = r.bool(0.3);
      return {
        button: {
          button_x: { event: pressed ? 'click' : null, count_click: pressed ? r.int(1, 3) : 0, count_hold: 0 },
          button_1: { event: null, count_click: 0, count_hold: 0 },
        },
      };
    }
    case 'scale': {
      ctx.state.weight = max(1500, (ctx.state.weight ?? 18_400) - r.int(0, 260));
      return {
        weight_measurement: {
          a1: series(ctx, 1800, () => ctx.state.weight / 2, 12, 0),
          a2: series(ctx, 1800, () => ctx.state.weight / 2 + 35, 12, 0),
        },
      };
    }
    case 'range':
      return { sonar: { distance: series(ctx, 300, () => 1.82, 0.01, 3) } };
  }
}

/** A `data` uplink as CHESTER firmware reports it. */
export function dataBody(ctx: BodyContext): Record<string, unknown> {
  ctx.sequence += 1;
  return {
    message: { version: 1, sequence: ctx.sequence, timestamp: sec(ctx.ms) },
    attribute: attribute(ctx),
    system: system(ctx),
    network: network(ctx),
    thermometer: thermometer(ctx),
    accelerometer: accelerometer(ctx),
    ...productBlocks(ctx),
  };
}

/** A `session` uplink: sent after boot, when the device opens a new session with the cloud. */
export function sessionBody(ctx: BodyContext, resetReason: string): Record<string, unknown> {
  return {
    attribute: attribute(ctx),
    network: network(ctx),
    system: { uptime: sec(ctx.ms - ctx.sessionStartMs), reset_reason: resetReason },
  };
}

/** A `stats` uplink: daily modem and power statistics. */
export function statsBody(ctx: BodyContext): Record<string, unknown> {
  const r = ctx.rng;
  return {
    uptime: sec(ctx.ms - ctx.sessionStartMs),
    messages_sent: ctx.sequence,
    messages_failed: r.int(0, 2),
    bytes_tx: ctx.sequence * r.int(600, 900),
    bytes_rx: ctx.sequence * r.int(80, 140),
    rsrp_min: r.int(-118, -100),
    rsrp_max: r.int(-90, -76),
    voltage_min: r.float(3.38, 3.48),
    temperature_max: r.float(25, 32, 1),
  };
}
