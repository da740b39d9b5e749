import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { Router, startEmulatorServer, startTicker, type EmulatorRequest, type EmulatorResponse, type EmulatorServer } from '@devicegate/emulators/kit';
import { ConnectService } from './izuma.connect.js';
import type { DeviceRecord, DeviceRequestRecord, DeviceState, GroupRecord } from './izuma.model.js';
import { DEMO_DEVICE_COUNT, EVENT_TYPES, resourcesFor, SANDBOX_ACCOUNT_ID, seedIzuma } from './izuma.seed.js';
import { inspectRequest, preloadIzumaSpec, type RequestInspection } from './izuma.spec-validator.js';
import { buildMatcher, paginate, IzumaStore, type NewEvent, type PageParams } from './izuma.store.js';
import { deviceFieldValue, groupView, iamTime } from './izuma.views.js';

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

export interface IzumaEmulatorOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Anchor for the seeded event history (epoch ms); default `Date.now()`. */
  now?: number;
  /** Devices to seed: the first 16 are the demo fleet, more are generated (default 16). */
  deviceCount?: number;
  /** Enforce the documented limits (per-device request queue of 20); default true. */
  rateLimits?: boolean;
  /** Delay before an always-on device answers a device request (default 50 ms). */
  deviceResponseDelayMs?: number;
  /** How often queue-mode devices wake up and take queued requests (default 60 s). */
  queueWakeIntervalMs?: number;
  /** How long a long poll waits before answering 204 (default 30 s). */
  longPollTimeoutMs?: number;
  /** When set, a device with a temperature resource notifies its value every this many ms (devices take turns); default off. */
  liveEveryMs?: number;
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
  setPushTarget(target: { url: string; headers?: Record<string, string> } | null): Promise<void>;
  /** Resolves when every callback batch so far has been acknowledged (or given up). */
  pushesSettled(): Promise<void>;
}

/** The LwM2M temperature value (object 3303, instance 0, resource 5700). */
const LIVE_RESOURCE = '/3303/0/5700';

interface Context {
  requestId: string;
  apiKey: string;
}

type AuthedHandler = (req: EmulatorRequest, ctx: Context) => EmulatorResponse | Promise<EmulatorResponse>;

let requestSequence = 0;

/** 32 hex characters like the service's own request ids. */
function nextRequestId(): string {
  requestSequence = (requestSequence + 1) % 0x100000000;
  return `${Date.now().toString(16).padStart(12, '0')}0242ac120006${requestSequence.toString(16).padStart(8, '0')}`;
}

interface FieldError {
  name: string;
  message: string;
}

/** The v3 error model (`ErrorResponse`). */
function v3Error(status: number, type: string, message: string, requestId: string, fields?: FieldError[]): EmulatorResponse {
  const body: Record<string, unknown> = { object: 'error', code: status, type, message, request_id: requestId };
  if (fields) body.fields = fields;
  return { status, body };
}

const validationError = (requestId: string, fields: FieldError[]) => v3Error(400, 'validation_error', 'Validation error', requestId, fields);

function parsePage(query: URLSearchParams): PageParams | FieldError {
  const rawLimit = query.get('limit');
  // The spec: limits outside 2..1000 are set to the closest limit rather than rejected.
  const limit = rawLimit === null ? 50 : Math.min(1000, Math.max(2, Number(rawLimit)));
  const order = (query.get('order') ?? 'ASC').toUpperCase();
  if (order !== 'ASC' && order !== 'DESC') return { name: 'order', message: 'Acceptable values: ASC, DESC.' };
  const include = (query.get('include') ?? '').split(',').filter(Boolean);
  const unknown = include.find((item) => item !== 'total_count');
  if (unknown) return { name: 'include', message: `Unsupported include '${unknown}'. Currently supported: total_count.` };
  const after = query.get('after');
  return { limit, after: after ? after : null, order, includeTotal: include.includes('total_count') };
}

const isPage = (value: PageParams | FieldError): value is PageParams => 'limit' in value;

