import {
  parseUnifiedId,
  type CallContext,
  type ConnectionConfig,
  type Device,
  type DeviceStatus,
  type ListPlan,
  type ListQuery,
  type ListSource,
  type Message,
  type Project,
  type ProviderConnection,
  type ProviderDeps,
  type PullSource,
  type TransferInput,
  type UpdateDeviceInput,
  type VendorCursor,
  type VendorPage,
} from '@devicegate/core';
import { GatewayError, isGatewayError } from '@devicegate/errors';
import { DEFAULT_TOKEN_URL, DisruptiveClient, type DisruptiveAuth } from './disruptive.client.js';
import { batchError, shapeError, type ErrorAttribution } from './disruptive.errors.js';
import { DisruptiveStream } from './disruptive.pull.js';
import {
  NAME_LABEL,
  PROVIDER,
  deviceName,
  organizationName,
  parseDeviceName,
  parseProjectName,
  planDevicePushdown,
  planEventPushdown,
  planProjectPushdown,
  toDevice,
  toDeviceStatus,
  toMessage,
  toProject,
  type DeviceRef,
} from './disruptive.mapper.js';
import type { DtDevice, DtDeviceListQuery, DtEventListQuery, DtProject } from './disruptive.types.js';

/** Largest page of projects and devices (§3.4). */
const MAX_PAGE = 100;
/** Largest page of `/events` (§3.4, changelog). */
const MAX_EVENT_PAGE = 1000;
/**
 * `/events` reads only the last 24 h unless told otherwise (§5.9; the python client's `list_events` says
 * the same of its `start_time`). Without a `created_at__gte` filter the history is asked for from this
 * date on, which predates DT's sensors, so every kept event is listed, however long DT keeps them.
 */
const HISTORY_START = '2015-01-01T00:00:00.000Z';
/**
 * How far back history reaches: "All events for the last 30 days for each sensor is available" at
 * `/events` (DT support, "Polling the Events API", support.disruptive-technologies.com/hc/en-us/articles/
 * 360012421139); the API reference states no retention. What DT does with an older `start_time` is not
 * documented: should it refuse one (400), the read is asked again from 30 days back, one minute inside
 * the window for clock skew, and the connection asks from there from then on.
 */
const HISTORY_KEPT_MS = 30 * 86_400_000 - 60_000;
/** How long the project list that a device listing walks through is reused. */
const PROJECT_LIST_TTL_MS = 60_000;
/** Devices whose project is remembered (for event history, which needs the project in its path). */
const DEVICE_PROJECT_CACHE = 10_000;

/** Provider-specific keys of a DT connection, as the connection schema admits them. */
/** The connection keys of a DT connection (the provider's connection schema). */
export type DisruptiveSettings = {
  organization_id?: string;
  token_url?: string;
  push_issuer?: string;
  auth?: 'oauth2' | 'basic';
};

/**
 * The first time window of a newest-first history read. `/events` only reads forward in time, so a
 * newest-first read walks back in windows, each read whole and reversed: the next reaches twice as far
 * back while windows come back short, and a window holding more than a page is narrowed to what the
 * page it got suggests. A page thus costs about the same whatever the device's age.
 */
const FIRST_WINDOW_MS = 3_600_000;

const ASC_PLAN: ListPlan = { order: 'ASC', exactTotal: false };
const DESC_PLAN: ListPlan = { order: 'DESC', exactTotal: false };
const EMPTY = <T>(): VendorPage<T> => ({ items: [], next: null });
/**
 * The vendor page size for a query. Every list here is yielded ASC; for a DESC query the gateway reads
 * the whole list and reverses it, so the largest pages cost the fewest calls.
 */
const pageSizeFor = (query: ListQuery, max: number): number =>
  query.order === 'ASC' ? Math.max(1, Math.min(max, Math.floor(query.pageSize) || max)) : max;

/** Cursor of a device list walked project by project: project index and id, and the device page token in it. */
interface ProjectWalkCursor {
  i: number;
  p: string;
  t: string;
}

/**
 * Cursor of an event history: the device's project (resolved on the first page), the page token and the
 * `start_time` the first page was asked with (later pages must ask the same query).
 */
interface EventCursor {
  p: string;
  t: string;
  s?: string;
}

/** Cursor of a newest-first history: the device's project, the end of the next window (epoch ms, exclusive) and its span. */
interface BackwardCursor {
  p: string;
  e: number;
  w: number;
}

