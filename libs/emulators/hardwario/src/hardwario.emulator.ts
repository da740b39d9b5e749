import { livePayload, PushSender, SeededRandom, startEmulatorServer, startTicker, type EmulatorServer } from '@devicegate/emulators/kit';
import { routeNotFound } from './hardwario.errors.js';
import { buildRouter, type CloudContext } from './hardwario.routes.js';
import { DEMO_DEVICE_COUNT, SANDBOX_SPACE, seedStore } from './hardwario.seed.js';
import { HardwarioStore, messageBody, type MessageRecord } from './hardwario.store.js';
import type { HardwarioConnector, HardwarioDevice, HardwarioJobDevice, HardwarioMessage, HardwarioSpace, MessageType } from './hardwario.types.js';

/** The fixed sandbox credentials: the same at every start. */
export const HARDWARIO_SANDBOX_CREDENTIALS = {
  /** Send as `X-Api-Key` (or legacy `Authorization: ApiKey <key>`); scoped to `spaceId`. */
  apiKey: 'ec0c96a8-c685-4b53-80d5-0446689a8ab7',
  spaceId: SANDBOX_SPACE.id,
  /** For `POST /v2/auth/login`, which answers an `access_token` for `Authorization: Bearer`. */
  email: 'sandbox@devicegate.local',
  password: 'devicegate-sandbox',
} as const;

export type HardwarioCredentials = typeof HARDWARIO_SANDBOX_CREDENTIALS;

export interface HardwarioEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  latencyMs?: number;
  /** Epoch ms the seeded week of messages ends at; the emulator's clock runs on from it. Default `Date.now()`. */
  now?: number;
  /** Devices to seed (default the 14 demo devices); devices beyond the demo set carry no messages. */
  deviceCount?: number;
  /** When set, a demo device sends an uplink every this many ms (devices take turns); default off. */
  liveEveryMs?: number;
}

/** What `onMessage` listeners get for every new uplink or downlink: the shape of a connector `job`, plus the connectors that would fire. */
export interface HardwarioMessageEvent {
  /** The REST form (`body` is a JSON string). */
  message: HardwarioMessage;
  /** `body` decoded. */
  body: unknown;
  device: HardwarioJobDevice;
  /** Enabled connectors of the same direction whose triggers include the type and that share a tag with the device. */
  connectors: HardwarioConnector[];
}

export interface AddUplinkOptions {
  /** Epoch ms; default the emulator's clock. */
  at?: number;
}

export interface HardwarioEmulator extends EmulatorServer {
  readonly credentials: HardwarioCredentials;
  /** The root the vendor paths hang off (`/v2/...`); the same as `url`. */
  readonly baseUrl: string;
  readonly spaceId: string;
  readonly space: HardwarioSpace;
  /** The emulator's current time (the `now` anchor plus the time since start). */
  now(): number;
  /** All device ids, in the API's default order (id ascending). */
  deviceIds(): string[];
  /** The ids of the seeded demo devices (the ones with a week of messages). */
  demoDeviceIds(): string[];
  device(id: string): HardwarioDevice | undefined;
  tagIds(): string[];
  /** Stores an uplink as the device would send it: updates `last_seen`, delivers pending downlinks, notifies listeners. */
  addUplink(deviceId: string, body: unknown, type?: MessageType, options?: AddUplinkOptions): HardwarioMessage;
  /** All stored messages of a device, oldest first. */
  messagesOf(deviceId: string): HardwarioMessage[];
  /** Subscribes to new messages (the hook for connector delivery); returns the unsubscribe function. */
  onMessage(listener: (event: HardwarioMessageEvent) => void): () => void;
  /**
   * Delivers every new message of the space to `url`, as a connector whose transformation posts the job
   * the reference recommends (`{"message", "device", "connector"}`) with the given headers (e.g. the
   * receiver's `Authorization`). `null` stops it.
   */
  setPushTarget(target: HardwarioPushTarget | null): void;
  /** Resolves when every push so far has been answered (or given up). */
  pushesSettled(): Promise<void>;
}

export interface HardwarioPushTarget {
  url: string;
  headers?: Record<string, string>;
}

/** The connector the push target stands for, as `job.connector` names it. */
export const PUSH_CONNECTOR_ID = '018f0000-0000-7000-8000-00000000c0de';

/** Downlink bodies posted as plain strings may not be JSON; hand those over as the string itself. */
function decodeBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

