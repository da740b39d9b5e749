import type { EmulatorRequest, EmulatorResponse } from '@devicegate/emulators/kit';
import type { ConnectService } from './izuma.connect.js';
import type { IzumaCredentials } from './izuma.emulator.js';
import type { DeviceRecord, DeviceState, GroupRecord } from './izuma.model.js';
import { inspectRequest, type RequestInspection } from './izuma.spec-validator.js';
import { buildMatcher, paginate, type IzumaStore, type PageParams } from './izuma.store.js';
import { deviceFieldValue } from './izuma.views.js';

interface Context {
  requestId: string;
  apiKey: string;
}

type AuthedHandler = (req: EmulatorRequest, ctx: Context) => EmulatorResponse | Promise<EmulatorResponse>;

let requestSequence = 0;

/** 32 hex characters like the service's own request ids. */
export function nextRequestId(): string {
  requestSequence = (requestSequence + 1) % 0x100000000;
  return `${Date.now().toString(16).padStart(12, '0')}0242ac120006${requestSequence.toString(16).padStart(8, '0')}`;
}

interface FieldError {
  name: string;
  message: string;
}

/** The v3 error model (`ErrorResponse`). */
export function v3Error(status: number, type: string, message: string, requestId: string, fields?: FieldError[]): EmulatorResponse {
  const body: Record<string, unknown> = { object: 'error', code: status, type, message, request_id: requestId };
  if (fields) body.fields = fields;
  return { status, body };
}

export const validationError = (requestId: string, fields: FieldError[]) => v3Error(400, 'validation_error', 'Validation error', requestId, fields);

export function parsePage(query: URLSearchParams): PageParams | FieldError {
  const rawLimit = query.get('limit');
  // The spec: limits outside 2..1000 are set to the closest limit rather than rejected.
  const limit = rawLimit === null ? 50 : Math.min(1000, Math.max(2, Number(rawLimit)));
  const order = (query.get('order') ?? 'ASC').toUpperCase();
  if (order !== 'ASC' && order !== 'DESC') return { name: 'order', message: 'Acceptable values: ASC, DESC.' };
  const include = (query.get('include') ?? '').split(',').filter(Boolean);
  const unknown = include.find((item) => item !== 'total_count');
  if (unknown) return { name: 'include', message: `Unsupported include '${unknown}'. Currently supported: total_count.` };
  const after = query.get('after');
  return { limit, after: after ? after : null, order, includeTotal: include.includes('total_count') };
}

export const isPage = (value: PageParams | FieldError): value is PageParams => 'limit' in value;

export interface IzumaRouteContext {
  store: IzumaStore;
  connect: ConnectService;
  credentials: IzumaCredentials;
}

