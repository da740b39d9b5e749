import {
  isObject,
  toUnifiedId,
  type CallContext,
  type Command,
  type ConnectionConfig,
  type CreateDeviceInput,
  type Device,
  type DeviceStatus,
  type Filter,
  type ListPlan,
  type ListQuery,
  type ListSource,
  type Message,
  type Project,
  type ProviderConnection,
  type SendCommandInput,
  type UpdateDeviceInput,
  type VendorCursor,
  type VendorPage,
} from '@devicegate/core';
import { GatewayError, type FieldError } from '@devicegate/errors';
import type { HttpClient } from '@devicegate/http-client';
import { isPositive, PushDown, valuesOf } from '@devicegate/listing';
import { HardwarioClient } from './hardwario.client.js';
import {
  mapDevice,
  uplinkProduct,
  mapLabels,
  mapMessage,
  mapSpace,
  mapStatus,
  mergeLabels,
  tagIndex,
} from './hardwario.mapper.js';
import { commandStatus, downlinkRequest, mapCommand } from './hardwario.downlinks.js';
import { EARLIEST_AFTER_MS, messagePushDown } from './hardwario.push-down.js';
import type { HwDevice, HwDeviceListQuery, HwMessage, HwMessageListQuery } from './hardwario.types.js';

/** Devices whose product a connection remembers. */
const MAX_PRODUCTS = 50_000;

const PROVIDER = 'hardwario';

/** Default `online_window` in seconds (API.md §3: one hour). */
export const DEFAULT_ONLINE_WINDOW_S = 3600;

/**
 * Devices asked per vendor page. No maximum is documented (examples use 500, the .NET client 40); 100 is
 * the documented message maximum and safely below any cap, which matters because a short page ends a list.
 */
const DEVICE_PAGE_MAX = 100;
/** Messages per vendor page: documented maximum 100 (§3). */
const MESSAGE_PAGE_MAX = 100;
/** How long the space's tag list is trusted for name ↔ id resolution. */
const TAG_CACHE_MS = 30_000;

/** HARDWARIO ids are UUIDs (§3); anything else cannot name a resource, so it is answered 404 without a call. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (what: string, id: string): GatewayError => new GatewayError('not_found', `No ${what} has the id '${id.slice(0, 100)}'.`);

const clamp = (value: number, max: number): number => Math.max(1, Math.min(max, Math.floor(value) || 1));


/** A cursor of this provider is the vendor `offset`: the id of the last item already read. */
function offsetOf(cursor: VendorCursor | null): string | undefined {
  if (cursor === null) return undefined;
  if (typeof cursor === 'string' && UUID.test(cursor)) return cursor;
  throw new GatewayError('internal_server_error', 'A list cursor that this provider did not issue was passed back to it.');
}

/** What the device list can ask the vendor instead of reading everything. */
interface DevicePushDown {
  /** No device can match: answer an empty list without a vendor call. */
  impossible: boolean;
  /** `id__eq` of this connection: one `GET …/devices/{id}` instead of a list. */
  deviceId?: string;
  name?: string;
  serialNumber?: string;
  /** Tag names of `tags__eq` filters (all required). */
  allTags: string[];
  /** Tag name sets of `tags__in` filters (any of each). */
  anyTags: string[][];
}

/** The connection keys of a HARDWARIO connection (the provider's connection schema). */
export type HardwarioSettings = { space_id: string; online_window?: number };

/** A failed read of the latest uplink leaves a type unknown (asked again on the next read) instead of failing the device read. */
const skipUplink = (error: unknown): null => {
  if (error instanceof GatewayError) return null;
  throw error;
};

/**
 * One HARDWARIO Cloud v2 connection: a single space reached with a space-scoped API key (§2.1).
 * Lists page with the vendor's `limit` + `offset` (id of the last item) cursor; the provider cursor is that id.
 */
export class HardwarioConnection implements ProviderConnection {
  readonly projects: ListSource<Project>;
  readonly devices: ListSource<Device>;

  private readonly connectionId: string;
  private readonly spaceId: string;
  private readonly onlineWindowMs: number;
  private readonly client: HardwarioClient;
  private tags?: { at: number; index: Map<string, string[]> };
  private tagsLoading?: Promise<Map<string, string[]>>;

  /**
   * Each device's product, learnt from its uplinks' `attribute.product_name` (the device answer names no
   * product): from every uplink this connection reads, and on a device's first single read through it from
   * its latest uplink (null: it names none). Lists show what is learnt, since reading a message per listed
   * device would double their calls. Bounded: the least recently learnt go first.
   */
  private readonly products = new Map<string, string | null>();

