import { Injectable } from '@nestjs/common';
import { parseUnifiedId, requireUnifiedId, type CallContext, type Device } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { DEVICE_FIELDS, ListingEngine, type ListArgs } from '@devicegate/listing';
import type { ClientConfig } from '../config/config.types.js';
import { deviceOfList, listBody, present, presentDevice } from '../common/list-response.js';
import { ConnectionRegistry, reachOf } from '../connections/connection-registry.js';
import type { CreateDeviceDto, TransferDeviceDto, UpdateDeviceDto } from './device.dto.js';

/** A project id of the body: unified ids must be of the device's connection; a bare id is taken as native. */
function nativeProjectId(connectionId: string, projectId: string | undefined, field: string): string | undefined {
  if (projectId === undefined) return undefined;
  const parsed = parseUnifiedId(projectId);
  if (!parsed) return projectId;
  if (parsed.connectionId !== connectionId) {
    throw GatewayError.validation([{ name: field, message: `must be a project of the connection '${connectionId}'` }]);
  }
  return parsed.nativeId;
}

@Injectable()
export class DevicesService {
  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly listing: ListingEngine,
  ) {}

  async list(client: ClientConfig, args: ListArgs, ctx: CallContext) {
    const segments = this.registry.lists(client, 'devices', args.filters, ['id', 'project_id']);
    const page = await this.listing.list({ kind: 'devices', reach: reachOf(client), segments, args, fields: DEVICE_FIELDS }, ctx);
    return listBody(page, args, deviceOfList(args.include.has('readings')), this.registry.hiddenNativeFields(client));
  }

  async get(client: ClientConfig, deviceId: string, includeNative: boolean, ctx: CallContext) {
    const device = await this.registry.call(client, deviceId, 'getDevice', ctx);
    return presentDevice(device, includeNative, this.registry.hiddenNativeFields(client));
  }

  async create(client: ClientConfig, body: CreateDeviceDto, ctx: CallContext): Promise<Device> {
    const { connection_id: connectionId, project_id, ...rest } = body;
    const input = { ...rest, project_id: nativeProjectId(connectionId, project_id, 'project_id') };
    return present(await this.registry.callConnection(client, connectionId, 'createDevice', input, ctx), false);
  }

  async update(client: ClientConfig, deviceId: string, body: UpdateDeviceDto, ctx: CallContext): Promise<Device> {
    if (body.name === undefined && body.labels === undefined && body.tags === undefined) {
      throw GatewayError.validation([{ name: 'body', message: 'must set at least one of name, labels, tags' }]);
    }
    return present(await this.registry.call(client, deviceId, 'updateDevice', body, ctx), false);
  }

  async delete(client: ClientConfig, deviceId: string, ctx: CallContext): Promise<void> {
    await this.registry.call(client, deviceId, 'deleteDevice', ctx);
  }

  async status(client: ClientConfig, deviceId: string, includeNative: boolean, ctx: CallContext) {
    const status = await this.registry.call(client, deviceId, 'getDeviceStatus', ctx);
    const hidden = this.registry.hiddenNativeFields(client);
    const { provider } = this.registry.locate(client, deviceId).config;
    return present(status, includeNative, hidden && (() => hidden(provider)));
  }

  async transfer(client: ClientConfig, deviceId: string, body: TransferDeviceDto, ctx: CallContext): Promise<Device> {
    if ((body.project_id === undefined) === (body.owner_user_id === undefined)) {
      throw GatewayError.validation([{ name: 'body', message: 'must give exactly one of project_id, owner_user_id' }]);
    }
    const target = { project_id: nativeProjectId(requireUnifiedId(deviceId).connectionId, body.project_id, 'project_id'), owner_user_id: body.owner_user_id };
    return present(await this.registry.call(client, deviceId, 'transferDevice', target, ctx), false);
  }
}
