import type { CallContext, Order } from '@devicegate/core';
import { expectArray, expectObject, type HttpClient, type HttpRequest, type HttpResponse } from '@devicegate/http-client';
import { izumaError, shapeError, type ErrorAttribution, type ErrorScene } from './izuma.errors.js';
import { GatewayError, isGatewayError } from '@devicegate/errors';
import type { IzAccount, IzDevice, IzDeviceCreate, IzDeviceEvent, IzDeviceRequest, IzDeviceRequestOptions, IzDeviceUpdate, IzEcho, IzPage } from './izuma.types.js';

/** The vendor's page-size bounds (spec: `limit` 2–1000; values outside are clamped by the service too). */
export const MIN_LIMIT = 2;
export const MAX_LIMIT = 1000;

export const clampLimit = (pageSize: number): number => Math.min(MAX_LIMIT, Math.max(MIN_LIMIT, Math.floor(pageSize)));

/** Arguments of a v3 list call. */
export interface ListCall {
  limit: number;
  order: Order;
  after?: string | null;
  includeTotal?: boolean;
  /** Filter parameters from the push-down. */
  filters: Array<[string, string]>;
}

/** Extra facts for error mapping of one call. */
type Hints = Omit<ErrorScene, keyof ErrorAttribution>;

/**
 * Wire calls to Izuma Device Management. Paths are written as the spec defines each operation: the Device
 * Directory with a trailing slash (`/v3/devices/`, `/v3/devices/{id}/`, `/v3/device-events/`), Connect and IAM
 * without (`/v2/device-requests/{device-id}`, `/v3/accounts/me`). Authentication is a bearer access key.
 */
export class IzumaClient {
  constructor(
    private readonly http: HttpClient,
    private readonly apiKey: string,
    private readonly who: ErrorAttribution,
  ) {}

  /** `Authorization: Bearer ak_…` (reference §2). */
  authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  async getAccount(ctx: CallContext): Promise<IzAccount> {
    const res = await this.call({ method: 'GET', path: '/v3/accounts/me' }, ctx, 200);
    return expectObject<IzAccount>(res.json<unknown>(), this.who, res.status, 'account without id', (account) => typeof account.id === 'string');
  }

  async listDevices(call: ListCall, ctx: CallContext): Promise<IzPage<IzDevice>> {
    const res = await this.call({ method: 'GET', path: '/v3/devices/', query: listQuery(call) }, ctx, 200);
    return this.page<IzDevice>(res, 'device list');
  }

  async getDevice(id: string, ctx: CallContext): Promise<IzDevice> {
    const res = await this.call({ method: 'GET', path: devicePath(id) }, ctx, 200, { byId: true });
    const device = this.device(res);
    // An answer about another device is a vendor fault, not that device (ids are hex: case does not matter).
    if (device.id.toLowerCase() !== id.toLowerCase()) throw shapeError(this.who, res.status, 'device of another id');
    return device;
  }

  /** The Device Echo object; null when Device Echo holds nothing for the device (404). */
  async getEcho(id: string, ctx: CallContext): Promise<IzEcho | null> {
    try {
      const res = await this.call({ method: 'GET', path: `/v3/devices/${encodeURIComponent(id)}/echo` }, ctx, 200, { byId: true });
      return expectObject<IzEcho>(res.json<unknown>(), this.who, res.status, 'device echo that is not an object');
    } catch (error) {
      if (isGatewayError(error) && error.type === 'not_found') return null;
      throw error;
    }
  }

  async createDevice(body: IzDeviceCreate, fieldNames: Record<string, string>, ctx: CallContext): Promise<IzDevice> {
    const res = await this.call({ method: 'POST', path: '/v3/devices/', json: body }, ctx, 201, { fields: fieldNames, badRequest: 'validation_error' });
    return this.device(res);
  }

  async updateDevice(id: string, body: IzDeviceUpdate, fieldNames: Record<string, string>, ctx: CallContext): Promise<IzDevice> {
    const res = await this.call({ method: 'PUT', path: devicePath(id), json: body }, ctx, 200, { fields: fieldNames, badRequest: 'validation_error', byId: true });
    return this.device(res);
  }

