import { Router, type EmulatorRequest, type EmulatorResponse } from '@devicegate/emulators/kit';
import { RateLimiter, TokenError, TokenService, type ServiceAccountKey } from './disruptive.auth.js';
import {
  DEVICE_TYPES,
  type DataConnectorStatus,
  type DataConnectorType,
  type DeviceType,
  type DtBatchError,
  type DtDataConnector,
  type DtErrorBody,
  type DtRole,
} from './disruptive.types.js';
import { EVENT_TYPES, PayloadError, PRODUCT_NUMBERS } from './disruptive.events.js';
import { DisruptiveStore, lowerBound, type DeviceRecord, type ProjectRecord } from './disruptive.store.js';
import { EventStreams, parsePingInterval } from './disruptive.stream.js';
import { parseRfc3339Micros } from './disruptive.time.js';

export interface RouteContext {
  store: DisruptiveStore;
  tokens: TokenService;
  /** Undefined when rate limiting is switched off. */
  limiter?: RateLimiter;
  role: DtRole;
  /** What `/events` does with a `start_time` older than the kept history (see DisruptiveEmulatorOptions.olderHistoryStart). */
  olderHistoryStart: 'listed' | 'rejected';
  /** The open `:stream` answers. */
  streams: EventStreams;
}

/** DT support's "Polling the Events API": the last 30 days of events are available at `/events`. */
const HISTORY_KEPT_US = 30 * 86_400_000_000;

const HELP = 'https://docs.d21s.com/error/#';
const SUMMARY: Record<number, string> = {
  400: 'invalid argument',
  401: 'unauthenticated',
  403: 'permission denied',
  404: 'not found',
  405: 'method not allowed',
  409: 'already exists',
  429: 'too many requests',
  501: 'not implemented',
};

/** DT's error body `{error, code, help}`; a 400 names what was wrong after the summary. */
export function dtError(status: number, detail?: string, headers?: Record<string, string>): EmulatorResponse {
  const summary = SUMMARY[status] ?? 'internal error';
  const body: DtErrorBody = { error: detail && status === 400 ? `${summary}: ${detail}` : summary, code: status, help: `${HELP}${status}` };
  return { status, body, headers };
}

const ok = (body: unknown): EmulatorResponse => ({ status: 200, body });

/** Permissions per role, as `…/permissions` lists them; writes below check against these. */
const USER_PERMISSIONS = [
  'organization.read',
  'project.read',
  'membership.read',
  'device.read',
  'sensor.read',
  'dataconnector.read',
  'serviceaccount.read',
  'emulator.read',
];
const DEVELOPER_PERMISSIONS = [
  ...USER_PERMISSIONS,
  'device.update',
  'sensor.update',
  'dataconnector.create',
  'dataconnector.update',
  'dataconnector.delete',
  'emulator.create',
  'emulator.update',
  'emulator.delete',
  'serviceaccount.key.read',
];
const PROJECT_ADMIN_PERMISSIONS = [
  ...DEVELOPER_PERMISSIONS,
  'project.update',
  'project.delete',
  'membership.create',
  'membership.update',
  'membership.delete',
  'serviceaccount.create',
  'serviceaccount.update',
  'serviceaccount.delete',
  'serviceaccount.key.create',
  'serviceaccount.key.delete',
];
export const ROLE_PERMISSIONS: Record<DtRole, readonly string[]> = {
  'roles/project.user': USER_PERMISSIONS,
  'roles/project.developer': DEVELOPER_PERMISSIONS,
  'roles/project.admin': PROJECT_ADMIN_PERMISSIONS,
  'roles/organization.admin': [...PROJECT_ADMIN_PERMISSIONS, 'organization.update', 'project.create'],
};

type Guarded = (req: EmulatorRequest, key: ServiceAccountKey) => EmulatorResponse;

// ---- query helpers: DT accepts snake_case and lowerCamelCase names alike ----

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function param(req: EmulatorRequest, name: string): string | undefined {
  return req.query.get(name) ?? req.query.get(camel(name)) ?? undefined;
}

