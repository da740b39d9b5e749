import { DAY, Router, type EmulatorRequest, type EmulatorResponse } from '@devicegate/emulators/kit';
import { HttpFailure, fail, fastifyError, notFoundText, validationError } from './hardwario.errors.js';
import { DEVICE_SORT_KEYS, type ConnectorRecord, type DeviceRecord, type HardwarioStore, type MessageRecord, type TagRecord } from './hardwario.store.js';
import { CONNECTOR_TRIGGERS, MESSAGE_TYPES, type ConnectorTrigger, type MessageType } from './hardwario.types.js';
import {
  bodyColor,
  bodyEnum,
  bodyIntArray,
  bodyLabel,
  bodyName,
  bodyObject,
  bodyString,
  bodyStringArray,
  bodyTagIds,
  isUuid,
  queryArray,
  queryEnum,
  queryLimit,
  queryString,
  queryTime,
  queryUuid,
  requireField,
  type JsonObject,
} from './hardwario.validate.js';

/** Page sizes. Messages: default 20, max 100 (vendor docs and client). Others are undocumented: 100 / 500 (docs page devices with limit=500). */
export const LIMITS = {
  messages: { fallback: 20, max: 100 },
  devices: { fallback: 100, max: 500 },
  other: { fallback: 100, max: 500 },
} as const;

export const DEFAULT_RETRY_DELAYS = [10, 30, 60, 600, 1800, 3600, 10800, 21600, 43200];
const DEFAULT_TRANSFORMATION =
  'function main(job) {\n  let body = job.message.body;\n  return {\n    "method": "POST",\n    "url": "https://example.com/hook",\n    "header": { "Content-Type": "application/json" },\n    "data": body\n  };\n}';
const DOWNLINK_TYPES = ['data', 'config', 'shell'] as const;

export interface HardwarioCredentialSet {
  apiKey: string;
  spaceId: string;
  email: string;
  password: string;
}

/** What the handlers share: the data, the credentials, the emulator's clock and id source. */
export interface CloudContext {
  store: HardwarioStore;
  credentials: HardwarioCredentialSet;
  /** The emulator's clock: the `now` anchor plus the time since start. */
  now(): number;
  newId(ms: number): string;
  issuedTokens: Set<string>;
}

type Handler = (req: EmulatorRequest) => EmulatorResponse;

function header(req: EmulatorRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `X-Api-Key` (Node lower-cases header names, so every spelling the docs use works), the legacy
 * `Authorization: ApiKey <key>`, or `Authorization: Bearer <token>` from `/v2/auth/login`.
 */
function authenticated(ctx: CloudContext, req: EmulatorRequest): boolean {
  const key = header(req, 'x-api-key');
  if (key !== undefined) return key.trim() === ctx.credentials.apiKey;
  const auth = header(req, 'authorization');
  if (!auth) return false;
  const [scheme, ...rest] = auth.trim().split(/\s+/);
  const value = rest.join(' ');
  if (/^apikey$/i.test(scheme)) return value === ctx.credentials.apiKey;
  if (/^bearer$/i.test(scheme)) return ctx.issuedTokens.has(value);
  return false;
}

/** Runs a handler after the credential check (401) and, for space paths, the space check (403). */
function guard(ctx: CloudContext, handler: Handler): Handler {
  return (req) => {
    try {
      if (!authenticated(ctx, req)) return fastifyError(401, 'Unauthorized');
      const spaceId = req.params.spaceId;
      // A key (or login) reaches only its own space; any other space id, existing or not, is 403 so
      // that a key cannot probe which spaces exist.
      if (spaceId !== undefined && spaceId.toLowerCase() !== ctx.store.space.id) return fastifyError(403, 'Forbidden: no access to this space');
      return handler(req);
    } catch (error) {
      if (error instanceof HttpFailure) return error.response;
      throw error;
    }
  };
}

function pageAfterId<T extends { id: string }>(items: readonly T[], query: URLSearchParams): T[] {
  const limit = queryLimit(query, LIMITS.other.fallback, LIMITS.other.max);
  const offset = queryUuid(query, 'offset');
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
  const start = offset === undefined ? 0 : sorted.findIndex((x) => x.id > offset);
  return start < 0 ? [] : sorted.slice(start, start + limit);
}

function checkTagsExist(store: HardwarioStore, ids: readonly string[] | undefined): void {
  for (const id of ids ?? []) if (!store.tags.has(id)) fail(validationError(`body/tags: tag ${id} does not exist in this space`));
}

function findDevice(store: HardwarioStore, id: string): DeviceRecord {
  const device = store.devices.get(id.toLowerCase());
  if (!device) fail(notFoundText());
  return device as DeviceRecord;
}

/** Turns a posted downlink body into the stored JSON string; a string is taken as already-encoded JSON. */
function encodeDownlink(type: MessageType, body: unknown): string {
  if (typeof body === 'string') return body;
  if (type === 'data') {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) fail(validationError('body/body must be object'));
    return JSON.stringify(body);
  }
  const lines = bodyStringArray(body, 'body/body');
  if (type === 'config' && lines.some((l) => /^\s*config\s+save\b/.test(l))) {
    // The docs say never to include `config save`: the cloud adds it when it sends the batch.
    fail(validationError('body/body must not contain "config save"'));
  }
  return JSON.stringify(lines);
}