function asBackwardCursor(cursor: VendorCursor): BackwardCursor {
  if (typeof cursor === 'object' && cursor !== null && typeof cursor.p === 'string' && typeof cursor.e === 'number' && typeof cursor.w === 'number') {
    return { p: cursor.p, e: cursor.e, w: cursor.w };
  }
  throw badCursor();
}

function badCursor(): GatewayError {
  return new GatewayError('internal_server_error', 'A stored list position of this connection could not be read.');
}

function asWalkCursor(cursor: VendorCursor): ProjectWalkCursor {
  if (typeof cursor === 'object' && cursor !== null && typeof cursor.i === 'number' && typeof cursor.p === 'string' && typeof cursor.t === 'string') {
    return { i: cursor.i, p: cursor.p, t: cursor.t };
  }
  throw badCursor();
}

function asEventCursor(cursor: VendorCursor): EventCursor {
  if (typeof cursor === 'object' && cursor !== null && typeof cursor.p === 'string' && typeof cursor.t === 'string') {
    return { p: cursor.p, t: cursor.t, s: typeof cursor.s === 'string' ? cursor.s : undefined };
  }
  throw badCursor();
}

/**
 * One DT connection. Native ids are the vendor's bare ids: a project id, a device id, an event id.
 * With `organization_id` the connection is scoped to that organization (lists use `organization`,
 * single reads outside it answer 404); without it, it covers every project the account sees.
 */
export class DisruptiveConnection implements ProviderConnection {
  readonly projects: ListSource<Project>;
  readonly devices: ListSource<Device>;
  readonly pull: PullSource;

  private readonly client: DisruptiveClient;
  private readonly who: ErrorAttribution;
  private readonly organization?: string;
  /** device id → project id, learnt from every device read (events need the project in their path). */
  private readonly deviceProjects = new Map<string, string>();
  /** project id → organization name, for the organization scope of single reads. */
  private readonly projectOrganizations = new Map<string, string | null>();
  private projectIdList?: { ids: string[]; at: number };
  private projectIdsInflight?: Promise<string[]>;
  /** DT refused a `start_time` before its kept history: reads ask from HISTORY_KEPT_MS back (see there). */
  private historyBounded = false;

  constructor(
    private readonly connection: ConnectionConfig<DisruptiveSettings>,
    deps: ProviderDeps,
  ) {
    this.who = { connectionId: connection.id, provider: PROVIDER };
    const { settings } = connection;
    this.organization = settings.organization_id ? organizationName(settings.organization_id) : undefined;
    this.client = new DisruptiveClient(deps.http, authOf(connection), this.who);
    this.projects = { plan: () => ASC_PLAN, fetchPage: (query, cursor, ctx) => this.fetchProjects(query, cursor, ctx) };
    this.devices = { plan: () => ASC_PLAN, fetchPage: (query, cursor, ctx) => this.fetchDevices(query, cursor, ctx) };
    this.pull = new DisruptiveStream(this.client, (ctx) => this.projectIdsInOrder(undefined, ctx), this.who);
  }

  /** A device's event history, oldest first: DT has no newest-first order, so the gateway reverses for DESC. */
  messages(deviceId: string): ListSource<Message> {
    return {
      plan: (query) => (query.order === 'DESC' ? DESC_PLAN : ASC_PLAN),
      fetchPage: (query, cursor, ctx) => (query.order === 'DESC' ? this.fetchEventsBackwards(deviceId, query, cursor, ctx) : this.fetchEvents(deviceId, query, cursor, ctx)),
    };
  }

  async getProject(projectId: string, ctx: CallContext): Promise<Project> {
    const project = await this.client.findProject(projectId, ctx);
    if (!project || !this.inScope(project)) throw this.notFound('project', projectId);
    this.projectOrganizations.set(projectId, project.organization ?? null);
    return toProject(project, this.connection.id);
  }

  async getDevice(deviceId: string, ctx: CallContext): Promise<Device> {
    return toDevice(await this.requireDevice(deviceId, ctx), this.connection.id, Date.now());
  }

  async getDeviceStatus(deviceId: string, ctx: CallContext): Promise<DeviceStatus> {
    const device = await this.requireDevice(deviceId, ctx);
    return { ...toDeviceStatus(device, this.connection.id, Date.now()), native: { device } };
  }

