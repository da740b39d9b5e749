import {
  readingsSnapshot,
  type CallContext,
  type Command,
  type ConnectionConfig,
  type CreateDeviceInput,
  type Device,
  type DeviceStatus,
  type ListPlan,
  type ListQuery,
  type ListSource,
  type Message,
  type Order,
  type Project,
  type ProviderConnection,
  type Reading,
  type SendCommandInput,
  type TransferInput,
  type UpdateDeviceInput,
  type VendorCursor,
  type VendorPage,
} from '@devicegate/core';
import { GatewayError, isGatewayError, type FieldError } from '@devicegate/errors';
import type { HttpClient } from '@devicegate/http-client';
import { BlynkClient, type VendorList } from './blynk.client.js';
import {
  commandRequest,
  deviceNameProblem,
  lastSeenOf,
  mapCommand,
  mapDevice,
  mapOrganization,
  mapStatus,
  mapTimelineEvent,
  type DeviceExtras,
  parseNativeId,
  parseOrgId,
  PROVIDER,
  summaryOf,
} from './blynk.mapper.js';
import { devicePushDown, projectPushDown, timelinePushDown, type BlynkScope } from './blynk.push-down.js';
import type { BlynkCreateDeviceBody, BlynkDevice, BlynkDeviceFull, BlynkTimelineEvent } from './blynk.types.js';

/** Documented page size maximum of every paged endpoint (§3). */
export const BLYNK_PAGE_MAX = 1000;
/**
 * Sort key of the search. Only display-style names are documented: blynkkk/docs
 * `blynk.cloud/platform-https-api/devices-api/search-devices.md` (commit e826326b) lists `Device Id`, `Name`,
 * … as the values `sortBy` accepts and shows `Device Id` as its example (§5.2). It gives the same
 * ascending-id order as the device list, so a search-backed list pages in the same stable order.
 */
const SEARCH_SORT_BY = 'Device Id';

const notFound = (what: string, id: string): GatewayError => new GatewayError('not_found', `No ${what} has the id '${id.slice(0, 100)}'.`);

const clampSize = (value: number): number => Math.max(1, Math.min(BLYNK_PAGE_MAX, Math.floor(value) || 1));

const isNotFound = (error: unknown): boolean => isGatewayError(error) && error.type === 'not_found';

/**
 * A list cursor: the vendor page number `p` and the page size `s` it was asked with. The size is fixed for the
 * whole walk (the gateway may resume a stored cursor with another page size, and page numbers only line up
 * with the size they were counted in). `e` (timeline only) records whether the event-type filter is sent.
 */
interface PageCursor {
  p: number;
  s: number;
  e?: boolean;
}

function readCursor(cursor: VendorCursor | null): PageCursor | undefined {
  if (cursor === null) return undefined;
  if (typeof cursor === 'object') {
    const { p, s, e } = cursor as Record<string, unknown>;
    if (Number.isInteger(p) && (p as number) >= 0 && Number.isInteger(s) && (s as number) >= 1 && (s as number) <= BLYNK_PAGE_MAX && (e === undefined || typeof e === 'boolean')) {
      return { p: p as number, s: s as number, e: e as boolean | undefined };
    }
  }
  throw new GatewayError('internal_server_error', 'A list cursor that this provider did not issue was passed back to it.');
}

/** Whether the page just read was the last: a short page, or the vendor's total is reached. */
function isLastPage<T>(page: VendorList<T>, cursor: PageCursor): boolean {
  return page.content.length < cursor.s || (page.total !== undefined && (cursor.p + 1) * cursor.s >= page.total);
}

/** The connection keys of a Blynk connection (the provider's connection schema: `org_id` an integer or its digits). */
export type BlynkSettings = { org_id: number | string; include_sub_orgs?: boolean };

/**
 * One Blynk.Cloud connection: an organization (and, with `include_sub_orgs`, its sub-organizations) reached
 * through the Platform API with an OAuth2 client-credentials token (reference §2).
 *
 * Scope: a device belongs to the connection when its `orgId` is the configured organization, or any
 * organization the token reaches when `include_sub_orgs` is set. The vendor cannot say whether an organization
 * lies below `org_id` (no organization endpoint in the reference), so with `include_sub_orgs` the connection
 * assumes `org_id` is the OAuth client's own organization, as in the usual set-up, and trusts what it reaches.
 */
export class BlynkConnection implements ProviderConnection {
  readonly projects: ListSource<Project>;
  readonly devices: ListSource<Device>;