function createDownlink(ctx: CloudContext, device: DeviceRecord, type: MessageType, body: string): MessageRecord {
  const ms = ctx.now();
  const message: MessageRecord = {
    id: ctx.newId(ms),
    ms,
    deviceId: device.id,
    type,
    direction: 'down',
    body,
    raw: null,
    codecHash: type === 'data' ? device.encoderHash : null,
    downState: 'pending',
    downStateMs: null,
    downScheduledMs: null,
    downAttempt: 0,
  };
  ctx.store.addMessage(message);
  return message;
}

export function buildRouter(ctx: CloudContext): Router {
  const { store } = ctx;
  const router = new Router();
  const S = '/v2/spaces/:spaceId';

  // --- auth ----------------------------------------------------------------------------------
  router.post('/v2/auth/login', (req) => {
    try {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'email');
      requireField(body, 'password');
      if (body.email !== ctx.credentials.email || body.password !== ctx.credentials.password) return fastifyError(401, 'Invalid email or password');
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const iat = Math.floor(ctx.now() / 1000);
      const token = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: store.space.owner_id, email: ctx.credentials.email, iat, exp: iat + 86_400 })}.${ctx.newId(ctx.now()).replace(/-/g, '')}`;
      ctx.issuedTokens.add(token);
      return { status: 200, body: { access_token: token } };
    } catch (error) {
      if (error instanceof HttpFailure) return error.response;
      throw error;
    }
  });

  // --- spaces --------------------------------------------------------------------------------
  router.get('/v2/spaces/?', guard(ctx, (req) => ({ status: 200, body: pageAfterId([store.space], req.query) })));
  router.get(S, guard(ctx, () => ({ status: 200, body: store.space })));

  // --- devices -------------------------------------------------------------------------------
  const deviceFilters = (q: URLSearchParams) => {
    const tagIds = queryArray(q, 'tag_ids').map((id) => {
      if (!isUuid(id)) fail(validationError('querystring/tag_ids must match format "uuid"'));
      return id.toLowerCase();
    });
    return {
      name: queryString(q, 'name'),
      serialNumber: queryString(q, 'serial_number'),
      externalId: queryString(q, 'external_id'),
      tagIds,
      tagLogic: queryEnum(q, 'tag_filter_logic', ['any', 'all'] as const, 'any'),
    };
  };

  router.get(
    `${S}/devices/?`,
    guard(ctx, (req) => {
      const q = req.query;
      const devices = store.listDevices({
        ...deviceFilters(q),
        limit: queryLimit(q, LIMITS.devices.fallback, LIMITS.devices.max),
        offset: queryUuid(q, 'offset'),
        // Default order is id ascending (the order the official client asks for): creation order with UUIDv7.
        sortBy: queryEnum(q, 'sort_by', DEVICE_SORT_KEYS, 'id'),
        order: queryEnum(q, 'order_by', ['asc', 'desc'] as const, 'asc'),
      });
      return { status: 200, body: devices.map((d) => store.renderDevice(d)) };
    }),
  );

  router.get(`${S}/devices/count`, guard(ctx, (req) => ({ status: 200, body: { count: store.countDevices(deviceFilters(req.query)) } })));

  router.post(
    `${S}/devices/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      for (const field of ['name', 'serial_number', 'token']) requireField(body, field);
      const name = bodyName(body) as string;
      const serial = bodyString(body, 'serial_number', { pattern: /^[0-9]{1,20}$/ }) as string;
      const token = bodyString(body, 'token', { pattern: /^\S{1,128}$/ }) as string;
      const externalId = bodyString(body, 'external_id', { nullable: true, maxLength: 255 });
      const comment = bodyString(body, 'comment', { nullable: true, maxLength: 500 });
      const label = bodyLabel(body);
      const tagIds = bodyTagIds(body);
      checkTagsExist(store, tagIds);
      // One physical device can be claimed once; the emulator cannot know factory claim tokens, so any token is taken.
      if (store.deviceBySerial(serial)) return fastifyError(409, `Device with serial number ${serial} is already claimed`);
      const createdMs = ctx.now();
      const device: DeviceRecord = {
        id: ctx.newId(createdMs),
        name,
        comment: comment ?? null,
        serialNumber: serial,
        externalId: externalId ?? null,
        label: label ?? {},
        tagIds: tagIds ?? [],
        createdMs,
        lastSeenMs: null,
        sessionId: null,
        configHash: null,
        decoderHash: null,
        encoderHash: null,
        dashboardType: null,
        token,
        secret: null,
      };
      store.addDevice(device);
      return { status: 201, body: store.renderDevice(device) };
    }),
  );

  router.get(`${S}/devices/:deviceId`, guard(ctx, (req) => ({ status: 200, body: store.renderDevice(findDevice(store, req.params.deviceId)) })));

  router.put(
    `${S}/devices/:deviceId`,
    guard(ctx, (req) => {
      const device = findDevice(store, req.params.deviceId);
      const body = bodyObject(req.body, req.bodyInvalid);
      const name = bodyName(body);
      const comment = bodyString(body, 'comment', { nullable: true, maxLength: 500 });
      const externalId = bodyString(body, 'external_id', { nullable: true, maxLength: 255 });
      const label = bodyLabel(body);
      const tagIds = bodyTagIds(body);
      const secret = bodyString(body, 'secret', { nullable: true, pattern: /^[0-9a-fA-F]{2,128}$/ });
      bodyEnum(body, 'secret_type', ['psk'] as const);
      checkTagsExist(store, tagIds);
      if (name !== undefined) device.name = name;
      if (comment !== undefined) device.comment = comment;
      if (externalId !== undefined) device.externalId = externalId;
      // `label` and `tags` replace the whole set: the official client always sends the full map/list.
      if (label !== undefined) device.label = label;
      if (tagIds !== undefined) device.tagIds = tagIds;
      if (secret !== undefined) device.secret = secret;
      store.deviceChanged();
      return { status: 200, body: store.renderDevice(device) };
    }),
  );

  router.delete(
    `${S}/devices/:deviceId`,
    guard(ctx, (req) => {
      findDevice(store, req.params.deviceId);
      store.removeDevice(req.params.deviceId.toLowerCase());
      return { status: 204 };
    }),
  );

  // Per-device downlink shortcuts: each queues one downlink message and answers it (201).
  router.post(
    `${S}/devices/:deviceId/downlinks`,
    guard(ctx, (req) => {
      const device = findDevice(store, req.params.deviceId);
      const body = bodyObject(req.body, req.bodyInvalid);
      return { status: 201, body: store.renderMessage(createDownlink(ctx, device, 'data', JSON.stringify(body))) };
    }),
  );
  for (const [path, type] of [
    ['configs', 'config'],
    ['commands', 'shell'],
  ] as const) {
    router.post(
      `${S}/devices/:deviceId/${path}`,
      guard(ctx, (req) => {
        const device = findDevice(store, req.params.deviceId);
        if (req.bodyInvalid) bodyObject(req.body, true);
        const encoded = encodeDownlink(type, bodyStringArray(req.body, 'body'));
        return { status: 201, body: store.renderMessage(createDownlink(ctx, device, type, encoded)) };
      }),
    );
  }

  // --- messages ------------------------------------------------------------------------------
  router.get(
    `${S}/messages/?`,
    guard(ctx, (req) => {
      const q = req.query;
      const types = queryArray(q, 'type');
      for (const t of types) if (!(MESSAGE_TYPES as readonly string[]).includes(t)) fail(validationError('querystring/type must be equal to one of the allowed values'));
      const rawDirection = queryString(q, 'direction');
      if (rawDirection !== undefined && rawDirection !== 'up' && rawDirection !== 'down') fail(validationError('querystring/direction must be equal to one of the allowed values'));
      const list = store.listMessages({
        limit: queryLimit(q, LIMITS.messages.fallback, LIMITS.messages.max),
        offset: queryUuid(q, 'offset'),
        // Without `after` the API looks back 24 hours only (vendor docs).
        afterMs: queryTime(q, 'after') ?? ctx.now() - DAY,
        beforeMs: queryTime(q, 'before'),
        deviceId: queryUuid(q, 'device_id'),
        tagId: queryUuid(q, 'tag_id'),
        types: types.length > 0 ? new Set(types) : undefined,
        direction: rawDirection as 'up' | 'down' | undefined,
      });
      return { status: 200, body: list.map((m) => store.renderMessage(m)) };
    }),
  );

  router.get(
    `${S}/messages/:messageId`,
    guard(ctx, (req) => {
      const message = store.messagesById.get(req.params.messageId.toLowerCase());
      return message ? { status: 200, body: store.renderMessage(message) } : notFoundText();
    }),
  );

  const postMessage: Handler = (req) => {
    const body = bodyObject(req.body, req.bodyInvalid);
    for (const field of ['device_id', 'type', 'body']) requireField(body, field);
    if (typeof body.device_id !== 'string' || !isUuid(body.device_id)) fail(validationError('body/device_id must match format "uuid"'));
    const type = bodyEnum(body, 'type', DOWNLINK_TYPES) as MessageType;
    const device = findDevice(store, body.device_id as string);
    const encoded = encodeDownlink(type, body.body);
    return { status: 201, body: store.renderMessage(createDownlink(ctx, device, type, encoded)) };
  };
  router.post(`${S}/messages/?`, guard(ctx, postMessage));
  // Legacy form from 2024 docs (still named on a CHESTER page): not space-scoped, the credential's space is used.
  router.post('/v2/messages/?', guard(ctx, postMessage));

  // --- tags ----------------------------------------------------------------------------------
  const findTag = (id: string): TagRecord => {
    const tag = store.tags.get(id.toLowerCase());
    if (!tag) fail(notFoundText());
    return tag as TagRecord;
  };
  const tagNameTaken = (name: string, except?: string) => [...store.tags.values()].some((t) => t.name === name && t.id !== except);

  router.get(`${S}/tags/?`, guard(ctx, (req) => ({ status: 200, body: pageAfterId([...store.tags.values()], req.query).map((t) => store.renderTag(t)) })));
  router.post(
    `${S}/tags/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'name');
      const name = bodyName(body) as string;
      const color = bodyColor(body) ?? '#009cfa';
      const accessType = bodyEnum(body, 'access_type', ['write', 'read'] as const) ?? 'write';
      if (tagNameTaken(name)) return fastifyError(409, `Tag with name ${name} already exists`);
      const createdMs = ctx.now();
      const tag: TagRecord = { id: ctx.newId(createdMs), name, color, accessType, createdMs };
      store.tags.set(tag.id, tag);
      return { status: 201, body: store.renderTag(tag) };
    }),
  );
  router.get(`${S}/tags/:tagId`, guard(ctx, (req) => ({ status: 200, body: store.renderTag(findTag(req.params.tagId)) })));
  router.put(
    `${S}/tags/:tagId`,
    guard(ctx, (req) => {
      const tag = findTag(req.params.tagId);
      const body = bodyObject(req.body, req.bodyInvalid);
      const name = bodyName(body);
      const color = bodyColor(body);
      const accessType = bodyEnum(body, 'access_type', ['write', 'read'] as const);
      if (name !== undefined && tagNameTaken(name, tag.id)) return fastifyError(409, `Tag with name ${name} already exists`);
      if (name !== undefined) tag.name = name;
      if (color !== undefined) tag.color = color;
      if (accessType !== undefined) tag.accessType = accessType;
      return { status: 200, body: store.renderTag(tag) };
    }),
  );
  router.delete(
    `${S}/tags/:tagId`,
    guard(ctx, (req) => {
      findTag(req.params.tagId);
      store.removeTag(req.params.tagId.toLowerCase());
      return { status: 204 };
    }),
  );

  // --- connectors ----------------------------------------------------------------------------
  const findConnector = (id: string): ConnectorRecord => {
    const connector = store.connectors.get(id.toLowerCase());
    if (!connector) fail(notFoundText());
    return connector as ConnectorRecord;
  };
  const connectorFields = (body: JsonObject) => {
    const triggers = body.triggers;
    if (triggers !== undefined && (!Array.isArray(triggers) || !triggers.every((t) => (CONNECTOR_TRIGGERS as readonly unknown[]).includes(t)))) {
      fail(validationError('body/triggers must be array of data, session, config, stats, codec'));
    }
    const tagIds = bodyTagIds(body);
    checkTagsExist(store, tagIds);
    const timeout = body.timeout;
    if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 0)) fail(validationError('body/timeout must be integer >= 0'));
    return {
      name: bodyName(body),
      type: bodyEnum(body, 'type', ['webhook'] as const),
      direction: bodyEnum(body, 'direction', ['up', 'down'] as const),
      state: bodyEnum(body, 'state', ['enabled', 'disabled'] as const),
      triggers: triggers as ConnectorTrigger[] | undefined,
      tagIds,
      transformation: bodyString(body, 'transformation') ?? undefined,
      retryDelays: bodyIntArray(body, 'retry_delays'),
      timeout: timeout as number | undefined,
    };
  };
  const updateConnector = (connector: ConnectorRecord, body: JsonObject): EmulatorResponse => {
    const f = connectorFields(body);
    if (f.name !== undefined) connector.name = f.name;
    if (f.direction !== undefined) connector.direction = f.direction;
    if (f.state !== undefined) connector.state = f.state;
    if (f.triggers !== undefined) connector.triggers = [...new Set(f.triggers)];
    if (f.tagIds !== undefined) connector.tagIds = f.tagIds;
    if (f.transformation !== undefined) connector.transformation = f.transformation;
    if (f.retryDelays !== undefined) connector.retryDelays = f.retryDelays;
    if (f.timeout !== undefined) connector.timeout = f.timeout;
    return { status: 200, body: store.renderConnector(connector) };
  };

  router.get(`${S}/connectors/?`, guard(ctx, (req) => ({ status: 200, body: pageAfterId([...store.connectors.values()], req.query).map((c) => store.renderConnector(c)) })));
  router.post(
    `${S}/connectors/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'name');
      const f = connectorFields(body);
      const createdMs = ctx.now();
      const connector: ConnectorRecord = {
        id: ctx.newId(createdMs),
        name: f.name as string,
        direction: f.direction ?? 'up',
        state: f.state ?? 'enabled',
        triggers: f.triggers ? [...new Set(f.triggers)] : ['data'],
        tagIds: f.tagIds ?? [],
        transformation: f.transformation ?? DEFAULT_TRANSFORMATION,
        retryDelays: f.retryDelays ?? [...DEFAULT_RETRY_DELAYS],
        timeout: f.timeout ?? 0,
        createdMs,
      };
      store.connectors.set(connector.id, connector);
      return { status: 201, body: store.renderConnector(connector) };
    }),
  );
  router.get(`${S}/connectors/:connectorId`, guard(ctx, (req) => ({ status: 200, body: store.renderConnector(findConnector(req.params.connectorId)) })));
  router.put(`${S}/connectors/:connectorId`, guard(ctx, (req) => updateConnector(findConnector(req.params.connectorId), bodyObject(req.body, req.bodyInvalid))));
  // HARDWARIO's .NET client PUTs to the collection with the id in the body; accept that form too.
  router.put(
    `${S}/connectors/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'id');
      if (typeof body.id !== 'string') fail(validationError('body/id must be string'));
      return updateConnector(findConnector(body.id as string), body);
    }),
  );
  router.delete(
    `${S}/connectors/:connectorId`,
    guard(ctx, (req) => {
      findConnector(req.params.connectorId);
      store.connectors.delete(req.params.connectorId.toLowerCase());
      return { status: 204 };
    }),
  );

  return router;
}
