import {
  closingWith,
  composeRouter,
  listenOptions,
  livePayload,
  parseIsoUtc,
  runningClock,
  seedCount,
  SeededRandom,
  startEmulatorServer,
  startLive,
  Webhook,
  type EmulatorOptions,
  type EmulatorServer,
  type PushControls,
  type PushTarget,
} from '@devicegate/emulators/kit';
import { iottlyCommandRoutes } from './iottly.commands.routes.js';
import { iottlyDeviceRoutes } from './iottly.devices.routes.js';
import { iottlyMessageRoutes } from './iottly.messages.routes.js';
import { iottlyProjectRoutes } from './iottly.project.routes.js';
import { API_PREFIX, iottlyRoutes, tornadoError, type PageNumbering } from './iottly.routes.js';
import { DEMO_DEVICE_COUNT, IOTTLY_SANDBOX_CREDENTIALS, seedWorld, type IottlySandboxCredentials } from './iottly.seed.js';
import { toPaginatedMessage, type ProjectStore } from './iottly.store.js';
import type { IottlyDeviceProps, MessageType, MessageTypeDefinition, OperatingStatus, RecordedCommand, StoredMessage } from './iottly.types.js';

export { IOTTLY_SANDBOX_CREDENTIALS, DEMO_DEVICE_COUNT, type IottlySandboxCredentials };
export { commandPrefix } from './iottly.commands.routes.js';
export type { PageNumbering } from './iottly.routes.js';
export type * from './iottly.types.js';

/** `now` ends the seeded week of messages; `deviceCount` counts the demo project's devices (default 14). */
export interface IottlyEmulatorOptions extends EmulatorOptions {
  /** A connected device answers an `echo` command with an ECHO message (default true). */
  echoReplies?: boolean;
  /**
   * How the paginated messages API numbers pages, which the vendor does not document: `base` is the
   * number of the first page (default 1); with base 1, `zero` is what `p=0` gets: `rejected` (400, the
   * default), `empty` (404, as a slice before the first page) or `first` (read as page 1).
   */
  paging?: PageNumbering;
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

export interface IottlyEmulator extends EmulatorServer, PushControls {
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
}

/**
 * The push target stands for a project webhook (reference §6) for every new device message of any
 * project: POST `{"msg": …}` (the paginated API's form) with up to five custom headers, as the console allows.
 */
export type IottlyPushTarget = PushTarget;

const toMs = (value: number | string): number => {
  const ms = typeof value === 'number' ? value : parseIsoUtc(value);
  if (!Number.isFinite(ms)) throw new Error(`not a timestamp: ${String(value)}`);
  return ms;
};

/** Starts a local iottly v1.0 API seeded with the sandbox project. */
export async function startIottlyEmulator(options: IottlyEmulatorOptions = {}): Promise<IottlyEmulator> {
  const anchor = options.now ?? Date.now();
  const clock = runningClock(anchor);
  const world = seedWorld({ now: anchor, deviceCount: seedCount(options.deviceCount, DEMO_DEVICE_COUNT) });
  const projects: ProjectStore[] = [world.main, world.other];
  const commands: RecordedCommand[] = [];
  // Runtime messages get ids from their own generator so seeded ids never depend on test activity.
  const runtimeIds = new SeededRandom(0xadd);

  const webhook = new Webhook();
  const store = (project: ProjectStore, message: Omit<StoredMessage, 'oid'>): StoredMessage => {
    const oid = Math.floor(message.timestamp / 1000).toString(16).padStart(8, '0') + runtimeIds.hex(16);
    const full: StoredMessage = { ...message, oid };
    project.messagesOf(message.from).add(full);
    if (webhook.active) webhook.post({ msg: toPaginatedMessage(full) });
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

  const routes = iottlyRoutes({ projects, clock, addMessage: store, commands, echoReplies: options.echoReplies ?? true, paging: options.paging ?? { base: 1 } });
  const server = await startEmulatorServer({
    ...listenOptions(options),
    name: 'iottly',
    router: composeRouter(routes, iottlyProjectRoutes, iottlyDeviceRoutes, iottlyCommandRoutes, iottlyMessageRoutes),
    notFound: () => tornadoError(404),
    methodNotAllowed: () => tornadoError(405),
  });

  // Live: the demo devices with data take turns sending their latest payload again, as a new message,
  // with temperatures that drift and batteries that drain.
  const main = world.main;
  const ticker = startLive(
    options.liveEveryMs,
    () => [...main.devices.keys()].filter((id) => main.messages.get(id)?.list('userdefined').length),
    (id) => main.messages.get(id)?.list('userdefined').at(-1)?.payload,
    (id, latest, { round }) => {
      const timestamp = clock();
      store(main, { from: id, to: main.info.id, timestamp, devicetimestamp: Math.floor(timestamp / 1000) * 1000, type: 'userdefined', payload: livePayload(latest, round) });
    },
  );

  return {
    ...closingWith(server, ticker, webhook),
    setPushTarget: (target) => webhook.set(target && { ...target, headers: Object.fromEntries(Object.entries(target.headers ?? {}).slice(0, 5)) }),
    pushesSettled: () => webhook.settled(),
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
