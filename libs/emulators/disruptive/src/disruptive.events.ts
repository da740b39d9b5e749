import type { DeviceType, EventData } from './disruptive.types.js';

/** Which `reported` keys each device type carries (§5.4); these are also the event types it may publish. */
export const REPORTED_KEYS: Record<DeviceType, readonly string[]> = {
  temperature: ['networkStatus', 'batteryStatus', 'temperature', 'touch'],
  proximity: ['networkStatus', 'batteryStatus', 'objectPresent', 'touch'],
  touch: ['networkStatus', 'batteryStatus', 'touch'],
  humidity: ['networkStatus', 'batteryStatus', 'humidity', 'touch'],
  proximityCounter: ['networkStatus', 'batteryStatus', 'objectPresentCount', 'touch'],
  touchCounter: ['networkStatus', 'batteryStatus', 'touchCount', 'touch'],
  waterDetector: ['networkStatus', 'batteryStatus', 'waterPresent', 'touch'],
  co2: ['networkStatus', 'batteryStatus', 'co2', 'pressure', 'temperature', 'humidity', 'touch'],
  motion: ['networkStatus', 'batteryStatus', 'motion', 'touch'],
  deskOccupancy: ['networkStatus', 'batteryStatus', 'deskOccupancy', 'touch'],
  contact: ['networkStatus', 'batteryStatus', 'contact', 'touch'],
  ccon: ['connectionStatus', 'connectionLatency', 'ethernetStatus', 'cellularStatus', 'touch'],
};

/**
 * Product numbers per type. The reference confirms 102058/102067 (temperature) and 100011 (Cloud
 * Connector); the others are plausible stand-ins in the same numbering range.
 */
export const PRODUCT_NUMBERS: Record<DeviceType, string> = {
  temperature: '102058',
  proximity: '102060',
  touch: '102059',
  humidity: '102081',
  proximityCounter: '102062',
  touchCounter: '102061',
  waterDetector: '102064',
  co2: '102132',
  motion: '102137',
  deskOccupancy: '102140',
  contact: '102145',
  ccon: '100011',
};

/** Every event type the API knows, for validating `event_types` filters. */
export const EVENT_TYPES = new Set([
  'touch',
  'temperature',
  'objectPresent',
  'humidity',
  'objectPresentCount',
  'touchCount',
  'waterPresent',
  'networkStatus',
  'batteryStatus',
  'labelsChanged',
  'connectionStatus',
  'ethernetStatus',
  'cellularStatus',
  'co2',
  'pressure',
  'motion',
  'deskOccupancy',
  'contact',
  'probeWireStatus',
  'connectionLatency',
]);

/** RSSI (dBm) → DT's 0–100 signal strength, a linear scale saturating at -50 and -100 dBm. */
export const signalFromRssi = (rssi: number): number => Math.max(0, Math.min(100, Math.round((rssi + 100) * 2)));

export class PayloadError extends Error {}

type Input = Record<string, unknown>;

