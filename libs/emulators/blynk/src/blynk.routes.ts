import { Router, type EmulatorRequest, type EmulatorResponse } from '@devicegate/emulators/kit';
import type { OAuthClient, RateLimiter, TokenIssuer } from './blynk.auth.js';
import type { BlynkStore } from './blynk.store.js';
import { EVENT_TYPES, type BlynkEventType, type BlynkTemplate, type DataStreamValueJson, type StoredDevice, type TemplateDataStream, type TemplateMetaField } from './blynk.types.js';

const V1 = '/api/v1/organization';
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 50;
const MAX_NAME_LENGTH = 50;
const MAX_QUERY_LENGTH = 255;
const MAX_EVENT_DESCRIPTION = 300;

/** Who is calling: the organization of the OAuth client and everything below it. */
interface CallContext {
  client: OAuthClient;
  orgId: number;
  tree: Set<number>;
}

type ApiHandler = (req: EmulatorRequest, ctx: CallContext) => EmulatorResponse;

export interface RouteDeps {
  store: BlynkStore;
  tokens: TokenIssuer;
  limiter: RateLimiter;
  clock: () => number;
  /** What a missing, unknown or expired bearer token gets (see BlynkEmulatorOptions). */
  refusedTokenStatus: 401 | 403;
  onTokenRequest: () => void;
}

/** Blynk's `ErrorResponse`: `{"error":{"message":…}}`. */
export const blynkError = (status: number, message: string, headers?: Record<string, string>): EmulatorResponse => ({
  status,
  body: { error: { message } },
  ...(headers ? { headers } : {}),
});

const NO_CONTENT: EmulatorResponse = { status: 204 };

const deviceNotFound = (id: number) => blynkError(404, `Device with identifier ${id} is not found or belong to another organization.`);
const orgNotFound = () => blynkError(404, "Organization is not found or you don't have access to it.");
const userNotFound = () => blynkError(404, "User is not found or you don't have access to him.");
const invalidBody = () => blynkError(400, 'Invalid request body.');

// "Letters" and "digits" in any script: the rule names character classes, not ASCII ranges.
const NAME_PATTERN = /^[\p{L}\p{Nd} '_-]+$/u;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The vendor's device name rule; returns the error message, or undefined when the name is fine. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim().length === 0) return 'Device name is empty.';
  if (name.length > MAX_NAME_LENGTH) return `Device name should be up to ${MAX_NAME_LENGTH} symbols in length.`;
  if (!NAME_PATTERN.test(name)) return 'Device name may contain only letters, digits, spaces, apostrophes, underscores and hyphens.';
  return undefined;
}

/** The docs' datastream value types for the Console's data types. */
const STREAM_TYPES: Record<TemplateDataStream['dataType'], string> = { Integer: 'INT', Double: 'DOUBLE', String: 'STRING', Location: 'LOCATION' };

/** An integer query parameter: undefined when absent, NaN when not an integer. */
function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  return /^-?\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
}

/** An integer body field; JSON numbers and numeric strings both bind to an int, as Jackson does. */
function intField(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function objectBody(req: EmulatorRequest): Record<string, unknown> | undefined {
  if (req.bodyInvalid || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return undefined;
  return req.body as Record<string, unknown>;
}

interface Paging {
  page: number;
  size: number;
}

function paging(query: URLSearchParams): Paging | EmulatorResponse {
  const page = intParam(query, 'page') ?? 0;
  const size = intParam(query, 'size') ?? DEFAULT_PAGE_SIZE;
  if (Number.isNaN(page) || page < 0) return blynkError(400, 'Page number should be a non-negative integer.');
  if (Number.isNaN(size) || size < 1) return blynkError(400, 'Page size should be a positive integer.');
  if (size > MAX_PAGE_SIZE) return blynkError(400, 'requested page size is too big');
  return { page, size };
}

const isResponse = (value: unknown): value is EmulatorResponse => typeof value === 'object' && value !== null && 'status' in value;

/** Blynk's page wrapper: the slice plus the total count; a page past the end is simply empty. */
function pageOf<T, J>(items: readonly T[], p: Paging, map: (item: T) => J): EmulatorResponse {
  const start = p.page * p.size;
  return { status: 200, body: { content: items.slice(start, start + p.size).map(map), totalElements: items.length } };
}

function parseBoolean(raw: string | null): boolean | undefined | null {
  if (raw === null || raw === '') return undefined;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  return null;
}

/** Checks a datastream value against the stream's data type; returns the value to store. */
function coerceValue(stream: TemplateDataStream, value: unknown): DataStreamValueJson | undefined {
  switch (stream.dataType) {
    case 'Integer': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
    }
    case 'Double': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
    }
    case 'String':
      if (typeof value === 'string') return value.length <= 1024 ? value : undefined;
      return typeof value === 'number' ? String(value) : undefined;
    case 'Location':
      return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? [value[0] as number, value[1] as number] : undefined;
  }
}

