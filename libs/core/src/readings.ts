import type { CallContext } from './context.js';
import type { Message, ProviderId, Reading, Timestamp } from './models.js';
import { isObject } from './json.js';
import type { ListSource, ListQuery, VendorCursor } from './provider.js';

/** The common name and UCUM unit a vendor's field maps to. */
export interface ReadingSpec {
  name: string;
  unit: string | null;
}

/** Vendor field (path, datastream, LwM2M object …) → common name and unit, as the vendor documents it. */
export type ReadingTable = Readonly<Record<string, ReadingSpec>>;

/** A numeric or boolean value found in a payload, with its dot path. */
export interface Leaf {
  path: string;
  value: number | boolean;
}


/**
 * The numeric and boolean leaves of a JSON payload, depth first in key order. Arrays are not walked:
 * their items have no stable name, so a reading id built from one would not be stable either.
 * `skip` leaves out a subtree (metadata blocks such as a message counter).
 */
export function leaves(data: unknown, skip: (path: string) => boolean = () => false, prefix = ''): Leaf[] {
  if (!isObject(data)) return [];
  const out: Leaf[] = [];
  for (const [key, value] of Object.entries(data)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (skip(path)) continue;
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) out.push({ path, value });
    else if (isObject(value)) out.push(...leaves(value, skip, path));
  }
  return out;
}

/**
 * Common names of the vendor-neutral words a payload key may use, for payloads whose vendor documents no
 * units (iottly's free-form JSON): the name is shared, the unit stays unknown unless the key itself names it.
 */
const COMMON_WORDS: Readonly<Record<string, ReadingSpec>> = {
  temperature: { name: 'temperature', unit: null },
  temp: { name: 'temperature', unit: null },
  humidity: { name: 'humidity', unit: null },
  relative_humidity: { name: 'humidity', unit: null },
  co2: { name: 'co2', unit: null },
  co2_ppm: { name: 'co2', unit: '[ppm]' },
  pressure: { name: 'pressure', unit: null },
  battery: { name: 'battery_level', unit: null },
  battery_level: { name: 'battery_level', unit: null },
  battery_voltage: { name: 'battery_voltage', unit: null },
  voltage: { name: 'voltage', unit: null },
  current: { name: 'current', unit: null },
  power: { name: 'power', unit: null },
  energy: { name: 'energy', unit: null },
  rssi: { name: 'rssi', unit: null },
  motion: { name: 'motion', unit: null },
  occupancy: { name: 'occupancy', unit: null },
};

/**
 * Unit suffixes a payload key may end in (`pressure_hpa`, `flow_lpm`), as UCUM codes: the payload's own word
 * for its unit. Ambiguous ones (`_ms`: milliseconds or metres per second) are not read.
 */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
  ppm: '[ppm]',
  ppb: '[ppb]',
  hpa: 'hPa',
  pa: 'Pa',
  kpa: 'kPa',
  bar: 'bar',
  lpm: 'L/min',
  kg: 'kg',
  g: 'g',
  cm: 'cm',
  mm: 'mm',
  l: 'L',
  w: 'W',
  kw: 'kW',
  kwh: 'kW.h',
  v: 'V',
  mv: 'mV',
  a: 'A',
  ma: 'mA',
  lux: 'lx',
  dbm: 'dB[mW]',
  pct: '%',
  percent: '%',
  celsius: 'Cel',
  degc: 'Cel',
};

/**
 * A common name for a key of an undocumented payload (its last path segment), or undefined. A key that ends
 * in a unit (`pressure_hpa`) is named by the rest (`pressure`) with that unit.
 */
export const commonWord = (path: string): ReadingSpec | undefined => {
  const word = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  if (Object.hasOwn(COMMON_WORDS, word)) return COMMON_WORDS[word];
  const cut = word.lastIndexOf('_');
  const suffix = word.slice(cut + 1);
  if (cut <= 0 || !Object.hasOwn(UNIT_SUFFIXES, suffix)) return undefined;
  const stem = word.slice(0, cut);
  return { name: Object.hasOwn(COMMON_WORDS, stem) ? COMMON_WORDS[stem].name : stem, unit: UNIT_SUFFIXES[suffix] };
};

