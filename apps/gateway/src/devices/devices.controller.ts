import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { CallContext } from '@devicegate/core';
import { DEVICE_FIELDS, parseListArgs } from '@devicegate/listing';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiIdempotencyKey, ApiIdParam, ApiIncludeNative, ApiListQuery, includesNative, V1Operation } from '../common/api.decorators.js';
import { Ctx, RawQuery } from '../common/request.decorators.js';
import { directRoute, listRoute } from '../common/direct-routes.js';
import { CreateDeviceDto, DeviceDto, DeviceListDto, DeviceStatusDto, TransferDeviceDto, UpdateDeviceDto } from './device.dto.js';
import { DevicesService } from './devices.service.js';
import { ValidBody } from '../common/validation.js';

const DEVICE_ID_EXAMPLE = 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f';
const DeviceIdParam = () => ApiIdParam('device_id', 'Unified device id `<connection_id>:<native id>`.', DEVICE_ID_EXAMPLE);

@ApiTags('devices')
@Controller('v1/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @V1Operation({
    operationId: 'listDevices', capability: 'devices.list',
    summary: 'List devices',
    description:
      'Devices of every connection this key may reach, ordered by connection id, then by the vendor\'s own stable order. Filters use the Izuma syntax `<field>__<op>=<value>`; `labels.<key>` filters (e.g. `labels.site=brno-hq`) work for any label key. devicegate pushes filters down to the vendor where it can and evaluates the rest itself: the answer is the same either way.',
    scope: 'read',
  })
  @ApiListQuery(DEVICE_FIELDS, 'ASC', 'Devices are ordered by connection id, then by the vendor\'s own stable order; DESC reverses both.', {
    includeNote:
      '`readings` adds each device\'s latest readings where its vendor lists them with the devices (Disruptive Technologies `reported`); elsewhere `readings` is null, and getDeviceStatus reads them.',
  })
  @ApiOkResponse({ description: 'A page of devices.', type: DeviceListDto })
  listDevices(@CurrentClient() client: ClientConfig, @RawQuery() query: Record<string, string | string[] | undefined>, @Ctx() ctx: CallContext) {
    return this.devices.list(client, parseListArgs(query, { fields: DEVICE_FIELDS, defaultOrder: 'ASC', extraIncludes: ['readings'] }), ctx);
  }

  @Post()
  @V1Operation({
    operationId: 'createDevice', capability: 'devices.create',
    summary: 'Create or claim a device',
    description:
      'HARDWARIO claims a device by `serial_number` and `params.token` (its claim token); Izuma creates one; Blynk creates one from a template (`type`). Disruptive Technologies and iottly answer 501.',
    scope: 'write',
    errors: [409, 413, 415, 501],
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ description: 'The created device.', type: DeviceDto })
  createDevice(@CurrentClient() client: ClientConfig, @ValidBody() body: CreateDeviceDto, @Ctx() ctx: CallContext) {
    return this.devices.create(client, body, ctx);
  }

  @Get(':device_id')
  @V1Operation({ operationId: 'getDevice', capability: 'devices.get', summary: 'Get a device', description: 'One device by its unified id, with tags and online state filled in.', scope: 'read' })
  @DeviceIdParam()
  @ApiIncludeNative()
  @ApiOkResponse({ description: 'The device.', type: DeviceDto })
  getDevice(
    @CurrentClient() client: ClientConfig,
    @Param('device_id') deviceId: string,
    @RawQuery() query: Record<string, string | string[] | undefined>,
    @Ctx() ctx: CallContext,
  ) {
    return this.devices.get(client, deviceId, includesNative(query), ctx);
  }

  @Patch(':device_id')
  @V1Operation({
    operationId: 'updateDevice', capability: 'devices.update',
    summary: 'Update a device',
    description: 'Renames a device, merges labels (a label set to null is removed) and replaces its tags. Parts a provider cannot store answer 501.',
    scope: 'write',
    errors: [409, 413, 415, 501],
  })
  @DeviceIdParam()
  @ApiOkResponse({ description: 'The updated device.', type: DeviceDto })
  updateDevice(@CurrentClient() client: ClientConfig, @Param('device_id') deviceId: string, @ValidBody() body: UpdateDeviceDto, @Ctx() ctx: CallContext) {
    return this.devices.update(client, deviceId, body, ctx);
  }

  @Delete(':device_id')
  @HttpCode(204)
  @V1Operation({ operationId: 'deleteDevice', capability: 'devices.delete', summary: 'Delete a device', description: 'Removes the device from its vendor account (501 where the vendor does not allow it).', scope: 'write', errors: [501] })
  @DeviceIdParam()
  @ApiNoContentResponse({ description: 'Deleted.' })
  async deleteDevice(@CurrentClient() client: ClientConfig, @Param('device_id') deviceId: string, @Ctx() ctx: CallContext): Promise<void> {
    await this.devices.delete(client, deviceId, ctx);
  }

  @Get(':device_id/status')
  @V1Operation({ operationId: 'getDeviceStatus', capability: 'devices.status', summary: 'Get device status', description: 'Whether the device is online, when it was last seen, and vendor facts such as signal and battery.', scope: 'read' })
  @DeviceIdParam()
  @ApiIncludeNative()
  @ApiOkResponse({ description: 'The device status.', type: DeviceStatusDto })
  getDeviceStatus(
    @CurrentClient() client: ClientConfig,
    @Param('device_id') deviceId: string,
    @RawQuery() query: Record<string, string | string[] | undefined>,
    @Ctx() ctx: CallContext,
  ) {
    return this.devices.status(client, deviceId, includesNative(query), ctx);
  }

  @Post(':device_id/transfer')
  @HttpCode(200)
  @V1Operation({
    operationId: 'transferDevice', capability: 'devices.transfer',
    summary: 'Transfer a device',
    description: 'Moves a device into another project of the same connection (Disruptive Technologies, Blynk organizations) or to another owner (Blynk). Other providers answer 501.',
    scope: 'write',
    errors: [409, 413, 415, 501],
  })
  @ApiIdempotencyKey()
  @DeviceIdParam()
  @ApiOkResponse({ description: 'The device after the transfer.', type: DeviceDto })
  transferDevice(@CurrentClient() client: ClientConfig, @Param('device_id') deviceId: string, @ValidBody() body: TransferDeviceDto, @Ctx() ctx: CallContext) {
    return this.devices.transfer(client, deviceId, body, ctx);
  }
}

/** getDevice is served outside Nest's router (common/direct-routes.ts): its parameters as its decorators give them. */
export const getDeviceRoute = directRoute<DevicesController>({
  controller: DevicesController,
  method: 'getDevice',
  url: '/v1/devices/:device_id',
  httpMethod: 'GET',
  call: (controller, client, request, _reply, ctx) =>
    controller.getDevice(client, (request.params as { device_id: string }).device_id, (request.query ?? {}) as Record<string, string | string[] | undefined>, ctx),
});

/** listDevices is served outside Nest's router too, its answer shared between identical requests in flight. */
export const listDevicesRoute = listRoute(DevicesController, 'listDevices', '/v1/devices', (controller, client, query, ctx) => controller.listDevices(client, query, ctx));