  constructor(config: ConnectionConfig<HardwarioSettings>, http: HttpClient) {
    this.connectionId = config.id;
    this.spaceId = config.settings.space_id;
    // `online_window` is whole seconds (see the connection schema); one hour when absent.
    this.onlineWindowMs = (config.settings.online_window ?? DEFAULT_ONLINE_WINDOW_S) * 1000;
    this.client = new HardwarioClient(http, this.spaceId, config.credentials.api_key ?? '', { connectionId: config.id, provider: PROVIDER });

    this.projects = {
      // One space per connection: any order is the order asked for, and with no filter the total is exact.
      plan: (query: ListQuery): ListPlan => ({ order: query.order, exactTotal: query.filters.length === 0 }),
      fetchPage: (query, _cursor, ctx) => this.fetchProjects(query, ctx),
    };
    this.devices = {
      // `sort_by=id` with `order_by` gives a stable order in either direction (ids are UUIDv7, so ASC is creation order).
      plan: (query: ListQuery): ListPlan => ({ order: query.order, exactTotal: false }),
      fetchPage: (query, cursor, ctx) => this.fetchDevices(query, cursor, ctx),
    };
  }

  // ── projects ─────────────────────────────────────────────────────────────

  async getProject(projectId: string, ctx: CallContext): Promise<Project> {
    if (projectId !== this.spaceId) throw notFound('project', projectId);
    return this.readSpace(ctx);
  }

  private async fetchProjects(query: ListQuery, ctx: CallContext): Promise<VendorPage<Project>> {
    // The space is the one project: an id filter is decided here, the rest is the gateway's.
    const push = new PushDown(this.connectionId);
    for (const filter of query.filters) {
      if (filter.field === 'id') push.constant(filter, [toUnifiedId(this.connectionId, this.spaceId)]);
      else push.skip();
    }
    if (push.impossible) return { items: [], next: null, total: 0 };
    const project = await this.readSpace(ctx);
    return push.exact ? { items: [project], next: null, total: 1 } : { items: [project], next: null };
  }

  /** The space and, in parallel, its device count (one extra call on a one-item list; null when it fails). */
  private async readSpace(ctx: CallContext): Promise<Project> {
    const [space, count] = await Promise.all([this.client.getSpace(ctx), this.client.countDevices(ctx)]);
    return mapSpace(space, count, { connectionId: this.connectionId, spaceId: this.spaceId });
  }

  // ── devices ──────────────────────────────────────────────────────────────

  async getDevice(deviceId: string, ctx: CallContext): Promise<Device> {
    if (this.products.has(deviceId)) return this.toDevice(await this.readDevice(deviceId, ctx));
    const [device, latest] = await Promise.all([this.readDevice(deviceId, ctx), this.latestUplink(deviceId, ctx).catch(skipUplink)]);
    if (latest !== null) this.learnProducts(latest ? [latest] : [], deviceId);
    return this.toDevice(device);
  }

  /** The newest `data`/`stats` uplink of a device: what status and product facts are read from. */
  private async latestUplink(deviceId: string, ctx: CallContext): Promise<HwMessage | undefined> {
    const page = await this.client.listMessages(
      { device_id: deviceId, after: new Date(EARLIEST_AFTER_MS).toISOString(), 'type[]': ['data', 'stats'], direction: 'up', limit: 1 },
      ctx,
    );
    return page[0];
  }

  private readDevice(deviceId: string, ctx: CallContext): Promise<HwDevice> {
    if (!UUID.test(deviceId)) return Promise.reject(notFound('device', deviceId));
    return this.client.getDevice(deviceId, ctx);
  }

  private toDevice(device: HwDevice): Device {
    const mapped = mapDevice(device, { connectionId: this.connectionId, spaceId: this.spaceId, now: Date.now(), onlineWindowMs: this.onlineWindowMs });
    // Filled in place: the object is new, and a copy per answer is measurable on the single-device read.
    if (mapped.type === null) mapped.type = this.products.get(device.id) ?? null;
    return mapped;
  }

  /**
   * Learns the products the uplinks read for this connection name. `latestOf`: they hold that device's latest
   * uplink, so a device still unknown whose latest names no product is remembered as null, not asked again.
   */
  private learnProducts(messages: readonly HwMessage[], latestOf?: string): void {
    const learnt = new Map<string, string | null>();
    if (latestOf !== undefined && !this.products.has(latestOf)) learnt.set(latestOf, null);
    for (const message of messages) {
      const product = uplinkProduct(message);
      if (product && message.device_id) learnt.set(message.device_id, product);
    }
    for (const [deviceId, product] of learnt) {
      this.products.delete(deviceId);
      this.products.set(deviceId, product);
      if (this.products.size > MAX_PRODUCTS) this.products.delete(this.products.keys().next().value as string);
    }
  }

