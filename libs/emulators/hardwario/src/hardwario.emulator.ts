import { closingWith, composeRouter, listenOptions, livePayload, runningClock, seedCount, SeededRandom, startEmulatorServer, startLive, Webhook, type EmulatorOptions, type EmulatorServer, type PushControls, type PushTarget } from '@devicegate/emulators/kit';
import { hardwarioAuthRoutes } from './hardwario.auth.routes.js';
import { hardwarioConnectorRoutes } from './hardwario.connectors.routes.js';
import { hardwarioDeviceRoutes } from './hardwario.devices.routes.js';
import { routeNotFound } from './hardwario.errors.js';
import { hardwarioMessageRoutes } from './hardwario.messages.routes.js';
import type { CloudContext } from './hardwario.routes.js';
import { hardwarioSpaceRoutes } from './hardwario.spaces.routes.js';
import { hardwarioTagRoutes } from './hardwario.tags.routes.js';
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

/** `now` ends the seeded week of messages; `deviceCount` defaults to the 14 demo devices; live devices send uplinks. */
export type HardwarioEmulatorOptions = EmulatorOptions;

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

export interface HardwarioEmulator extends EmulatorServer, PushControls {
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
}

/**
 * The push target stands for a connector that delivers every new message of the space: its transformation
 * posts the job the reference recommends (`{"message", "device", "connector"}`) with the target's headers
 * (e.g. the receiver's `Authorization`).
 */
export type HardwarioPushTarget = PushTarget;

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
  const now = runningClock(anchor);
  const store = new HardwarioStore({ ...SANDBOX_SPACE });
  seedStore(store, { now: anchor, deviceCount: seedCount(options.deviceCount, DEMO_DEVICE_COUNT) });
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
    ...listenOptions(options),
    name: 'hardwario',
    router: composeRouter(ctx, hardwarioAuthRoutes, hardwarioSpaceRoutes, hardwarioDeviceRoutes, hardwarioMessageRoutes, hardwarioTagRoutes, hardwarioConnectorRoutes),
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

  const webhook = new Webhook();
  store.onMessage((m) => {
    const event = webhook.active ? toEvent(m) : undefined;
    if (!event) return;
    const { message } = event;
    webhook.post({
      message: { id: message.id, type: message.type, direction: message.direction, created_at: message.created_at, body: event.body },
      device: event.device,
      connector: { id: PUSH_CONNECTOR_ID },
    });
  });

  // Live: the demo devices with data take turns reporting again: their seeded payload with temperatures that
  // drift and batteries that drain, timed now.
  const ticker = startLive(
    options.liveEveryMs,
    () => demoIds.filter((id) => store.messagesOf(id).some((m) => m.direction === 'up' && m.type === 'data')),
    (id) => {
      const latest = store.messagesOf(id).findLast((m) => m.direction === 'up' && m.type === 'data');
      return latest && { body: decodeBody(messageBody(latest)), ms: latest.ms };
    },
    (id, seed, { round }) => addUplink(id, livePayload(seed.body, round, Math.round((now() - seed.ms) / 1000))),
  );

  return {
    ...closingWith(server, ticker, webhook),
    ...webhook.controls(),
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