export async function startIzumaEmulator(options: IzumaEmulatorOptions = {}): Promise<IzumaEmulator> {
  preloadIzumaSpec();
  const now = options.now ?? Date.now();
  const credentials = IZUMA_SANDBOX_CREDENTIALS;
  const apiKeys = [credentials.apiKey, credentials.secondaryApiKey];
  const store = new IzumaStore(credentials.accountId, seedIzuma(now, Math.max(0, Math.floor(options.deviceCount ?? DEMO_DEVICE_COUNT))));
  const connect = new ConnectService(store, apiKeys, {
    rateLimits: options.rateLimits ?? true,
    deviceResponseDelayMs: options.deviceResponseDelayMs ?? 50,
    queueWakeIntervalMs: options.queueWakeIntervalMs ?? 60_000,
    longPollTimeoutMs: options.longPollTimeoutMs ?? 30_000,
  });

  const authed =
    (handler: AuthedHandler) =>
    async (req: EmulatorRequest): Promise<EmulatorResponse> => {
      const requestId = nextRequestId();
      const header = req.headers.authorization;
      const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
      let answer: EmulatorResponse;
      if (!token) answer = v3Error(401, 'invalid_auth', 'Authentication failure: provided authorization header is invalid.', requestId);
      else if (!apiKeys.includes(token)) {
        answer = token.startsWith('ak_')
          ? v3Error(401, 'invalid_apikey', 'Authentication failure: provided API key is invalid.', requestId)
          : v3Error(401, 'invalid_token', 'Authentication failure: provided token is invalid.', requestId);
      } else answer = await handler(req, { requestId, apiKey: token });
      return { ...answer, headers: { ...(answer.headers ?? {}), 'x-request-id': requestId } };
    };

  /** Spec check of a v3 request; answers the 400 the service gives, or the inspection to go on with. */
  const inspect = (req: EmulatorRequest, ctx: Context): RequestInspection | EmulatorResponse => {
    const inspection = inspectRequest(req.method, req.path, req.query, req.rawBody);
    if (inspection.issues.some((issue) => issue.location === 'body' && issue.name === 'body' && issue.kind === 'type')) {
      return v3Error(400, 'bad_request', 'Malformed JSON in request body.', ctx.requestId);
    }
    const issues = inspection.issues.filter((issue) => !(issue.name === 'limit' && issue.kind === 'range'));
    if (issues.length > 0) return validationError(ctx.requestId, issues.map(({ name, message }) => ({ name, message })));
    return inspection;
  };
  const isAnswer = (value: RequestInspection | EmulatorResponse): value is EmulatorResponse => 'status' in value;

  const deviceNotFound = (ctx: Context) => v3Error(404, 'not_found', 'Unable to find device.', ctx.requestId);
  const groupNotFound = (ctx: Context) => v3Error(404, 'not_found', 'Group not found.', ctx.requestId);

  const deviceField = (device: DeviceRecord, field: string, key?: string): unknown => {
    if (key !== undefined) return field === 'custom_attributes' ? device.customAttributes[key] : device.componentAttributes[key];
    return deviceFieldValue(device, field, store.accountId);
  };

  const listDevices = (req: EmulatorRequest, ctx: Context, group?: GroupRecord): EmulatorResponse => {
    // The spec: a device-list URL of 4096 characters or more is a bad request.
    const search = req.query.toString();
    if (req.path.length + (search ? search.length + 1 : 0) >= 4096) return v3Error(400, 'bad_request', 'The request URL is too long.', ctx.requestId);
    const inspection = inspect(req, ctx);
    if (isAnswer(inspection)) return inspection;
    const page = parsePage(req.query);
    if (!isPage(page)) return validationError(ctx.requestId, [page]);
    const filter = buildMatcher(inspection.filters, inspection.operation?.itemProperties ?? {}, deviceField);
    const match = group ? (device: DeviceRecord) => group.members.has(device.id) && (!filter || filter(device)) : filter;
    return { status: 200, body: paginate(store.sortedDevices, page, match, (device) => store.deviceView(device)) };
  };

  const applyDeviceUpdate = (device: DeviceRecord, body: Record<string, unknown>): string[] => {
    const changed: string[] = [];
    const set = <K extends keyof DeviceRecord>(field: string, key: K, value: DeviceRecord[K]) => {
      if (!(field in body)) return;
      device[key] = value;
      changed.push(field);
    };
    set('name', 'name', String(body.name ?? ''));
    set('description', 'description', String(body.description ?? ''));
    set('endpoint_type', 'endpointType', String(body.endpoint_type ?? ''));
    set('host_gateway', 'hostGateway', String(body.host_gateway ?? ''));
    set('ca_id', 'caId', String(body.ca_id ?? ''));
    set('device_key', 'deviceKey', String(body.device_key ?? ''));
    set('auto_update', 'autoUpdate', body.auto_update === true);
    // A write replaces the whole attribute map.
    set('custom_attributes', 'customAttributes', { ...((body.custom_attributes as Record<string, string> | undefined) ?? {}) });
    return changed;
  };

  const notifyState = (device: DeviceRecord, state: DeviceState) => {
    if (state === 'registered') {
      connect.publish('registrations', connect.endpointData(device));
      connect.deliverQueued(device.id);
    } else if (state === 'deregistered') {
      connect.publish('de-registrations', device.id);
      connect.dropQueued(device.id, 'DEVICE_REMOVED_REGISTRATION');
    }
  };

  const router = new Router()
    .get(
      '/v3/accounts/me/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const include = (req.query.get('include') ?? '').split(',').filter(Boolean);
        const unknown = include.find((item) => !['limits', 'policies', 'sub_accounts'].includes(item));
        if (unknown) return validationError(ctx.requestId, [{ name: 'include', message: `Unsupported include '${unknown}'.` }]);
        return { status: 200, body: accountView(credentials.accountId, include) };
      }),
    )
    .get('/v3/devices/?', authed((req, ctx) => listDevices(req, ctx)))
    .post(
      '/v3/devices/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const body = inspection.body as Record<string, unknown>;
        const endpointName = typeof body.endpoint_name === 'string' ? body.endpoint_name : '';
        // Which fields are unique is not documented; the endpoint name is the one a certificate pins [inferred].
        if (endpointName && store.sortedDevices.some((device) => device.endpointName === endpointName)) {
          return v3Error(409, 'duplicate', 'Unique-constrained fields are used by other resources.', ctx.requestId, [{ name: 'endpoint_name', message: 'A device with this endpoint_name already exists.' }]);
        }
        const ms = Date.now();
        const device: DeviceRecord = {
          id: store.newId(ms),
          createdMs: ms,
          updatedMs: ms,
          name: '',
          description: '',
          endpointName,
          endpointType: '',
          deviceClass: typeof body.device_class === 'string' ? body.device_class : '',
          state: (body.state as DeviceState | undefined) ?? 'unenrolled',
          executionMode: (body.device_execution_mode as 0 | 1 | 5 | undefined) ?? 0,
          hostGateway: '',
          serialNumber: typeof body.serial_number === 'string' ? body.serial_number : '',
          vendorId: typeof body.vendor_id === 'string' ? body.vendor_id : '',
          caId: '',
          deviceKey: '',
          firmwareChecksum: '',
          issuerFingerprint: typeof body.issuer_fingerprint === 'string' ? body.issuer_fingerprint : null,
          customAttributes: {},
          componentAttributes: {},
          groups: [],
          bootstrapExpirationDate: typeof body.bootstrap_expiration_date === 'string' ? body.bootstrap_expiration_date : null,
          connectorExpirationDate: typeof body.connector_expiration_date === 'string' ? body.connector_expiration_date : null,
          autoUpdate: false,
          mechanism: body.mechanism === 'direct' ? 'direct' : 'connector',
          deployment: typeof body.deployment === 'string' ? body.deployment : '',
          manifest: typeof body.manifest === 'string' ? body.manifest : '',
          mechanismUrl: typeof body.mechanism_url === 'string' ? body.mechanism_url : '',
          netId: '',
          model: 'thermo',
          queueMode: false,
        };
        applyDeviceUpdate(device, body);
        store.addDevice(device);
        store.addEvent({ deviceId: device.id, at: ms, eventType: EVENT_TYPES.created, description: 'Device record created', stateChange: true });
        return { status: 201, body: store.deviceView(device) };
      }),
    )
    .get(
      '/v3/devices/:id/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const device = store.devices.get(req.params.id);
        return device ? { status: 200, body: store.deviceView(device) } : deviceNotFound(ctx);
      }),
    )
    .get(
      '/v3/devices/:id/echo',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const device = store.devices.get(req.params.id);
        if (!device) return deviceNotFound(ctx);
        device.resources ??= resourcesFor(device);
        // Device Echo stores the auto-observable and subscribed resources as the reported state.
        const reported = [...device.resources.values()].filter((r) => r.reportedMs !== undefined);
        if (reported.length === 0) return v3Error(404, 'not_found', 'Device not found from Device Echo.', ctx.requestId);
        const iso = (ms: number) => new Date(ms).toISOString();
        return {
          status: 200,
          body: {
            object: 'device-echo',
            // The spec's EchoDevice requires `id` beside `device_id`.
            id: device.id,
            device_id: device.id,
            endpoint_name: device.endpointName,
            created_at: iso(device.createdMs),
            updated_at: iso(Math.max(...reported.map((r) => r.reportedMs!))),
            last_reported_at: iso(Math.max(...reported.map((r) => r.reportedMs!))),
            resources: reported.map((r) => ({
              resource_path: r.path,
              subscribed: true,
              reported: { value: Buffer.from(r.value).toString('base64'), content_type: r.ct, reported_at: iso(r.reportedMs!) },
            })),
          },
        };
      }),
    )
    .put(
      '/v3/devices/:id/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const device = store.devices.get(req.params.id);
        if (!device) return deviceNotFound(ctx);
        const changed = applyDeviceUpdate(device, inspection.body as Record<string, unknown>);
        const ms = Date.now();
        store.touch(device, ms);
        if (changed.length > 0) {
          store.addEvent({ deviceId: device.id, at: ms, eventType: EVENT_TYPES.updated, description: `Device record updated: ${changed.join(', ')}`, data: { fields: changed.join(',') } });
        }
        return { status: 200, body: store.deviceView(device) };
      }),
    )
    .delete(
      '/v3/devices/:id/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const device = store.devices.get(req.params.id);
        if (!device) return deviceNotFound(ctx);
        if (device.executionMode === 5) return v3Error(400, 'bad_request', 'Devices with a production certificate cannot be deleted.', ctx.requestId);
        connect.dropQueued(device.id, 'DEVICE_REMOVED_REGISTRATION');
        store.removeDevice(device);
        return { status: 204 };
      }),
    )
    .get(
      '/v3/device-events/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const page = parsePage(req.query);
        if (!isPage(page)) return validationError(ctx.requestId, [page]);
        // Per-device history is the common question; answer it from the per-device index.
        const byDevice = inspection.filters.find((filter) => filter.field === 'device_id' && filter.op === 'eq');
        const source = byDevice ? (store.eventsByDevice.get(byDevice.values[0]) ?? []) : store.sortedEvents;
        const match = buildMatcher(inspection.filters, inspection.operation?.itemProperties ?? {}, (event: { view: Record<string, unknown> }, field) => event.view[field]);
        return { status: 200, body: paginate(source, page, match, (event) => event.view) };
      }),
    )
    .get(
      '/v3/device-events/:eventId/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const event = store.events.get(req.params.eventId);
        return event ? { status: 200, body: event.view } : v3Error(404, 'not_found', 'Unable to find device event.', ctx.requestId);
      }),
    )
    .get(
      '/v3/device-groups/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const page = parsePage(req.query);
        if (!isPage(page)) return validationError(ctx.requestId, [page]);
        const match = buildMatcher(inspection.filters, inspection.operation?.itemProperties ?? {}, (group: GroupRecord, field, key) =>
          key !== undefined ? (field === 'custom_attributes' ? group.customAttributes[key] : undefined) : groupView(group)[field],
        );
        return { status: 200, body: paginate(store.sortedGroups, page, match, groupView) };
      }),
    )
    .post(
      '/v3/device-groups/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const body = inspection.body as Record<string, unknown>;
        if (typeof body.name !== 'string' || body.name === '') return validationError(ctx.requestId, [{ name: 'name', message: 'This field is required.' }]);
        if (store.sortedGroups.some((group) => group.name === body.name)) return v3Error(409, 'duplicate', 'Group name already exists.', ctx.requestId, [{ name: 'name', message: 'A group with this name already exists.' }]);
        const ms = Date.now();
        const group: GroupRecord = {
          id: store.newId(ms),
          name: body.name,
          description: typeof body.description === 'string' ? body.description : '',
          customAttributes: { ...((body.custom_attributes as Record<string, string> | undefined) ?? {}) },
          createdMs: ms,
          updatedMs: ms,
          members: new Set(),
        };
        store.addGroup(group);
        return { status: 201, body: groupView(group) };
      }),
    )
    .get(
      '/v3/device-groups/:groupId/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const group = store.groups.get(req.params.groupId);
        return group ? { status: 200, body: groupView(group) } : groupNotFound(ctx);
      }),
    )
    .put(
      '/v3/device-groups/:groupId/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const group = store.groups.get(req.params.groupId);
        if (!group) return groupNotFound(ctx);
        const body = inspection.body as Record<string, unknown>;
        if (typeof body.name === 'string' && body.name !== group.name && store.sortedGroups.some((other) => other.name === body.name)) {
          return v3Error(409, 'duplicate', 'Group name already exists.', ctx.requestId, [{ name: 'name', message: 'A group with this name already exists.' }]);
        }
        if (typeof body.name === 'string') group.name = body.name;
        if (typeof body.description === 'string') group.description = body.description;
        if ('custom_attributes' in body) group.customAttributes = { ...((body.custom_attributes as Record<string, string> | undefined) ?? {}) };
        group.updatedMs = Date.now();
        return { status: 200, body: groupView(group) };
      }),
    )
    .delete(
      '/v3/device-groups/:groupId/?',
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const group = store.groups.get(req.params.groupId);
        if (!group) return groupNotFound(ctx);
        store.removeGroup(group);
        return { status: 204 };
      }),
    )
    .get(
      '/v3/device-groups/:groupId/devices/?',
      authed((req, ctx) => {
        const group = store.groups.get(req.params.groupId);
        return group ? listDevices(req, ctx, group) : groupNotFound(ctx);
      }),
    );
  for (const action of ['add', 'remove'] as const) {
    router.post(
      `/v3/device-groups/:groupId/devices/${action}/?`,
      authed((req, ctx) => {
        const inspection = inspect(req, ctx);
        if (isAnswer(inspection)) return inspection;
        const group = store.groups.get(req.params.groupId);
        if (!group) return groupNotFound(ctx);
        const device = store.devices.get(String((inspection.body as Record<string, unknown>).device_id));
        if (!device) return validationError(ctx.requestId, [{ name: 'device_id', message: 'Device not found.' }]);
        if (action === 'add') store.addMember(group, device);
        else store.removeMember(group, device);
        group.updatedMs = Date.now();
        return { status: 204 };
      }),
    );
  }
  router
    .post(
      '/v2/device-requests/:deviceId/?',
      authed((req, ctx) => {
        const inspection = inspectRequest(req.method, req.path, req.query, req.rawBody);
        const bodyIssues = inspection.issues.some((issue) => issue.location === 'body');
        return connect.submit(ctx.apiKey, req.params.deviceId, req.query, req.body, req.bodyInvalid, bodyIssues);
      }),
    )
    .get(
      '/v2/endpoints/:deviceId',
      authed((req) => connect.endpointResources(req.params.deviceId)),
    )
    .get(
      '/v2/notification/pull',
      authed((_req, ctx) => connect.pull(ctx.apiKey)),
    )
    .delete(
      '/v2/notification/pull',
      authed((_req, ctx) => connect.deletePull(ctx.apiKey)),
    )
    .get(
      '/v2/notification/channel',
      authed((_req, ctx) => connect.channelInfo(ctx.apiKey)),
    )
    .put(
      '/v2/notification/callback',
      authed((req, ctx) => (req.bodyInvalid ? { status: 400, body: 'Malformed JSON' } : connect.registerCallback(ctx.apiKey, req.body))),
    )
    .get(
      '/v2/notification/callback',
      authed((_req, ctx) => connect.callbackInfo(ctx.apiKey)),
    )
    .delete(
      '/v2/notification/callback',
      authed((_req, ctx) => connect.deleteCallback(ctx.apiKey)),
    )
    .put(
      '/v2/notification/websocket',
      authed((req, ctx) => (req.bodyInvalid ? { status: 400, body: 'Malformed JSON' } : connect.registerWebsocket(ctx.apiKey, req.body))),
    )
    .get(
      '/v2/notification/websocket',
      authed((_req, ctx) => connect.websocketInfo(ctx.apiKey)),
    )
    .delete(
      '/v2/notification/websocket',
      authed((_req, ctx) => connect.deleteWebsocket(ctx.apiKey)),
    )
    // Reached only without an upgrade: the reference's 426.
    .get('/v2/notification/websocket-connect', () => ({ status: 426, body: 'Upgrade required' }));

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
    name: 'izuma',
    router,
    onUpgrade,
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    latencyMs: options.latencyMs,
    notFound: () => {
      const requestId = nextRequestId();
      return withRequestId(v3Error(404, 'unrecognized_request', 'Unrecognized request URL, or method not supported by the API.', requestId), requestId);
    },
    methodNotAllowed: () => {
      const requestId = nextRequestId();
      return withRequestId(v3Error(405, 'method_not_supported', 'Specified method is not supported by the API.', requestId), requestId);
    },
  });

  // Live: the devices with a temperature resource take turns notifying their value.
  const base = new Map<string, number>();
  const sensors = options.liveEveryMs ? store.sortedDevices.filter((device) => device.state === 'registered' && resourcesFor(device).has(LIVE_RESOURCE)) : [];
  const ticker =
    options.liveEveryMs && sensors.length
      ? startTicker(options.liveEveryMs, (tick) => {
          const device = sensors[tick % sensors.length];
          device.resources ??= resourcesFor(device);
          const resource = device.resources.get(LIVE_RESOURCE)!;
          // The value drifts a few tenths around the seeded one, the same at every start; Device Echo reports it.
          base.set(device.id, base.get(device.id) ?? Number(resource.value));
          resource.value = (base.get(device.id)! + 0.4 * Math.sin(tick / sensors.length / 6 + sensors.indexOf(device))).toFixed(1);
          resource.reportedMs = Date.now();
          connect.publish('notifications', { ep: device.id, path: LIVE_RESOURCE, ct: resource.ct, payload: Buffer.from(resource.value).toString('base64'), 'max-age': 0 });
        })
      : undefined;

  return {
    ...server,
    credentials,
    baseUrl: server.url,
    accountId: credentials.accountId,
    close: async () => {
      ticker?.close();
      connect.close();
      sockets.close();
      await server.close();
    },
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
      notifyState(device, state);
    },
    deviceRequests: () => connect.deviceRequests(),
    deliverQueuedRequests: (deviceId) => connect.deliverQueued(deviceId),
    notifyResource: (deviceId, path, value) => {
      const device = store.devices.get(deviceId);
      if (!device) throw new Error(`unknown device ${deviceId}`);
      device.resources ??= resourcesFor(device);
      const resource = device.resources.get(path);
      if (!resource) throw new Error(`device ${deviceId} has no resource ${path}`);
      resource.value = value;
      resource.reportedMs = Date.now();
      const payload = Buffer.from(value).toString('base64');
      connect.publish('notifications', { ep: device.id, path, ct: resource.ct, payload, 'max-age': 0 });
      return payload;
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

/** `AccountInfo` of the sandbox account (IAM writes times to the second). */
function accountView(accountId: string, include: string[]): Record<string, unknown> {
  const created = Date.UTC(2023, 7, 31, 8, 12, 44);
  const updated = Date.UTC(2024, 10, 4, 14, 2, 51);
  const account: Record<string, unknown> = {
    object: 'account',
    id: accountId,
    display_name: 'Hanseatic Cold Storage (sandbox)',
    company: 'Hanseatic Cold Storage GmbH',
    contact: 'Facilities Operations',
    email: 'iot-ops@hanseatic-cold.example',
    phone_number: '+49 40 5550 1820',
    address_line1: 'Am Kaltlager 12',
    address_line2: '',
    city: 'Hamburg',
    state: '',
    postal_code: '21129',
    country: 'Germany',
    status: 'ACTIVE',
    tier: '1',
    end_market: 'Logistics',
    business_model: 'active_device_business_model',
    mfa_status: 'optional',
    idle_timeout: 30,
    password_recovery_expiration: 30,
    aliases: [],
    parent_id: null,
    custom_fields: {},
    notification_emails: [],
    password_policy: { minimum_length: 8 },
    created_at: iamTime(created),
    updated_at: iamTime(updated),
    upgraded_at: iamTime(created + 86_400_000),
    etag: '7',
  };
  if (include.includes('limits')) account.limits = { iam_limit_user_count: '100', iam_limit_apikey_count: '250', mds_device_count: '10000' };
  if (include.includes('policies')) account.policies = [];
  if (include.includes('sub_accounts')) account.sub_accounts = [];
  return account;
}
