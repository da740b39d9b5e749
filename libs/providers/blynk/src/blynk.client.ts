import type { CallContext } from '@devicegate/core';
import { expectArray, expectObject, TokenCache, type HttpClient, type HttpRequest, type HttpResponse, type IssuedToken } from '@devicegate/http-client';
import { shapeError, tokenError, vendorError, type ErrorAttribution, type ErrorHints } from './blynk.errors.js';
import type {
  BlynkCreateDeviceBody,
  BlynkDatastreamBody,
  BlynkDevice,
  BlynkDeviceBaseInfo,
  BlynkDeviceFull,
  BlynkDeviceListQuery,
  BlynkDeviceSearchQuery,
  BlynkDeviceTag,
  BlynkOnline,
  BlynkTemplateDataStream,
  BlynkTemplateEvent,
  BlynkTimelineEvent,
  BlynkTimelineQuery,
  BlynkToken,
  BlynkTransferToOrganizationBody,
  BlynkTransferToOwnerBody,
  BlynkTriggerEventBody,
} from './blynk.types.js';

const API = '/api/v1/organization';
/** Token endpoint on the same host as the API (§2.1). */
const TOKEN_PATH = '/oauth2/token';
/** Lifetime assumed when a token answer lacks `expires_in` (the legacy example showed 300 s). */
const FALLBACK_TTL_S = 300;

export interface BlynkCredentials {
  clientId: string;
  clientSecret: string;
}

/** A parsed vendor page (`BlynkPage`), with `totalElements` only when the vendor sent a number. */
export interface VendorList<T> {
  content: T[];
  total?: number;
}

const isDevice = (item: Record<string, unknown>): boolean => typeof item.id === 'number' && typeof item.orgId === 'number';
const isEvent = (item: Record<string, unknown>): boolean => typeof item.ts === 'number';

/**
 * What a revoked or expired bearer token gets is not documented: the Devices reference lists 400, 403, 404,
 * 429 and 500 only (blynkkk/docs `blynk.cloud/platform-https-api/devices-api/*.md`; vendor notes §7.10),
 * and the OAuth2 spec's usual answer is 401. Both are taken as "refused": a cached token is then replaced
 * and the call repeated once, so neither answer leaves callers failing until the token's lifetime ends.
 * A 403 that a fresh token gets too (a client without the Platform API scope, which blynk-cli's tests
 * captured live) is passed on, and the token cache stops re-trying such refusals for a while.
 */
const tokenRefused = (response: HttpResponse): boolean => response.status === 401 || response.status === 403;

/**
 * Wire calls of the Blynk.Cloud Platform API with OAuth2 client-credentials auth (§2).
 *
 * The access token is cached until shortly before `expires_in` runs out. Token requests are single-flight:
 * however many calls need a token at once, one `POST /oauth2/token` serves them all.
 */
export class BlynkClient {
  private readonly tokens = new TokenCache((ctx) => this.requestToken(ctx));

  constructor(
    private readonly http: HttpClient,
    private readonly credentials: BlynkCredentials,
    private readonly who: ErrorAttribution,
  ) {}

  // ── auth ─────────────────────────────────────────────────────────────────

