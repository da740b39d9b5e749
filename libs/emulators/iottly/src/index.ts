import { livePayload, parseIsoUtc, PushSender, SeededRandom, startEmulatorServer, startTicker, type EmulatorServer } from '@devicegate/emulators/kit';
import { API_PREFIX, buildRouter, tornadoError, type PageNumbering } from './iottly.routes.js';
import { DEMO_DEVICE_COUNT, IOTTLY_SANDBOX_CREDENTIALS, seedWorld, type IottlySandboxCredentials } from './iottly.seed.js';
import { toPaginatedMessage, type ProjectStore } from './iottly.store.js';
import type { IottlyDeviceProps, MessageType, MessageTypeDefinition, OperatingStatus, RecordedCommand, StoredMessage } from './iottly.types.js';

export { IOTTLY_SANDBOX_CREDENTIALS, DEMO_DEVICE_COUNT, type IottlySandboxCredentials };
export { commandPrefix, type PageNumbering } from './iottly.routes.js';
export type * from './iottly.types.js';

export interface IottlyEmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  latencyMs?: number;
  /** Epoch ms the seeded week of messages ends at; default `Date.now()`. The emulator clock runs on from it. */
  now?: number;
  /** Devices in the demo project; default the 14 demo devices. Devices past the demo set get no messages. */
  deviceCount?: number;
  /** A connected device answers an `echo` command with an ECHO message (default true). */
  echoReplies?: boolean;
  /**
   * How the paginated messages API numbers pages, which the vendor does not document: `base` is the
   * number of the first page (default 1); with base 1, `zero` is what `p=0` gets: `rejected` (400, the
   * default), `empty` (404, as a slice before the first page) or `first` (read as page 1).
   */
  paging?: PageNumbering;
  /** When set, a demo device sends a message every this many ms (devices take turns); default off. */
  liveEveryMs?: number;
}


/** A message to add through the in-process API; times are epoch ms or ISO strings (zone-less = UTC). */
export interface NewIottlyMessage {
  type?: MessageType;
  payload: Record<string, unknown>;
  /** Server receive time; default the emulator clock. */
  timestamp?: number | string;
  /** Device clock; default `timestamp` cut to whole seconds. */
  devicetimestamp?: number | string;
}

export interface IottlyEmulator extends EmulatorServer {
  /** The credentials and project ids this emulator accepts (always the sandbox ones). */
  readonly credentials: IottlySandboxCredentials;
  /** Root a client puts the reference's paths under: `url + '/v1.0'`. */
  readonly baseUrl: string;
  /** The demo project id. */
  readonly projectId: string;
  /** Device ids of the demo project (or of `projectId`), in list order. */
  deviceIds(projectId?: string): string[];
  /** A copy of one device's properties, wherever it lives. */
  device(deviceId: string): IottlyDeviceProps | undefined;
  /** The message types declared in a project (no public endpoint lists them). */
  messageTypes(projectId?: string): MessageTypeDefinition[];
  /** All license tokens of a project, paired and free. */
  licenseTokens(projectId?: string): string[];
  /** Stores a device message (as if the device had sent it) and returns it. */
  addMessage(deviceId: string, message: NewIottlyMessage): StoredMessage;
  /** How many messages a device has, optionally of one type. */
  messageCount(deviceId: string, type?: MessageType): number;
  /** Changes a device's operating status and logs the agent's `connectionstatus` message for it. */
  setOperatingStatus(deviceId: string, status: OperatingStatus): void;
  /** Commands accepted so far, oldest first. */
  commands(): RecordedCommand[];
  clearCommands(): void;
  /** The emulator clock, epoch ms. */
  now(): number;
  /**
   * A project webhook (reference §6) for every new device message of any project: POST `{"msg": …}` to
   * `url` with the given custom headers. The message is in the paginated API's form. `null` removes it.
   */
  setPushTarget(target: IottlyPushTarget | null): void;
  /** Resolves when every push so far has been answered (or given up). */
  pushesSettled(): Promise<void>;
}

export interface IottlyPushTarget {
  url: string;
  /** Up to five custom headers, as the console allows. */
  headers?: Record<string, string>;
}

const toMs = (value: number | string): number => {
  const ms = typeof value === 'number' ? value : parseIsoUtc(value);
  if (!Number.isFinite(ms)) throw new Error(`not a timestamp: ${String(value)}`);
  return ms;
};

