import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { closingWith, composeRouter, drift, listenOptions, seedCount, startEmulatorServer, startLive, type EmulatorOptions, type EmulatorResponse, type EmulatorServer, type PushTarget } from '@devicegate/emulators/kit';
import { izumaAccountRoutes } from './izuma.accounts.routes.js';
import { ConnectService } from './izuma.connect.js';
import { izumaConnectRoutes } from './izuma.connect.routes.js';
import { izumaDeviceEventRoutes } from './izuma.device-events.routes.js';
import { izumaDeviceGroupRoutes } from './izuma.device-groups.routes.js';
import { izumaDeviceRoutes } from './izuma.devices.routes.js';
import type { DeviceRecord, DeviceRequestRecord, DeviceState } from './izuma.model.js';
import { izumaRoutes, nextRequestId, v3Error } from './izuma.routes.js';
import { DEMO_DEVICE_COUNT, EVENT_TYPES, resourcesFor, SANDBOX_ACCOUNT_ID, seedIzuma } from './izuma.seed.js';
import { preloadIzumaSpec } from './izuma.spec-validator.js';
import { IzumaStore, type NewEvent } from './izuma.store.js';

/** Credentials the emulator accepts; the same at every start. */
export interface IzumaCredentials {
  /** Access key of the "devicegate sandbox" application. */
  readonly apiKey: string;
  /** Access key of a second application: same account, its own notification channel. */
  readonly secondaryApiKey: string;
  readonly accountId: string;
}

export const IZUMA_SANDBOX_CREDENTIALS: IzumaCredentials = Object.freeze({
  apiKey: 'ak_1MDE4YTRhYTZkZTY1MDI0MmFjMTIwMDA2MDAwMDAwMDA018a604944cd0a580a01000700000000dgSandboxK3y7Qm2Vx9Lp4Rt6Wn8Zc1',
  secondaryApiKey: 'ak_1MDE4YTRhYTZkZTY1MDI0MmFjMTIwMDA2MDAwMDAwMDA018b1e2c7f900a580a01000700000000dgSecondK3y5Hs8Jd2Fg7Kb0Nq4Xe',
  accountId: SANDBOX_ACCOUNT_ID,
});

/** `now` anchors the seeded event history; of `deviceCount` devices the first 16 are the demo fleet; live devices notify their temperature. */
export interface IzumaEmulatorOptions extends EmulatorOptions {
  /** Enforce the documented limits (per-device request queue of 20); default true. */
  rateLimits?: boolean;
  /** Delay before an always-on device answers a device request (default 50 ms). */
  deviceResponseDelayMs?: number;
  /** How often queue-mode devices wake up and take queued requests (default 60 s). */
  queueWakeIntervalMs?: number;
  /** How long a long poll waits before answering 204 (default 30 s). */
  longPollTimeoutMs?: number;
}

export interface IzumaEmulator extends EmulatorServer {
  readonly credentials: IzumaCredentials;
  /** The root the vendor paths are relative to (`${baseUrl}/v3/devices`). */
  readonly baseUrl: string;
  readonly accountId: string;
  /** Device ids in creation order. */
  deviceIds(): string[];
  /** The `DeviceData` of a device as the API returns it, or undefined. */
  device(id: string): Record<string, unknown> | undefined;
  /** Appends a device event (`DeviceEventData`) and returns it. */
  addEvent(deviceId: string, event: Omit<NewEvent, 'deviceId'>): Record<string, unknown>;
  /** Moves a device to a state: records the event, notifies channels, delivers or drops queued requests. */
  setDeviceState(deviceId: string, state: DeviceState): void;
  /** Every `POST /v2/device-requests` received, with its outcome. */
  deviceRequests(): DeviceRequestRecord[];
  /** Lets a sleeping (queue-mode) device take its queued requests now; returns how many it answered. */
  deliverQueuedRequests(deviceId: string): number;
  /** Current value of a device resource (as the simulated device holds it). */
  resourceValue(deviceId: string, path: string): string | undefined;
  /**
   * The device reports a new value of an observed resource: the value is stored and a `notifications`
   * item goes out on every notification channel. Returns the base64 payload sent.
   */
  notifyResource(deviceId: string, path: string, value: string): string;
  /**
   * Registers the sandbox application's webhook channel (`PUT /v2/notification/callback` without the URL
   * check) with `uid` and `timestamp` in every item; `null` deletes it.
   */
  setPushTarget(target: PushTarget | null): Promise<void>;
  /** Resolves when every callback batch so far has been acknowledged (or given up). */
  pushesSettled(): Promise<void>;
}

/** The LwM2M temperature value (object 3303, instance 0, resource 5700). */
const LIVE_RESOURCE = '/3303/0/5700';

