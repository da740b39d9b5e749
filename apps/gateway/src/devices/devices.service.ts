import { Injectable } from '@nestjs/common';
import { parseUnifiedId, requireUnifiedId, type CallContext, type Device } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { DEVICE_FIELDS, ListingEngine, type ListArgs } from '@devicegate/listing';
import type { ClientConfig } from '../config/config.types.js';
import { deviceOfList, listBody, present } from '../common/list-response.js';
import { connectionsForList } from '../common/scope-filters.js';
import { ConnectionRegistry, reachOf, type LiveConnection } from '../connections/connection-registry.js';
import { requireCapability } from '../connections/connections.service.js';
import type { CreateDeviceDto, TransferDeviceDto, UpdateDeviceDto } from './device.dto.js';

/** A project id of the body: unified ids must be of the device's connection; a bare id is taken as native. */
function nativeProjectId(live: LiveConnection, projectId: string | undefined, field: string): string | undefined {
  if (projectId === undefined) return undefined;
  const parsed = parseUnifiedId(projectId);
  if (!parsed) return projectId;
  if (parsed.connectionId !== live.config.id) {
    throw GatewayError.validation([{ name: field, message: `must be a project of the connection '${live.config.id}'` }]);
  }
  return parsed.nativeId;
}

@Injectable()
export class DevicesService {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly listing: ListingEngine,
  ) {}

  /** The connection and native id of a device id the client may reach (404 otherwise). */
  locate(client: ClientConfig, deviceId: string): { live: LiveConnection; nativeId: string } {
    const { connectionId, nativeId } = requireUnifiedId(deviceId);
    return { live: this.registry.resolve(client, connectionId, 'device'), nativeId };
  }

  async list(client: ClientConfig, args: ListArgs, ctx: CallContext) {
    const segments = connectionsForList(this.registry, client, args.filters, ['id', 'project_id']).map((live) => ({
      connectionId: live.config.id,
      provider: live.config.provider,
      source: live.adapter.devices,
    }));
    const page = await this.listing.list({ kind: 'devices', reach: reachOf(client), segments, args, fields: DEVICE_FIELDS }, ctx);
    return listBody(page, args, deviceOfList(args.include.has('readings')), this.registry.hiddenNativeFields(client));
  }

  async get(client: ClientConfig, deviceId: string, includeNative: boolean, ctx: CallContext) {
    const { live, nativeId } = this.locate(client, deviceId);
    requireCapability(live, 'devices.get');
    const device = await this.registry.call(live, (adapter) => adapter.getDevice(nativeId, ctx));
    return deviceOfList(true)(present(device, includeNative, this.registry.hiddenNativeFields(client)));
  }

  async create(client: ClientConfig, body: CreateDeviceDto, ctx: CallContext): Promise<Device> {
    const live = this.registry.resolve(client, body.connection_id);
    requireCapability(live, 'devices.create');
    const { connection_id: _connection, project_id, ...rest } = body;
    const input = { ...rest, project_id: nativeProjectId(live, project_id, 'project_id') };
    return present(await this.registry.call(live, (adapter) => adapter.createDevice!(input, ctx)), false);
  }

  async update(client: ClientConfig, deviceId: string, body: UpdateDeviceDto, ctx: CallContext): Promise<Device> {
    const { live, nativeId } = this.locate(client, deviceId);
    requireCapability(live, 'devices.update');
    if (body.name === undefined && body.labels === undefined && body.tags === undefined) {
      throw GatewayError.validation([{ name: 'body', message: 'must set at least one of name, labels, tags' }]);
    }
    return present(await this.registry.call(live, (adapter) => adapter.updateDevice!(nativeId, body, ctx)), false);
  }

  async delete(client: ClientConfig, deviceId: string, ctx: CallContext): Promise<void> {
    const { live, nativeId } = this.locate(client, deviceId);
    requireCapability(live, 'devices.delete');
    await this.registry.call(live, (adapter) => adapter.deleteDevice!(nativeId, ctx));
  }

  async status(client: ClientConfig, deviceId: string, ctx: CallContext) {
    const { live, nativeId } = this.locate(client, deviceId);
    requireCapability(live, 'devices.status');
    return this.registry.call(live, (adapter) => adapter.getDeviceStatus(nativeId, ctx));
  }

  async transfer(client: ClientConfig, deviceId: string, body: TransferDeviceDto, ctx: CallContext): Promise<Device> {
    const { live, nativeId } = this.locate(client, deviceId);
    requireCapability(live, 'devices.transfer');
    if ((body.project_id === undefined) === (body.owner_user_id === undefined)) {
      throw GatewayError.validation([{ name: 'body', message: 'must give exactly one of project_id, owner_user_id' }]);
    }
    const target = { project_id: nativeProjectId(live, body.project_id, 'project_id'), owner_user_id: body.owner_user_id };
    return present(await this.registry.call(live, (adapter) => adapter.transferDevice!(nativeId, target, ctx)), false);
  }
}
