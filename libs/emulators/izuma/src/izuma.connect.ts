import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { PushSender, type EmulatorResponse } from '@devicegate/emulators/kit';
import type { AsyncResponse, DeviceRecord, DeviceRequestRecord, ResourceState } from './izuma.model.js';
import { resourcesFor } from './izuma.seed.js';
import type { IzumaStore } from './izuma.store.js';

/**
 * Connect API v2: device requests answered by simulated devices, and the per-application notification
 * queue that the (deprecated, but simple) long-poll channel drains. v2 errors are plain-text tokens.
 */

export interface ConnectOptions {
  /** Enforce the documented per-device queue limit (20 pending requests → `QUEUE_IS_FULL`). */
  rateLimits: boolean;
  /** How long an always-on device takes to answer a request. */
  deviceResponseDelayMs: number;
  /** How often sleeping (queue-mode) devices wake up and take their queued requests. */
  queueWakeIntervalMs: number;
  /** How long `GET /v2/notification/pull` waits for something before answering 204. */
  longPollTimeoutMs: number;
}

type NotificationKey = 'notifications' | 'registrations' | 'reg-updates' | 'de-registrations' | 'registrations-expired' | 'async-responses';

interface Waiter {
  resolve: (answer: EmulatorResponse) => void;
  timer: NodeJS.Timeout;
}

/** A registered webhook channel (`PUT /v2/notification/callback`). */
export interface CallbackChannel {
  url: string;
  headers: Record<string, string>;
  /** `serialization.cfg` flags that add `uid` / `timestamp` to every item. */
  includeUid: boolean;
  includeTimestamp: boolean;
}

interface Channel {
  mechanism: 'LONG_POLLING' | 'CALLBACK' | 'WEB_SOCKET' | null;
  callback?: CallbackChannel;
  /** The `serialization.cfg` flags of a WebSocket channel. */
  websocket?: { includeUid: boolean; includeTimestamp: boolean; deregistrationsAsObject: boolean };
  /** The channel's one live socket (a newer one replaces it). */
  socket?: WebSocket;
  flushScheduled?: boolean;
  /** Set by DELETE: the next poll answers 410 CHANNEL_DELETED, as the spec warns. */
  deletedPending: boolean;
  queue: Array<{ key: NotificationKey; value: unknown }>;
  waiter?: Waiter;
}

const QUEUE_LIMIT_PER_DEVICE = 20;
const MAX_CHUNK = 10_000;
const CHANNEL_QUEUE_LIMIT = 50_000;
const ASYNC_ID = /^[\w-]{1,40}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const METHODS = ['GET', 'PUT', 'POST', 'DELETE'] as const;
type CoapMethod = (typeof METHODS)[number];

const text = (status: number, body?: string): EmulatorResponse => (body === undefined ? { status } : { status, body });

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A serialization flag: JSON booleans, or the quoted `"true"` of the reference's examples. */
const flag = (value: unknown): boolean => value === true || value === 'true';

/** An item with the `uid` and `timestamp` its channel's serialization asks for (bare-id items stay as they are). */
function withIds(value: unknown, includeUid: boolean, includeTimestamp: boolean): unknown {
  if (!isRecord(value) || !(includeUid || includeTimestamp)) return value;
  return { ...value, ...(includeUid ? { uid: randomUUID() } : {}), ...(includeTimestamp ? { timestamp: Date.now() } : {}) };
}

