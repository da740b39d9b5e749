import { isObject, type CallContext } from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import { expectArray, expectObject, type HttpClient, type HttpRequest, type HttpResponse } from '@devicegate/http-client';
import { shapeError, vendorError, vendorMessage, type ErrorAttribution } from './iottly.errors.js';
import type {
  IottlyCommandBody,
  IottlyDevice,
  IottlyDeviceList,
  IottlyDeviceUpdate,
  IottlyMessage,
  IottlyMessageQuery,
  IottlyProject,
} from './iottly.types.js';

/**
 * The auth header (§2): `Authentication`, not `Authorization`, with a lower-case `bearer` as in every
 * example of the docs (the 2017 auth service matched the scheme case-insensitively).
 */
export const AUTH_HEADER = 'Authentication';

/** A vendor 400 on a call whose fields the caller knows (e.g. `name` on a rename). */
type FieldsOf400 = (vendorText: string | undefined) => FieldError[];

/**
 * The wire calls of one iottly connection, scoped to its project. Every non-2xx answer becomes a
 * GatewayError here; answers that do not fit the documented shape become `upstream_error`.
 */
export class IottlyClient {
  private readonly base: string;
  /** The vendor's number of the first message page, once learned (see pageBase). */
  private firstPage?: 0 | 1;
  private learning?: Promise<0 | 1 | undefined>;

  constructor(
    private readonly http: HttpClient,
    private readonly projectId: string,
    private readonly apiKey: string,
    private readonly who: ErrorAttribution,
  ) {
    this.base = `/project/${encodeURIComponent(projectId)}`;
  }

  /** Headers that authenticate any call of this connection (passthrough too). */
  authHeaders(): Record<string, string> {
    return { [AUTH_HEADER]: `bearer ${this.apiKey}` };
  }

  /** `GET project/ping` → `{"status": "pong"}`: checks the host and the key, not the project. */
  async ping(ctx: CallContext): Promise<void> {
    const res = await this.call({ method: 'GET', path: '/project/ping' }, ctx);
    const body = this.object(res, 'ping');
    if (body.status !== 'pong') throw shapeError(this.who, res.status, 'ping without "pong"');
  }

  async inspect(ctx: CallContext): Promise<IottlyProject> {
    const res = await this.call({ method: 'GET', path: `${this.base}/inspect` }, ctx);
    return this.object(res, 'project') as IottlyProject;
  }

  /** The whole device list: the API has no paging or filters (§5.3). */
  async listDevices(ctx: CallContext): Promise<IottlyDeviceList> {
    const res = await this.call({ method: 'GET', path: `${this.base}/devices/props` }, ctx);
    const body = this.object(res, 'device list');
    const devices = expectArray<IottlyDevice>(body.devices, this.who, res.status, 'device list of devices with an "ID"', isDevice);
    return { count: typeof body.count === 'number' ? body.count : undefined, errors: body.errors, devices };
  }

  async getDevice(deviceId: string, ctx: CallContext): Promise<IottlyDevice> {
    const res = await this.deviceCall(deviceId, { method: 'GET', path: this.devicePath(deviceId, '/props') }, ctx);
    const device = this.device(res);
    // An answer about another device is a vendor fault, not that device (ids are UUIDs: case does not matter).
    if (device.ID.toLowerCase() !== deviceId.toLowerCase()) throw shapeError(this.who, res.status, 'device of another ID');
    return device;
  }

  async renameDevice(deviceId: string, body: IottlyDeviceUpdate, ctx: CallContext): Promise<IottlyDevice> {
    const res = await this.deviceCall(deviceId, { method: 'PUT', path: this.devicePath(deviceId, '/props'), json: body }, ctx, () => [
      { name: 'name', message: 'rejected by the vendor' },
    ]);
    return this.device(res);
  }

  /** `POST …/command`. Not idempotent: a retry could run the command twice. */
  async sendCommand(deviceId: string, body: IottlyCommandBody, fieldsOf400: FieldsOf400, ctx: CallContext): Promise<unknown> {
    const res = await this.deviceCall(deviceId, { method: 'POST', path: this.devicePath(deviceId, '/command'), json: body, idempotent: false }, ctx, fieldsOf400);
    const text = res.text().trim();
    if (text === '') return null;
    return res.json<unknown>();
  }

  /**
   * Page `page` (0 = the first) of the paginated messages API (§5.6). Its 404 means "no message matches" (a
   * page past the end included), so it is an empty page. The API does not check the device: the caller does.
   */
  async messages(deviceId: string, page: number, query: Omit<IottlyMessageQuery, 'p'>, fieldsOf400: FieldsOf400, ctx: CallContext): Promise<IottlyMessage[]> {
    const first = this.firstPage ?? (await this.pageBase(deviceId, ctx)) ?? 1;
    const res = await this.messagePage(deviceId, { ...query, p: first + page }, ctx);
    if (res.status === 404) return [];
    if (res.status < 200 || res.status >= 300) throw this.error(res, fieldsOf400);
    return this.pageMessages(res);
  }