/** What every resource's routes share: the API-key check, the spec check of a request and the device views. */
export function izumaRoutes(deps: IzumaRouteContext) {
  const { store, connect, credentials } = deps;
  const apiKeys = [credentials.apiKey, credentials.secondaryApiKey];

  const authed =
    (handler: AuthedHandler) =>
    async (req: EmulatorRequest): Promise<EmulatorResponse> => {
      const requestId = nextRequestId();
      const header = req.headers.authorization;
      const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
      let answer: EmulatorResponse;
      if (!token) answer = v3Error(401, 'invalid_auth', 'Authentication failure: provided authorization header is invalid.', requestId);
      else if (!apiKeys.includes(token)) {
        answer = token.startsWith('ak_')
          ? v3Error(401, 'invalid_apikey', 'Authentication failure: provided API key is invalid.', requestId)
          : v3Error(401, 'invalid_token', 'Authentication failure: provided token is invalid.', requestId);
      } else answer = await handler(req, { requestId, apiKey: token });
      return { ...answer, headers: { ...(answer.headers ?? {}), 'x-request-id': requestId } };
    };

  /** Spec check of a v3 request; answers the 400 the service gives, or the inspection to go on with. */
  const inspect = (req: EmulatorRequest, ctx: Context): RequestInspection | EmulatorResponse => {
    const inspection = inspectRequest(req.method, req.path, req.query, req.rawBody);
    if (inspection.issues.some((issue) => issue.location === 'body' && issue.name === 'body' && issue.kind === 'type')) {
      return v3Error(400, 'bad_request', 'Malformed JSON in request body.', ctx.requestId);
    }
    const issues = inspection.issues.filter((issue) => !(issue.name === 'limit' && issue.kind === 'range'));
    if (issues.length > 0) return validationError(ctx.requestId, issues.map(({ name, message }) => ({ name, message })));
    return inspection;
  };
  const isAnswer = (value: RequestInspection | EmulatorResponse): value is EmulatorResponse => 'status' in value;

  /** `authed`, then the spec check: the handler runs only for a valid request, with what the check read from it. */
  const checked = (handler: (req: EmulatorRequest, ctx: Context, inspection: RequestInspection) => EmulatorResponse) =>
    authed((req, ctx) => {
      const inspection = inspect(req, ctx);
      return isAnswer(inspection) ? inspection : handler(req, ctx, inspection);
    });

  const deviceNotFound = (ctx: Context) => v3Error(404, 'not_found', 'Unable to find device.', ctx.requestId);
  const groupNotFound = (ctx: Context) => v3Error(404, 'not_found', 'Group not found.', ctx.requestId);

  const deviceField = (device: DeviceRecord, field: string, key?: string): unknown => {
    if (key !== undefined) return field === 'custom_attributes' ? device.customAttributes[key] : device.componentAttributes[key];
    return deviceFieldValue(device, field, store.accountId);
  };

  const listDevices = (req: EmulatorRequest, ctx: Context, group?: GroupRecord): EmulatorResponse => {
    // The spec: a device-list URL of 4096 characters or more is a bad request.
    const search = req.query.toString();
    if (req.path.length + (search ? search.length + 1 : 0) >= 4096) return v3Error(400, 'bad_request', 'The request URL is too long.', ctx.requestId);
    const inspection = inspect(req, ctx);
    if (isAnswer(inspection)) return inspection;
    const page = parsePage(req.query);
    if (!isPage(page)) return validationError(ctx.requestId, [page]);
    const filter = buildMatcher(inspection.filters, inspection.operation?.itemProperties ?? {}, deviceField);
    const match = group ? (device: DeviceRecord) => group.members.has(device.id) && (!filter || filter(device)) : filter;
    return { status: 200, body: paginate(store.sortedDevices, page, match, (device) => store.deviceView(device)) };
  };

  const applyDeviceUpdate = (device: DeviceRecord, body: Record<string, unknown>): string[] => {
    const changed: string[] = [];
    const set = <K extends keyof DeviceRecord>(field: string, key: K, value: DeviceRecord[K]) => {
      if (!(field in body)) return;
      device[key] = value;
      changed.push(field);
    };
    set('name', 'name', String(body.name ?? ''));
    set('description', 'description', String(body.description ?? ''));
    set('endpoint_type', 'endpointType', String(body.endpoint_type ?? ''));
    set('host_gateway', 'hostGateway', String(body.host_gateway ?? ''));
    set('ca_id', 'caId', String(body.ca_id ?? ''));
    set('device_key', 'deviceKey', String(body.device_key ?? ''));
    set('auto_update', 'autoUpdate', body.auto_update === true);
    // A write replaces the whole attribute map.
    set('custom_attributes', 'customAttributes', { ...((body.custom_attributes as Record<string, string> | undefined) ?? {}) });
    return changed;
  };

  const notifyState = (device: DeviceRecord, state: DeviceState) => {
    if (state === 'registered') {
      connect.publish('registrations', connect.endpointData(device));
      connect.deliverQueued(device.id);
    } else if (state === 'deregistered') {
      connect.publish('de-registrations', device.id);
      connect.dropQueued(device.id, 'DEVICE_REMOVED_REGISTRATION');
    }
  };

  return { ...deps, authed, checked, deviceNotFound, groupNotFound, listDevices, applyDeviceUpdate, notifyState };
}

/** What every resource's routes share. */
export type IzumaRoutes = ReturnType<typeof izumaRoutes>;