export class ConnectService {
  private readonly channels = new Map<string, Channel>();
  private readonly recorded: DeviceRequestRecord[] = [];
  private readonly pending = new Map<string, DeviceRequestRecord[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakeTimer: NodeJS.Timeout;
  /** Callback batches go out one after another, each after the previous one was acknowledged (reference §6.3). */
  private readonly sender = new PushSender();

  constructor(
    private readonly store: IzumaStore,
    apiKeys: readonly string[],
    private readonly options: ConnectOptions,
  ) {
    for (const key of apiKeys) this.channels.set(key, { mechanism: null, deletedPending: false, queue: [] });
    this.wakeTimer = setInterval(() => this.wakeSleepers(), Math.max(50, options.queueWakeIntervalMs));
    this.wakeTimer.unref();
  }

  /** Every device request received, oldest first, with its current outcome. */
  deviceRequests(): DeviceRequestRecord[] {
    return this.recorded.map((request) => ({ ...request, response: request.response ? { ...request.response } : undefined }));
  }

  /** `POST /v2/device-requests/{device-id}`: checks, queues, answers 202 with no body. */
  submit(apiKey: string, deviceId: string, query: URLSearchParams, body: unknown, bodyInvalid: boolean, bodyIssues: boolean): EmulatorResponse {
    const asyncId = query.get('async-id');
    if (asyncId === null || !ASYNC_ID.test(asyncId)) return text(400, 'MALFORMED_ASYNC_ID');
    const retry = query.get('retry');
    const expiry = query.get('expiry-seconds');
    // The spec bounds both parameters but documents no token for them [inferred].
    if (retry !== null && !(/^\d+$/.test(retry) && Number(retry) <= 10)) return text(400, 'INVALID_PARAMETER');
    if (expiry !== null && !(/^\d+$/.test(expiry) && Number(expiry) >= 60 && Number(expiry) <= 2_592_000)) return text(400, 'INVALID_PARAMETER');
    if (bodyInvalid || bodyIssues || typeof body !== 'object' || body === null || Array.isArray(body)) return text(400, 'MALFORMED_JSON_CONTENT');
    const request = body as Record<string, unknown>;
    const method = typeof request.method === 'string' ? request.method.toUpperCase() : '';
    const uri = typeof request.uri === 'string' ? request.uri : '';
    const payload = request['payload-b64'];
    if (!METHODS.includes(method as CoapMethod) || !uri.startsWith('/') || (payload !== undefined && (typeof payload !== 'string' || !BASE64.test(payload)))) {
      return text(400, 'MALFORMED_JSON_CONTENT');
    }
    const device = this.store.devices.get(deviceId);
    if (!device || device.state !== 'registered') return text(404, 'DEVICE_NOT_FOUND');
    if (!this.resolvePath(device, uri)) return text(400, 'RESOURCE_NOT_FOUND');
    const queue = this.pending.get(deviceId) ?? [];
    this.expire(queue);
    if (this.options.rateLimits && queue.length >= QUEUE_LIMIT_PER_DEVICE) return text(400, 'QUEUE_IS_FULL');
    const record: DeviceRequestRecord = {
      deviceId,
      asyncId,
      apiKey,
      method: method as CoapMethod,
      uri,
      payloadB64: typeof payload === 'string' ? payload : undefined,
      contentType: typeof request['content-type'] === 'string' ? request['content-type'] : undefined,
      accept: typeof request.accept === 'string' ? request.accept : undefined,
      retry: retry === null ? undefined : Number(retry),
      // Defaults per the spec: two hours, three days for queue-mode devices.
      expirySeconds: expiry === null ? (device.queueMode ? 3 * 86_400 : 7_200) : Number(expiry),
      receivedAt: Date.now(),
      status: 'queued',
    };
    this.recorded.push(record);
    queue.push(record);
    this.pending.set(deviceId, queue);
    if (!device.queueMode) this.schedule(() => this.deliverQueued(deviceId), this.options.deviceResponseDelayMs);
    return { status: 202 };
  }

  /** Lets the device take its queued requests now (a queue-mode device waking up). Returns how many it answered. */
  deliverQueued(deviceId: string): number {
    const queue = this.pending.get(deviceId);
    if (!queue) return 0;
    this.expire(queue);
    const device = this.store.devices.get(deviceId);
    let delivered = 0;
    while (queue.length > 0 && device?.state === 'registered') {
      const request = queue.shift() as DeviceRequestRecord;
      this.finish(request, this.execute(device, request), 'delivered');
      delivered += 1;
    }
    if (queue.length === 0) this.pending.delete(deviceId);
    return delivered;
  }

  /** The device went away: requests it never received fail as the spec describes (429, never delivered). */
  dropQueued(deviceId: string, reason: 'DEVICE_REMOVED_REGISTRATION' | 'DEVICE_BLOCKED'): void {
    const queue = this.pending.get(deviceId) ?? [];
    this.pending.delete(deviceId);
    for (const request of queue) this.finish(request, { id: request.asyncId, status: 429, error: reason }, 'expired');
  }

  /** `GET /v2/endpoints/{device-id}`: the registered resource tree, without contacting the device. */
  endpointResources(deviceId: string): EmulatorResponse {
    const device = this.store.devices.get(deviceId);
    if (!device || device.state !== 'registered') return text(404, 'DEVICE_NOT_FOUND');
    return { status: 200, body: [...this.resources(device).values()].map((resource) => ({ uri: resource.path, rt: resource.rt, obs: resource.obs, type: resource.ct })) };
  }

  /** Queues a notification for every application (registrations) or for one key (async responses). */
  publish(key: NotificationKey, value: unknown, onlyApiKey?: string): void {
    for (const [apiKey, channel] of this.channels) {
      if (onlyApiKey !== undefined && apiKey !== onlyApiKey) continue;
      if (channel.mechanism === 'CALLBACK' && channel.callback) {
        this.sendCallback(channel.callback, key, value);
        continue;
      }
      if (channel.mechanism === 'WEB_SOCKET' && channel.websocket) {
        const { includeUid, includeTimestamp, deregistrationsAsObject } = channel.websocket;
        // De-registrations and expiries are bare device ids unless the channel asked for objects (reference §6.2).
        const item = typeof value === 'string' && deregistrationsAsObject ? { ep: value } : value;
        channel.queue.push({ key, value: withIds(item, includeUid, includeTimestamp) });
        this.scheduleFlush(channel);
        continue;
      }
      channel.queue.push({ key, value });
      if (channel.queue.length > CHANNEL_QUEUE_LIMIT) channel.queue.splice(0, channel.queue.length - CHANNEL_QUEUE_LIMIT);
      if (channel.waiter) {
        const waiter = channel.waiter;
        channel.waiter = undefined;
        clearTimeout(waiter.timer);
        this.timers.delete(waiter.timer);
        waiter.resolve({ status: 200, body: this.drain(channel) });
      }
    }
  }

  /** Registration notification entry (`EndpointData`). */
  endpointData(device: DeviceRecord): Record<string, unknown> {
    return {
      ep: device.id,
      'original-ep': device.endpointName,
      ept: device.endpointType,
      q: device.queueMode,
      resources: [...this.resources(device).values()].map((resource) => ({ path: resource.path, rt: resource.rt, ct: resource.ct, obs: resource.obs })),
    };
  }

  /** `GET /v2/notification/pull`: creates the channel implicitly, answers queued items or waits. */
  pull(apiKey: string): EmulatorResponse | Promise<EmulatorResponse> {
    const channel = this.channel(apiKey);
    if (channel.waiter) return text(409);
    if (channel.deletedPending) {
      channel.deletedPending = false;
      return text(410, 'CHANNEL_DELETED');
    }
    channel.mechanism = 'LONG_POLLING';
    if (channel.queue.length > 0) return { status: 200, body: this.drain(channel) };
    return new Promise<EmulatorResponse>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (channel.waiter?.timer === timer) channel.waiter = undefined;
        resolve({ status: 204 });
      }, this.options.longPollTimeoutMs);
      timer.unref();
      this.timers.add(timer);
      channel.waiter = { resolve, timer };
    });
  }

  /** `DELETE /v2/notification/pull`: drops the channel and whatever it still held. */
  deletePull(apiKey: string): EmulatorResponse {
    const channel = this.channel(apiKey);
    if (channel.mechanism !== 'LONG_POLLING') return text(200, 'ALREADY_DELETED');
    channel.mechanism = null;
    channel.deletedPending = true;
    channel.queue = [];
    if (channel.waiter) {
      clearTimeout(channel.waiter.timer);
      this.timers.delete(channel.waiter.timer);
      channel.waiter.resolve(text(410, 'CHANNEL_DELETED'));
      channel.waiter = undefined;
    }
    return text(200, 'REMOVED');
  }

  /**
   * `PUT /v2/notification/callback`: makes the application's channel a webhook. Registration through the
   * API first checks the URL with a PUT of `{}`, as the service does; `verify: false` skips that.
   */
  async registerCallback(apiKey: string, body: unknown, verify = true): Promise<EmulatorResponse> {
    const request = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    const url = typeof request?.url === 'string' ? request.url : '';
    if (!/^https?:\/\/\S+$/.test(url)) return text(400, 'Invalid URL');
    const headers = typeof request?.headers === 'object' && request.headers !== null ? (request.headers as Record<string, unknown>) : {};
    if (Object.values(headers).some((value) => typeof value !== 'string')) return text(400, 'Invalid headers');
    const serialization = (request?.serialization ?? {}) as { cfg?: Record<string, unknown> };
    const flag = (value: unknown) => value === true || value === 'true';
    const callback: CallbackChannel = {
      url,
      headers: headers as Record<string, string>,
      includeUid: flag(serialization.cfg?.include_uid),
      includeTimestamp: flag(serialization.cfg?.include_timestamp),
    };
    const channel = this.channel(apiKey);
    if (channel.mechanism === 'LONG_POLLING') return text(400, 'Another channel type exists; delete it first');
    if (verify) {
      try {
        const probe = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json', ...callback.headers }, body: '{}', redirect: 'manual', signal: AbortSignal.timeout(20_000) });
        await probe.arrayBuffer();
        if (probe.status !== 200 && probe.status !== 204) return text(400, 'URL not accessible');
      } catch {
        return text(400, 'URL not accessible');
      }
    }
    channel.mechanism = 'CALLBACK';
    channel.callback = callback;
    return { status: 204 };
  }

  /** `GET /v2/notification/callback`. */
  callbackInfo(apiKey: string): EmulatorResponse {
    const callback = this.channel(apiKey).callback;
    if (!callback) return text(404);
    return { status: 200, body: { url: callback.url, headers: callback.headers, serialization: { type: 'v2', max_chunk_size: MAX_CHUNK, cfg: { include_uid: callback.includeUid, include_timestamp: callback.includeTimestamp } } } };
  }

  /** `DELETE /v2/notification/callback`. */
  deleteCallback(apiKey: string): EmulatorResponse {
    const channel = this.channel(apiKey);
    if (channel.mechanism !== 'CALLBACK') return text(404);
    channel.mechanism = null;
    channel.callback = undefined;
    return { status: 204 };
  }

  /** Resolves when every callback batch so far has been acknowledged (or given up). */
  callbacksSettled(): Promise<void> {
    return this.sender.idle();
  }

  private sendCallback(callback: CallbackChannel, key: NotificationKey, value: unknown): void {
    const item = withIds(value, callback.includeUid, callback.includeTimestamp);
    this.sender.send({ method: 'PUT', url: callback.url, headers: { 'content-type': 'application/json', ...callback.headers }, body: JSON.stringify({ [key]: [item] }) });
  }

  /**
   * `PUT /v2/notification/websocket`: makes the application's channel a WebSocket one (201), or leaves an
   * existing one as it is (200: the v2 implementation ignores changes, reference §6.4). A new channel
   * starts with an empty queue; from then on notifications queue until a socket takes them.
   */
  registerWebsocket(apiKey: string, body: unknown): EmulatorResponse {
    const channel = this.channel(apiKey);
    if (channel.mechanism === 'LONG_POLLING' || channel.mechanism === 'CALLBACK') return text(400, 'Another channel type exists; delete it first');
    if (channel.mechanism === 'WEB_SOCKET') return { status: 200, body: { serialization: this.serialization(channel) } };
    const cfg = isRecord(body) && isRecord(body.serialization) && isRecord(body.serialization.cfg) ? body.serialization.cfg : {};
    channel.mechanism = 'WEB_SOCKET';
    channel.websocket = { includeUid: flag(cfg.include_uid), includeTimestamp: flag(cfg.include_timestamp), deregistrationsAsObject: flag(cfg.deregistrations_as_object) };
    channel.queue = [];
    return { status: 201, body: this.websocketView(channel) };
  }

  /** `GET /v2/notification/websocket`. */
  websocketInfo(apiKey: string): EmulatorResponse {
    const channel = this.channel(apiKey);
    return channel.mechanism === 'WEB_SOCKET' ? { status: 200, body: this.websocketView(channel) } : text(404);
  }

  /** `DELETE /v2/notification/websocket`: the queue goes with the channel; a connected socket is closed with 1000. */
  deleteWebsocket(apiKey: string): EmulatorResponse {
    const channel = this.channel(apiKey);
    if (channel.mechanism !== 'WEB_SOCKET') return text(404);
    channel.socket?.close(1000, 'channel deleted');
    channel.socket = undefined;
    channel.mechanism = null;
    channel.websocket = undefined;
    channel.queue = [];
    return { status: 204 };
  }

  /**
   * A socket opened on `/v2/notification/websocket-connect`: closed with 1011 when the key has no WebSocket
   * channel; else it replaces the channel's older socket (closed with 1001) and gets what queued meanwhile.
   */
  attachSocket(apiKey: string, socket: WebSocket): void {
    const channel = this.channel(apiKey);
    if (channel.mechanism !== 'WEB_SOCKET') return socket.close(1011, 'no channel registered');
    const older = channel.socket;
    channel.socket = socket;
    older?.close(1001, 'another socket opened on the channel');
    socket.on('close', () => {
      if (channel.socket === socket) channel.socket = undefined;
    });
    this.scheduleFlush(channel);
  }

  /** `GET /v2/notification/channel`. */
  channelInfo(apiKey: string): EmulatorResponse {
    const mechanism = this.channel(apiKey).mechanism;
    return mechanism ? { status: 200, body: { delivery_mechanism: mechanism } } : text(404);
  }

  close(): void {
    this.sender.close();
    clearInterval(this.wakeTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const channel of this.channels.values()) {
      channel.socket?.terminate();
      if (!channel.waiter) continue;
      channel.waiter.resolve({ status: 204 });
      channel.waiter = undefined;
    }
  }

  /**
   * Sends the queue in batches, one JSON NotificationMessage per text frame. A frame the socket could not
   * take (it died meanwhile) goes back to the front of the queue for the next socket.
   */
  private scheduleFlush(channel: Channel): void {
    if (channel.flushScheduled) return;
    channel.flushScheduled = true;
    setImmediate(() => {
      channel.flushScheduled = false;
      const socket = channel.socket;
      while (socket && socket.readyState === socket.OPEN && channel.socket === socket && channel.queue.length > 0) {
        const items = channel.queue.splice(0, MAX_CHUNK);
        const message: Record<string, unknown[]> = {};
        for (const item of items) (message[item.key] ??= []).push(item.value);
        socket.send(JSON.stringify(message), (error) => {
          if (error) channel.queue.unshift(...items);
        });
      }
    });
  }

  private serialization(channel: Channel): Record<string, unknown> {
    const cfg = channel.websocket;
    return { type: 'v2', max_chunk_size: MAX_CHUNK, cfg: { include_uid: !!cfg?.includeUid, include_timestamp: !!cfg?.includeTimestamp, deregistrations_as_object: !!cfg?.deregistrationsAsObject } };
  }

  /** The reference: the current implementation cannot tell the channel's status and always reports `unknown` and -1. */
  private websocketView(channel: Channel): Record<string, unknown> {
    return { status: 'unknown', queue_size: -1, serialization: this.serialization(channel) };
  }

  private channel(apiKey: string): Channel {
    let channel = this.channels.get(apiKey);
    if (!channel) this.channels.set(apiKey, (channel = { mechanism: null, deletedPending: false, queue: [] }));
    return channel;
  }

  private drain(channel: Channel): Record<string, unknown[]> {
    const items = channel.queue.splice(0, MAX_CHUNK);
    const message: Record<string, unknown[]> = {};
    for (const item of items) (message[item.key] ??= []).push(item.value);
    return message;
  }

  private schedule(task: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private wakeSleepers(): void {
    for (const deviceId of [...this.pending.keys()]) {
      const device = this.store.devices.get(deviceId);
      if (device?.queueMode) this.deliverQueued(deviceId);
      else this.expire(this.pending.get(deviceId) ?? []);
    }
  }

  private expire(queue: DeviceRequestRecord[]): void {
    const now = Date.now();
    for (let i = queue.length - 1; i >= 0; i--) {
      const request = queue[i];
      if (now <= request.receivedAt + request.expirySeconds * 1000) continue;
      queue.splice(i, 1);
      this.finish(request, { id: request.asyncId, status: 429, error: 'REQUEST_EXPIRED' }, 'expired');
    }
  }

  private finish(request: DeviceRequestRecord, response: AsyncResponse, status: DeviceRequestRecord['status']): void {
    request.status = status;
    request.response = response;
    this.publish('async-responses', { ...response }, request.apiKey);
  }

  private resources(device: DeviceRecord): Map<string, ResourceState> {
    device.resources ??= resourcesFor(device);
    return device.resources;
  }

  /** The resource, or the object / object instance, a request URI names (its query is write-attributes). */
  private resolvePath(device: DeviceRecord, uri: string): { resource?: ResourceState; children: ResourceState[] } | undefined {
    const path = uri.split('?')[0].replace(/\/+$/, '');
    const resources = this.resources(device);
    const resource = resources.get(path);
    if (resource) return { resource, children: [] };
    const children = [...resources.values()].filter((candidate) => candidate.path.startsWith(`${path}/`));
    return children.length > 0 ? { children } : undefined;
  }

  /** What the simulated LwM2M client answers. */
  private execute(device: DeviceRecord, request: DeviceRequestRecord): AsyncResponse {
    const target = this.resolvePath(device, request.uri);
    const id = request.asyncId;
    if (!target) return { id, status: 404 };
    const hasAttributes = request.uri.includes('?');
    const resource = target.resource;
    switch (request.method) {
      case 'GET': {
        if (!resource) {
          // Object / instance reads come back as LwM2M JSON.
          const base = request.uri.split('?')[0].replace(/\/+$/, '');
          const entries = target.children.filter((child) => child.ops !== 'x').map((child) => ({ n: child.path.slice(base.length + 1), sv: child.value }));
          return { id, status: 200, ct: 'application/vnd.oma.lwm2m+json', payload: Buffer.from(JSON.stringify({ bn: `${base}/`, e: entries })).toString('base64') };
        }
        if (resource.ops === 'x') return { id, status: 400 };
        return { id, status: 200, ct: resource.ct, payload: Buffer.from(resource.value).toString('base64') };
      }
      case 'PUT': {
        // Writing notification attributes (`?pmax=…`) is accepted on any observable path.
        if (hasAttributes) return { id, status: 200, payload: '' };
        if (!resource || resource.ops !== 'rw') return { id, status: 400 };
        resource.value = Buffer.from(request.payloadB64 ?? '', 'base64').toString('utf8');
        return { id, status: 200, payload: '' };
      }
      case 'POST':
        if (!resource || resource.ops !== 'x') return { id, status: 400 };
        return { id, status: 200, payload: '' };
      case 'DELETE':
        return { id, status: 400 };
    }
  }
}
