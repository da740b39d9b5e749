import { isObject, type CallContext } from '@devicegate/core';
import { expectArray, expectObject, type HttpClient, type HttpRequest, type HttpResponse } from '@devicegate/http-client';
import { shapeError, vendorError, type ErrorAttribution } from './hardwario.errors.js';
import type {
  HwCreateDeviceBody,
  HwDevice,
  HwDeviceListQuery,
  HwDownlinkEndpoint,
  HwMessage,
  HwMessageListQuery,
  HwSpace,
  HwTag,
  HwUpdateDeviceBody,
} from './hardwario.types.js';

/** The API key header (§2.1). HTTP header names are case-insensitive; the docs' own spelling is used. */
export const API_KEY_HEADER = 'X-Api-Key';

/** Largest page the tag list is asked for: the .NET client's value (§3). */
const TAG_PAGE = 100;

/** Every HARDWARIO object the client reads is identified by a string id. */
const hasId = (body: Record<string, unknown>): boolean => typeof body.id === 'string';

/**
 * The wire calls of one HARDWARIO connection, scoped to its space. Every non-2xx answer becomes a
 * GatewayError here; answers that do not fit the documented shape become `upstream_error`.
 */
export class HardwarioClient {
  private readonly base: string;
  /** What authenticates this client's own calls: one object for all of them (the HTTP client copies it). */
  private readonly auth: Readonly<Record<string, string>>;

  constructor(
    private readonly http: HttpClient,
    spaceId: string,
    private readonly apiKey: string,
    private readonly who: ErrorAttribution,
  ) {
    this.base = `/v2/spaces/${encodeURIComponent(spaceId)}`;
    this.auth = Object.freeze(this.authHeaders());
  }

  /** Headers that authenticate any call of this connection (passthrough too). */
  authHeaders(): Record<string, string> {
    return { [API_KEY_HEADER]: this.apiKey };
  }

  async getSpace(ctx: CallContext): Promise<HwSpace> {
    const res = await this.call({ method: 'GET', path: this.base }, ctx);
    return this.object<HwSpace>(res, 'space');
  }

  /**
   * `GET …/devices/count`. Its shape is undocumented (a number or `{count}` are the likely forms), and the
   * count is a nice-to-have on a project, so any failure or unknown shape yields null instead of an error.
   */
  async countDevices(ctx: CallContext): Promise<number | null> {
    let res: HttpResponse;
    try {
      res = await this.http.request({ method: 'GET', path: `${this.base}/devices/count`, headers: this.auth }, ctx);
    } catch {
      return null;
    }
    if (res.status < 200 || res.status >= 300) return null;
    let body: unknown;
    try {
      body = res.json();
    } catch {
      return null;
    }
    const value = isObject(body) ? (body.count ?? body.total) : body;
    const count = typeof value === 'string' ? Number(value) : value;
    return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : null;
  }

  async listDevices(query: HwDeviceListQuery, ctx: CallContext): Promise<HwDevice[]> {
    const res = await this.call({ method: 'GET', path: `${this.base}/devices`, query: { ...query } }, ctx);
    return this.array<HwDevice>(res, 'device list');
  }

  async getDevice(deviceId: string, ctx: CallContext): Promise<HwDevice> {
    // The single-device read, without `call`'s own async frame in between.
    const res = this.succeeded(await this.http.request({ method: 'GET', path: this.devicePath(deviceId), headers: this.auth }, ctx));
    const device = this.object<HwDevice>(res, 'device');
    // An answer about another device is a vendor fault, not that device (ids are UUIDs: case does not matter).
    if (device.id !== deviceId && device.id.toLowerCase() !== deviceId.toLowerCase()) throw shapeError(this.who, res.status, 'device of another id');
    return device;
  }

  async createDevice(body: HwCreateDeviceBody, ctx: CallContext): Promise<HwDevice> {
    const res = await this.call({ method: 'POST', path: `${this.base}/devices`, json: body }, ctx);
    return this.object<HwDevice>(res, 'device');
  }