  private async fetchDevices(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Device>> {
    const offset = offsetOf(cursor);
    const push = this.devicePushDown(query.filters);
    if (push.impossible) return { items: [], next: null };
    if (push.deviceId !== undefined) {
      try {
        return { items: [this.toDevice(await this.readDevice(push.deviceId, ctx))], next: null };
      } catch (error) {
        if (error instanceof GatewayError && error.type === 'not_found') return { items: [], next: null };
        throw error;
      }
    }
    const limit = clamp(query.pageSize, DEVICE_PAGE_MAX);
    const params: HwDeviceListQuery = {
      limit,
      offset,
      sort_by: 'id',
      order_by: query.order === 'DESC' ? 'desc' : 'asc',
      name: push.name,
      serial_number: push.serialNumber,
    };
    if (push.allTags.length > 0 || push.anyTags.length > 0) {
      const tags = await this.tagFilter(push, ctx);
      if (tags === null) return { items: [], next: null };
      Object.assign(params, tags);
    }
    const page = await this.client.listDevices(params, ctx);
    // A short (or empty) page is the last one; a full one may be followed by more.
    const next = page.length < limit ? null : page[page.length - 1].id;
    return { items: page.map((device) => this.toDevice(device)), next };
  }

  /**
   * Filters the vendor evaluates with the contract's meaning: `id__eq` (direct read), `name__eq` → `name`,
   * `serial_number__eq` → `serial_number`, `tags` eq/in → `tag_ids[]`. Whatever else is left to the gateway;
   * filters that no device of this connection can satisfy end the list before any call.
   */
  private devicePushDown(filters: Filter[]): DevicePushDown {
    const push = new PushDown(this.connectionId);
    const wanted: Omit<DevicePushDown, 'impossible'> = { allTags: [], anyTags: [] };
    // Two different single values for one vendor parameter: no device has both.
    const single = (current: string | undefined, value: string): string => {
      if (current !== undefined && current !== value) push.verdict('none');
      return value;
    };
    for (const filter of filters) {
      if (!isPositive(filter)) continue;
      const values = valuesOf(filter);
      switch (filter.field) {
        case 'id': {
          const ids = push.ownIds(filter);
          if (filter.op === 'eq' && ids.length > 0) wanted.deviceId = single(wanted.deviceId, ids[0]);
          break;
        }
        case 'project_id':
          push.constant(filter, [toUnifiedId(this.connectionId, this.spaceId)]);
          break;
        case 'name':
          if (values.length === 1) wanted.name = single(wanted.name, values[0]);
          break;
        case 'serial_number':
          if (values.length === 1) wanted.serialNumber = single(wanted.serialNumber, values[0]);
          break;
        case 'tags':
          if (filter.op === 'eq') wanted.allTags.push(values[0]);
          else wanted.anyTags.push(values);
          break;
      }
    }
    return { ...wanted, impossible: push.impossible };
  }

  /**
   * `tag_ids[]` + `tag_filter_logic` for the tag filters, or null when no device can match (a required tag,
   * or every tag of an `in`, does not exist in the space). Required tags go as `all`; without any, the first
   * `in` set goes as `any`. A name held by several tags cannot be required by one id, so it is not pushed.
   */
  private async tagFilter(push: DevicePushDown, ctx: CallContext): Promise<Pick<HwDeviceListQuery, 'tag_ids[]' | 'tag_filter_logic'> | null> {
    const names = [...push.allTags, ...push.anyTags.flat()];
    const index = await this.tagIds(names, ctx);
    const all: string[] = [];
    for (const name of push.allTags) {
      const ids = index.get(name);
      if (!ids) return null;
      if (ids.length === 1 && !all.includes(ids[0])) all.push(ids[0]);
    }
    const anySets = push.anyTags.map((set) => [...new Set(set.flatMap((name) => index.get(name) ?? []))]);
    if (anySets.some((ids) => ids.length === 0)) return null;
    if (all.length > 0) return { 'tag_ids[]': all, tag_filter_logic: 'all' };
    if (anySets.length > 0) return { 'tag_ids[]': anySets[0], tag_filter_logic: 'any' };
    return {};
  }

  /**
   * The space's tag name → ids index, cached briefly per connection. When a name is missing from a cached
   * index it is read again once, so a tag created a moment ago is not taken for an unknown one.
   */
  private async tagIds(names: string[], ctx: CallContext): Promise<Map<string, string[]>> {
    const cached = this.tags && Date.now() - this.tags.at < TAG_CACHE_MS ? this.tags.index : undefined;
    if (cached && names.every((name) => cached.has(name))) return cached;
    if (!this.tagsLoading) {
      this.tagsLoading = this.client
        .listTags(ctx)
        .then((tags) => {
          const index = tagIndex(tags);
          this.tags = { at: Date.now(), index };
          return index;
        })
        .finally(() => {
          this.tagsLoading = undefined;
        });
    }
    return this.tagsLoading;
  }

  /** Tag ids of contract tag names (the whole new set); unknown names are a validation error on `tags`. */
  private async tagRefs(names: string[], ctx: CallContext): Promise<Array<{ id: string }>> {
    const unique = [...new Set(names)];
    const index = await this.tagIds(unique, ctx);
    const unknown = unique.filter((name) => !index.has(name));
    if (unknown.length > 0) {
      throw GatewayError.validation([
        { name: 'tags', message: `unknown tag${unknown.length > 1 ? 's' : ''} in this space: ${unknown.map((n) => `'${n.slice(0, 64)}'`).join(', ')}` },
      ]);
    }
    return unique.flatMap((name) => index.get(name)!.map((id) => ({ id })));
  }

  async createDevice(input: CreateDeviceInput, ctx: CallContext): Promise<Device> {
    if (input.type !== undefined) {
      throw new GatewayError('not_supported', 'HARDWARIO devices take their type from their firmware; `type` cannot be set on create.');
    }
    const fields: FieldError[] = [];
    const params = input.params ?? {};
    if (input.project_id !== undefined && input.project_id !== this.spaceId) {
      fields.push({ name: 'project_id', message: "must be this connection's space (or be left out)" });
    }
    if (typeof input.name !== 'string' || input.name === '') fields.push({ name: 'name', message: 'is required to claim a HARDWARIO device' });
    if (typeof input.serial_number !== 'string' || input.serial_number === '') {
      fields.push({ name: 'serial_number', message: 'is required to claim a HARDWARIO device' });
    }
    const token = params.token ?? params.claim_token;
    if (typeof token !== 'string' || token === '') fields.push({ name: 'params.token', message: "the device's claim token is required (params.token or params.claim_token)" });
    for (const key of ['external_id', 'comment']) {
      if (params[key] !== undefined && typeof params[key] !== 'string') fields.push({ name: `params.${key}`, message: 'must be a string' });
    }
    for (const key of Object.keys(params)) {
      if (!['token', 'claim_token', 'external_id', 'comment'].includes(key)) {
        fields.push({ name: `params.${key}`, message: 'is not accepted by HARDWARIO (allowed: token, claim_token, external_id, comment)' });
      }
    }
    if (fields.length > 0) throw GatewayError.validation(fields);

    const body = {
      name: input.name as string,
      serial_number: input.serial_number as string,
      token: token as string,
      external_id: params.external_id as string | undefined,
      comment: params.comment as string | undefined,
      label: input.labels && Object.keys(input.labels).length > 0 ? input.labels : undefined,
      tags: input.tags && input.tags.length > 0 ? await this.tagRefs(input.tags, ctx) : undefined,
    };
    return this.toDevice(await this.client.createDevice(body, ctx));
  }

  async updateDevice(deviceId: string, input: UpdateDeviceInput, ctx: CallContext): Promise<Device> {
    if (!UUID.test(deviceId)) throw notFound('device', deviceId);
    const tags = input.tags !== undefined ? await this.tagRefs(input.tags, ctx) : undefined;
    // `label` is replaced wholesale by PUT, so the contract's merge needs the current map first.
    const current = input.labels !== undefined ? await this.client.getDevice(deviceId, ctx) : undefined;
    const body = {
      name: input.name,
      label: current && input.labels ? mergeLabels(mapLabels(current.label), input.labels) : undefined,
      tags,
    };
    if (body.name === undefined && body.label === undefined && body.tags === undefined) {
      return this.toDevice(current ?? (await this.client.getDevice(deviceId, ctx)));
    }
    const updated = (await this.client.updateDevice(deviceId, body, ctx)) ?? (await this.client.getDevice(deviceId, ctx));
    return this.toDevice(updated);
  }

  async deleteDevice(deviceId: string, ctx: CallContext): Promise<void> {
    if (!UUID.test(deviceId)) throw notFound('device', deviceId);
    await this.client.deleteDevice(deviceId, ctx);
  }

  /**
   * The device's `last_seen` against the online window, plus battery and signal from its most recent
   * `data`/`stats` uplink: one more call, made in parallel, since the device object carries neither.
   */
  async getDeviceStatus(deviceId: string, ctx: CallContext): Promise<DeviceStatus> {
    if (!UUID.test(deviceId)) throw notFound('device', deviceId);
    const [device, latest] = await Promise.all([this.client.getDevice(deviceId, ctx), this.latestUplink(deviceId, ctx)]);
    this.learnProducts(latest ? [latest] : [], deviceId);
    const now = Date.now();
    const status = mapStatus(device, latest, { connectionId: this.connectionId, spaceId: this.spaceId, now, checkedAt: now, onlineWindowMs: this.onlineWindowMs });
    return { ...status, native: { device, latest_uplink: latest ?? null } };
  }

  // ── messages ─────────────────────────────────────────────────────────────

  messages(deviceId: string): ListSource<Message> {
    return {
      // The vendor has no sort parameter for messages: newest first is all it yields.
      plan: (): ListPlan => ({ order: 'DESC', exactTotal: false }),
      fetchPage: (query, cursor, ctx) => this.fetchMessages(deviceId, query, cursor, ctx),
    };
  }

  private async fetchMessages(deviceId: string, query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Message>> {
    if (!UUID.test(deviceId)) throw notFound('device', deviceId);
    const offset = offsetOf(cursor);
    const push = messagePushDown(query.filters, this.connectionId);
    if (push.empty) {
      // Nothing can match, but an unknown device must still be a 404.
      if (cursor === null) await this.client.getDevice(deviceId, ctx);
      return { items: [], next: null };
    }
    const limit = clamp(query.pageSize, MESSAGE_PAGE_MAX);
    const params: HwMessageListQuery = {
      device_id: deviceId,
      after: new Date(push.after).toISOString(),
      before: push.before === undefined ? undefined : new Date(push.before).toISOString(),
      'type[]': push.types,
      direction: push.direction,
      limit,
      offset,
    };
    const page = await this.client.listMessages(params, ctx);
    this.learnProducts(page);
    // The vendor answers an empty list for a device it does not know; only then is existence checked.
    if (cursor === null && page.length === 0) await this.client.getDevice(deviceId, ctx);
    const next = page.length < limit ? null : page[page.length - 1].id;
    const items = page
      .filter((message: HwMessage) => message.device_id === undefined || message.device_id === null || message.device_id === deviceId)
      .map((message) => mapMessage(message, { connectionId: this.connectionId, deviceId }));
    return { items, next };
  }

  // ── commands ─────────────────────────────────────────────────────────────

  async sendCommand(deviceId: string, command: SendCommandInput, ctx: CallContext): Promise<Command> {
    if (!UUID.test(deviceId)) throw notFound('device', deviceId);
    const [endpoint, body] = downlinkRequest(command);
    const answer = await this.client.sendDownlink(deviceId, endpoint, body, ctx);
    const message = createdMessage(answer);
    const known: Command = {
      object: 'command',
      id: toUnifiedId(this.connectionId, message?.id ?? command.id),
      device_id: toUnifiedId(this.connectionId, deviceId),
      name: command.name,
      params: command.params,
      status: 'queued',
      created_at: new Date().toISOString(),
      updated_at: null,
    };
    if (!message) return { ...known, updated_at: known.created_at, native: answer ?? undefined };
    const mapped = mapCommand(message, { connectionId: this.connectionId, deviceId, known });
    return { ...mapped, status: commandStatus(message.down_state) ?? 'queued' };
  }

  /**
   * The downlink message's `down_state` (`GET …/messages/{id}`). A command whose id is devicegate's own
   * (the vendor answered without a message) is not the vendor's: not found here.
   */
  async getCommand(deviceId: string, commandId: string, ctx: CallContext): Promise<Command> {
    if (!UUID.test(deviceId)) throw notFound('device', deviceId);
    if (!UUID.test(commandId)) throw notFound('command', commandId);
    const message = await this.client.getMessage(commandId, ctx);
    if ((message.device_id && message.device_id !== deviceId) || message.direction === 'up') throw notFound('command', commandId);
    return mapCommand(message, { connectionId: this.connectionId, deviceId });
  }

  async authHeaders(): Promise<Record<string, string>> {
    return this.client.authHeaders();
  }
}

/** The created downlink message in a send answer: the message object, or the first of an array. */
function createdMessage(answer: unknown): HwMessage | undefined {
  const candidates = Array.isArray(answer) ? answer : [answer];
  for (const item of candidates) {
    if (isObject(item) && typeof item.id === 'string' && UUID.test(item.id)) return item as unknown as HwMessage;
  }
  return undefined;
}
