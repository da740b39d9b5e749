import {
  toUnifiedId,
  type CallContext,
  type Command,
  type ConnectionConfig,
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
import { GatewayError, isGatewayError } from '@devicegate/errors';
import type { HttpClient } from '@devicegate/http-client';
import { PushDown } from '@devicegate/listing';
import { IottlyClient } from './iottly.client.js';
import {
  boardOf,
  commandErrorField,
  commandPrefix,
  commandValues,
  connectionStatusOf,
  cursorAfter,
  keyMessages,
  mapCommand,
  mapDevice,
  mapMessage,
  mapProject,
  mapStatus,
  messagePushDown,
  onlineOf,
  parseMessageCursor,
  PROVIDER,
  toVendorTime,
  unseen,
  type MessageCursor,
  type MessagePushDown,
} from './iottly.mapper.js';
import type { IottlyMessage, IottlyMessageQuery } from './iottly.types.js';

/** Largest `l` of the paginated messages API (§5.6: 1–100). */
export const MESSAGE_PAGE_MAX = 100;
/** How long the project's board (the device type of every device) is trusted; it is fixed when the project is made. */
/** Newest messages a status reads: the latest of each reading is almost always among them. */
const STATUS_MESSAGES = 10;

const BOARD_TTL_MS = 5 * 60_000;

const clamp = (value: number, min: number, max: number): number => Math.max(min, Math.min(max, Math.floor(value) || min));

const foreignCursor = (): GatewayError => new GatewayError('internal_server_error', 'A list cursor that this provider did not issue was passed back to it.');

/** Device fields a props list never fills: a filter that needs a value there matches no device. */
const ALWAYS_NULL_DATES = new Set(['created_at', 'updated_at', 'last_seen_at']);

/** The connection keys of an iottly connection (the provider's connection schema). */
export type IottlySettings = { project_id: string };

/**
 * One iottly connection: one project, reached with a project API key in the `Authentication` header.
 *
 * Messages come from the paginated API only. The history API (`messages/{id}`) answers just the newest
 * 100 messages, cannot filter by date (its `queryJson` takes `$date` as plain JSON) and cannot page, so it
 * can neither reach older messages nor answer a filter better; it stays reachable through passthrough.
 */
export class IottlyConnection implements ProviderConnection {
  readonly projects: ListSource<Project>;
  readonly devices: ListSource<Device>;
  private readonly client: IottlyClient;
  private readonly connectionId: string;
  private readonly projectId: string;
  private boardCache?: { value: string | null; until: number };

  constructor(config: ConnectionConfig<IottlySettings>, http: HttpClient) {
    this.connectionId = config.id;
    this.projectId = config.settings.project_id;
    this.client = new IottlyClient(http, this.projectId, config.credentials.api_key, { connectionId: config.id, provider: PROVIDER });
    this.projects = {
      plan: (query) => ({ order: query.order, exactTotal: this.projectPushDown(query.filters).exact }),
      fetchPage: (query, _cursor, ctx) => this.fetchProjects(query, ctx),
    };
    this.devices = {
      plan: (query) => ({ order: query.order, exactTotal: this.devicePushDown(query.filters).exact }),
      fetchPage: (query, _cursor, ctx) => this.fetchDevices(query, ctx),
    };
  }

  /** `GET project/ping`: the connection's host and key work. */
  ping(ctx: CallContext): Promise<void> {
    return this.client.ping(ctx);
  }

  messages(deviceId: string): ListSource<Message> {
    return {
      plan: (query): ListPlan => ({ order: query.order, exactTotal: false }),
      fetchPage: (query, cursor, ctx) => this.fetchMessages(deviceId, query, cursor, ctx),
    };
  }

  async getProject(projectId: string, ctx: CallContext): Promise<Project> {
    // A key belongs to exactly one project (§2): any other id cannot be reached through this connection.
    if (projectId !== this.projectId) throw new GatewayError('not_found', `No project has the id '${projectId.slice(0, 100)}'.`);
    const raw = await this.client.inspect(ctx);
    this.rememberBoard(boardOf(raw));
    return mapProject(raw, this.connectionId, this.projectId);
  }

  async getDevice(deviceId: string, ctx: CallContext): Promise<Device> {
    const [raw, board] = await Promise.all([this.client.getDevice(deviceId, ctx), this.board(ctx)]);
    return mapDevice(raw, { connectionId: this.connectionId, projectId: this.projectId, board });
  }

  /** Only `name` is editable (`PUT …/props`); the vendor has neither labels nor tags. */
  async updateDevice(deviceId: string, input: UpdateDeviceInput, ctx: CallContext): Promise<Device> {
    if (input.labels && Object.keys(input.labels).length > 0) {
      throw new GatewayError('not_supported', 'iottly devices have no labels; only the name can be changed.');
    }
    // The tag set of every iottly device is empty, so only an empty set can be "set".
    if (input.tags && input.tags.length > 0) throw new GatewayError('not_supported', 'iottly devices have no tags; only the name can be changed.');
    if (input.name === undefined) return this.getDevice(deviceId, ctx);
    if (typeof input.name !== 'string' || input.name.trim() === '') {
      throw GatewayError.validation([{ name: 'name', message: 'must be a non-empty string' }]);
    }
    const [raw, board] = await Promise.all([this.client.renameDevice(deviceId, { name: input.name }, ctx), this.board(ctx)]);
    return mapDevice(raw, { connectionId: this.connectionId, projectId: this.projectId, board });
  }

  /**
   * Online state from the props' `operatingstatus`; the last-seen time from the newest message. When the
   * props do not say connected/disconnected, the newest agent `connectionstatus` message decides.
   */
  async getDeviceStatus(deviceId: string, ctx: CallContext): Promise<DeviceStatus> {
    // A few of the newest messages: the newest tells when the device was last heard from, and the latest readings are rarely older.
    const [raw, newest] = await Promise.all([this.client.getDevice(deviceId, ctx), this.client.messages(deviceId, 0, { l: STATUS_MESSAGES, type: 'all', sort: 'desc' }, () => [], ctx)]);
    let lastConnection: IottlyMessage | undefined;
    if (onlineOf(raw.operatingstatus) === null) {
      const agent = await this.client.messages(deviceId, 0, { l: MESSAGE_PAGE_MAX, type: 'iottlyagent', sort: 'desc' }, () => [], ctx);
      lastConnection = agent.find((message) => connectionStatusOf(message) !== null);
    }
    return { ...mapStatus(raw, this.connectionId, newest, lastConnection, Date.now()), native: { device: raw, messages: newest, last_connection_message: lastConnection ?? null } };
  }

  /**
   * `name` is the project's message type (`cmd_type`); each param key is sent as `<cmd_type>.<key>`.
   * An undeclared type or keyword is the vendor's 400, answered as `validation_error` naming the field.
   */
  async sendCommand(deviceId: string, command: SendCommandInput, ctx: CallContext): Promise<Command> {
    if (typeof command.name !== 'string' || commandPrefix(command.name).trim() === '') {
      throw GatewayError.validation([{ name: 'name', message: "must be a message type declared in the iottly project (e.g. 'echo')" }]);
    }
    const params = command.params ?? {};
    const answer = await this.client.sendCommand(
      deviceId,
      { cmd_type: command.name, values: commandValues(command.name, params) },
      (text) => [{ name: commandErrorField(command.name, params, text), message: 'rejected by the vendor' }],
      ctx,
    );
    return mapCommand({ ...command, params }, this.connectionId, deviceId, answer, Date.now());
  }

  async authHeaders(): Promise<Record<string, string>> {
    return this.client.authHeaders();
  }

  // ------------------------------------------------------------------------------------------ lists

  private async fetchProjects(query: ListQuery, ctx: CallContext): Promise<VendorPage<Project>> {
    if (this.projectPushDown(query.filters).impossible) return { items: [], next: null, total: 0 };
    const raw = await this.client.inspect(ctx);
    this.rememberBoard(boardOf(raw));
    return { items: [mapProject(raw, this.connectionId, this.projectId)], next: null, total: 1 };
  }

  private async fetchDevices(query: ListQuery, ctx: CallContext): Promise<VendorPage<Device>> {
    if (this.devicePushDown(query.filters).impossible) return { items: [], next: null, total: 0 };
    const [list, board] = await Promise.all([this.client.listDevices(ctx), this.board(ctx)]);
    const items = list.devices.map((raw) => mapDevice(raw, { connectionId: this.connectionId, projectId: this.projectId, board }));
    if (query.order === 'DESC') items.reverse();
    return { items, next: null, total: items.length };
  }

  /**
   * Projects and devices come whole in one vendor call, in the order asked: the only push-down is what is
   * known of every item (one project, its id and kind; devices of that project, without tags, labels or dates).
   */
  private projectPushDown(filters: Filter[]): PushDown {
    const push = new PushDown(this.connectionId);
    for (const filter of filters) {
      if (filter.field === 'id') push.constant(filter, [toUnifiedId(this.connectionId, this.projectId)]);
      else if (filter.field === 'kind') push.constant(filter, ['project']);
      else push.skip();
    }
    return push;
  }

  private devicePushDown(filters: Filter[]): PushDown {
    const push = new PushDown(this.connectionId);
    for (const filter of filters) {
      const wants = filter.op === 'eq' || filter.op === 'in' || filter.op === 'gte' || filter.op === 'lte';
      if (filter.field === 'project_id') push.constant(filter, [toUnifiedId(this.connectionId, this.projectId)]);
      // Every device has no tags, no labels and null dates: asking for one of them can match nothing.
      else if (wants && (filter.field === 'tags' || filter.field.startsWith('labels.') || ALWAYS_NULL_DATES.has(filter.field))) push.verdict('none');
      else {
        if (filter.field === 'id') push.ownIds(filter);
        push.skip();
      }
    }
    return push;
  }

  /**
   * One page of a device's messages. The vendor pages by number (`p`, `l` ≤ 100) over a result that grows
   * at the newest end, so page numbers alone would shift; instead each page is a fresh query bounded at the
   * previous page's last receive time (see MessageCursor), asked from its first page. Only when more than
   * 100 messages share one millisecond does a read go on to the second page and on of that bounded query.
   */
  private async fetchMessages(deviceId: string, query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<Message>> {
    const resume = cursor === null ? null : parseMessageCursor(cursor);
    if (resume === undefined) throw foreignCursor();
    const pushDown = messagePushDown(query.filters);
    const vendorQuery = pushDown.empty ? undefined : this.messageQuery(pushDown, query, resume);
    if (!vendorQuery) {
      if (resume === null) await this.client.getDevice(deviceId, ctx);
      return { items: [], next: null };
    }

    const read: IottlyMessage[] = [];
    let done = false;
    for (let n = 0; !done; n++) {
      const page = await this.readMessages(deviceId, n, vendorQuery, pushDown, ctx);
      read.push(...page);
      done = page.length < vendorQuery.l;
      // Only a full page of messages handed out before (over 100 in one millisecond) needs the next one.
      if (!done && (resume === null || unseen(keyMessages(deviceId, read), resume).length > 0)) break;
    }
    const keyed = keyMessages(deviceId, read);
    const fresh = unseen(keyed, resume);

    // The paginated API answers 404 for a device it does not know as for one without messages (§5.6).
    if (resume === null && fresh.length === 0) await this.client.getDevice(deviceId, ctx);
    const next = done ? null : cursorAfter(keyed);
    return {
      items: fresh.map((item) => mapMessage(item, this.connectionId, deviceId)),
      next: next ? { t: next.t, seen: next.seen } : null,
    };
  }

  /** The vendor query of a page (without `p`), or undefined when its time window is empty. */
  private messageQuery(pushDown: MessagePushDown, query: ListQuery, resume: MessageCursor | null): Omit<IottlyMessageQuery, 'p'> | undefined {
    let fromMs = pushDown.fromMs;
    let toMs = pushDown.toMs;
    if (resume) {
      // Resume at the last time read, inclusive: the items there that were already handed out are dropped by key.
      if (query.order === 'DESC') toMs = Math.min(toMs ?? Infinity, resume.t + 1);
      else fromMs = Math.max(fromMs ?? -Infinity, resume.t);
    }
    if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) return undefined;
    const from = fromMs === undefined ? undefined : toVendorTime(fromMs);
    const to = toMs === undefined ? undefined : toVendorTime(toMs);
    // A bound past year 9999 or before year 1 cannot be written; past the far end it excludes everything.
    if (fromMs !== undefined && from === undefined && fromMs > 0) return undefined;
    // The bounds go zone-less in UTC, as the vendor's own answers are written. Those are UTC: its 2017 core
    // stamps a message with an aware `datetime.now(settings.TIMEZONE)` (iottly/iottly-core
    // `iottly_core/messageparser.py`), MongoDB keeps dates as UTC instants, and its Motor client is made
    // without `tz_aware` (`iottly_core/dbapi.py`), so dates come back as naive UTC and `isoformat()` leaves
    // the zone out. No suffix is added that a naive-ISO parser could refuse (Python's `fromisoformat` took
    // no `Z` before 3.11).
    if (toMs !== undefined && to === undefined && toMs < 0) return undefined;
    const seen = resume ? resume.seen.split(',').length : 0;
    const l = Math.min(MESSAGE_PAGE_MAX, seen + clamp(query.pageSize, 1, MESSAGE_PAGE_MAX));
    return { l, type: pushDown.type, sort: query.order === 'DESC' ? 'desc' : 'asc', from, to };
  }

  /** A vendor 400 names the pushed-down filters when there were any; otherwise the fault is not the caller's. */
  private async readMessages(
    deviceId: string,
    page: number,
    vendorQuery: Omit<IottlyMessageQuery, 'p'>,
    pushDown: MessagePushDown,
    ctx: CallContext,
  ): Promise<IottlyMessage[]> {
    try {
      return await this.client.messages(
        deviceId,
        page,
        vendorQuery,
        () => pushDown.params.map((name) => ({ name, message: 'rejected by the vendor' })),
        ctx,
      );
    } catch (error) {
      if (isGatewayError(error) && error.type === 'validation_error' && pushDown.params.length === 0) {
        throw new GatewayError('upstream_error', error.message, {
          connectionId: error.connectionId,
          provider: error.provider,
          upstreamStatus: error.upstreamStatus,
          cause: error,
        });
      }
      throw error;
    }
  }

  // ------------------------------------------------------------------------------------------ board

  private rememberBoard(value: string | null): void {
    this.boardCache = { value, until: Date.now() + BOARD_TTL_MS };
  }

  /** The project's board (device type), from a recent inspection or a new one. */
  private async board(ctx: CallContext): Promise<string | null> {
    if (this.boardCache && this.boardCache.until > Date.now()) return this.boardCache.value;
    const raw = await this.client.inspect(ctx);
    const value = boardOf(raw);
    this.rememberBoard(value);
    return value;
  }
}