  private readonly connectionId: string;
  private readonly orgId: number;
  private readonly includeSubOrgs: boolean;
  private readonly client: BlynkClient;
  /** Numeric template id → the `TMPL…` id devices are created with, learnt from creates and devices that report both. */
  private readonly templateIds = new Map<number, string>();

  constructor(config: ConnectionConfig<BlynkSettings>, http: HttpClient) {
    this.connectionId = config.id;
    const orgId = parseOrgId(config.settings.org_id);
    if (orgId === undefined) throw new GatewayError('internal_server_error', `Connection ${config.id}: org_id must be a positive integer.`);
    this.orgId = orgId;
    this.includeSubOrgs = config.settings.include_sub_orgs === true;
    this.client = new BlynkClient(
      http,
      { clientId: config.credentials.client_id ?? '', clientSecret: config.credentials.client_secret ?? '' },
      { connectionId: config.id, provider: PROVIDER },
    );

    this.projects = {
      // The organizations are all in hand after one read, so either order is served as asked.
      plan: (query: ListQuery): ListPlan => ({ order: query.order, exactTotal: projectPushDown(query.filters, this.connectionId).exact }),
      fetchPage: (query, _cursor, ctx) => this.fetchProjects(query, ctx),
    };
    this.devices = {
      plan: (query: ListQuery): ListPlan => {
        const push = devicePushDown(query.filters, this.connectionId, this.scope);
        // The device list has no sort parameter and yields ascending ids; the search and single reads can do either.
        const order: Order = push.mode.kind === 'org' ? 'ASC' : query.order;
        return { order, exactTotal: push.exact };
      },
      fetchPage: (query, cursor, ctx) => this.fetchDevices(query, cursor, ctx),
    };
  }

  async authHeaders(ctx: CallContext): Promise<Record<string, string>> {
    return this.client.authHeaders(ctx);
  }

  private get scope(): BlynkScope {
    return { orgId: this.orgId, includeSubOrgs: this.includeSubOrgs };
  }

  private inScope(orgId: number): boolean {
    return orgId === this.orgId || this.includeSubOrgs;
  }

  // ── projects ─────────────────────────────────────────────────────────────

  async getProject(projectId: string, ctx: CallContext): Promise<Project> {
    const orgId = parseNativeId(projectId);
    if (orgId === undefined) throw notFound('project', projectId);
    if (orgId === this.orgId) return mapOrganization(orgId, await this.countOwnDevices(orgId, ctx), this.connectionId);
    if (!this.includeSubOrgs) throw notFound('project', projectId);
    // A sub-organization is known by its devices (the list shows those with devices), so an empty or unreachable one is not found.
    let count: number | null;
    try {
      count = await this.countOwnDevices(orgId, ctx);
    } catch (error) {
      if (isNotFound(error)) throw notFound('project', projectId);
      throw error;
    }
    if (count === 0) throw notFound('project', projectId);
    return mapOrganization(orgId, count, this.connectionId);
  }

  /** Devices whose own organization is `orgId`: one list call of size 1 and its `totalElements`. */
  private async countOwnDevices(orgId: number, ctx: CallContext): Promise<number | null> {
    const page = await this.client.listDevices(
      { orgId, includeSubOrgDevices: false, page: 0, size: 1 },
      ctx,
      orgId === this.orgId ? 'upstream_auth_failed' : undefined,
    );
    return page.total ?? null;
  }

  private async fetchProjects(query: ListQuery, ctx: CallContext): Promise<VendorPage<Project>> {
    const push = projectPushDown(query.filters, this.connectionId);
    if (push.empty) return { items: [], next: null, total: 0 };
    let projects: Project[];
    if (!this.includeSubOrgs || (push.ids && [...push.ids].every((id) => id === this.orgId))) {
      projects = push.ids && !push.ids.has(this.orgId) ? [] : [mapOrganization(this.orgId, await this.countOwnDevices(this.orgId, ctx), this.connectionId)];
    } else {
      const counts = await this.organizationTree(ctx);
      projects = [...counts.entries()]
        .filter(([orgId]) => !push.ids || push.ids.has(orgId))
        .sort(([a], [b]) => a - b)
        .map(([orgId, count]) => mapOrganization(orgId, count, this.connectionId));
    }
    if (query.order === 'DESC') projects.reverse();
    return push.exact ? { items: projects, next: null, total: projects.length } : { items: projects, next: null };
  }