/** Where readings come from: the device and, when they are carried by one, the message. */
export interface ReadingOrigin {
  connectionId: string;
  provider: ProviderId;
  /** Unified device id. */
  deviceId: string;
  /** Unified message id, or null for a value read from the device object itself. */
  messageId: string | null;
  /** When it was measured, unless a reading says otherwise. */
  at: Timestamp;
}

/** The origin of a message's readings: its device time when known, else when the cloud received it. */
export const messageOrigin = (message: Pick<Message, 'id' | 'device_id' | 'connection_id' | 'provider' | 'created_at' | 'device_time'>): ReadingOrigin => ({
  connectionId: message.connection_id,
  provider: message.provider,
  deviceId: message.device_id,
  messageId: message.id,
  at: message.device_time ?? message.created_at,
});

/**
 * One Reading. Its id is the message id (or the device id) and the native name, so it is stable across reads
 * and unique within a list, which is what `after` needs. `spec` absent: the native name is the name, unit unknown.
 */
export function toReading(origin: ReadingOrigin, nativeName: string, value: number | boolean | string, spec?: ReadingSpec, at?: Timestamp | null): Reading {
  return {
    object: 'reading',
    id: `${origin.messageId ?? origin.deviceId}:${nativeName}`,
    device_id: origin.deviceId,
    connection_id: origin.connectionId,
    provider: origin.provider,
    name: spec?.name ?? nativeName,
    native_name: nativeName,
    value,
    unit: spec?.unit ?? null,
    at: at ?? origin.at,
    message_id: origin.messageId,
  };
}

/** The newest reading of each name (ties: the first given), ordered by name. */
export function latestReadings(readings: readonly Reading[]): Reading[] {
  const byName = new Map<string, Reading>();
  for (const reading of readings) {
    const known = byName.get(reading.name);
    if (!known || reading.at > known.at) byName.set(reading.name, reading);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The readings of messages, newest message first, reduced to the latest of each name. */
export const latestOfMessages = (messages: readonly Message[]): Reading[] => latestReadings(messages.flatMap((m) => m.readings ?? []));

/** A readings list that is one snapshot (a vendor that keeps only current values): one read, newest first. */
export function readingsSnapshot(read: (ctx: CallContext) => Promise<Reading[]>): ListSource<Reading> {
  return {
    plan: () => ({ order: 'DESC', exactTotal: false }),
    async fetchPage(_query: ListQuery, _cursor: VendorCursor | null, ctx: CallContext) {
      const items = [...(await read(ctx))].sort((a, b) => (a.at > b.at ? -1 : a.at < b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { items, next: null };
    },
  };
}

/** Units a connection declares for readings whose vendor names none: native name (or else common name) → UCUM code. */
export type DeclaredUnits = Readonly<Record<string, string>>;

/** A reading with the unit declared for its native name (or else its common name) when its vendor gave none; the value is never converted. */
export function withDeclaredUnit(reading: Reading, units: DeclaredUnits): Reading {
  if (reading.unit !== null) return reading;
  const unit = Object.hasOwn(units, reading.native_name) ? units[reading.native_name] : Object.hasOwn(units, reading.name) ? units[reading.name] : undefined;
  return unit === undefined ? reading : { ...reading, unit };
}

/** An answer of a connection (a reading, or a device, status or message with `readings`) with declared units applied. */
export function applyDeclaredUnits<T>(answer: T, units: DeclaredUnits): T {
  if (!isObject(answer)) return answer;
  if (answer.object === 'reading') return withDeclaredUnit(answer as unknown as Reading, units) as T;
  if (Array.isArray(answer.readings)) return { ...answer, readings: (answer.readings as Reading[]).map((reading) => withDeclaredUnit(reading, units)) };
  return answer;
}
