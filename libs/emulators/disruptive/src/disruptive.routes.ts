import type { EmulatorRequest, EmulatorResponse } from '@devicegate/emulators/kit';
import type { RateLimiter, ServiceAccountKey, TokenService } from './disruptive.auth.js';
import type { DeviceRecord, DisruptiveStore, ProjectRecord } from './disruptive.store.js';
import type { EventStreams } from './disruptive.stream.js';
import type { DtErrorBody, DtRole } from './disruptive.types.js';

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

export const ok = (body: unknown): EmulatorResponse => ({ status: 200, body });

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
export const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function param(req: EmulatorRequest, name: string): string | undefined {
  return req.query.get(name) ?? req.query.get(camel(name)) ?? undefined;
}

export const lastSegment = (value: string) => value.slice(value.lastIndexOf('/') + 1);

interface Page {
  size: number;
  token: Record<string, number>;
}

/** Reads `page_size`/`page_token`: 0 or absent means the default, more than the maximum is cut to it. */
export function readPage(req: EmulatorRequest, defaultSize: number, maxSize: number): Page | EmulatorResponse {
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

export const encodeToken = (token: Record<string, number>) => Buffer.from(JSON.stringify(token)).toString('base64url');

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

export const isPage = (value: Page | EmulatorResponse): value is Page => 'size' in value;

/** Offset paging over an already filtered list: the list key plus `nextPageToken`, "" on the last page. */
export function offsetPage<T, W>(items: readonly T[], page: Page, key: string, wire: (item: T) => W): EmulatorResponse {
  const offset = page.token.o ?? 0;
  const slice = items.slice(offset, offset + page.size);
  const next = offset + page.size < items.length ? encodeToken({ o: offset + page.size }) : '';
  return ok({ [key]: slice.map(wire), nextPageToken: next });
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

export const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

// ---- device ordering for order_by ----
export function pathValue(device: DeviceRecord, path: string[]): unknown {
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

/** What every resource's routes share: the context, the role's permissions and the guard. */
export function disruptiveRoutes(ctx: RouteContext) {
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

  return { ...ctx, permissions, canTransfer, guard, findProject, findDevice, splitMethod, parseDeviceName };
}

/** What every resource's routes share. */
export type DisruptiveRoutes = ReturnType<typeof disruptiveRoutes>;