export async function startIzumaEmulator(options: IzumaEmulatorOptions = {}): Promise<IzumaEmulator> {
  preloadIzumaSpec();
  const now = options.now ?? Date.now();
  const credentials = IZUMA_SANDBOX_CREDENTIALS;
  const apiKeys = [credentials.apiKey, credentials.secondaryApiKey];
  const store = new IzumaStore(credentials.accountId, seedIzuma(now, seedCount(options.deviceCount, DEMO_DEVICE_COUNT)));
  const connect = new ConnectService(store, apiKeys, {
    rateLimits: options.rateLimits ?? true,
    deviceResponseDelayMs: options.deviceResponseDelayMs ?? 50,
    queueWakeIntervalMs: options.queueWakeIntervalMs ?? 60_000,
    longPollTimeoutMs: options.longPollTimeoutMs ?? 30_000,
  });
  const routes = izumaRoutes({ store, connect, credentials });

  /**
   * `wss://…/v2/notification/websocket-connect` (reference §6.4): the key comes as `Authorization: Bearer`
   * or, for clients that cannot set headers, as a `pelion_<key>` entry of `Sec-WebSocket-Protocol`
   * (`wss,pelion_ak_…`, either order); the server then selects `wss`. Origin is required.
   */
  const sockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('wss') ? 'wss' : false) });
  const refuse = (socket: Duplex, status: number, reason: string, body: string) => {
    const requestId = nextRequestId();
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nX-Request-ID: ${requestId}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://emulator').pathname !== '/v2/notification/websocket-connect') return refuse(socket, 404, 'Not Found', 'unrecognized_request');
    if (!req.headers.origin || !req.headers['sec-websocket-key'] || req.headers['sec-websocket-version'] !== '13') return refuse(socket, 400, 'Bad Request', 'Required header(s) missing');
    const bearer = typeof req.headers.authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization)?.[1] : undefined;
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((entry) => entry.trim());
    const apiKey = bearer ?? offered.find((entry) => entry.startsWith('pelion_'))?.slice('pelion_'.length);
    if (!apiKey || !apiKeys.includes(apiKey)) return refuse(socket, 401, 'Unauthorized', 'Unauthorized');
    sockets.handleUpgrade(req, socket, head, (ws) => connect.attachSocket(apiKey, ws));
  };

  const withRequestId = (answer: EmulatorResponse, requestId: string): EmulatorResponse => ({ ...answer, headers: { 'x-request-id': requestId } });
  const server = await startEmulatorServer({
    ...listenOptions(options),
    name: 'izuma',
    router: composeRouter(routes, izumaAccountRoutes, izumaDeviceRoutes, izumaDeviceEventRoutes, izumaDeviceGroupRoutes, izumaConnectRoutes),
    onUpgrade,
    notFound: () => {
      const requestId = nextRequestId();
      return withRequestId(v3Error(404, 'unrecognized_request', 'Unrecognized request URL, or method not supported by the API.', requestId), requestId);
    },
    methodNotAllowed: () => {
      const requestId = nextRequestId();
      return withRequestId(v3Error(405, 'method_not_supported', 'Specified method is not supported by the API.', requestId), requestId);
    },
  });

  /** The device reports a new value of a resource: stored (Device Echo reports it) and notified on every channel. */
  const notify = (device: DeviceRecord, path: string, value: string): string => {
    device.resources ??= resourcesFor(device);
    const resource = device.resources.get(path);
    if (!resource) throw new Error(`device ${device.id} has no resource ${path}`);
    resource.value = value;
    resource.reportedMs = Date.now();
    const payload = Buffer.from(value).toString('base64');
    connect.publish('notifications', { ep: device.id, path, ct: resource.ct, payload, 'max-age': 0 });
    return payload;
  };

  // Live: the devices with a temperature resource take turns notifying their value, drifting a few tenths
  // around the seeded one.
  const ticker = startLive(
    options.liveEveryMs,
    () => store.sortedDevices.filter((device) => device.state === 'registered' && resourcesFor(device).has(LIVE_RESOURCE)),
    (device) => Number((device.resources ??= resourcesFor(device)).get(LIVE_RESOURCE)?.value),
    (device, seeded, { phase }) => notify(device, LIVE_RESOURCE, drift(seeded, phase, 1).toFixed(1)),
  );

  return {
    ...closingWith(server, ticker, connect, sockets),
    credentials,
    baseUrl: server.url,
    accountId: credentials.accountId,
    deviceIds: () => store.sortedDevices.map((device) => device.id),
    device: (id) => {
      const device = store.devices.get(id);
      return device ? structuredClone(store.deviceView(device)) : undefined;
    },
    addEvent: (deviceId, event) => structuredClone(store.addEvent({ ...event, deviceId }).view),
    setDeviceState: (deviceId, state) => {
      const device = store.devices.get(deviceId);
      if (!device) throw new Error(`unknown device ${deviceId}`);
      const ms = Date.now();
      const eventType =
        state === 'registered' ? EVENT_TYPES.registered : state === 'deregistered' ? EVENT_TYPES.deregistered : state === 'bootstrapped' ? EVENT_TYPES.bootstrapped : EVENT_TYPES.updated;
      const description =
        state === 'registered' ? 'Device registered' : state === 'deregistered' ? 'Device deregistered' : state === 'bootstrapped' ? 'Device bootstrapped' : `Device state changed: ${state}`;
      store.setState(device, state, ms);
      if (state === 'bootstrapped') device.bootstrappedMs = ms;
      store.addEvent({ deviceId, at: ms, eventType, description, stateChange: true });
      routes.notifyState(device, state);
    },
    deviceRequests: () => connect.deviceRequests(),
    deliverQueuedRequests: (deviceId) => connect.deliverQueued(deviceId),
    notifyResource: (deviceId, path, value) => {
      const device = store.devices.get(deviceId);
      if (!device) throw new Error(`unknown device ${deviceId}`);
      return notify(device, path, value);
    },
    setPushTarget: async (target) => {
      if (!target) {
        connect.deleteCallback(credentials.apiKey);
        return;
      }
      const answer = await connect.registerCallback(
        credentials.apiKey,
        { url: target.url, headers: target.headers ?? {}, serialization: { type: 'v2', cfg: { include_uid: true, include_timestamp: true } } },
        false,
      );
      if (answer.status !== 204) throw new Error(`callback registration failed: ${answer.status}`);
    },
    pushesSettled: () => connect.callbacksSettled(),
    resourceValue: (deviceId, path) => {
      const device = store.devices.get(deviceId);
      if (!device) return undefined;
      device.resources ??= resourcesFor(device);
      return device.resources.get(path)?.value;
    },
  };
}

