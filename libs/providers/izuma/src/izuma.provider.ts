import {
  toUnifiedId,
  type CallContext,
  type Command,
  type ConnectionConfig,
  type CreateDeviceInput,
  type Device,
  type DeviceStatus,
  type ListPlan,
  type ListQuery,
  type ListSource,
  type Reading,
  readingsSnapshot,
  type Message,
  type Project,
  type ProviderConnection,
  type ProviderDeps,
  type PullSource,
  type SendCommandInput,
  type UpdateDeviceInput,
  type VendorCursor,
  type VendorPage,
} from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { IzumaClient } from './izuma.client.js';
import { IzumaChannel } from './izuma.pull.js';
import {
  createFieldNames,
  mapAccount,
  mapDevice,
  mapDeviceStatus,
  echoReadings,
  mapEvent,
  mapLabels,
  mergeLabels,
  PROVIDER,
  toCreateBody,
  type MapContext,
} from './izuma.mapper.js';
import type { IzDevice, IzDeviceUpdate } from './izuma.types.js';
import { mapQueuedCommand, toDeviceRequest } from './izuma.commands.js';
import { devicePushDown, eventPushDown } from './izuma.push-down.js';

/** A cursor is the vendor's own `after`: the id of the last item of the previous page. */
function afterOf(cursor: VendorCursor | null): string | null {
  if (cursor === null) return null;
  if (typeof cursor !== 'string' || cursor === '') throw new GatewayError('validation_error', 'The list position is not valid for this connection.', { fields: [{ name: 'after', message: 'is not a position of this list' }] });
  return cursor;
}

/** The `after` of the next vendor page, or null on the last one. */
function nextOf(hasMore: boolean | undefined, items: ReadonlyArray<{ id: string }>): string | null {
  return hasMore === true && items.length > 0 ? items[items.length - 1].id : null;
}

/**
 * One Izuma account behind one access key. The account is the connection's single project; devices are the
 * Device Directory; messages are the device event log; commands are asynchronous device requests.
 */
export class IzumaConnection implements ProviderConnection {
  private readonly client: IzumaClient;
  private readonly map: MapContext;

  readonly pull: PullSource;

  constructor(connection: ConnectionConfig, deps: ProviderDeps) {
    this.map = { connectionId: connection.id };
    const who = { connectionId: connection.id, provider: PROVIDER };
    this.client = new IzumaClient(deps.http, connection.credentials.api_key, who);
    this.pull = new IzumaChannel(this.client, connection.base_url, connection.timeout_ms, who);
  }

  readonly projects: ListSource<Project> = {
    // One account per key: the gateway evaluates project filters on it.
    plan: (query: ListQuery): ListPlan => ({ order: query.order, exactTotal: query.filters.length === 0 }),
    fetchPage: async (_query, cursor, ctx): Promise<VendorPage<Project>> => {
      if (cursor !== null) return { items: [], next: null, total: 1 };
      return { items: [await this.project(ctx)], next: null, total: 1 };
    },
  };

  readonly devices: ListSource<Device> = {
    // Izuma sorts by creation time both ways, so the query's order is the vendor's.
    plan: (query: ListQuery): ListPlan => ({ order: query.order, exactTotal: devicePushDown(query.filters, this.map.connectionId).exact }),
    fetchPage: async (query, cursor, ctx): Promise<VendorPage<Device>> => {
      const pushDown = devicePushDown(query.filters, this.map.connectionId);
      if (pushDown.impossible) return { items: [], next: null, total: 0 };
      const page = await this.client.listDevices(
        { limit: query.pageSize, order: query.order, after: afterOf(cursor), includeTotal: query.includeTotal, filters: pushDown.query() },
        ctx,
      );
      return {
        items: page.data.map((device) => mapDevice(device, this.map)),
        next: nextOf(page.has_more, page.data),
        total: query.includeTotal && typeof page.total_count === 'number' ? page.total_count : undefined,
      };
    },
  };

  messages(deviceId: string): ListSource<Message> {
    return {
      // Event lists sort by creation time both ways; an event's `date_time` is its creation time in every
      // example of the reference, so the vendor's order is the order of the messages' `created_at`.
      plan: (query: ListQuery): ListPlan => ({ order: query.order, exactTotal: eventPushDown(query.filters, this.map.connectionId).exact }),
      fetchPage: async (query, cursor, ctx): Promise<VendorPage<Message>> => {
        const pushDown = eventPushDown(query.filters, this.map.connectionId);
        if (pushDown.impossible) {
          await this.client.getDevice(deviceId, ctx);
          return { items: [], next: null, total: 0 };
        }
        const page = await this.client.listEvents(
          {
            limit: query.pageSize,
            order: query.order,
            after: afterOf(cursor),
            includeTotal: query.includeTotal,
            filters: [['device_id__eq', deviceId], ...pushDown.query()],
          },
          ctx,
        );
        // The event log answers an empty list for a device it does not know; only then is the device looked up.
        if (cursor === null && page.data.length === 0) await this.client.getDevice(deviceId, ctx);
        return {
          items: page.data.map((event) => mapEvent(event, deviceId, this.map)),
          next: nextOf(page.has_more, page.data),
          total: query.includeTotal && typeof page.total_count === 'number' ? page.total_count : undefined,
        };
      },
    };
  }