type SortKey = (d: StoredDevice) => number | string;

export function buildRouter(deps: RouteDeps): Router {
  const { store, tokens, limiter, clock } = deps;
  const router = new Router();

  const api =
    (handler: ApiHandler) =>
    (req: EmulatorRequest): EmulatorResponse => {
      const now = clock();
      const auth = tokens.check(req.headers.authorization, now);
      // No status is documented for a bad bearer token: by default 401 with the usual ErrorResponse body and
      // an RFC 6750 challenge, as an OAuth2 resource server answers; or 403 (a plain ErrorResponse) by option.
      if (!auth.ok) {
        const text =
          auth.reason === 'missing' ? 'Authorization header with a Bearer token is required.' : auth.reason === 'expired' ? 'Access token is expired.' : 'Invalid access token.';
        if (deps.refusedTokenStatus === 403) return blynkError(403, text);
        return blynkError(401, text, { 'www-authenticate': `Bearer realm="blynk", error="invalid_token"` });
      }
      const client = auth.grant.client;
      if (!client.platformApiScope) return blynkError(403, 'Platform API scope is not enabled for this oauth client.');
      if (!limiter.take(client.orgId, now)) return blynkError(429, 'Too many requests.');
      return handler(req, { client, orgId: client.orgId, tree: store.orgTree(client.orgId) });
    };

  /** Resolves `deviceId` (query or body value) to a device the caller may see. */
  const findDevice = (raw: number | undefined, ctx: CallContext): StoredDevice | EmulatorResponse => {
    if (raw === undefined || Number.isNaN(raw)) return blynkError(400, 'Invalid device ID.');
    const device = store.devices.get(raw);
    if (!device || !ctx.tree.has(device.orgId)) return deviceNotFound(raw);
    return device;
  };
  const queryDevice = (req: EmulatorRequest, ctx: CallContext) => findDevice(intParam(req.query, 'deviceId'), ctx);

  /** An explicit `orgId` must be the caller's organization or one below it; absent means the caller's. */
  const scopeOrg = (req: EmulatorRequest, ctx: CallContext): number | EmulatorResponse => {
    const orgId = intParam(req.query, 'orgId');
    if (orgId === undefined) return ctx.orgId;
    if (Number.isNaN(orgId)) return blynkError(400, 'Invalid organization ID.');
    return ctx.tree.has(orgId) && store.orgs.has(orgId) ? orgId : orgNotFound();
  };

  const userByEmail = (email: string, ctx: CallContext) => {
    const user = store.usersByEmail.get(email.toLowerCase());
    return user && ctx.tree.has(user.orgId) ? user : undefined;
  };

  const summary = (d: StoredDevice) => store.summary(d);

  // --- OAuth2 -------------------------------------------------------------------------------------

  router.post('/oauth2/token', (req) => {
    deps.onTokenRequest();
    const params = new URLSearchParams(req.query);
    const type = String(req.headers['content-type'] ?? '');
    if (req.rawBody && (type.includes('application/x-www-form-urlencoded') || req.bodyInvalid)) {
      for (const [key, value] of new URLSearchParams(req.rawBody)) if (!params.has(key)) params.set(key, value);
    }
    const oauthError = (error: string, description: string): EmulatorResponse => ({ status: 400, body: { error, error_description: description }, headers: { 'cache-control': 'no-store' } });

    let clientId = params.get('client_id');
    let clientSecret = params.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        clientSecret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    const grantType = params.get('grant_type');
    if (!grantType) return oauthError('invalid_request', 'Missing grant_type parameter.');
    if (!clientId || !clientSecret) return oauthError('invalid_client', 'Client ID is not found or password is wrong.');
    const client = tokens.findClient(clientId, clientSecret);
    if (!client) return oauthError('invalid_client', 'Client ID is not found or password is wrong.');
    const now = clock();
    if (grantType === 'client_credentials') return { status: 200, body: tokens.issue(client, now), headers: { 'cache-control': 'no-store' } };
    if (grantType === 'refresh_token') {
      const refreshToken = params.get('refresh_token');
      if (!refreshToken) return oauthError('invalid_request', 'Missing refresh_token parameter.');
      const token = tokens.redeem(refreshToken, client, now);
      return token ? { status: 200, body: token, headers: { 'cache-control': 'no-store' } } : oauthError('invalid_grant', 'Refresh token is invalid, expired or already used.');
    }
    // `user_credentials` exists on the real service, but its parameters are not documented.
    return oauthError('unsupported_grant_type', `Grant type ${grantType} is not supported.`);
  });

  // --- Lists --------------------------------------------------------------------------------------

  router.get(
    `${V1}/devices`,
    api((req, ctx) => {
      const orgId = scopeOrg(req, ctx);
      if (isResponse(orgId)) return orgId;
      const includeSub = parseBoolean(req.query.get('includeSubOrgDevices'));
      if (includeSub === null) return blynkError(400, 'includeSubOrgDevices should be true or false.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      const orgs = includeSub ? store.orgTree(orgId) : new Set([orgId]);
      return pageOf(store.devicesOf(orgs), p, summary);
    }),
  );

  const ownerOf = (d: StoredDevice) => (d.ownerUserId !== null ? store.users.get(d.ownerUserId) : undefined);
  const SORT_KEYS: Record<string, SortKey> = {
    deviceid: (d) => d.id,
    id: (d) => d.id,
    name: (d) => d.name.toLowerCase(),
    authtoken: (d) => d.token,
    token: (d) => d.token,
    ownerid: (d) => d.ownerUserId ?? -1,
    owneruserid: (d) => d.ownerUserId ?? -1,
    deviceownername: (d) => ownerOf(d)?.name.toLowerCase() ?? '',
    deviceowner: (d) => ownerOf(d)?.email ?? '',
    // Devices here are activated by their first owner, so "Activated By" sorts like the owner e-mail.
    activatedby: (d) => ownerOf(d)?.email ?? '',
    lastreportedat: (d) => Math.max(d.connectTime, d.disconnectTime, d.lastReceivedEventAt),
    activatedat: (d) => d.activatedAt,
    model: (d) => d.hardwareInfo?.boardType ?? '',
    templatename: (d) => d.template.name.toLowerCase(),
    templateid: (d) => d.template.id,
    firmwareversion: (d) => d.hardwareInfo?.version ?? '',
    organizationid: (d) => d.orgId,
    orgid: (d) => d.orgId,
    status: (d) => (d.connected ? 'online' : 'offline'),
  };

  router.get(
    `${V1}/search/devices`,
    api((req, ctx) => {
      const query = req.query.get('query');
      if (query === null || query.trim() === '') return blynkError(400, 'Search query is required.');
      if (query.length > MAX_QUERY_LENGTH) return blynkError(400, `Search query should be up to ${MAX_QUERY_LENGTH} symbols.`);
      const sortByRaw = req.query.get('sortBy');
      const sortKey = sortByRaw ? SORT_KEYS[sortByRaw.replace(/[\s_]/g, '').toLowerCase()] : undefined;
      if (sortByRaw && !sortKey) return blynkError(400, `Sorting by '${sortByRaw}' is not supported.`);
      const order = (req.query.get('sortOrder') ?? 'ASC').toUpperCase();
      if (order !== 'ASC' && order !== 'DESC') return blynkError(400, 'sortOrder should be ASC or DESC.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      // The query is matched against device names, case-insensitively, across the caller's
      // organization and its sub-organizations (there is no orgId parameter).
      const needle = query.trim().toLowerCase();
      const hits = store.devicesOf(ctx.tree).filter((d) => d.name.toLowerCase().includes(needle));
      const key = sortKey ?? SORT_KEYS.id;
      const sign = order === 'DESC' ? -1 : 1;
      hits.sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        const c = ka < kb ? -1 : ka > kb ? 1 : 0;
        return c !== 0 ? sign * c : a.id - b.id;
      });
      return pageOf(hits, p, summary);
    }),
  );

  router.get(
    `${V1}/device/by-owner`,
    api((req, ctx) => {
      const email = req.query.get('ownerEmail');
      if (!email || !EMAIL_PATTERN.test(email)) return blynkError(400, 'Invalid owner email.');
      const orgId = scopeOrg(req, ctx);
      if (isResponse(orgId)) return orgId;
      const p = paging(req.query);
      if (isResponse(p)) return p;
      const user = userByEmail(email, ctx);
      if (!user) return userNotFound();
      // The owner's devices within the organization and the organizations below it.
      const owned = store.devicesOf(store.orgTree(orgId)).filter((d) => d.ownerUserId === user.id);
      return pageOf(owned, p, summary);
    }),
  );

  router.get(
    `${V1}/device/by-user-org`,
    api((req, ctx) => {
      const email = req.query.get('userEmail');
      if (!email || !EMAIL_PATTERN.test(email)) return blynkError(400, 'Invalid user email.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      const user = userByEmail(email, ctx);
      // This operation documents no 404, so an unknown user is a bad request.
      if (!user) return blynkError(400, "User is not found or you don't have access to him.");
      return pageOf(store.devicesOf(new Set([user.orgId])), p, summary);
    }),
  );

  router.get(
    `${V1}/device/last-activated`,
    api((req, ctx) => {
      const orgId = scopeOrg(req, ctx);
      if (isResponse(orgId)) return orgId;
      const minutesRaw = intParam(req.query, 'minutes');
      if (minutesRaw !== undefined && Number.isNaN(minutesRaw)) return blynkError(400, 'Invalid minutes value.');
      // The legacy page allows 1..60 and the current one lists no 400 here, so the window is clamped.
      const minutes = Math.min(60, Math.max(1, minutesRaw ?? 5));
      const since = clock() - minutes * 60_000;
      const recent = store
        .devicesOf(new Set([orgId]))
        .filter((d) => d.activatedAt >= since)
        .sort((a, b) => b.activatedAt - a.activatedAt || a.id - b.id);
      return { status: 200, body: recent.map((d) => store.activated(d)) };
    }),
  );

  // --- One device ---------------------------------------------------------------------------------

  router.get(
    `${V1}/device`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: store.full(device) };
    }),
  );

  router.get(
    `${V1}/device/baseInfo`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: store.baseInfo(device) };
    }),
  );

  router.put(
    `${V1}/device`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const body = objectBody(req);
      if (!body) return invalidBody();
      const problem = nameProblem(body.name);
      if (problem) return blynkError(400, problem);
      device.name = body.name as string;
      return { status: 200, body: store.summary(device) };
    }),
  );

  router.delete(
    `${V1}/device`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      store.deleteDevice(device);
      return NO_CONTENT;
    }),
  );

  router.post(
    `${V1}/device/create`,
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const baseOnly = parseBoolean(req.query.get('baseInfo'));
      if (baseOnly === null) return blynkError(400, 'baseInfo should be true or false.');
      if (typeof body.templateId !== 'string' || body.templateId.trim() === '') return blynkError(400, 'Template ID is required.');
      const problem = nameProblem(body.name);
      if (problem) return blynkError(400, problem);
      let orgId = ctx.orgId;
      if (body.orgId !== undefined && body.orgId !== null) {
        const wanted = intField(body.orgId);
        if (wanted === undefined) return invalidBody();
        if (!ctx.tree.has(wanted) || !store.orgs.has(wanted)) return orgNotFound();
        orgId = wanted;
      }
      const template = store.templatesByPublicId.get(body.templateId);
      // Templates are made in an organization and used by it and the organizations below it.
      if (!template || !store.orgTree(template.orgId).has(orgId)) return blynkError(404, 'Template is not found.');
      let ownerUserId: number | null = null;
      if (body.ownerId !== undefined && body.ownerId !== null) {
        const wanted = intField(body.ownerId);
        if (wanted === undefined) return invalidBody();
        const user = store.users.get(wanted);
        if (!user || !ctx.tree.has(user.orgId)) return userNotFound();
        ownerUserId = user.id;
      }
      const device = store.createDevice({ name: body.name as string, template, orgId, ownerUserId, now: clock() });
      return { status: 201, body: baseOnly ? store.baseInfo(device) : store.full(device) };
    }),
  );

  // --- Templates (docs' Template Events / Template DataStreams pages: numeric `templateId`, arrays) ------

  /** A template the caller's organization uses: its own, or one of an organization above it. */
  const queryTemplate = (req: EmulatorRequest, ctx: CallContext): BlynkTemplate | EmulatorResponse => {
    const id = intParam(req.query, 'templateId');
    if (id === undefined || Number.isNaN(id)) return blynkError(400, 'Invalid template ID.');
    const template = store.templatesById.get(id);
    if (!template || !(ctx.tree.has(template.orgId) || store.orgTree(template.orgId).has(ctx.orgId))) return blynkError(404, 'Template is not found.');
    return template;
  };

  router.get(
    `${V1}/template/events`,
    api((req, ctx) => {
      const template = queryTemplate(req, ctx);
      if (isResponse(template)) return template;
      return { status: 200, body: template.events.map((e) => ({ id: e.id, name: e.name, eventCode: e.code, type: e.type })) };
    }),
  );

  router.get(
    `${V1}/template/datastreams`,
    api((req, ctx) => {
      const template = queryTemplate(req, ctx);
      if (isResponse(template)) return template;
      const body = template.dataStreams.map((s) => ({
        id: s.id,
        label: s.label,
        alias: s.alias,
        ...(s.units ? { units: s.units } : {}),
        type: STREAM_TYPES[s.dataType],
        pin: Number(s.pin.slice(1)),
        pinType: 'VIRTUAL',
        ...(s.min !== undefined ? { min: s.min } : {}),
        ...(s.max !== undefined ? { max: s.max } : {}),
      }));
      return { status: 200, body };
    }),
  );

  router.get(
    `${V1}/device/online`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: { connected: device.connected } };
    }),
  );

  router.get(
    `${V1}/device/tags`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const tags = device.tagIds.flatMap((id) => {
        const tag = store.tags.get(id);
        return tag ? [{ id: tag.id, name: tag.name, tagOwnerOrgId: tag.orgId }] : [];
      });
      return { status: 200, body: tags };
    }),
  );

  router.get(
    `${V1}/device/timeline`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const typeRaw = req.query.get('eventType');
      let eventType: BlynkEventType | undefined;
      if (typeRaw) {
        eventType = EVENT_TYPES.find((t) => t === typeRaw.toUpperCase());
        if (!eventType) return blynkError(400, `Unknown event type ${typeRaw}.`);
      }
      // `from`/`to` (epoch ms, inclusive) are not in the reference; they narrow the window the way
      // the Console's timeline does and change nothing when absent.
      const from = intParam(req.query, 'from');
      const to = intParam(req.query, 'to');
      if (Number.isNaN(from) || Number.isNaN(to)) return blynkError(400, 'from and to should be epoch milliseconds.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      let events = device.timeline;
      if (eventType || from !== undefined || to !== undefined) {
        events = events.filter((e) => (!eventType || e.eventType === eventType) && (from === undefined || e.ts >= from) && (to === undefined || e.ts <= to));
      }
      return pageOf(events, p, (e) => ({ ...e }));
    }),
  );

  router.get(
    `${V1}/device/logs`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const p = paging(req.query);
      if (isResponse(p)) return p;
      return pageOf(device.logs, p, (entry) => ({ ...entry }));
    }),
  );

  // --- Ownership ----------------------------------------------------------------------------------

  const toOwner = (device: StoredDevice, userId: number, ctx: CallContext): EmulatorResponse => {
    const user = store.users.get(userId);
    if (!user || !ctx.tree.has(user.orgId)) return userNotFound();
    if (device.ownerUserId === user.id) return blynkError(400, "Can't transfer to the same owner");
    if (!user.activated) return blynkError(400, "New owner's account is not activated.");
    // Without an explicit organization the device follows its new owner into the owner's organization.
    if (device.orgId !== user.orgId) store.moveDevice(device, user.orgId);
    device.ownerUserId = user.id;
    return NO_CONTENT;
  };

  const toOrganization = (device: StoredDevice, orgId: number, ctx: CallContext): EmulatorResponse => {
    if (!ctx.tree.has(orgId) || !store.orgs.has(orgId)) return blynkError(404, "Destination organization is not found or you don't have access to it.");
    if (device.orgId === orgId) return NO_CONTENT;
    store.moveDevice(device, orgId);
    // An owner must be a user of the device's organization; one who is not loses the device.
    const owner = device.ownerUserId !== null ? store.users.get(device.ownerUserId) : undefined;
    if (owner && owner.orgId !== orgId) device.ownerUserId = null;
    return NO_CONTENT;
  };

  router.post(
    `${V1}/device/transfer/to-owner`,
    api((req, ctx) => {
      const body = objectBody(req);
      const deviceId = intField(body?.deviceId);
      const newUserId = intField(body?.newUserId);
      if (!body || deviceId === undefined || newUserId === undefined) return blynkError(400, 'Invalid request body.');
      const device = findDevice(deviceId, ctx);
      return isResponse(device) ? device : toOwner(device, newUserId, ctx);
    }),
  );

  router.post(
    `${V1}/device/transfer/to-organization`,
    api((req, ctx) => {
      const body = objectBody(req);
      const deviceId = intField(body?.deviceId);
      const newOrgId = intField(body?.newOrgId);
      if (!body || deviceId === undefined || newOrgId === undefined) return blynkError(400, 'Invalid request body.');
      const device = findDevice(deviceId, ctx);
      return isResponse(device) ? device : toOrganization(device, newOrgId, ctx);
    }),
  );

  // The older combined endpoint: `newUserId` wins over `newOrgId` when both are given.
  router.post(
    `${V1}/device/transfer`,
    api((req, ctx) => {
      const body = objectBody(req);
      const deviceId = intField(body?.deviceId);
      const newUserId = intField(body?.newUserId);
      const newOrgId = intField(body?.newOrgId);
      if (!body || deviceId === undefined || (newUserId === undefined && newOrgId === undefined)) return blynkError(400, 'Invalid request body.');
      const device = findDevice(deviceId, ctx);
      if (isResponse(device)) return device;
      return newUserId !== undefined ? toOwner(device, newUserId, ctx) : toOrganization(device, newOrgId as number, ctx);
    }),
  );

  router.delete(
    `${V1}/device/owner`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      device.ownerUserId = null;
      return NO_CONTENT;
    }),
  );

  router.delete(
    `${V1}/device/clear`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      device.values.clear();
      device.timeline = [];
      device.logs = [];
      device.lastReceivedEventAt = 0;
      return NO_CONTENT;
    }),
  );

  // --- Events, metafields, datastreams ------------------------------------------------------------

  router.post(
    `${V1}/device/trigger-event`,
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const device = findDevice(intField(body.deviceId), ctx);
      if (isResponse(device)) return device;
      if (typeof body.eventCode !== 'string' || body.eventCode.trim() === '') return blynkError(400, 'Event code is not provided.');
      const description = body.eventDescription;
      if (description !== undefined && description !== null && typeof description !== 'string') return invalidBody();
      if (typeof description === 'string' && description.length > MAX_EVENT_DESCRIPTION) {
        return blynkError(400, `Event description should be up to ${MAX_EVENT_DESCRIPTION} symbols.`);
      }
      // Online/offline are raised by the cloud itself, so only the template's own events can be triggered.
      const event = device.template.events.find((e) => e.code === body.eventCode && e.type !== 'ONLINE' && e.type !== 'OFFLINE');
      if (!event) return blynkError(404, 'Event with provided code is not found.');
      store.addEvent(device, { eventId: event.id, eventType: event.type, description: typeof description === 'string' && description !== '' ? description : null, ts: clock() });
      return NO_CONTENT;
    }),
  );

  router.get(
    `${V1}/device/metafield`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: store.metaFields(device) };
    }),
  );

  const applyMetaValue = (device: StoredDevice, field: TemplateMetaField, value: unknown, ctx: CallContext): boolean => {
    switch (field.type) {
      case 'DeviceName':
        if (nameProblem(value)) return false;
        device.name = value as string;
        return true;
      case 'DeviceOwner': {
        if (value === '' || value === null) {
          device.ownerUserId = null;
          return true;
        }
        const user = typeof value === 'string' ? userByEmail(value, ctx) : undefined;
        if (!user || user.orgId !== device.orgId) return false;
        device.ownerUserId = user.id;
        return true;
      }
      case 'Number': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isFinite(n) || (field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) return false;
        device.metaValues.set(field.id, n);
        return true;
      }
      case 'List':
        if (typeof value !== 'string' || !field.options?.includes(value)) return false;
        device.metaValues.set(field.id, value);
        return true;
      case 'Text':
        if (typeof value !== 'string' || value.length > 255) return false;
        device.metaValues.set(field.id, value);
        return true;
    }
  };

  router.post(
    `${V1}/device/metafield`,
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const device = findDevice(intField(body.deviceId), ctx);
      if (isResponse(device)) return device;
      const fieldId = intField(body.metaFieldId);
      if (fieldId === undefined || !('newValue' in body)) return invalidBody();
      const field = device.template.metaFields.find((f) => f.id === fieldId);
      if (!field) return blynkError(404, 'Meta field is not found.');
      if (!applyMetaValue(device, field, body.newValue, ctx)) return blynkError(400, 'The provided value for metafield is invalid.');
      return NO_CONTENT;
    }),
  );

  const streamOf = (device: StoredDevice, id: number | undefined) => (id === undefined ? undefined : device.template.dataStreams.find((s) => s.id === id));
  const streamNotFound = (id: unknown) => blynkError(404, `Data stream with identifier ${String(id)} is not found!`);
  const mismatch = () => blynkError(400, "Value doesn't match the Datastream data type.");

  router.post(
    `${V1}/device/datastream`,
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const device = findDevice(intField(body.deviceId), ctx);
      if (isResponse(device)) return device;
      const streamId = intField(body.dataStreamId);
      if (streamId === undefined || !('value' in body)) return invalidBody();
      const stream = streamOf(device, streamId);
      if (!stream) return streamNotFound(streamId);
      const value = coerceValue(stream, body.value);
      if (value === undefined) return mismatch();
      device.values.set(stream.id, { value, updatedAt: clock() });
      return NO_CONTENT;
    }),
  );

  router.post(
    `${V1}/device/datastreams`,
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const device = findDevice(intField(body.deviceId), ctx);
      if (isResponse(device)) return device;
      const values = body.values;
      if (typeof values !== 'object' || values === null || Array.isArray(values)) return invalidBody();
      const updates: Array<[number, DataStreamValueJson]> = [];
      // All or nothing: every value is checked before any is stored.
      for (const [key, raw] of Object.entries(values as Record<string, unknown>)) {
        const stream = streamOf(device, intField(key));
        if (!stream) return streamNotFound(key);
        const value = coerceValue(stream, raw);
        if (value === undefined) return mismatch();
        updates.push([stream.id, value]);
      }
      const at = clock();
      for (const [id, value] of updates) device.values.set(id, { value, updatedAt: at });
      return NO_CONTENT;
    }),
  );

  return router;
}