/** Repeated parameter values; `split` also breaks comma lists (safe for ids and type names). */
function params(req: EmulatorRequest, name: string, split = false): string[] {
  const values = [...req.query.getAll(name), ...(camel(name) !== name ? req.query.getAll(camel(name)) : [])];
  return (split ? values.flatMap((v) => v.split(',')) : values).map((v) => v.trim()).filter((v) => v.length > 0);
}

const lastSegment = (value: string) => value.slice(value.lastIndexOf('/') + 1);

interface Page {
  size: number;
  token: Record<string, number>;
}

/** Reads `page_size`/`page_token`: 0 or absent means the default, more than the maximum is cut to it. */
function readPage(req: EmulatorRequest, defaultSize: number, maxSize: number): Page | EmulatorResponse {
  const rawSize = param(req, 'page_size');
  let size = defaultSize;
  if (rawSize !== undefined && rawSize !== '') {
    if (!/^-?\d+$/.test(rawSize)) return dtError(400, 'page_size must be an integer');
    const n = Number(rawSize);
    if (n < 0) return dtError(400, 'page_size must not be negative');
    // Larger than allowed is coerced to the maximum (Google API convention; the vendor's behaviour is undocumented).
    if (n > 0) size = Math.min(n, maxSize);
  }
  const rawToken = param(req, 'page_token');
  if (!rawToken) return { size, token: {} };
  const token = decodeToken(rawToken);
  return token ? { size, token } : dtError(400, 'invalid page_token');
}

const encodeToken = (token: Record<string, number>) => Buffer.from(JSON.stringify(token)).toString('base64url');

function decodeToken(raw: string): Record<string, number> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value);
    if (!entries.every(([, v]) => Number.isInteger(v) && (v as number) >= 0)) return undefined;
    return value as Record<string, number>;
  } catch {
    return undefined;
  }
}

const isPage = (value: Page | EmulatorResponse): value is Page => 'size' in value;