  /** `Authorization: Bearer …` for a raw vendor call (passthrough). */
  async authHeaders(ctx: CallContext): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.tokens.get(ctx)}` };
  }

  private async requestToken(ctx: CallContext): Promise<IssuedToken> {
    const basic = Buffer.from(`${this.credentials.clientId}:${this.credentials.clientSecret}`, 'utf8').toString('base64');
    const response = await this.http.request(
      {
        method: 'POST',
        path: TOKEN_PATH,
        query: { grant_type: 'client_credentials' },
        headers: { authorization: `Basic ${basic}` },
        // Asking for a token twice is harmless, so network failures and 5xx may be retried.
        idempotent: true,
      },
      ctx,
    );
    if (response.status < 200 || response.status >= 300) throw tokenError(response, this.who, this.secrets());
    const token = expectObject<BlynkToken>(response.json<unknown>(), this.who, response.status, 'token answer without access_token', (body) => typeof body.access_token === 'string' && body.access_token !== '');
    const ttlMs = (typeof token.expires_in === 'number' && token.expires_in > 0 ? token.expires_in : FALLBACK_TTL_S) * 1000;
    return { token: token.access_token, ttlMs };
  }

  /** Values that must never show in an error message. */
  private secrets(): string[] {
    const { clientId, clientSecret } = this.credentials;
    const basic = Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64');
    return [clientSecret, clientId, basic, ...this.tokens.recentTokens()];
  }

  /** One authenticated call; answers the 2xx response or throws the mapped GatewayError. */
  private async call(request: HttpRequest, ctx: CallContext, hints?: ErrorHints): Promise<HttpResponse> {
    const send = (token: string) => this.http.request({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }, ctx);
    const response = await this.tokens.send(ctx, send, tokenRefused);
    if (response.status >= 200 && response.status < 300) return response;
    throw vendorError(response, this.who, this.secrets(), hints);
  }

  /** A JSON object answer (checked to be an object; arrays are refused). */
  private async object<T>(request: HttpRequest, ctx: CallContext, what: string, hints?: ErrorHints): Promise<T> {
    const response = await this.call(request, ctx, hints);
    return expectObject<T>(response.json<unknown>(), this.who, response.status, what);
  }

  /** A `{content, totalElements}` answer whose items all pass `valid`; `total` is left out when the vendor omits it. */
  private async page<T>(
    request: HttpRequest,
    ctx: CallContext,
    what: string,
    valid: (item: Record<string, unknown>) => boolean,
    hints?: ErrorHints,
  ): Promise<VendorList<T>> {
    const response = await this.call(request, ctx, hints);
    const body = expectObject(response.json<unknown>(), this.who, response.status, `${what} without a content array`, (page) => Array.isArray(page.content));
    const content = expectArray<T>(body.content, this.who, response.status, `${what} with a malformed item`, valid);
    const total = typeof body.totalElements === 'number' && Number.isFinite(body.totalElements) ? body.totalElements : undefined;
    return { content, total };
  }

  private device<T extends BlynkDevice>(body: T, status: number, what: string): T {
    if (typeof body.id !== 'number' || typeof body.orgId !== 'number') throw shapeError(this.who, status, `${what} without a numeric id and orgId`);
    return body;
  }

  // ── devices ──────────────────────────────────────────────────────────────

  /** `GET /api/v1/organization/devices`. A 404 means the organization is not reachable: `notFound` decides how it is reported. */
  listDevices(query: BlynkDeviceListQuery, ctx: CallContext, notFound?: ErrorHints['notFound']): Promise<VendorList<BlynkDevice>> {
    return this.page<BlynkDevice>({ method: 'GET', path: `${API}/devices`, query: { ...query } }, ctx, 'device list', isDevice, { badRequest: 'upstream', notFound });
  }

  /** `GET /api/v1/organization/search/devices`. */
  searchDevices(query: BlynkDeviceSearchQuery, ctx: CallContext): Promise<VendorList<BlynkDevice>> {
    return this.page<BlynkDevice>({ method: 'GET', path: `${API}/search/devices`, query: { ...query } }, ctx, 'device search', isDevice, { badRequest: 'upstream' });
  }

  /** `GET /api/v1/organization/device?deviceId=` (with current datastream and metafield values). */
  async getDevice(deviceId: number, ctx: CallContext): Promise<BlynkDeviceFull> {
    const body = await this.object<BlynkDeviceFull>({ method: 'GET', path: `${API}/device`, query: { deviceId } }, ctx, 'device');
    return this.sameDevice(this.device(body, 200, 'device'), deviceId, 'device');
  }

  /** `GET /api/v1/organization/device/baseInfo?deviceId=` (the device without current values). */
  async getDeviceBaseInfo(deviceId: number, ctx: CallContext): Promise<BlynkDeviceBaseInfo> {
    const body = await this.object<BlynkDeviceBaseInfo>({ method: 'GET', path: `${API}/device/baseInfo`, query: { deviceId } }, ctx, 'device base info');
    return this.sameDevice(this.device(body, 200, 'device base info'), deviceId, 'device base info');
  }

  /** A single-device answer about another device is a vendor fault; its id must not steer later calls. */
  private sameDevice<T extends { id: number }>(device: T, deviceId: number, what: string): T {
    if (device.id !== deviceId) throw shapeError(this.who, 200, `${what} of another id`);
    return device;
  }

  /** `PUT /api/v1/organization/device?deviceId=` with `{name}`; answers the device. */
  async renameDevice(deviceId: number, name: string, ctx: CallContext): Promise<BlynkDeviceFull> {
    const body = await this.object<BlynkDeviceFull>({ method: 'PUT', path: `${API}/device`, query: { deviceId }, json: { name } }, ctx, 'renamed device', {
      badRequest: [{ name: 'name', message: 'was refused by the vendor' }],
    });
    return this.device(body, 200, 'renamed device');
  }

  /** `DELETE /api/v1/organization/device?deviceId=` → 204. */
  async deleteDevice(deviceId: number, ctx: CallContext): Promise<void> {
    await this.call({ method: 'DELETE', path: `${API}/device`, query: { deviceId } }, ctx);
  }

  /** `POST /api/v1/organization/device/create` → 200/201 with the device (full shape: no base-info flag is sent). */
  async createDevice(body: BlynkCreateDeviceBody, ctx: CallContext): Promise<BlynkDeviceFull> {
    const created = await this.object<BlynkDeviceFull>({ method: 'POST', path: `${API}/device/create`, json: body }, ctx, 'created device');
    return this.device(created, 201, 'created device');
  }

  /** `GET /api/v1/organization/device/online?deviceId=` → `{connected}`. */
  async getOnline(deviceId: number, ctx: CallContext): Promise<BlynkOnline> {
    const body = await this.object<BlynkOnline>({ method: 'GET', path: `${API}/device/online`, query: { deviceId } }, ctx, 'online status');
    if (typeof body.connected !== 'boolean') throw shapeError(this.who, 200, 'online status without a boolean connected');
    return body;
  }

  /** `GET /api/v1/organization/device/tags?deviceId=` → array of `{id, name, …}`. */
  async getTags(deviceId: number, ctx: CallContext): Promise<BlynkDeviceTag[]> {
    const response = await this.call({ method: 'GET', path: `${API}/device/tags`, query: { deviceId } }, ctx);
    return expectArray<BlynkDeviceTag>(response.json<unknown>(), this.who, response.status, 'device tags that are not an array of named tags', (tag) => typeof tag.name === 'string');
  }

  /** `GET /api/v1/organization/template/events?templateId=` (numeric id) → the template's events. */
  templateEvents(templateId: number, ctx: CallContext): Promise<BlynkTemplateEvent[]> {
    return this.list<BlynkTemplateEvent>({ method: 'GET', path: `${API}/template/events`, query: { templateId } }, ctx, 'template events', (e) => typeof e.id === 'number');
  }

  /** `GET /api/v1/organization/template/datastreams?templateId=` (numeric id) → the template's datastreams. */
  templateDataStreams(templateId: number, ctx: CallContext): Promise<BlynkTemplateDataStream[]> {
    return this.list<BlynkTemplateDataStream>({ method: 'GET', path: `${API}/template/datastreams`, query: { templateId } }, ctx, 'template datastreams', (d) => typeof d.id === 'number');
  }

  /** A JSON array answer whose items are objects passing `valid`. */
  private async list<T>(request: HttpRequest, ctx: CallContext, what: string, valid: (item: Record<string, unknown>) => boolean): Promise<T[]> {
    const response = await this.call(request, ctx);
    return expectArray<T>(response.json<unknown>(), this.who, response.status, `${what} that are not an array of objects with ids`, valid);
  }

  /** `GET /api/v1/organization/device/timeline`; a 400 is reported as `upstream_error` (the caller's input is never sent as is). */
  timeline(query: BlynkTimelineQuery, ctx: CallContext): Promise<VendorList<BlynkTimelineEvent>> {
    return this.page<BlynkTimelineEvent>({ method: 'GET', path: `${API}/device/timeline`, query: { ...query } }, ctx, 'device timeline', isEvent, {
      badRequest: 'upstream',
    });
  }

  /** `POST /api/v1/organization/device/transfer/to-owner` → 204. */
  async transferToOwner(body: BlynkTransferToOwnerBody, ctx: CallContext): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/device/transfer/to-owner`, json: body }, ctx, {
      badRequest: [{ name: 'owner_user_id', message: 'was refused by the vendor' }],
    });
  }

  /** `POST /api/v1/organization/device/transfer/to-organization` → 204. */
  async transferToOrganization(body: BlynkTransferToOrganizationBody, ctx: CallContext): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/device/transfer/to-organization`, json: body }, ctx, {
      badRequest: [{ name: 'project_id', message: 'was refused by the vendor' }],
    });
  }

  /** `POST /api/v1/organization/device/trigger-event` → 204. */
  async triggerEvent(body: BlynkTriggerEventBody, ctx: CallContext): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/device/trigger-event`, json: body }, ctx, {
      badRequest: [{ name: 'params', message: 'the vendor refused the event code or description' }],
    });
  }

  /** `POST /api/v1/organization/device/datastream` → 204. */
  async setDatastream(body: BlynkDatastreamBody, ctx: CallContext): Promise<void> {
    await this.call({ method: 'POST', path: `${API}/device/datastream`, json: body }, ctx, {
      badRequest: [{ name: 'params', message: 'the vendor refused the datastream id or value' }],
    });
  }
}
