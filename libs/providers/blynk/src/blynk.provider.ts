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
  type PullSource,
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
  NO_FACTS,
  templateFactsOf,
  type TemplateFacts,
  type DeviceExtras,
  parseNativeId,
  parseOrgId,
  PROVIDER,
  summaryOf,
} from './blynk.mapper.js';
import { devicePushDown, projectPushDown, timelinePushDown, type BlynkScope } from './blynk.push-down.js';
import { BlynkSampler, DEFAULT_SAMPLE_INTERVAL_SECONDS } from './blynk.sample.js';
import type { BlynkCreateDeviceBody, BlynkDevice, BlynkDeviceFull } from './blynk.types.js';

/** Documented page size maximum of every paged endpoint (§3). */
export const BLYNK_PAGE_MAX = 1000;
/** How long a template's events and datastreams are used before they are read again. */
const TEMPLATE_TTL_MS = 10 * 60_000;
/** How soon a template that could not be read is tried again. */
const TEMPLATE_RETRY_MS = 60_000;
/** Devices whose template a connection remembers. */
const MAX_KNOWN_DEVICES = 50_000;
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

const numericTemplate = (device: BlynkDevice): number | undefined => (typeof device.templateId === 'number' ? device.templateId : undefined);

/**
 * A list cursor: the vendor page number `p` and the page size `s` it was asked with. The size is fixed for the
 * whole walk (the gateway may resume a stored cursor with another page size, and page numbers only line up
 * with the size they were counted in).
 */
interface PageCursor {
  p: number;
  s: number;
}

function readCursor(cursor: VendorCursor | null): PageCursor | undefined {
  if (cursor === null) return undefined;
  if (typeof cursor === 'object') {
    const { p, s } = cursor as Record<string, unknown>;
    if (Number.isInteger(p) && (p as number) >= 0 && Number.isInteger(s) && (s as number) >= 1 && (s as number) <= BLYNK_PAGE_MAX) return { p: p as number, s: s as number };
  }
  throw new GatewayError('internal_server_error', 'A list cursor that this provider did not issue was passed back to it.');
}

/** Whether the page just read was the last: a short page, or the vendor's total is reached. */
function isLastPage<T>(page: VendorList<T>, cursor: PageCursor): boolean {
  return page.content.length < cursor.s || (page.total !== undefined && (cursor.p + 1) * cursor.s >= page.total);
}