  async getProject(projectId: string, ctx: CallContext): Promise<Project> {
    const project = await this.project(ctx);
    if (project.id !== toUnifiedId(this.map.connectionId, projectId)) throw new GatewayError('not_found', `No project has the id '${projectId.slice(0, 100)}' on this connection.`);
    return project;
  }

  async getDevice(deviceId: string, ctx: CallContext): Promise<Device> {
    return mapDevice(await this.client.getDevice(deviceId, ctx), this.map);
  }

  async createDevice(input: CreateDeviceInput, ctx: CallContext): Promise<Device> {
    const body = toCreateBody(input);
    if (input.project_id !== undefined) {
      // A device is created in the key's own account, the connection's only project.
      const account = await this.client.getAccount(ctx);
      if (account.id !== input.project_id) throw GatewayError.validation([{ name: 'project_id', message: "is not this connection's Izuma account" }]);
    }
    return mapDevice(await this.client.createDevice(body, createFieldNames(input), ctx), this.map);
  }

  async updateDevice(deviceId: string, input: UpdateDeviceInput, ctx: CallContext): Promise<Device> {
    if (input.tags !== undefined && input.tags.length > 0) {
      throw new GatewayError('not_supported', 'Izuma devices have no tags; device groups can be managed through passthrough (/v3/device-groups).');
    }
    const body: IzDeviceUpdate = {};
    if (input.name !== undefined) body.name = input.name;
    let current: IzDevice | undefined;
    if (input.labels !== undefined) {
      // `custom_attributes` is replaced wholesale by a PUT: read the map, merge the patch, write it back whole.
      current = await this.client.getDevice(deviceId, ctx);
      body.custom_attributes = mergeLabels(mapLabels(current.custom_attributes), input.labels);
    }
    if (Object.keys(body).length === 0) return mapDevice(current ?? (await this.client.getDevice(deviceId, ctx)), this.map);
    return mapDevice(await this.client.updateDevice(deviceId, body, { name: 'name', custom_attributes: 'labels' }, ctx), this.map);
  }

  async deleteDevice(deviceId: string, ctx: CallContext): Promise<void> {
    await this.client.deleteDevice(deviceId, ctx);
  }

  /** The directory's facts, with the last reported resource values and time from Device Echo (one more call, in parallel). */
  async getDeviceStatus(deviceId: string, ctx: CallContext): Promise<DeviceStatus> {
    const [device, echo] = await Promise.all([this.client.getDevice(deviceId, ctx), this.client.getEcho(deviceId, ctx)]);
    return { ...mapDeviceStatus(device, Date.now(), this.map, echo), native: { device, echo } };
  }

  /**
   * Izuma keeps resource values only as their last known state (Device Echo); the device-events log carries
   * none. A device's readings are that state: one read, the latest value of each resource.
   */
  readings(deviceId: string): ListSource<Reading> {
    return readingsSnapshot(async (ctx) => echoReadings(await this.client.getEcho(deviceId, ctx), deviceId, this.map));
  }

  async sendCommand(deviceId: string, command: SendCommandInput, ctx: CallContext): Promise<Command> {
    const plan = toDeviceRequest(command);
    await this.client.sendDeviceRequest(deviceId, plan.asyncId, plan.body, plan.options, ctx);
    return mapQueuedCommand(command, deviceId, plan, Date.now(), this.map);
  }

  async authHeaders(): Promise<Record<string, string>> {
    return this.client.authHeaders();
  }

  /** The account, with its device count from the Device Directory's `total_count` (one more call, made alongside). */
  private async project(ctx: CallContext): Promise<Project> {
    // Both settle before an error is thrown, so no vendor call outlives the request that made it.
    const [account, devices] = await Promise.allSettled([
      this.client.getAccount(ctx),
      this.client.listDevices({ limit: 2, order: 'ASC', includeTotal: true, filters: [] }, ctx),
    ]);
    if (account.status === 'rejected') throw account.reason;
    if (devices.status === 'rejected') throw devices.reason;
    const count = devices.value.total_count;
    return mapAccount(account.value, typeof count === 'number' ? count : null, this.map);
  }
}