const isObject = (v: unknown): v is Input => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(input: Input, key: string, fallback?: number): number {
  const v = input[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new PayloadError(`${key} must be a number`);
  return v;
}

function int(input: Input, key: string, fallback?: number): number {
  const v = num(input, key, fallback);
  if (!Number.isInteger(v)) throw new PayloadError(`${key} must be an integer`);
  return v;
}

function oneOf(input: Input, key: string, allowed: readonly string[], fallback?: string): string {
  const v = input[key] ?? fallback;
  if (typeof v !== 'string' || !allowed.includes(v)) throw new PayloadError(`${key} must be one of ${allowed.join(', ')}`);
  return v;
}

function str(input: Input, key: string, fallback: string): string {
  const v = input[key] ?? fallback;
  if (typeof v !== 'string') throw new PayloadError(`${key} must be a string`);
  return v;
}

function errorsList(input: Input): Array<{ code: string; message: string }> {
  const v = input.errors ?? [];
  if (!Array.isArray(v)) throw new PayloadError('errors must be an array');
  return v.map((e) => {
    if (!isObject(e)) throw new PayloadError('errors entries must be objects');
    return { code: String(e.code ?? ''), message: String(e.message ?? '') };
  });
}

/**
 * Builds the full `data.<eventType>` payload from what a publisher sent, filling the fields the
 * vendor always sends (samples, isBackfilled, cloud connectors …) and checking types and enums.
 * `updateTime` is the already-resolved event time; field order follows the vendor's examples.
 */
export function buildEventData(eventType: string, input: Input, updateTime: string): EventData {
  switch (eventType) {
    case 'touch':
      return { updateTime };
    case 'temperature': {
      const value = num(input, 'value');
      return { value, updateTime, samples: samples(input, () => [{ value, sampleTime: updateTime }]), isBackfilled: Boolean(input.isBackfilled ?? false) };
    }
    case 'humidity': {
      const temperature = num(input, 'temperature');
      const relativeHumidity = num(input, 'relativeHumidity');
      return {
        temperature,
        relativeHumidity,
        updateTime,
        samples: samples(input, () => [{ temperature, relativeHumidity, sampleTime: updateTime }]),
        isBackfilled: Boolean(input.isBackfilled ?? false),
      };
    }
    case 'objectPresent':
    case 'waterPresent':
      return { state: oneOf(input, 'state', ['PRESENT', 'NOT_PRESENT']), updateTime };
    case 'objectPresentCount':
    case 'touchCount':
      return { total: int(input, 'total'), updateTime };
    case 'networkStatus': {
      const rssi = int(input, 'rssi', -70);
      const signalStrength = int(input, 'signalStrength', signalFromRssi(rssi));
      const connectors = input.cloudConnectors ?? [{ id: 'emulated-ccon', signalStrength, rssi }];
      if (!Array.isArray(connectors) || !connectors.every(isObject)) throw new PayloadError('cloudConnectors must be an array of objects');
      return {
        signalStrength,
        rssi,
        updateTime,
        cloudConnectors: connectors.map((c) => ({ id: str(c, 'id', 'emulated-ccon'), signalStrength: int(c, 'signalStrength', signalStrength), rssi: int(c, 'rssi', rssi) })),
        transmissionMode: oneOf(input, 'transmissionMode', ['LOW_POWER_STANDARD_MODE', 'HIGH_POWER_BOOST_MODE'], 'LOW_POWER_STANDARD_MODE'),
      };
    }
    case 'batteryStatus': {
      const percentage = int(input, 'percentage');
      if (percentage < 0 || percentage > 100) throw new PayloadError('percentage must be 0–100');
      return { percentage, updateTime };
    }
    case 'connectionStatus': {
      const available = input.available ?? ['ETHERNET', 'CELLULAR'];
      if (!Array.isArray(available) || !available.every((a) => a === 'ETHERNET' || a === 'CELLULAR')) {
        throw new PayloadError('available must be an array of ETHERNET / CELLULAR');
      }
      return { connection: oneOf(input, 'connection', ['SDS', 'ETHERNET', 'CELLULAR', 'OFFLINE']), available: [...available], updateTime };
    }
    case 'ethernetStatus':
      return { macAddress: str(input, 'macAddress', ''), ipAddress: str(input, 'ipAddress', ''), errors: errorsList(input), updateTime };
    case 'cellularStatus':
      return { signalStrength: int(input, 'signalStrength'), errors: errorsList(input), updateTime };
    case 'co2':
      return { ppm: int(input, 'ppm'), updateTime };
    case 'pressure':
      return { pascal: num(input, 'pascal'), updateTime };
    case 'motion':
      return { state: oneOf(input, 'state', ['MOTION_DETECTED', 'NO_MOTION_DETECTED']), updateTime };
    case 'deskOccupancy': {
      const remarks = input.remarks ?? [];
      if (!Array.isArray(remarks) || !remarks.every((r) => typeof r === 'string')) throw new PayloadError('remarks must be an array of strings');
      return { state: oneOf(input, 'state', ['OCCUPIED', 'NOT_OCCUPIED']), remarks: [...remarks], updateTime };
    }
    case 'contact':
      return { state: oneOf(input, 'state', ['OPEN', 'CLOSED']), updateTime };
    case 'connectionLatency':
      // Its fields were not recovered from any source; pass them through unchanged.
      return { ...input, updateTime };
    default:
      throw new PayloadError(`unknown event type ${eventType}`);
  }
}

function samples(input: Input, fallback: () => Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  if (input.samples === undefined) return fallback();
  if (!Array.isArray(input.samples) || !input.samples.every(isObject)) throw new PayloadError('samples must be an array of objects');
  return input.samples.map((s) => ({ ...s }));
}