/** Starts a local iottly v1.0 API seeded with the sandbox project. */
export async function startIottlyEmulator(options: IottlyEmulatorOptions = {}): Promise<IottlyEmulator> {
  const startedAt = Date.now();
  const anchor = options.now ?? startedAt;
  const clock = () => anchor + (Date.now() - startedAt);
  const deviceCount = Math.max(0, Math.floor(options.deviceCount ?? DEMO_DEVICE_COUNT));
  const world = seedWorld({ now: anchor, deviceCount });
  const projects: ProjectStore[] = [world.main, world.other];
  const commands: RecordedCommand[] = [];
  // Runtime messages get ids from their own generator so seeded ids never depend on test activity.
  const runtimeIds = new SeededRandom(0xadd);

  const sender = new PushSender();
  let pushTarget: IottlyPushTarget | null = null;
  const store = (project: ProjectStore, message: Omit<StoredMessage, 'oid'>): StoredMessage => {
    const oid = Math.floor(message.timestamp / 1000).toString(16).padStart(8, '0') + runtimeIds.hex(16);
    const full: StoredMessage = { ...message, oid };
    project.messagesOf(message.from).add(full);
    if (pushTarget) {
      const headers = Object.fromEntries(Object.entries(pushTarget.headers ?? {}).slice(0, 5));
      sender.send({ method: 'POST', url: pushTarget.url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ msg: toPaginatedMessage(full) }) });
    }
    return full;
  };

  const projectOf = (projectId?: string): ProjectStore => {
    const project = projects.find((p) => p.info.id === (projectId ?? world.main.info.id));
    if (!project) throw new Error(`unknown project ${projectId}`);
    return project;
  };
  const owner = (deviceId: string): ProjectStore => {
    const project = projects.find((p) => p.devices.has(deviceId));
    if (!project) throw new Error(`unknown device ${deviceId}`);
    return project;
  };

  const server = await startEmulatorServer({
    name: 'iottly',
    router: buildRouter({ projects, clock, addMessage: store, commands, echoReplies: options.echoReplies ?? true, paging: options.paging ?? { base: 1 } }),
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    latencyMs: options.latencyMs,
    notFound: () => tornadoError(404),
    methodNotAllowed: () => tornadoError(405),
  });

  // Live: the demo devices with data take turns sending their latest payload again, as a new message.
  const main = world.main;
  const reporters = !options.liveEveryMs ? [] : [...main.devices.keys()].filter((id) => main.messages.get(id)?.list('userdefined').length);
  const seeded = new Map<string, Record<string, unknown>>();
  const ticker =
    options.liveEveryMs && reporters.length
      ? startTicker(options.liveEveryMs, (tick) => {
          const id = reporters[tick % reporters.length];
          // The seeded payload with temperatures that drift and batteries that drain.
          const latest = seeded.get(id) ?? main.messages.get(id)!.list('userdefined').at(-1)!.payload;
          seeded.set(id, latest);
          const timestamp = clock();
          store(main, { from: id, to: main.info.id, timestamp, devicetimestamp: Math.floor(timestamp / 1000) * 1000, type: 'userdefined', payload: livePayload(latest, Math.floor(tick / reporters.length) + 1) });
        })
      : undefined;

  return {
    ...server,
    close: async () => {
      ticker?.stop();
      sender.close();
      await server.close();
    },
    setPushTarget: (target) => {
      pushTarget = target;
    },
    pushesSettled: () => sender.idle(),
    credentials: IOTTLY_SANDBOX_CREDENTIALS,
    baseUrl: `${server.url}${API_PREFIX}`,
    projectId: world.main.info.id,
    deviceIds: (projectId) => [...projectOf(projectId).devices.keys()],
    device: (deviceId) => {
      const found = projects.find((p) => p.devices.has(deviceId))?.devices.get(deviceId);
      return found ? { ...found } : undefined;
    },
    messageTypes: (projectId) => structuredClone(projectOf(projectId).messageTypes()),
    licenseTokens: (projectId) => [...projectOf(projectId).licenses.keys()],
    addMessage: (deviceId, message) => {
      const project = owner(deviceId);
      const timestamp = message.timestamp === undefined ? clock() : toMs(message.timestamp);
      const devicetimestamp = message.devicetimestamp === undefined ? Math.floor(timestamp / 1000) * 1000 : toMs(message.devicetimestamp);
      return store(project, {
        from: deviceId,
        to: project.info.id,
        timestamp,
        devicetimestamp,
        type: message.type ?? 'userdefined',
        payload: structuredClone(message.payload),
      });
    },
    messageCount: (deviceId, type) => owner(deviceId).messages.get(deviceId)?.list(type ?? 'all').length ?? 0,
    setOperatingStatus: (deviceId, status) => {
      const project = owner(deviceId);
      const device = project.devices.get(deviceId) as IottlyDeviceProps;
      if (device.operatingstatus === status) return;
      device.operatingstatus = status;
      // The agent reports every (dis)connection as a message, as the seeded history does.
      const t = clock();
      store(project, { from: deviceId, to: project.info.id, timestamp: t, devicetimestamp: Math.floor(t / 1000) * 1000, type: 'iottlyagent', payload: { connectionstatus: status } });
    },
    commands: () => structuredClone(commands),
    clearCommands: () => {
      commands.length = 0;
    },
    now: clock,
  };
}