export async function startHardwarioEmulator(options: HardwarioEmulatorOptions = {}): Promise<HardwarioEmulator> {
  const anchor = options.now ?? Date.now();
  const startedAt = Date.now();
  const now = () => anchor + (Date.now() - startedAt);
  const store = new HardwarioStore({ ...SANDBOX_SPACE });
  seedStore(store, { now: anchor, deviceCount: Math.max(0, Math.floor(options.deviceCount ?? DEMO_DEVICE_COUNT)) });
  const demoIds = store
    .allDevicesById()
    .slice(0, Math.min(DEMO_DEVICE_COUNT, store.devices.size))
    .map((d) => d.id);

  // Ids made at run time come from their own seeded generator, so a replayed test sees the same ids.
  const runtimeIds = new SeededRandom(0x4857_9000);
  const ctx: CloudContext = {
    store,
    credentials: HARDWARIO_SANDBOX_CREDENTIALS,
    now,
    newId: (ms) => runtimeIds.uuid7(ms),
    issuedTokens: new Set(),
  };

  const server = await startEmulatorServer({
    name: 'hardwario',
    router: buildRouter(ctx),
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    latencyMs: options.latencyMs,
    notFound: routeNotFound,
  });

  const toEvent = (m: MessageRecord): HardwarioMessageEvent | undefined => {
    const device = store.devices.get(m.deviceId);
    if (!device) return undefined;
    return {
      message: store.renderMessage(m),
      body: decodeBody(messageBody(m)),
      device: store.renderJobDevice(device),
      connectors: store.matchingConnectors(m).map((c) => store.renderConnector(c)),
    };
  };

  const addUplink = (deviceId: string, body: unknown, type: MessageType = 'data', uplinkOptions: AddUplinkOptions = {}): HardwarioMessage => {
    const device = store.devices.get(deviceId.toLowerCase());
    if (!device) throw new Error(`unknown device ${deviceId}`);
    const ms = uplinkOptions.at ?? now();
    // A device picks up its queued downlinks when it next talks to the cloud.
    for (const m of store.messagesOf(device.id)) {
      if (m.direction === 'down' && m.downState === 'pending' && m.ms <= ms) {
        m.downState = 'sent';
        m.downStateMs = ms;
        m.downAttempt += 1;
      }
    }
    if (device.lastSeenMs === null || ms > device.lastSeenMs) device.lastSeenMs = ms;
    if (type === 'session') device.sessionId = Math.floor(ms / 1000);
    store.deviceChanged();
    const message: MessageRecord = {
      id: ctx.newId(ms),
      ms,
      deviceId: device.id,
      type,
      direction: 'up',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      raw: null,
      codecHash: type === 'data' ? device.decoderHash : null,
      downState: null,
      downStateMs: null,
      downScheduledMs: null,
      downAttempt: 0,
    };
    store.addMessage(message);
    return store.renderMessage(message);
  };

  const sender = new PushSender();
  let pushTarget: HardwarioPushTarget | null = null;
  store.onMessage((m) => {
    if (!pushTarget) return;
    const event = toEvent(m);
    if (!event) return;
    const { message } = event;
    const job = {
      message: { id: message.id, type: message.type, direction: message.direction, created_at: message.created_at, body: event.body },
      device: event.device,
      connector: { id: PUSH_CONNECTOR_ID },
    };
    sender.send({ method: 'POST', url: pushTarget.url, headers: { 'content-type': 'application/json', ...(pushTarget.headers ?? {}) }, body: JSON.stringify(job) });
  });

  // Live: the demo devices with data take turns reporting again: their seeded payload with temperatures that
  // drift and batteries that drain, timed now.
  const reporters = !options.liveEveryMs ? [] : demoIds.filter((id) => store.messagesOf(id).some((m) => m.direction === 'up' && m.type === 'data'));
  const seeded = new Map<string, { body: unknown; ms: number }>();
  const ticker = options.liveEveryMs && reporters.length
    ? startTicker(options.liveEveryMs, (tick) => {
        const id = reporters[tick % reporters.length];
        if (!seeded.has(id)) {
          const latest = store.messagesOf(id).findLast((m) => m.direction === 'up' && m.type === 'data');
          if (latest) seeded.set(id, { body: decodeBody(messageBody(latest)), ms: latest.ms });
        }
        const seed = seeded.get(id);
        if (seed) addUplink(id, livePayload(seed.body, Math.floor(tick / reporters.length) + 1, Math.round((now() - seed.ms) / 1000)));
      })
    : undefined;

  return {
    ...server,
    close: async () => {
      ticker?.close();
      sender.close();
      await server.close();
    },
    setPushTarget: (target) => {
      pushTarget = target;
    },
    pushesSettled: () => sender.idle(),
    credentials: HARDWARIO_SANDBOX_CREDENTIALS,
    baseUrl: server.url,
    spaceId: store.space.id,
    space: store.space,
    now,
    deviceIds: () => store.allDevicesById().map((d) => d.id),
    demoDeviceIds: () => [...demoIds],
    device: (id) => {
      const d = store.devices.get(id.toLowerCase());
      return d ? store.renderDevice(d) : undefined;
    },
    tagIds: () => [...store.tags.keys()].sort(),
    addUplink,
    messagesOf: (deviceId) => store.messagesOf(deviceId.toLowerCase()).map((m) => store.renderMessage(m)),
    onMessage: (listener) =>
      store.onMessage((m) => {
        const event = toEvent(m);
        if (event) listener(event);
      }),
  };
}
