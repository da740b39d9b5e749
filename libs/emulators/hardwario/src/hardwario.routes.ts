import type { EmulatorRequest, EmulatorResponse } from '@devicegate/emulators/kit';
import { fail, fastifyError, HttpFailure, notFoundText, validationError } from './hardwario.errors.js';
import type { DeviceRecord, HardwarioStore, MessageRecord } from './hardwario.store.js';
import type { MessageType } from './hardwario.types.js';
import { bodyStringArray, queryLimit, queryUuid } from './hardwario.validate.js';

/** Page sizes. Messages: default 20, max 100 (vendor docs and client). Others are undocumented: 100 / 500 (docs page devices with limit=500). */
export const LIMITS = {
  messages: { fallback: 20, max: 100 },
  devices: { fallback: 100, max: 500 },
  other: { fallback: 100, max: 500 },
} as const;

export const DEFAULT_RETRY_DELAYS = [10, 30, 60, 600, 1800, 3600, 10800, 21600, 43200];

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

/** The space every space-scoped path hangs off. */
export const SPACE = '/v2/spaces/:spaceId';

export type Handler = (req: EmulatorRequest) => EmulatorResponse;

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
export function guard(ctx: CloudContext, handler: Handler): Handler {
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

export function pageAfterId<T extends { id: string }>(items: readonly T[], query: URLSearchParams): T[] {
  const limit = queryLimit(query, LIMITS.other.fallback, LIMITS.other.max);
  const offset = queryUuid(query, 'offset');
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
  const start = offset === undefined ? 0 : sorted.findIndex((x) => x.id > offset);
  return start < 0 ? [] : sorted.slice(start, start + limit);
}

export function checkTagsExist(store: HardwarioStore, ids: readonly string[] | undefined): void {
  for (const id of ids ?? []) if (!store.tags.has(id)) fail(validationError(`body/tags: tag ${id} does not exist in this space`));
}

export function findDevice(store: HardwarioStore, id: string): DeviceRecord {
  const device = store.devices.get(id.toLowerCase());
  if (!device) fail(notFoundText());
  return device as DeviceRecord;
}

/** Turns a posted downlink body into the stored JSON string; a string is taken as already-encoded JSON. */
export function encodeDownlink(type: MessageType, body: unknown): string {
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

export function createDownlink(ctx: CloudContext, device: DeviceRecord, type: MessageType, body: string): MessageRecord {
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