/** Offset paging over an already filtered list: the list key plus `nextPageToken`, "" on the last page. */
function offsetPage<T, W>(items: readonly T[], page: Page, key: string, wire: (item: T) => W): EmulatorResponse {
  const offset = page.token.o ?? 0;
  const slice = items.slice(offset, offset + page.size);
  const next = offset + page.size < items.length ? encodeToken({ o: offset + page.size }) : '';
  return ok({ [key]: slice.map(wire), nextPageToken: next });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The most labels one device may carry; DT enforces a limit ("Max labels reached for device") whose value is not published. */
const MAX_LABELS = 64;

// ---- device ordering for order_by ----

function pathValue(device: DeviceRecord, path: string[]): unknown {
  const root: Record<string, unknown> = {
    name: device.name,
    type: device.type,
    productNumber: device.productNumber,
    labels: device.labels,
    reported: device.reported,
  };
  let value: unknown = root;
  for (const part of path) {
    if (!isRecord(value)) return undefined;
    value = value[part];
  }
  return value ?? undefined;
}

function orderDevices(devices: DeviceRecord[], orderBy: string): DeviceRecord[] {
  const descending = orderBy.startsWith('-');
  const path = (descending ? orderBy.slice(1) : orderBy).split('.');
  const keyed = devices.map((device) => ({ device, value: pathValue(device, path) }));
  keyed.sort((a, b) => {
    // Devices without the field go last in either direction; ties keep id order.
    if (a.value === undefined || b.value === undefined) {
      if (a.value === b.value) return a.device.id < b.device.id ? -1 : 1;
      return a.value === undefined ? 1 : -1;
    }
    let c: number;
    if (typeof a.value === 'number' && typeof b.value === 'number') c = a.value - b.value;
    else {
      const x = String(a.value);
      const y = String(b.value);
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    if (c === 0) return a.device.id < b.device.id ? -1 : 1;
    return descending ? -c : c;
  });
  return keyed.map((k) => k.device);
}

/** Builds the router for the REST API (`/v2`), the Emulator API (`/emulator/v2`) and the token endpoint. */
export function buildRouter(ctx: RouteContext): Router {
  const { store, tokens, limiter } = ctx;
  const permissions = new Set(ROLE_PERMISSIONS[ctx.role]);
  const canTransfer = ctx.role === 'roles/project.admin' || ctx.role === 'roles/organization.admin';

  /** Authentication, then the rate limit (per key and host), then the role's permission. */
  const guard =
    (host: 'api' | 'emulator', permission: string | undefined, handler: Guarded) =>
    (req: EmulatorRequest): EmulatorResponse => {
      const auth = req.headers.authorization;
      const key = tokens.authenticate(Array.isArray(auth) ? auth[0] : auth);
      if (!key) return dtError(401);
      const wait = limiter?.take(`${host}:${key.keyId}`);
      if (wait !== undefined) return dtError(429, undefined, { 'retry-after': String(wait) });
      if (permission && !permissions.has(permission)) return dtError(403);
      return handler(req, key);
    };

  const findProject = (id: string): ProjectRecord | undefined => store.projects.get(id);

  /** A device by id under `{project}`, which may be the `-` wildcard. */
  const findDevice = (projectId: string, deviceId: string): DeviceRecord | undefined => {
    const device = store.devices.get(deviceId);
    if (!device) return undefined;
    return projectId === '-' || device.projectId === projectId ? device : undefined;
  };

  /** Splits `{device}:method` (the router captures the colon suffix with the id). */
  const splitMethod = (value: string): [string, string | undefined] => {
    const colon = value.indexOf(':');
    return colon < 0 ? [value, undefined] : [value.slice(0, colon), value.slice(colon + 1)];
  };

  const parseDeviceName = (name: unknown): { projectId: string; deviceId: string } | undefined => {
    if (typeof name !== 'string') return undefined;
    const m = /^projects\/([^/]+)\/devices\/([^/]+)$/.exec(name);
    return m ? { projectId: m[1], deviceId: m[2] } : undefined;
  };

  const router = new Router();

  // ---- OAuth2 token endpoint (identity host in production) ----
  router.post('/oauth2/token', (req) => {
    // Form body only: DT ignores query parameters here.
    const isForm = String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    try {
      return ok(tokens.exchange(isForm ? new URLSearchParams(req.rawBody) : undefined));
    } catch (error) {
      // Documented only as "HTTP 400"; the body follows the OAuth2 error form a token endpoint uses.
      if (error instanceof TokenError) return { status: 400, body: { error: error.code, error_description: error.message } };
      throw error;
    }
  });

  // ---- organizations ----
  router.get(
    '/v2/organizations',
    guard('api', 'organization.read', (req) => {
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      const orgs = [...store.organizations.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      return offsetPage(orgs, page, 'organizations', (o) => store.organizationWire(o));
    }),
  );
  router.get(
    '/v2/organizations/:org',
    guard('api', 'organization.read', (req) => {
      const org = store.organizations.get(req.params.org);
      return org ? ok(store.organizationWire(org)) : dtError(404);
    }),
  );
  router.get(
    '/v2/organizations/:org/permissions',
    guard('api', undefined, (req) => (store.organizations.has(req.params.org) ? ok({ permissions: [...permissions], nextPageToken: '' }) : dtError(404))),
  );

  // ---- projects ----
  router.get(
    '/v2/projects',
    guard('api', 'project.read', (req) => {
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      const org = param(req, 'organization');
      const orgId = org ? lastSegment(org) : undefined;
      const query = param(req, 'query')?.toLowerCase();
      const projects = store.sortedProjects().filter((p) => {
        if (orgId && p.organizationId !== orgId) return false;
        if (!query) return true;
        const orgName = store.organizations.get(p.organizationId)?.displayName ?? '';
        return p.displayName.toLowerCase().includes(query) || orgName.toLowerCase().includes(query);
      });
      return offsetPage(projects, page, 'projects', (p) => store.projectWire(p));
    }),
  );
  router.get(
    '/v2/projects/:project',
    guard('api', 'project.read', (req) => {
      const project = findProject(req.params.project);
      return project ? ok(store.projectWire(project)) : dtError(404);
    }),
  );
  router.get(
    '/v2/projects/:project/permissions',
    guard('api', undefined, (req) => (findProject(req.params.project) ? ok({ permissions: [...permissions], nextPageToken: '' }) : dtError(404))),
  );

  // ---- devices ----
  router.get(
    '/v2/projects/:project/devices',
    guard('api', 'device.read', (req) => {
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      let source: DeviceRecord[];
      if (req.params.project === '-') {
        const org = param(req, 'organization');
        if (!org) return dtError(400, 'organization is required when project is -');
        const orgId = lastSegment(org);
        if (!store.organizations.has(orgId)) return dtError(404);
        const only = new Set(params(req, 'projects', true).map(lastSegment));
        source = store
          .sortedProjects()
          .filter((p) => p.organizationId === orgId && (only.size === 0 || only.has(p.id)))
          .flatMap((p) => p.devices);
      } else {
        const project = findProject(req.params.project);
        if (!project) return dtError(404);
        source = project.devices;
      }
      const ids = new Set(params(req, 'device_ids', true).map(lastSegment));
      const types = params(req, 'device_types', true);
      const unknown = types.find((t) => !DEVICE_TYPES.includes(t as DeviceType));
      if (unknown) return dtError(400, `unknown device type ${unknown}`);
      const typeSet = new Set(types);
      const products = new Set(params(req, 'product_numbers', true));
      const labelFilters = params(req, 'label_filters').map((f) => {
        const eq = f.indexOf('=');
        // `key` and `key=` both mean "has the label, any value".
        return eq < 0 || eq === f.length - 1 ? { key: eq < 0 ? f : f.slice(0, eq) } : { key: f.slice(0, eq), value: f.slice(eq + 1) };
      });
      const query = param(req, 'query')?.toLowerCase();
      let devices = source;
      if (ids.size || typeSet.size || products.size || labelFilters.length || query) {
        devices = source.filter((d) => {
          if (ids.size && !ids.has(d.id)) return false;
          if (typeSet.size && !typeSet.has(d.type)) return false;
          if (products.size && !products.has(d.productNumber)) return false;
          for (const f of labelFilters) {
            if (!(f.key in d.labels)) return false;
            if (f.value !== undefined && d.labels[f.key] !== f.value) return false;
          }
          if (query) {
            const haystack = [d.id, d.type, d.productNumber, ...Object.keys(d.labels), ...Object.values(d.labels)].join('\n').toLowerCase();
            if (!haystack.includes(query)) return false;
          }
          return true;
        });
      }
      const orderBy = param(req, 'order_by');
      if (orderBy) devices = orderDevices(devices, orderBy);
      return offsetPage(devices, page, 'devices', (d) => store.deviceWire(d));
    }),
  );

  /** `devices:stream` of a project, or `{device}:stream` of one device (reference §7). */
  const openStream = (req: EmulatorRequest, projectId: string, deviceId?: string): EmulatorResponse => {
    const rawPing = param(req, 'ping_interval');
    const pingMs = rawPing === undefined ? undefined : parsePingInterval(rawPing);
    if (rawPing !== undefined && pingMs === undefined) return dtError(400, `invalid ping_interval ${rawPing}`);
    const types = params(req, 'device_types', true);
    const unknown = types.find((t) => !DEVICE_TYPES.includes(t as DeviceType));
    if (unknown) return dtError(400, `unknown device type ${unknown}`);
    const labelFilters = params(req, 'label_filters').map((f) => {
      const eq = f.indexOf('=');
      return eq < 0 || eq === f.length - 1 ? { key: eq < 0 ? f : f.slice(0, eq) } : { key: f.slice(0, eq), value: f.slice(eq + 1) };
    });
    return ctx.streams.answer(
      req,
      {
        projectId,
        deviceIds: new Set(deviceId ? [deviceId] : params(req, 'device_ids', true).map(lastSegment)),
        deviceTypes: new Set(types),
        productNumbers: new Set(params(req, 'product_numbers', true)),
        labelFilters,
        eventTypes: new Set(params(req, 'event_types', true)),
      },
      pingMs,
    );
  };

  router.get(
    '/v2/projects/:project/devices:stream',
    guard('api', 'device.read', (req) => (findProject(req.params.project) ? openStream(req, req.params.project) : dtError(404))),
  );

  router.post(
    '/v2/projects/:project/devices:batchUpdate',
    guard('api', 'device.update', (req) => {
      const project = findProject(req.params.project);
      if (!project) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { devices, addLabels = {}, removeLabels = [] } = req.body;
      if (!isStringList(devices)) return dtError(400, 'devices must be a list of device resource names');
      if (!isStringMap(addLabels)) return dtError(400, 'addLabels must map label keys to string values');
      if (!isStringList(removeLabels)) return dtError(400, 'removeLabels must be a list of label keys');
      if (Object.keys(addLabels).length === 0 && removeLabels.length === 0) return dtError(400, 'one of addLabels or removeLabels is required');
      if (Object.keys(addLabels).some((k) => k.length === 0)) return dtError(400, 'label keys must not be empty');
      const batchErrors: DtBatchError[] = [];
      for (const name of devices) {
        const ref = parseDeviceName(name);
        const device = ref && (ref.projectId === project.id || ref.projectId === '-') ? findDevice(project.id, ref.deviceId) : undefined;
        if (!device) {
          batchErrors.push({ device: name, status: { code: 'NOT_FOUND', message: 'resource not found' } });
          continue;
        }
        const total = new Set([...Object.keys(device.labels).filter((k) => !removeLabels.includes(k)), ...Object.keys(addLabels)]).size;
        if (total > MAX_LABELS) {
          batchErrors.push({ device: name, status: { code: 'INVALID_ARGUMENT', message: 'Max labels reached for device.' } });
          continue;
        }
        store.changeLabels(device, addLabels, removeLabels);
      }
      return ok({ batchErrors });
    }),
  );

  router.post(
    '/v2/projects/:project/devices:transfer',
    guard('api', 'device.update', (req) => {
      if (!canTransfer) return dtError(403);
      const target = findProject(req.params.project);
      if (!target) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { devices } = req.body;
      if (!isStringList(devices)) return dtError(400, 'devices must be a list of device resource names');
      const transferredDevices: string[] = [];
      const transferErrors: DtBatchError[] = [];
      for (const name of devices) {
        const ref = parseDeviceName(name);
        const device = ref && findProject(ref.projectId) ? findDevice(ref.projectId, ref.deviceId) : undefined;
        if (!device) {
          transferErrors.push({ device: name, status: { code: 'NOT_FOUND', message: 'resource not found' } });
          continue;
        }
        store.moveDevice(device, target.id);
        transferredDevices.push(name);
      }
      return ok({ transferredDevices, transferErrors });
    }),
  );

  router.get(
    '/v2/projects/:project/devices/:device',
    guard('api', 'device.read', (req) => {
      const [id, method] = splitMethod(req.params.device);
      if (req.params.project !== '-' && !findProject(req.params.project)) return dtError(404);
      const device = findDevice(req.params.project, id);
      if (!device) return dtError(404);
      if (method === 'stream') return openStream(req, device.projectId, device.id);
      if (method !== undefined) return dtError(404);
      return ok(store.deviceWire(device));
    }),
  );

  // Single-label endpoints: listed by DT without shapes; `{key, value}` in and `{name, value}` out.
  const labelWire = (device: DeviceRecord, key: string) => ({ name: `projects/${device.projectId}/devices/${device.id}/labels/${key}`, value: device.labels[key] });
  router.post(
    '/v2/projects/:project/devices/:device/labels',
    guard('api', 'device.update', (req) => {
      const device = findDevice(req.params.project, req.params.device);
      if (!device) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { key, value = '' } = req.body;
      if (typeof key !== 'string' || key.length === 0) return dtError(400, 'key is required');
      if (typeof value !== 'string') return dtError(400, 'value must be a string');
      if (key in device.labels) return dtError(409);
      if (Object.keys(device.labels).length >= MAX_LABELS) return dtError(400, 'Max labels reached for device.');
      store.changeLabels(device, { [key]: value }, []);
      return ok(labelWire(device, key));
    }),
  );
  router.patch(
    '/v2/projects/:project/devices/:device/labels/:label',
    guard('api', 'device.update', (req) => {
      const device = findDevice(req.params.project, req.params.device);
      if (!device || !(req.params.label in device.labels)) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { value } = req.body;
      if (typeof value !== 'string') return dtError(400, 'value must be a string');
      store.changeLabels(device, { [req.params.label]: value }, []);
      return ok(labelWire(device, req.params.label));
    }),
  );
  router.delete(
    '/v2/projects/:project/devices/:device/labels/:label',
    guard('api', 'device.update', (req) => {
      const device = findDevice(req.params.project, req.params.device);
      if (!device || !(req.params.label in device.labels)) return dtError(404);
      store.changeLabels(device, {}, [req.params.label]);
      return ok({});
    }),
  );

  router.get(
    '/v2/projects/:project/devices/:device/events',
    guard('api', 'device.read', (req) => {
      if (req.params.project !== '-' && !findProject(req.params.project)) return dtError(404);
      const device = findDevice(req.params.project, req.params.device);
      if (!device) return dtError(404);
      // The reference names no default for /events; 100 as for every other list, maximum 1000.
      const page = readPage(req, 100, 1000);
      if (!isPage(page)) return page;
      const types = params(req, 'event_types', true);
      const unknown = types.find((t) => !EVENT_TYPES.has(t));
      if (unknown) return dtError(400, `unknown event type ${unknown}`);
      const typeSet = types.length ? new Set(types) : undefined;
      const nowUs = store.nowMicros();
      const rawStart = param(req, 'start_time');
      const rawEnd = param(req, 'end_time');
      const startUs = rawStart ? parseRfc3339Micros(rawStart) : nowUs - 24 * 3_600_000_000;
      // Without end_time the range runs up to and including now: an event published this very microsecond is listed.
      const endUs = rawEnd ? parseRfc3339Micros(rawEnd) : nowUs + 1;
      if (Number.isNaN(startUs)) return dtError(400, 'start_time must be an RFC 3339 timestamp');
      if (Number.isNaN(endUs)) return dtError(400, 'end_time must be an RFC 3339 timestamp');
      if (startUs > endUs) return dtError(400, 'start_time must not be after end_time');
      if (ctx.olderHistoryStart === 'rejected' && startUs < nowUs - HISTORY_KEPT_US) return dtError(400, 'start_time is further back than the kept history');
      // Oldest first over [start_time, end_time); the token holds the history index to continue from.
      const upper = lowerBound(device.times, endUs);
      let i = Math.max(lowerBound(device.times, startUs), page.token.i ?? 0);
      const events = [];
      for (; i < upper && events.length < page.size; i++) {
        const event = device.events[i];
        if (!typeSet || typeSet.has(event.eventType)) events.push(event);
      }
      while (typeSet && i < upper && !typeSet.has(device.events[i].eventType)) i++;
      return ok({ events, nextPageToken: i < upper ? encodeToken({ i }) : '' });
    }),
  );

  // ---- data connectors ----
  const connectorTypes: readonly DataConnectorType[] = ['HTTP_PUSH', 'AZURE_SERVICE_BUS', 'AZURE_EVENT_HUB', 'GOOGLE_CLOUD_PUBSUB', 'AWS_SQS'];
  const configKey: Record<DataConnectorType, keyof DtDataConnector> = {
    HTTP_PUSH: 'httpConfig',
    AZURE_SERVICE_BUS: 'azureServiceBusConfig',
    AZURE_EVENT_HUB: 'azureEventHubConfig',
    GOOGLE_CLOUD_PUBSUB: 'pubsubConfig',
    AWS_SQS: 'awsSqsConfig',
  };

  /** Checks and applies connector fields; `fields` limits which ones (update_mask), undefined = all present. */
  const applyConnector = (target: DtDataConnector, body: Record<string, unknown>, fields?: Set<string>): string | undefined => {
    const wants = (field: string) => (fields ? fields.has(field) : body[field] !== undefined);
    if (wants('displayName')) {
      if (typeof body.displayName !== 'string') return 'displayName must be a string';
      target.displayName = body.displayName;
    }
    if (wants('status')) {
      if (body.status !== 'ACTIVE' && body.status !== 'USER_DISABLED') return 'status must be ACTIVE or USER_DISABLED';
      target.status = body.status as DataConnectorStatus;
    }
    if (wants('events')) {
      const events = body.events ?? [];
      if (!isStringList(events) || events.some((e) => !EVENT_TYPES.has(e))) return 'events must be a list of event types';
      target.events = [...events];
    }
    if (wants('labels')) {
      const labels = body.labels ?? [];
      if (!isStringList(labels)) return 'labels must be a list of label keys';
      target.labels = [...labels];
    }
    if (target.type === 'HTTP_PUSH') {
      const given = body.httpConfig;
      if (given !== undefined && !isRecord(given)) return 'httpConfig must be an object';
      const http = given ?? {};
      const config = target.httpConfig ?? { url: '', signatureSecret: '', headers: {} };
      const wantsHttp = (sub: string) => (fields ? fields.has('httpConfig') || fields.has(`httpConfig.${sub}`) : http[sub] !== undefined);
      if (wantsHttp('url')) {
        if (typeof http.url !== 'string') return 'httpConfig.url is required';
        let url: URL;
        try {
          url = new URL(http.url);
        } catch {
          return 'httpConfig.url must be a URL';
        }
        // DT demands HTTPS; plain HTTP is let through for loopback receivers so local tests can listen.
        const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
        if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'httpConfig.url must use https';
        config.url = http.url;
      }
      if (wantsHttp('signatureSecret')) {
        if (typeof (http.signatureSecret ?? '') !== 'string') return 'httpConfig.signatureSecret must be a string';
        config.signatureSecret = (http.signatureSecret as string | undefined) ?? '';
      }
      if (wantsHttp('headers')) {
        const headers = http.headers ?? {};
        if (!isStringMap(headers)) return 'httpConfig.headers must map names to string values';
        config.headers = { ...headers };
      }
      if (!config.url) return 'httpConfig.url is required';
      target.httpConfig = config;
    } else {
      const key = configKey[target.type];
      if (wants(key)) {
        if (!isRecord(body[key])) return `${key} must be an object`;
        (target as unknown as Record<string, unknown>)[key] = structuredClone(body[key]);
      }
      if (!isRecord(target[key])) return `${key} is required`;
    }
    return undefined;
  };

  router.get(
    '/v2/projects/:project/dataconnectors',
    guard('api', 'dataconnector.read', (req) => {
      if (!findProject(req.params.project)) return dtError(404);
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      const list = [...store.connectors.values()].filter((c) => c.projectId === req.params.project).sort((a, b) => (a.id < b.id ? -1 : 1));
      return offsetPage(list, page, 'dataConnectors', (c) => structuredClone(c.resource));
    }),
  );
  router.post(
    '/v2/projects/:project/dataconnectors',
    guard('api', 'dataconnector.create', (req) => {
      if (!findProject(req.params.project)) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const type = req.body.type;
      if (!connectorTypes.includes(type as DataConnectorType)) return dtError(400, `type must be one of ${connectorTypes.join(', ')}`);
      const id = store.newId();
      const resource: DtDataConnector = {
        name: `projects/${req.params.project}/dataconnectors/${id}`,
        displayName: '',
        type: type as DataConnectorType,
        status: 'ACTIVE',
        events: [],
        labels: [],
      };
      const problem = applyConnector(resource, req.body);
      if (problem) return dtError(400, problem);
      store.connectors.set(id, { id, projectId: req.params.project, resource, metrics: { successCount: 0, errorCount: 0, latency99p: '0s' } });
      return ok(structuredClone(resource));
    }),
  );

  const findConnector = (projectId: string, id: string) => {
    const connector = store.connectors.get(id);
    return connector && connector.projectId === projectId ? connector : undefined;
  };

  router.get(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.read', (req) => {
      const [id, method] = splitMethod(req.params.dc);
      const connector = findConnector(req.params.project, id);
      if (!connector) return dtError(404);
      if (method === 'metrics') return ok({ metrics: { ...connector.metrics } });
      if (method !== undefined) return dtError(404);
      return ok(structuredClone(connector.resource));
    }),
  );
  router.post(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.update', (req) => {
      const [id, method] = splitMethod(req.params.dc);
      const connector = findConnector(req.params.project, id);
      if (!connector || method !== 'sync') return dtError(404);
      store.sync(connector);
      return ok({});
    }),
  );
  router.patch(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.update', (req) => {
      const connector = findConnector(req.params.project, req.params.dc);
      if (!connector) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      if (req.body.type !== undefined && req.body.type !== connector.resource.type) return dtError(400, 'type cannot be changed');
      const mask = param(req, 'update_mask');
      let fields: Set<string> | undefined;
      if (mask) {
        const allowed = ['displayName', 'status', 'events', 'labels', 'httpConfig', 'httpConfig.url', 'httpConfig.signatureSecret', 'httpConfig.headers', configKey[connector.resource.type]];
        fields = new Set(mask.split(',').map((f) => f.trim()));
        const bad = [...fields].find((f) => !allowed.includes(f));
        if (bad) return dtError(400, `unknown update_mask field ${bad}`);
      }
      // Validate on a copy so a rejected update leaves the connector untouched.
      const draft = structuredClone(connector.resource);
      const problem = applyConnector(draft, req.body, fields);
      if (problem) return dtError(400, problem);
      connector.resource = draft;
      return ok(structuredClone(draft));
    }),
  );
  router.delete(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.delete', (req) => {
      const connector = findConnector(req.params.project, req.params.dc);
      if (!connector) return dtError(404);
      store.connectors.delete(connector.id);
      return ok({});
    }),
  );

  // ---- Emulator API (emulator host in production) ----
  const findEmulated = (projectId: string, deviceId: string) => {
    const device = store.devices.get(deviceId);
    return device && device.emulated && device.projectId === projectId ? device : undefined;
  };

  router.get(
    '/emulator/v2/projects/:project/devices',
    guard('emulator', 'emulator.read', (req) => {
      const project = findProject(req.params.project);
      if (!project) return dtError(404);
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      return offsetPage(
        project.devices.filter((d) => d.emulated),
        page,
        'devices',
        (d) => store.emulatedDeviceWire(d),
      );
    }),
  );
  router.post(
    '/emulator/v2/projects/:project/devices',
    guard('emulator', 'emulator.create', (req) => {
      const project = findProject(req.params.project);
      if (!project) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { type, labels = {} } = req.body;
      if (!DEVICE_TYPES.includes(type as DeviceType)) return dtError(400, `type must be one of ${DEVICE_TYPES.join(', ')}`);
      if (!isStringMap(labels)) return dtError(400, 'labels must map keys to string values');
      const deviceType = type as DeviceType;
      const id = `emu${store.newId()}`;
      const device: DeviceRecord = {
        id,
        projectId: project.id,
        name: `projects/${project.id}/devices/${id}`,
        type: deviceType,
        productNumber: PRODUCT_NUMBERS[deviceType],
        labels: { ...labels, 'virtual-sensor': '' },
        reported: DisruptiveStore.emptyReported(deviceType),
        events: [],
        times: [],
        emulated: true,
      };
      store.addDevice(device);
      return ok(store.emulatedDeviceWire(device));
    }),
  );
  router.get(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.read', (req) => {
      const device = findEmulated(req.params.project, req.params.device);
      return device ? ok(store.emulatedDeviceWire(device)) : dtError(404);
    }),
  );
  router.put(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.update', (req) => {
      const device = findEmulated(req.params.project, req.params.device);
      if (!device) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { labels = {}, type } = req.body;
      if (type !== undefined && type !== device.type) return dtError(400, 'type cannot be changed');
      if (!isStringMap(labels)) return dtError(400, 'labels must map keys to string values');
      const next = { ...labels, 'virtual-sensor': '' };
      store.changeLabels(
        device,
        next,
        Object.keys(device.labels).filter((k) => !(k in next)),
      );
      return ok(store.emulatedDeviceWire(device));
    }),
  );
  router.delete(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.delete', (req) => {
      const device = findEmulated(req.params.project, req.params.device);
      if (!device) return dtError(404);
      store.removeDevice(device);
      return ok({});
    }),
  );
  router.post(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.update', (req) => {
      const [id, method] = splitMethod(req.params.device);
      const device = findEmulated(req.params.project, id);
      if (!device || method !== 'publish') return dtError(404);
      if (req.bodyInvalid) return dtError(400, 'body must be JSON');
      try {
        store.publish(device, req.body);
      } catch (error) {
        if (error instanceof PayloadError) return dtError(400, error.message);
        throw error;
      }
      // The answer is ignored by DT's clients but must be JSON.
      return ok({});
    }),
  );

  return router;
}