  /**
   * Labels and name through `devices:batchUpdate` (§5.6): labels set to a value are added or
   * overwritten, labels set to null are removed, `name` is the `name` label. DT devices have no tags.
   */
  async updateDevice(deviceId: string, input: UpdateDeviceInput, ctx: CallContext): Promise<Device> {
    // DT has no tags, so every device's set is empty: asking for an empty set changes nothing.
    if (input.tags !== undefined && input.tags.length > 0) {
      throw new GatewayError('not_supported', 'Disruptive Technologies devices have no tags; use labels instead.', this.who);
    }
    if (input.labels && Object.hasOwn(input.labels, NAME_LABEL)) {
      throw GatewayError.validation([{ name: 'labels.name', message: 'is the device name on this provider; set `name` instead' }]);
    }
    const current = await this.requireDevice(deviceId, ctx);
    const ref = this.refOf(current);
    const existing = current.labels ?? {};
    const addLabels: Record<string, string> = {};
    const removeLabels: string[] = [];
    for (const [key, value] of Object.entries(input.labels ?? {})) {
      if (value === null) {
        if (Object.hasOwn(existing, key)) removeLabels.push(key);
      } else addLabels[key] = value;
    }
    if (input.name !== undefined) addLabels[NAME_LABEL] = input.name;
    // The vendor refuses a batchUpdate with nothing to add or remove (§5.6); nothing to change is answered locally.
    if (Object.keys(addLabels).length === 0 && removeLabels.length === 0) return toDevice(current, this.connection.id, Date.now());

    const answer = await this.client.batchUpdate(
      ref.projectId,
      {
        devices: [deviceName(ref)],
        ...(Object.keys(addLabels).length > 0 ? { addLabels } : {}),
        ...(removeLabels.length > 0 ? { removeLabels } : {}),
      },
      ctx,
    );
    if (Array.isArray(answer.batchErrors) && answer.batchErrors.length > 0) throw batchError(answer.batchErrors, this.who, 'labels', this.client.secrets());
    const updated = await this.client.findDevice(ref.projectId, deviceId, ctx);
    if (!updated) throw this.notFound('device', deviceId);
    return toDevice(this.remember(updated), this.connection.id, Date.now());
  }

  /** Moves the device into another project of the connection with `devices:transfer` (§5.7). */
  async transferDevice(deviceId: string, target: TransferInput, ctx: CallContext): Promise<Device> {
    if (target.owner_user_id !== undefined) {
      throw new GatewayError('not_supported', 'Disruptive Technologies devices have no owners; transfer them with `project_id`.', this.who);
    }
    if (!target.project_id) throw GatewayError.validation([{ name: 'project_id', message: 'is required' }]);
    const targetId = this.ownNativeId(target.project_id, 'project_id');
    if (this.organization && !(await this.projectInScope(targetId, ctx))) throw this.notFound('project', targetId);

    const current = await this.requireDevice(deviceId, ctx);
    const ref = this.refOf(current);
    if (ref.projectId === targetId) return toDevice(current, this.connection.id, Date.now());

    const answer = await this.client.transfer(targetId, [deviceName(ref)], ctx);
    // A 404 on a `:method` names its parent, i.e. the target project (§3.2).
    if (!answer) throw this.notFound('project', targetId);
    if (Array.isArray(answer.transferErrors) && answer.transferErrors.length > 0) throw batchError(answer.transferErrors, this.who, 'project_id', this.client.secrets());
    this.deviceProjects.delete(deviceId);
    const moved = await this.client.findDevice(targetId, deviceId, ctx);
    if (!moved) throw this.notFound('device', deviceId);
    return toDevice(this.remember(moved), this.connection.id, Date.now());
  }

  authHeaders(ctx: CallContext): Promise<Record<string, string>> {
    return this.client.authHeaders(ctx);
  }

  // -------------------------------------------------------------------------------------------
  // Lists