  /**
   * Whether `p` counts from 0 or 1: the reference does not say (§5.6 lists `p` as "page number" only; the
   * vendor's docs, iottly/iottly.github.io `_dev/api/reference.md`, and its newer site restate just that,
   * and no public client of the API exists). It is asked once per connection, with the device's two oldest
   * messages one at a time (`sort=asc`, so messages arriving meanwhile cannot shift them): a 400 for `p=0`
   * is the documented answer to a parameter outside its limits, so pages start at 1; `p=0` and `p=1`
   * answering the same message means 0 is read as the first page, so they start at 1 too; `p=0` empty
   * while `p=1` has a message, likewise; otherwise `p=0` is the first page. A device without messages
   * cannot tell: the question is asked again on the next read (meanwhile pages count from 1).
   */
  private pageBase(deviceId: string, ctx: CallContext): Promise<0 | 1 | undefined> {
    this.learning ??= this.probePageBase(deviceId, ctx)
      .then((base) => (this.firstPage = base))
      .finally(() => (this.learning = undefined));
    return this.learning;
  }

  private async probePageBase(deviceId: string, ctx: CallContext): Promise<0 | 1 | undefined> {
    const oldest = async (p: number): Promise<IottlyMessage | undefined | 'refused'> => {
      const res = await this.messagePage(deviceId, { p, l: 1, type: 'all', sort: 'asc' }, ctx);
      if (res.status === 400 && p === 0) return 'refused';
      if (res.status === 404) return undefined;
      if (res.status < 200 || res.status >= 300) throw this.error(res);
      return this.pageMessages(res)[0];
    };
    const zero = await oldest(0);
    if (zero === 'refused') return 1;
    const one = await oldest(1);
    if (one === undefined) return zero === undefined ? undefined : 0;
    return zero === undefined || JSON.stringify(zero) === JSON.stringify(one) ? 1 : 0;
  }

  private messagePage(deviceId: string, query: IottlyMessageQuery, ctx: CallContext): Promise<HttpResponse> {
    return this.send({ method: 'GET', path: this.devicePath(deviceId, '/messages/paginated'), query: { ...query } }, ctx);
  }

  private pageMessages(res: HttpResponse): IottlyMessage[] {
    const body = this.object(res, 'message page');
    return expectArray<IottlyMessage>(body.messages, this.who, res.status, 'message page without "messages"', (message) => 'timestamp' in message);
  }

  private devicePath(deviceId: string, suffix: string): string {
    // `.`/`..` would be resolved as path segments (even percent-encoded): such an id can name no device.
    if (deviceId === '.' || deviceId === '..') throw notFoundDevice(deviceId);
    return `${this.base}/device/${encodeURIComponent(deviceId)}${suffix}`;
  }

  /**
   * A call about one device. The vendor answers 403 both for a key without access to the project and for
   * a device outside it (§5.3/§5.4 list only 403). On a 403 the project itself is inspected: when that
   * works, the device does not exist (404); otherwise the inspection's own error (the key) is thrown.
   */
  private async deviceCall(deviceId: string, req: HttpRequest, ctx: CallContext, fieldsOf400?: FieldsOf400): Promise<HttpResponse> {
    const res = await this.send(req, ctx);
    if (res.status >= 200 && res.status < 300) return res;
    if (res.status === 403) {
      await this.inspect(ctx);
      throw notFoundDevice(deviceId);
    }
    throw this.error(res, fieldsOf400);
  }

  private async call(req: HttpRequest, ctx: CallContext): Promise<HttpResponse> {
    const res = await this.send(req, ctx);
    if (res.status < 200 || res.status >= 300) throw this.error(res);
    return res;
  }

  private send(req: HttpRequest, ctx: CallContext): Promise<HttpResponse> {
    return this.http.request({ ...req, headers: { ...(req.headers ?? {}), ...this.authHeaders() } }, ctx);
  }

  private error(res: HttpResponse, fieldsOf400?: FieldsOf400): GatewayError {
    const fields = res.status === 400 && fieldsOf400 ? fieldsOf400(vendorMessage(res)) : [];
    return vendorError(res, this.who, fields, this.apiKey);
  }

  private object(res: HttpResponse, what: string): Record<string, unknown> {
    return expectObject(res.json<unknown>(), this.who, res.status, `${what} is not an object`);
  }

  private device(res: HttpResponse): IottlyDevice {
    return expectObject<IottlyDevice>(res.json<unknown>(), this.who, res.status, 'device without "ID"', isDevice);
  }
}

function isDevice(value: unknown): value is IottlyDevice {
  return isObject(value) && typeof value.ID === 'string' && value.ID !== '';
}

export const notFoundDevice = (deviceId: string): GatewayError => new GatewayError('not_found', `No device has the id '${deviceId.slice(0, 100)}'.`);