  /** `PUT …/devices/{id}`. Returns the updated device, or null when the vendor answers without one. */
  async updateDevice(deviceId: string, body: HwUpdateDeviceBody, ctx: CallContext): Promise<HwDevice | null> {
    const res = await this.call({ method: 'PUT', path: this.devicePath(deviceId), json: body }, ctx);
    return this.optionalObject<HwDevice>(res);
  }

  async deleteDevice(deviceId: string, ctx: CallContext): Promise<void> {
    await this.call({ method: 'DELETE', path: this.devicePath(deviceId) }, ctx);
  }

  /**
   * Every tag of the space. Tags page like devices (`limit` + `offset` = last id, §3) per the reference's
   * inference; a page that repeats an id already seen stops the loop, in case a server ignores `offset`.
   */
  async listTags(ctx: CallContext): Promise<HwTag[]> {
    const tags: HwTag[] = [];
    const seen = new Set<string>();
    let offset: string | undefined;
    for (;;) {
      const res = await this.call({ method: 'GET', path: `${this.base}/tags`, query: { limit: TAG_PAGE, offset } }, ctx);
      const page = expectArray<HwTag>(res.json<unknown>(), this.who, res.status, 'tag list', (tag) => typeof tag.id === 'string' && typeof tag.name === 'string');
      let fresh = 0;
      for (const tag of page) {
        if (seen.has(tag.id)) continue;
        seen.add(tag.id);
        tags.push(tag);
        fresh += 1;
      }
      if (page.length < TAG_PAGE || fresh === 0) return tags;
      offset = page[page.length - 1].id;
    }
  }

  async listMessages(query: HwMessageListQuery, ctx: CallContext): Promise<HwMessage[]> {
    const res = await this.call({ method: 'GET', path: `${this.base}/messages`, query: { ...query } }, ctx);
    const messages = this.array<HwMessage>(res, 'message list');
    for (const message of messages) this.checkMessage(message, res.status);
    return messages;
  }

  async getMessage(messageId: string, ctx: CallContext): Promise<HwMessage> {
    const res = await this.call({ method: 'GET', path: `${this.base}/messages/${encodeURIComponent(messageId)}` }, ctx);
    return this.checkMessage(this.object<HwMessage>(res, 'message'), res.status);
  }

  /** A message without a readable receive time cannot be placed in the newest-first order. */
  private checkMessage(message: HwMessage, status: number): HwMessage {
    if (typeof message.created_at !== 'string' || Number.isNaN(Date.parse(message.created_at))) throw shapeError(this.who, status, 'message created_at');
    return message;
  }

  /**
   * Queues a downlink through one of the per-device endpoints (§5.7 b). Their answer is undocumented
   * (the created message object is the reference's guess); whatever object or array comes back is
   * returned as is, and the caller picks a message id from it when there is one.
   */
  async sendDownlink(deviceId: string, endpoint: HwDownlinkEndpoint, body: unknown, ctx: CallContext): Promise<unknown> {
    const res = await this.call({ method: 'POST', path: `${this.devicePath(deviceId)}/${endpoint}`, json: body }, ctx);
    const text = res.text().trim();
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }

  private devicePath(deviceId: string): string {
    return `${this.base}/devices/${encodeURIComponent(deviceId)}`;
  }

  private async call(req: Omit<HttpRequest, 'headers'>, ctx: CallContext): Promise<HttpResponse> {
    return this.succeeded(await this.http.request({ ...req, headers: this.auth }, ctx));
  }

  private succeeded(res: HttpResponse): HttpResponse {
    if (res.status < 200 || res.status >= 300) throw vendorError(res, this.who, this.apiKey);
    return res;
  }

  private object<T>(res: HttpResponse, what: string): T {
    return expectObject<T>(res.json<unknown>(), this.who, res.status, what, hasId);
  }

  private optionalObject<T>(res: HttpResponse): T | null {
    const text = res.text().trim();
    if (text === '') return null;
    try {
      const body: unknown = JSON.parse(text);
      return isObject(body) && hasId(body) ? (body as T) : null;
    } catch {
      return null;
    }
  }

  private array<T>(res: HttpResponse, what: string): T[] {
    return expectArray<T>(res.json<unknown>(), this.who, res.status, what, hasId);
  }
}