  /**
   * The configured organization and every sub-organization that holds a device, with device counts: the Devices
   * API names organizations only through `orgId` of the devices, so the whole tree's device list is read.
   */
  private async organizationTree(ctx: CallContext): Promise<Map<number, number>> {
    const counts = new Map<number, number>([[this.orgId, 0]]);
    for (let cursor: PageCursor = { p: 0, s: BLYNK_PAGE_MAX }; ; cursor = { p: cursor.p + 1, s: cursor.s }) {
      const page = await this.client.listDevices({ orgId: this.orgId, includeSubOrgDevices: true, page: cursor.p, size: cursor.s }, ctx, 'upstream_auth_failed');
      for (const device of page.content) counts.set(device.orgId, (counts.get(device.orgId) ?? 0) + 1);
      if (isLastPage(page, cursor)) return counts;
    }
  }

  // ── devices ──────────────────────────────────────────────────────────────

  private keep(device: BlynkDevice, orgs: Set<number> | undefined): boolean {
    return this.inScope(device.orgId) && (!orgs || orgs.has(device.orgId));
  }

  private async fetchDevices(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Device>> {
    const push = devicePushDown(query.filters, this.connectionId, this.scope);
    const { mode } = push;
    if (mode.kind === 'empty') return { items: [], next: null, total: 0 };
    if (mode.kind === 'ids') {
      const found = await Promise.all(
        mode.ids.map((id) =>
          this.client.getDeviceBaseInfo(id, ctx).catch((error: unknown) => {
            if (isNotFound(error)) return undefined;
            throw error;
          }),
        ),
      );
      const devices = found.filter((d): d is NonNullable<typeof d> => d !== undefined && this.keep(d, push.orgs));
      if (query.order === 'DESC') devices.reverse();
      const items = devices.map((d) => this.toDevice(summaryOf(d)));
      return { items, next: null, total: items.length };
    }

    const at = readCursor(cursor) ?? { p: 0, s: clampSize(query.pageSize) };
    let page: VendorList<BlynkDevice>;
    if (mode.kind === 'search') {
      page = await this.client.searchDevices({ query: mode.text, sortBy: SEARCH_SORT_BY, sortOrder: query.order, page: at.p, size: at.s }, ctx);
    } else {
      try {
        page = await this.client.listDevices(
          { orgId: mode.orgId, includeSubOrgDevices: mode.includeSub, page: at.p, size: at.s },
          ctx,
          mode.configured ? 'upstream_auth_failed' : undefined,
        );
      } catch (error) {
        // A sub-organization named by project_id that the token cannot reach has no devices of this connection.
        if (!mode.configured && isNotFound(error)) return { items: [], next: null, total: 0 };
        throw error;
      }
    }
    const items = page.content.filter((d) => this.keep(d, push.orgs)).map((d) => this.toDevice(summaryOf(d)));
    const next = isLastPage(page, at) ? null : { p: at.p + 1, s: at.s };
    return page.total === undefined ? { items, next } : { items, next, total: page.total };
  }

  async getDevice(deviceId: string, ctx: CallContext): Promise<Device> {
    const id = this.deviceIdOf(deviceId);
    const device = await this.client.getDevice(id, ctx);
    if (!this.inScope(device.orgId)) throw notFound('device', deviceId);
    return this.complete(device, ctx);
  }

  /** Tags and online state: two more calls, made in parallel, that only single-device reads pay for. */
  private async complete(device: BlynkDeviceFull, ctx: CallContext): Promise<Device> {
    const [tags, online] = await Promise.all([this.client.getTags(device.id, ctx), this.client.getOnline(device.id, ctx)]);
    return this.toDevice(device, { tags, online: online.connected, lastSeenAt: lastSeenOf(device) });
  }

  private toDevice(device: BlynkDevice, extras?: DeviceExtras): Device {
    const reported = device.hardwareInfo?.templateId;
    if (typeof device.templateId === 'number' && typeof reported === 'string' && reported !== '') this.templateIds.set(device.templateId, reported);
    return mapDevice(device, this.connectionId, extras, this.templateIds);
  }

  private deviceIdOf(deviceId: string): number {
    const id = parseNativeId(deviceId);
    if (id === undefined) throw notFound('device', deviceId);
    return id;
  }

  /**
   * 404 for a device the token reaches but the connection does not hold (a sub-organization's device without
   * `include_sub_orgs`). With `include_sub_orgs` everything the token reaches is in scope, so no call is made.
   */
  private async requireInScope(id: number, nativeId: string, ctx: CallContext): Promise<void> {
    if (this.includeSubOrgs) return;
    const info = await this.client.getDeviceBaseInfo(id, ctx);
    if (!this.inScope(info.orgId)) throw notFound('device', nativeId);
  }

  async createDevice(input: CreateDeviceInput, ctx: CallContext): Promise<Device> {
    const fields: FieldError[] = [];
    if (typeof input.type !== 'string' || input.type.trim() === '') {
      fields.push({ name: 'type', message: 'is required: the template ID (TMPL…) of the new device' });
    }
    const nameProblem = deviceNameProblem(input.name);
    if (input.name === undefined) fields.push({ name: 'name', message: 'is required' });
    else if (nameProblem) fields.push({ name: 'name', message: nameProblem });
    let orgId = this.orgId;
    if (input.project_id !== undefined) {
      const target = parseNativeId(input.project_id);
      if (target === undefined || !this.inScope(target)) fields.push({ name: 'project_id', message: "must be an organization of this connection (or be left out for the connection's own)" });
      else orgId = target;
    }
    const params = input.params ?? {};
    const owner = params.owner_user_id;
    const ownerId = typeof owner === 'number' ? owner : typeof owner === 'string' && /^[0-9]{1,15}$/.test(owner) ? Number(owner) : undefined;
    if (owner !== undefined && owner !== null && (ownerId === undefined || !Number.isSafeInteger(ownerId) || ownerId <= 0)) {
      fields.push({ name: 'params.owner_user_id', message: 'must be the numeric id of a user' });
    }
    for (const key of Object.keys(params)) {
      if (key !== 'owner_user_id') fields.push({ name: `params.${key.slice(0, 64)}`, message: 'is not accepted by Blynk (allowed: owner_user_id)' });
    }
    if (fields.length > 0) throw GatewayError.validation(fields);
    this.refuseUnsupported(input);

    const body: BlynkCreateDeviceBody = { templateId: (input.type as string).trim(), name: input.name as string, orgId };
    if (ownerId !== undefined) body.ownerId = ownerId;
    const created = await this.client.createDevice(body, ctx);
    if (typeof created.templateId === 'number') this.templateIds.set(created.templateId, body.templateId);
    return this.complete(created, ctx);
  }

  /** Blynk devices have no labels or serial numbers, and the Devices API cannot set tags. */
  private refuseUnsupported(input: { labels?: Record<string, unknown>; tags?: string[]; serial_number?: string }): void {
    if (input.labels !== undefined && Object.keys(input.labels).length > 0) {
      throw new GatewayError('not_supported', 'Blynk devices have no labels.');
    }
    if (input.serial_number !== undefined) throw new GatewayError('not_supported', 'Blynk devices have no serial number.');
    if (input.tags !== undefined && input.tags.length > 0) {
      throw new GatewayError('not_supported', "The Blynk Devices API reads a device's tags but cannot set them.");
    }
  }

  async updateDevice(deviceId: string, input: UpdateDeviceInput, ctx: CallContext): Promise<Device> {
    const id = this.deviceIdOf(deviceId);
    if (input.name !== undefined) {
      const problem = deviceNameProblem(input.name);
      if (problem) throw GatewayError.validation([{ name: 'name', message: problem }]);
    }
    if (input.labels !== undefined && Object.keys(input.labels).length > 0) throw new GatewayError('not_supported', 'Blynk devices have no labels.');
    // `tags` replaces the whole set; even an empty set is a write the vendor cannot do.
    if (input.tags !== undefined) throw new GatewayError('not_supported', "The Blynk Devices API reads a device's tags but cannot set them.");
    if (input.name === undefined) return this.getDevice(deviceId, ctx);
    await this.requireInScope(id, deviceId, ctx);
    return this.complete(await this.client.renameDevice(id, input.name, ctx), ctx);
  }

  async deleteDevice(deviceId: string, ctx: CallContext): Promise<void> {
    const id = this.deviceIdOf(deviceId);
    await this.requireInScope(id, deviceId, ctx);
    await this.client.deleteDevice(id, ctx);
  }

  /**
   * `project_id` → `transfer/to-organization`, `owner_user_id` → `transfer/to-owner` (both 204). The device is
   * read afterwards without the scope check: a transfer may well move it out of this connection.
   */
  async transferDevice(deviceId: string, target: TransferInput, ctx: CallContext): Promise<Device> {
    const id = this.deviceIdOf(deviceId);
    const hasProject = target.project_id !== undefined;
    const hasOwner = target.owner_user_id !== undefined;
    if (hasProject === hasOwner) {
      throw GatewayError.validation([{ name: hasProject ? 'owner_user_id' : 'project_id', message: 'give exactly one of project_id and owner_user_id' }]);
    }
    if (hasOwner) {
      const raw = target.owner_user_id as string;
      const userId = /^[1-9][0-9]{0,14}$/.test(raw) ? Number(raw) : undefined;
      if (userId === undefined) throw GatewayError.validation([{ name: 'owner_user_id', message: 'must be the numeric id of a Blynk user' }]);
      await this.requireInScope(id, deviceId, ctx);
      await this.client.transferToOwner({ deviceId: id, newUserId: userId }, ctx);
    } else {
      const orgId = parseNativeId(target.project_id as string);
      if (orgId === undefined || !this.inScope(orgId)) throw notFound('project', target.project_id as string);
      await this.requireInScope(id, deviceId, ctx);
      await this.client.transferToOrganization({ deviceId: id, newOrgId: orgId }, ctx);
    }
    return this.complete(await this.client.getDevice(id, ctx), ctx);
  }

  async getDeviceStatus(deviceId: string, ctx: CallContext): Promise<DeviceStatus> {
    const id = this.deviceIdOf(deviceId);
    const [info, online] = await Promise.all([this.client.getDevice(id, ctx), this.client.getOnline(id, ctx)]);
    if (!this.inScope(info.orgId)) throw notFound('device', deviceId);
    return { ...mapStatus(info, online.connected, this.connectionId, Date.now()), native: { device: info, online } };
  }

  /** Blynk's API reads only current datastream values (no history): a device's readings are those, from one device read. */
  readings(deviceId: string): ListSource<Reading> {
    const id = this.deviceIdOf(deviceId);
    return readingsSnapshot(async (ctx) => {
      const device = await this.client.getDevice(id, ctx);
      if (!this.inScope(device.orgId)) throw notFound('device', deviceId);
      return this.toDevice(device).readings ?? [];
    });
  }

  // ── messages ─────────────────────────────────────────────────────────────

  messages(deviceId: string): ListSource<Message> {
    return {
      // The timeline is newest first and has no sort parameter (§5.10).
      plan: (query: ListQuery): ListPlan => ({ order: 'DESC', exactTotal: timelinePushDown(query.filters).exact }),
      fetchPage: (query, cursor, ctx) => this.fetchTimeline(deviceId, query, cursor, ctx),
    };
  }

  /**
   * One timeline page. `native_type` eq → `eventType` (an unknown type may be refused with 400: the page is then
   * read without it and the gateway filters). `created_at__gte` ends the walk at the first older event, as the
   * timeline is newest first. The vendor answers 404 for a device it does not know; a device outside the
   * connection's organization is checked on the first page, in parallel.
   */
  private async fetchTimeline(deviceId: string, query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Message>> {
    const id = this.deviceIdOf(deviceId);
    const push = timelinePushDown(query.filters);
    const at = readCursor(cursor) ?? { p: 0, s: clampSize(query.pageSize), e: push.eventType !== undefined };
    const read = async (): Promise<{ page: VendorList<BlynkTimelineEvent>; typed: boolean }> => {
      const typed = at.e === true && push.eventType !== undefined;
      try {
        return { page: await this.client.timeline({ deviceId: id, eventType: typed ? push.eventType : undefined, page: at.p, size: at.s }, ctx), typed };
      } catch (error) {
        if (!(typed && at.p === 0 && isGatewayError(error) && error.upstreamStatus === 400)) throw error;
        return { page: await this.client.timeline({ deviceId: id, page: 0, size: at.s }, ctx), typed: false };
      }
    };
    const [{ page, typed }] = await Promise.all([read(), cursor === null ? this.requireInScope(id, deviceId, ctx) : undefined]);
    const items = page.content.map((event) => mapTimelineEvent(event, this.connectionId, deviceId));
    const olderThanWanted = push.since !== undefined && page.content.some((event) => event.ts < (push.since as number));
    const here: PageCursor = { p: at.p, s: at.s, e: typed };
    const next = isLastPage(page, here) || olderThanWanted ? null : { p: at.p + 1, s: at.s, e: typed };
    // The total counts what was asked: with the event type dropped it would count every type.
    const total = push.eventType === undefined || typed ? page.total : undefined;
    return total === undefined ? { items, next } : { items, next, total };
  }

  // ── commands ─────────────────────────────────────────────────────────────

  async sendCommand(deviceId: string, command: SendCommandInput, ctx: CallContext): Promise<Command> {
    const id = this.deviceIdOf(deviceId);
    const request = commandRequest(id, command);
    await this.requireInScope(id, deviceId, ctx);
    if (request.endpoint === 'trigger-event') await this.client.triggerEvent(request.body, ctx);
    else await this.client.setDatastream(request.body, ctx);
    return mapCommand(command, deviceId, this.connectionId, Date.now());
  }
}
