import type { EmulatorRequest, EmulatorResponse } from '@devicegate/emulators/kit';
import type { OAuthClient, RateLimiter, TokenIssuer } from './blynk.auth.js';
import type { BlynkStore } from './blynk.store.js';
import type { StoredDevice } from './blynk.types.js';

export const V1 = '/api/v1/organization';

const MAX_PAGE_SIZE = 1000;

const DEFAULT_PAGE_SIZE = 50;

const MAX_NAME_LENGTH = 50;

/** Who is calling: the organization of the OAuth client and everything below it. */
export interface CallContext {
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

export const NO_CONTENT: EmulatorResponse = { status: 204 };

const deviceNotFound = (id: number) => blynkError(404, `Device with identifier ${id} is not found or belong to another organization.`);

export const orgNotFound = () => blynkError(404, "Organization is not found or you don't have access to it.");

export const userNotFound = () => blynkError(404, "User is not found or you don't have access to him.");

export const invalidBody = () => blynkError(400, 'Invalid request body.');

// "Letters" and "digits" in any script: the rule names character classes, not ASCII ranges.
const NAME_PATTERN = /^[\p{L}\p{Nd} '_-]+$/u;

/** The vendor's device name rule; returns the error message, or undefined when the name is fine. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim().length === 0) return 'Device name is empty.';
  if (name.length > MAX_NAME_LENGTH) return `Device name should be up to ${MAX_NAME_LENGTH} symbols in length.`;
  if (!NAME_PATTERN.test(name)) return 'Device name may contain only letters, digits, spaces, apostrophes, underscores and hyphens.';
  return undefined;
}

/** An integer query parameter: undefined when absent, NaN when not an integer. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  return /^-?\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
}

/** An integer body field; JSON numbers and numeric strings both bind to an int, as Jackson does. */
export function intField(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

export function objectBody(req: EmulatorRequest): Record<string, unknown> | undefined {
  if (req.bodyInvalid || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return undefined;
  return req.body as Record<string, unknown>;
}

interface Paging {
  page: number;
  size: number;
}

export function paging(query: URLSearchParams): Paging | EmulatorResponse {
  const page = intParam(query, 'page') ?? 0;
  const size = intParam(query, 'size') ?? DEFAULT_PAGE_SIZE;
  if (Number.isNaN(page) || page < 0) return blynkError(400, 'Page number should be a non-negative integer.');
  if (Number.isNaN(size) || size < 1) return blynkError(400, 'Page size should be a positive integer.');
  if (size > MAX_PAGE_SIZE) return blynkError(400, 'requested page size is too big');
  return { page, size };
}

export const isResponse = (value: unknown): value is EmulatorResponse => typeof value === 'object' && value !== null && 'status' in value;

/** Blynk's page wrapper: the slice plus the total count; a page past the end is simply empty. */
export function pageOf<T, J>(items: readonly T[], p: Paging, map: (item: T) => J): EmulatorResponse {
  const start = p.page * p.size;
  return { status: 200, body: { content: items.slice(start, start + p.size).map(map), totalElements: items.length } };
}

export function parseBoolean(raw: string | null): boolean | undefined | null {
  if (raw === null || raw === '') return undefined;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  return null;
}

/** What every resource's routes share: the dependencies, the API guard (token, scope, rate limit) and the look-ups by caller. */
export function blynkRoutes(deps: RouteDeps) {
  const { store, tokens, limiter, clock } = deps;

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

  return { ...deps, api, findDevice, queryDevice, scopeOrg, userByEmail, summary };
}

/** What every resource's routes share. */
export type BlynkRoutes = ReturnType<typeof blynkRoutes>;