  /**
   * `GET /projects` paged by its token. Only an exact `id` is pushed down: one `GET /projects/{id}`
   * answers it (a single item has the same order either way).
   */
  private async fetchProjects(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Project>> {
    const push = planProjectPushdown(query.filters, this.connection.id);
    if (push.none) return EMPTY();
    if (push.projectIds?.length === 1) {
      const project = await this.client.findProject(push.projectIds[0], ctx);
      return { items: project && this.inScope(project) ? [toProject(project, this.connection.id)] : [], next: null };
    }
    if (cursor !== null && typeof cursor !== 'string') throw badCursor();
    const page = await this.client.listProjects(
      { organization: this.organization, page_size: pageSizeFor(query, MAX_PAGE), page_token: cursor ?? undefined },
      ctx,
    );
    for (const project of page.projects) {
      const id = parseProjectName(project.name);
      if (id) this.projectOrganizations.set(id, project.organization ?? null);
    }
    return { items: page.projects.map((p) => toProject(p, this.connection.id)), next: page.nextPageToken || null };
  }

  /**
   * Devices. With an organization: `GET /projects/-/devices?organization=…` in one paged stream
   * (cursor = page token). Without: each project in the vendor's project order, page by page
   * (cursor = {i: project index, p: project id, t: page token}).
   */
  private async fetchDevices(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Device>> {
    const push = planDevicePushdown(query.filters, this.connection.id);
    if (push.none) return EMPTY();
    const base: DtDeviceListQuery = {
      device_ids: push.deviceIds,
      device_types: push.deviceTypes,
      label_filters: push.labelFilters.length > 0 ? push.labelFilters : undefined,
      page_size: pageSizeFor(query, MAX_PAGE),
    };
    const now = Date.now();
    const map = (devices: DtDevice[]) => devices.map((d) => toDevice(this.remember(d), this.connection.id, now));

    if (this.organization) {
      if (cursor !== null && typeof cursor !== 'string') throw badCursor();
      const page = await this.client.listDevices(
        '-',
        { ...base, organization: this.organization, projects: push.projectIds?.map((p) => `projects/${p}`), page_token: cursor ?? undefined },
        ctx,
      );
      if (!page) {
        throw new GatewayError('upstream_error', 'The vendor does not know the organization configured for this connection.', { ...this.who, upstreamStatus: 404 });
      }
      return { items: map(page.devices), next: page.nextPageToken || null };
    }

    // Pushed-down project ids are read only when the account lists them, exactly as an unfiltered walk would.
    const projects = await this.projectIdsInOrder(push.projectIds, ctx);
    let index = 0;
    let token: string | undefined;
    if (cursor !== null) {
      const at = asWalkCursor(cursor);
      const found = projects.indexOf(at.p);
      // A project that vanished since the cursor was made takes its devices along: go on with the next one.
      index = found >= 0 ? found : Math.min(at.i, projects.length);
      token = found >= 0 && at.t !== '' ? at.t : undefined;
    }
    // Empty projects are skipped within one call, so a page is only empty at the very end.
    while (index < projects.length) {
      const projectId = projects[index];
      const page = await this.client.listDevices(projectId, { ...base, page_token: token }, ctx);
      const items = page ? map(page.devices) : [];
      if (page?.nextPageToken) return { items, next: { i: index, p: projectId, t: page.nextPageToken } };
      index += 1;
      token = undefined;
      if (items.length > 0) return { items, next: index < projects.length ? { i: index, p: projects[index], t: '' } : null };
    }
    return EMPTY();
  }

  /**
   * `GET /projects/{p}/devices/{d}/events`, oldest first. The first page learns the device's project
   * (which also answers 404 for an unknown device); later pages carry it in the cursor.
   */
  private async fetchEvents(deviceId: string, query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Message>> {
    const push = planEventPushdown(query.filters, this.connection.id);
    const position = cursor === null ? undefined : asEventCursor(cursor);
    let projectId = position?.p ?? (await this.projectOfDevice(deviceId, ctx));
    if (push.none) return EMPTY();
    const eventQuery = {
      event_types: push.eventTypes,
      start_time: position?.s ?? this.historyStart(push.startMs),
      end_time: push.endMs === undefined ? undefined : new Date(push.endMs).toISOString(),
      page_size: pageSizeFor(query, MAX_EVENT_PAGE),
      page_token: position?.t || undefined,
    };
    const first = await this.firstEventsPage(projectId, deviceId, eventQuery, push.startMs, !position, ctx);
    const page = first.page;
    projectId = first.projectId;
    return {
      items: page.events.map((event) => toMessage(event, this.connection.id)),
      next: page.nextPageToken ? { p: projectId, t: page.nextPageToken, s: eventQuery.start_time } : null,
    };
  }

  /** One window of history, newest first (see FIRST_WINDOW_MS); the window ends at the cursor's end, else at the caller's bound or now. */
  private async fetchEventsBackwards(deviceId: string, query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Message>> {
    const push = planEventPushdown(query.filters, this.connection.id);
    const position = cursor === null ? undefined : asBackwardCursor(cursor);
    let projectId = position?.p ?? (await this.projectOfDevice(deviceId, ctx));
    if (push.none) return EMPTY();
    const end = position?.e ?? push.endMs;
    const top = end ?? Date.now();
    let span = position?.w ?? FIRST_WINDOW_MS;
    for (;;) {
      const floor = Date.parse(this.historyStart(push.startMs));
      const eventQuery: DtEventListQuery = {
        event_types: push.eventTypes,
        start_time: new Date(Math.max(floor, top - span)).toISOString(),
        // No end for the newest window: DT then reads up to and including now.
        end_time: end === undefined ? undefined : new Date(end).toISOString(),
        page_size: MAX_EVENT_PAGE,
      };
      const first = await this.firstEventsPage(projectId, deviceId, eventQuery, push.startMs, !position, ctx);
      const page = first.page;
      projectId = first.projectId;
      const start = Date.parse(eventQuery.start_time!);
      // A copy: the page is the vendor body, parsed once and shared (frozen) with every caller of the same read.
      const events = [...page.events];
      if (page.nextPageToken) {
        // More than a page in this window: the time its page of events spans says how long a window holds about half a page.
        const covered = Date.parse(events[events.length - 1].timestamp) - Date.parse(events[0].timestamp);
        const narrower = covered >= 2 ? Math.floor(covered / 2) : 2;
        if (narrower < span) {
          span = narrower;
          continue;
        }
        // A page's worth within two milliseconds: this window is read to its end.
        for (let token: string | undefined = page.nextPageToken; token; ) {
          const more = await this.client.listEvents(projectId, deviceId, { ...eventQuery, page_token: token }, ctx);
          if (!more) throw this.notFound('device', deviceId);
          events.push(...more.events);
          token = more.nextPageToken;
        }
      }
      const items = events.map((event) => toMessage(event, this.connection.id)).reverse();
      // A window worth a good part of a vendor page keeps its span; a sparser one doubles it, an empty one reaches sixteen times as far (a quiet device's history is found in a few calls).
      const grow = items.length >= MAX_EVENT_PAGE / 4 ? 1 : items.length > 0 ? 2 : 16;
      const next = start <= floor ? null : { p: projectId, e: start, w: span * grow };
      return { items, next };
    }
  }

  /** The `start_time` of a history read: the caller's lower bound, else HISTORY_START; within kept history once DT asked for that. */
  private historyStart(startMs: number | undefined): string {
    if (!this.historyBounded) return startMs === undefined ? HISTORY_START : new Date(startMs).toISOString();
    return new Date(Math.max(startMs ?? -Infinity, Date.now() - HISTORY_KEPT_MS)).toISOString();
  }

  /**
   * The first page of a read that no cursor has pinned to a project yet; the remembered project may be stale
   * (the device moved), so a miss looks the device up once more before it is "not found".
   */
  private async firstEventsPage(projectId: string, deviceId: string, eventQuery: DtEventListQuery, startMs: number | undefined, relookup: boolean, ctx: CallContext) {
    let page = await this.listEvents(projectId, deviceId, eventQuery, startMs, ctx);
    if (!page && relookup) {
      this.deviceProjects.delete(deviceId);
      projectId = await this.projectOfDevice(deviceId, ctx);
      page = await this.listEvents(projectId, deviceId, eventQuery, startMs, ctx);
    }
    if (!page) throw this.notFound('device', deviceId);
    return { page, projectId };
  }

  /** A history page; a 400 to a `start_time` before the kept history is asked again from within it (HISTORY_KEPT_MS). */
  private async listEvents(projectId: string, deviceId: string, eventQuery: DtEventListQuery, startMs: number | undefined, ctx: CallContext) {
    try {
      return await this.client.listEvents(projectId, deviceId, eventQuery, ctx);
    } catch (error) {
      const tooOld = eventQuery.start_time !== undefined && Date.parse(eventQuery.start_time) < Date.now() - HISTORY_KEPT_MS;
      if (!isGatewayError(error) || error.upstreamStatus !== 400 || !tooOld || eventQuery.page_token) throw error;
      this.historyBounded = true;
      eventQuery.start_time = this.historyStart(startMs);
      return this.client.listEvents(projectId, deviceId, eventQuery, ctx);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  /** A device of this connection (any project, `projects/-/devices/{id}`), or not_found. */
  private async requireDevice(deviceId: string, ctx: CallContext): Promise<DtDevice> {
    const device = await this.client.findDevice('-', deviceId, ctx);
    if (!device) throw this.notFound('device', deviceId);
    const ref = this.refOf(device);
    if (this.organization && !(await this.projectInScope(ref.projectId, ctx))) throw this.notFound('device', deviceId);
    return this.remember(device);
  }

  private async projectOfDevice(deviceId: string, ctx: CallContext): Promise<string> {
    const known = this.deviceProjects.get(deviceId);
    if (known !== undefined) return known;
    return this.refOf(await this.requireDevice(deviceId, ctx)).projectId;
  }

  private refOf(device: DtDevice): DeviceRef {
    const ref = parseDeviceName(device.name);
    if (!ref) throw shapeError(this.who, 200, 'device name');
    return ref;
  }

  /** Notes the device's project; the oldest entries make room once the cache is full. */
  private remember(device: DtDevice): DtDevice {
    const ref = parseDeviceName(device.name);
    if (ref) {
      this.deviceProjects.delete(ref.deviceId);
      this.deviceProjects.set(ref.deviceId, ref.projectId);
      if (this.deviceProjects.size > DEVICE_PROJECT_CACHE) this.deviceProjects.delete(this.deviceProjects.keys().next().value!);
    }
    return device;
  }

  private inScope(project: DtProject): boolean {
    return !this.organization || project.organization === this.organization;
  }

  /** Whether a project belongs to the configured organization (remembered: projects do not change organization). */
  private async projectInScope(projectId: string, ctx: CallContext): Promise<boolean> {
    if (!this.organization) return true;
    if (!this.projectOrganizations.has(projectId)) {
      const project = await this.client.findProject(projectId, ctx);
      if (!project) return false;
      this.projectOrganizations.set(projectId, project.organization ?? null);
    }
    return this.projectOrganizations.get(projectId) === this.organization;
  }

  /**
   * Every project id the account sees, in the vendor's order (reused for a minute, and fetched once for
   * concurrent callers), or the listed ones of `only` in that order.
   */
  private async projectIdsInOrder(only: string[] | undefined, ctx: CallContext): Promise<string[]> {
    let ids: string[];
    if (this.projectIdList && Date.now() - this.projectIdList.at < PROJECT_LIST_TTL_MS) ids = this.projectIdList.ids;
    else {
      this.projectIdsInflight ??= this.readProjectIds(ctx).finally(() => {
        this.projectIdsInflight = undefined;
      });
      ids = await this.projectIdsInflight;
    }
    return only ? ids.filter((id) => only.includes(id)) : ids;
  }

  private async readProjectIds(ctx: CallContext): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.listProjects({ organization: this.organization, page_size: MAX_PAGE, page_token: token }, ctx);
      for (const project of page.projects) {
        const id = parseProjectName(project.name);
        if (id) ids.push(id);
      }
      token = page.nextPageToken || undefined;
    } while (token);
    this.projectIdList = { ids, at: Date.now() };
    return ids;
  }

  /** The native id of a project named by its native or unified id; a project of another connection cannot be a target. */
  private ownNativeId(value: string, field: string): string {
    if (!value.includes(':')) return value;
    const parsed = parseUnifiedId(value);
    if (!parsed || parsed.connectionId !== this.connection.id) {
      throw GatewayError.validation([{ name: field, message: `must be a project of the connection '${this.connection.id}'` }]);
    }
    return parsed.nativeId;
  }

  private notFound(kind: 'device' | 'project', nativeId: string): GatewayError {
    return new GatewayError('not_found', `No ${kind} '${nativeId}' in connection '${this.connection.id}'.`, this.who);
  }
}

/** The connection's authentication from its settings and credentials (validated by the connection schema). */
function authOf(connection: ConnectionConfig<DisruptiveSettings>): DisruptiveAuth {
  const { settings } = connection;
  const { key_id: keyId, secret, email } = connection.credentials;
  if (settings.auth === 'basic') return { mode: 'basic', keyId, secret };
  if (!email) {
    throw new GatewayError('internal_server_error', `Connection '${connection.id}': credentials.email is required for OAuth2.`);
  }
  return { mode: 'oauth2', keyId, secret, email, tokenUrl: settings.token_url ?? DEFAULT_TOKEN_URL };
}