/** The connection keys of a Blynk connection (the provider's connection schema: `org_id` an integer or its digits). */
export type BlynkSettings = { org_id: number | string; include_sub_orgs?: boolean; sample_interval_seconds?: number };

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
  /** Push mode `pull`: devicegate samples the current datastream values (`BlynkSampler`). */
  readonly pull: PullSource;

  private readonly connectionId: string;
  private readonly orgId: number;
  private readonly includeSubOrgs: boolean;
  private readonly client: BlynkClient;
  /** Numeric template id → the `TMPL…` id devices are created with, learnt from creates and devices that report both. */
  private readonly templateIds = new Map<number, string>();
  /** Device id → numeric template id, learnt from every device object read (bounded: least recently learnt go first). */
  private readonly deviceTemplates = new Map<number, number>();
  /** Numeric template id → what it defines (`templateFacts`). */
  private readonly templates = new Map<number, { expires: number; facts: Promise<TemplateFacts> }>();

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
    this.pull = new BlynkSampler(
      { deviceIds: (ctx) => this.allDeviceIds(ctx), current: (id, ctx) => this.currentValues(id, ctx) },
      config.settings.sample_interval_seconds ?? DEFAULT_SAMPLE_INTERVAL_SECONDS,
      config.rate_limit,
    );
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

  /** Tags and online state: two more calls, made in parallel, that only single-device reads pay for (with the template's units, read once per template). */
  private async complete(device: BlynkDeviceFull, ctx: CallContext): Promise<Device> {
    const [tags, online, facts] = await Promise.all([this.client.getTags(device.id, ctx), this.client.getOnline(device.id, ctx), this.templateFacts(numericTemplate(device), ctx)]);
    return this.toDevice(device, { tags, online: online.connected, lastSeenAt: lastSeenOf(device) }, facts.units);
  }

  private toDevice(device: BlynkDevice, extras?: DeviceExtras, units?: ReadonlyMap<number, string>): Device {
    const reported = device.hardwareInfo?.templateId;
    if (typeof device.templateId === 'number' && typeof reported === 'string' && reported !== '') this.templateIds.set(device.templateId, reported);
    this.learnTemplate(device);
    return mapDevice(device, this.connectionId, extras, this.templateIds, units);
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
    this.learnTemplate(info);
    const facts = await this.templateFacts(numericTemplate(info), ctx);
    return { ...mapStatus(info, online.connected, this.connectionId, Date.now(), facts.units), native: { device: info, online } };
  }

  /**
   * Blynk's API reads only current datastream values (no history): a device's readings are those, from one device
   * read. Where the connection samples them (push mode `pull`), the gateway merges them with the sampled changes.
   */
  readings(deviceId: string): ListSource<Reading> {
    const id = this.deviceIdOf(deviceId);
    return readingsSnapshot(async (ctx) => {
      const device = await this.client.getDevice(id, ctx);
      if (!this.inScope(device.orgId)) throw notFound('device', deviceId);
      const facts = await this.templateFacts(numericTemplate(device), ctx);
      return this.toDevice(device, undefined, facts.units).readings ?? [];
    });
  }

  /** Every device of the connection, page by page (1000 a call), for sampling. */
  private async allDeviceIds(ctx: CallContext): Promise<number[]> {
    const ids: number[] = [];
    for (let cursor: PageCursor = { p: 0, s: BLYNK_PAGE_MAX }; ; cursor = { p: cursor.p + 1, s: cursor.s }) {
      const page = await this.client.listDevices({ orgId: this.orgId, includeSubOrgDevices: this.includeSubOrgs, page: cursor.p, size: cursor.s }, ctx, 'upstream_auth_failed');
      for (const device of page.content) if (this.inScope(device.orgId)) ids.push(device.id);
      if (isLastPage(page, cursor)) return ids;
    }
  }

  /** A device's current values and their units, for sampling; undefined for a device no longer the connection's. */
  private async currentValues(id: number, ctx: CallContext): Promise<{ device: BlynkDeviceFull; units: ReadonlyMap<number, string> } | undefined> {
    const device = await this.client.getDevice(id, ctx);
    if (!this.inScope(device.orgId)) return undefined;
    this.learnTemplate(device);
    return { device, units: (await this.templateFacts(numericTemplate(device), ctx)).units };
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
   * One timeline page, newest first. Items carry the template's event id, not its code: the codes come from the
   * template's event list, read once per template and connection (`templateFacts`), the device's template from
   * one base-info read per device and connection. `created_at__gte` ends the walk at the first older event.
   * The vendor answers 404 for a device it does not know; a device outside the connection's organization is
   * refused on the first page.
   */
  private async fetchTimeline(deviceId: string, query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Message>> {
    const id = this.deviceIdOf(deviceId);
    const push = timelinePushDown(query.filters);
    const at = readCursor(cursor) ?? { p: 0, s: clampSize(query.pageSize) };
    const [page, templateId] = await Promise.all([
      this.client.timeline({ deviceId: id, page: at.p, size: at.s }, ctx),
      cursor === null ? this.templateOfDevice(id, deviceId, ctx) : this.deviceTemplates.get(id) ?? this.templateOfDevice(id, deviceId, ctx),
    ]);
    const facts = await this.templateFacts(templateId, ctx);
    const items = page.content.map((event) => mapTimelineEvent(event, this.connectionId, deviceId, facts.codes));
    const olderThanWanted = push.since !== undefined && page.content.some((event) => event.ts < (push.since as number));
    const next = isLastPage(page, at) || olderThanWanted ? null : { p: at.p + 1, s: at.s };
    return page.total === undefined || !push.exact ? { items, next } : { items, next, total: page.total };
  }

  /**
   * The device's numeric template id (from a base-info read, remembered per connection), checking the device is
   * the connection's: outside sub-organizations every first page checks, as before.
   */
  private async templateOfDevice(id: number, nativeId: string, ctx: CallContext): Promise<number | undefined> {
    const known = this.deviceTemplates.get(id);
    if (known !== undefined && this.includeSubOrgs) return known;
    const info = await this.client.getDeviceBaseInfo(id, ctx);
    if (!this.inScope(info.orgId)) throw notFound('device', nativeId);
    this.learnTemplate(info);
    return typeof info.templateId === 'number' ? info.templateId : undefined;
  }

  private learnTemplate(device: BlynkDevice): void {
    if (typeof device.templateId !== 'number') return;
    this.deviceTemplates.delete(device.id);
    this.deviceTemplates.set(device.id, device.templateId);
    if (this.deviceTemplates.size > MAX_KNOWN_DEVICES) this.deviceTemplates.delete(this.deviceTemplates.keys().next().value as number);
  }

  /**
   * What the device's template defines (event codes by event id, datastream units by datastream id): two calls per
   * template, shared by every read of this connection for TEMPLATE_TTL_MS. A template that cannot be read (no
   * PRODUCT_VIEW permission, say) gives no codes and no units, tried again a minute later.
   */
  private templateFacts(templateId: number | undefined, ctx: CallContext): Promise<TemplateFacts> {
    if (templateId === undefined) return Promise.resolve(NO_FACTS);
    const now = Date.now();
    const cached = this.templates.get(templateId);
    if (cached && cached.expires > now) return cached.facts;
    const entry = { expires: now + TEMPLATE_TTL_MS, facts: Promise.resolve(NO_FACTS) };
    entry.facts = Promise.all([this.client.templateEvents(templateId, ctx), this.client.templateDataStreams(templateId, ctx)]).then(
      ([events, streams]) => templateFactsOf(events, streams),
      () => {
        entry.expires = Date.now() + TEMPLATE_RETRY_MS;
        return NO_FACTS;
      },
    );
    this.templates.set(templateId, entry);
    return entry.facts;
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