  async deleteDevice(id: string, ctx: CallContext): Promise<void> {
    // A 400 here means the device has a production certificate and may not be deleted (spec): the state forbids it.
    await this.call({ method: 'DELETE', path: devicePath(id) }, ctx, 204, { badRequest: 'conflict', byId: true });
  }

  async listEvents(call: ListCall, ctx: CallContext): Promise<IzPage<IzDeviceEvent>> {
    const res = await this.call({ method: 'GET', path: '/v3/device-events/', query: listQuery(call) }, ctx, 200);
    return this.page<IzDeviceEvent>(res, 'device event list');
  }

  /** `POST /v2/device-requests/{device-id}?async-id=…` → 202; the result arrives later on a notification channel. */
  async sendDeviceRequest(deviceId: string, asyncId: string, body: IzDeviceRequest, options: IzDeviceRequestOptions, ctx: CallContext): Promise<void> {
    const query: Record<string, string | number> = { 'async-id': asyncId, ...options };
    const fieldNames = { method: 'name', uri: 'params.uri', 'payload-b64': 'params.payload', 'content-type': 'params.content_type', accept: 'params.accept' };
    await this.call(
      { method: 'POST', path: `/v2/device-requests/${encodeURIComponent(deviceId)}`, query, json: body },
      ctx,
      202,
      { fields: fieldNames, badRequest: 'validation_error' },
    );
  }

  /**
   * `PUT /v2/notification/websocket` (§6.4) with `uid` and `timestamp` in every item and de-registrations
   * as objects (so they carry a `uid` too): 201 created, 200 already there (the service then keeps the
   * options it was created with). 400: the key has another channel type, which only its owner may remove.
   */
  async registerWebsocket(ctx: CallContext): Promise<void> {
    const serialization = { type: 'v2', max_chunk_size: 10_000, cfg: { include_uid: true, include_timestamp: true, deregistrations_as_object: true } };
    const res = await this.http.request({ method: 'PUT', path: '/v2/notification/websocket', json: { serialization }, headers: this.authHeaders() }, ctx);
    if (res.status === 200 || res.status === 201) return;
    if (res.status === 400) {
      throw new GatewayError('upstream_error', "The access key already has another notification channel (callback or long poll); pull mode needs a WebSocket channel: delete the other one first.", { ...this.who, upstreamStatus: 400 });
    }
    throw izumaError(res, { ...this.who });
  }

  private async call(req: HttpRequest, ctx: CallContext, expected: number, hints: Hints = {}): Promise<HttpResponse> {
    const res = await this.http.request({ ...req, headers: { ...this.authHeaders(), ...(req.headers ?? {}) } }, ctx);
    if (res.status === expected) return res;
    if (res.status >= 200 && res.status < 300) {
      // Another success code than the spec's: accepted, the body is checked where it is read.
      return res;
    }
    throw izumaError(res, { ...this.who, ...hints });
  }

  private page<T extends { id: string }>(res: HttpResponse, what: string): IzPage<T> {
    const body = expectObject<IzPage<T>>(res.json<unknown>(), this.who, res.status, `${what} without data`, (page) => Array.isArray(page.data));
    expectArray(body.data, this.who, res.status, `${what} item without id`, hasId);
    return body;
  }

  private device(res: HttpResponse): IzDevice {
    return expectObject<IzDevice>(res.json<unknown>(), this.who, res.status, 'device without id', hasId);
  }
}

/** Izuma objects are identified by a non-empty string id. */
const hasId = (body: Record<string, unknown>): boolean => typeof body.id === 'string' && body.id !== '';

const devicePath = (id: string): string => `/v3/devices/${encodeURIComponent(id)}/`;

function listQuery(call: ListCall): URLSearchParams {
  const query = new URLSearchParams();
  query.set('limit', String(clampLimit(call.limit)));
  query.set('order', call.order);
  if (call.after) query.set('after', call.after);
  if (call.includeTotal) query.set('include', 'total_count');
  for (const [name, value] of call.filters) query.append(name, value);
  return query;
}
