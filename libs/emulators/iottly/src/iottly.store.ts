import { isoMillis } from '@devicegate/emulators/kit';
import { MongoDate, MongoObjectId, type MongoValue } from './iottly.query.js';
import type {
  HistoryMessage,
  IottlyDeviceProps,
  LicenseEntry,
  MessageType,
  MessageTypeDefinition,
  PaginatedMessage,
  StoredMessage,
} from './iottly.types.js';

/**
 * Messages of one device, kept in ascending `timestamp` order (ties keep arrival order) in three
 * lists, one per `type` filter of the paginated API, so a page is a binary search plus a slice.
 */
export class DeviceMessages {
  readonly all: StoredMessage[] = [];
  readonly userdefined: StoredMessage[] = [];
  readonly iottlyagent: StoredMessage[] = [];

  list(type: MessageType | 'all'): StoredMessage[] {
    return type === 'all' ? this.all : this[type];
  }

  add(message: StoredMessage): void {
    insertSorted(this.all, message);
    insertSorted(this[message.type], message);
  }
}

/** Index of the first message whose timestamp is >= `ms` (or > `ms` when `after`). */
export function lowerBound(list: StoredMessage[], ms: number, after = false): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = list[mid].timestamp;
    if (t < ms || (after && t === ms)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(list: StoredMessage[], message: StoredMessage): void {
  const last = list[list.length - 1];
  if (!last || last.timestamp <= message.timestamp) {
    list.push(message);
    return;
  }
  list.splice(lowerBound(list, message.timestamp, true), 0, message);
}

export interface ProjectInfo {
  id: string;
  name: string;
  board: string;
  agentVersion: string;
  /** Device-type suffix of the agent tarball, e.g. `ARMv6`. */
  agentArch: string;
}

/** One iottly project: its devices, license tokens, declared message types and messages. */
export class ProjectStore {
  readonly devices = new Map<string, IottlyDeviceProps>();
  /** License token → paired device id, or null for a free token; insertion order is the list order. */
  readonly licenses = new Map<string, string | null>();
  readonly messages = new Map<string, DeviceMessages>();
  private readonly types = new Map<string, MessageTypeDefinition>();

  constructor(
    readonly info: ProjectInfo,
    readonly apiKeys: readonly string[],
    messageTypes: MessageTypeDefinition[],
  ) {
    for (const def of messageTypes) this.types.set(def.type, def);
  }

  messageTypes(): MessageTypeDefinition[] {
    return [...this.types.values()];
  }

  messageType(type: string): MessageTypeDefinition | undefined {
    return this.types.get(type);
  }

  addDevice(device: IottlyDeviceProps): void {
    this.devices.set(device.ID, device);
    this.licenses.set(device.token, device.ID);
  }

  addFreeLicense(token: string): void {
    this.licenses.set(token, null);
  }

  messagesOf(deviceId: string): DeviceMessages {
    let box = this.messages.get(deviceId);
    if (!box) {
      box = new DeviceMessages();
      this.messages.set(deviceId, box);
    }
    return box;
  }

  licenseEntry(token: string): LicenseEntry | undefined {
    if (!this.licenses.has(token)) return undefined;
    const deviceId = this.licenses.get(token);
    const device = deviceId ? this.devices.get(deviceId) : undefined;
    if (!device) return { status: 'available', board: {} };
    return {
      status: 'paired',
      board: { macaddress: device.macaddress, operatingstatus: device.operatingstatus, id: device.ID, name: device.name },
    };
  }
}

/** The history API's date form: `{"$date": "…Z"}` with three millisecond digits. */
const mongoDate = (ms: number) => ({ $date: isoMillis(ms) });

/**
 * The paginated API's date form: ISO without zone, milliseconds only when not zero
 * (`2018-07-27T17:50:04.968`, `2018-07-27T17:49:51`), as in the reference's example.
 */
export function naiveIso(ms: number): string {
  const iso = isoMillis(ms).slice(0, -1);
  return iso.endsWith('.000') ? iso.slice(0, -4) : iso;
}

export function toHistoryMessage(m: StoredMessage): HistoryMessage {
  return {
    _id: { $oid: m.oid },
    from: m.from,
    to: m.to,
    timestamp: mongoDate(m.timestamp),
    devicetimestamp: mongoDate(m.devicetimestamp),
    type: m.type,
    payload: structuredClone(m.payload),
  };
}

export function toPaginatedMessage(m: StoredMessage): PaginatedMessage {
  return {
    from: m.from,
    timestamp: naiveIso(m.timestamp),
    to: m.to,
    devicetimestamp: naiveIso(m.devicetimestamp),
    type: m.type,
    payload: structuredClone(m.payload),
  };
}

/** The message as a Mongo document, for matching `queryJson`. */
export function toMongoDocument(m: StoredMessage): { [key: string]: MongoValue } {
  return {
    _id: new MongoObjectId(m.oid),
    from: m.from,
    to: m.to,
    timestamp: new MongoDate(m.timestamp),
    devicetimestamp: new MongoDate(m.devicetimestamp),
    type: m.type,
    payload: m.payload as { [key: string]: MongoValue },
  };
}
