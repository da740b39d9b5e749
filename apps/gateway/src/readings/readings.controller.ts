import { Controller, Get, Injectable, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { CallContext } from '@devicegate/core';
import { ListingEngine, READING_FIELDS, parseListArgs, type ListArgs } from '@devicegate/listing';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiListQuery, V1Operation } from '../common/api.decorators.js';
import { listBody } from '../common/list-response.js';
import { Ctx, RawQuery } from '../common/request.decorators.js';
import { ConnectionRegistry, reachOf } from '../connections/connection-registry.js';
import { ApiSandboxDeviceParam } from '../devices/sandbox-examples.js';
import { ReadingListDto } from './reading.dto.js';

@Injectable()
export class ReadingsService {
  constructor(
    private readonly listing: ListingEngine,
    private readonly registry: ConnectionRegistry,
  ) {}

  async list(client: ClientConfig, deviceId: string, args: ListArgs, ctx: CallContext) {
    const segments = this.registry.deviceList(client, deviceId, 'readings');
    const page = await this.listing.list({ kind: `readings:${deviceId}`, reach: reachOf(client), segments, args, fields: READING_FIELDS }, ctx);
    return listBody(page, args);
  }
}

@ApiTags('readings')
@Controller('v1/devices/:device_id/readings')
export class ReadingsController {
  constructor(private readonly readings: ReadingsService) {}

  @Get()
  @V1Operation({
    operationId: 'listDeviceReadings',
    summary: 'List device readings',
    description:
      'The measured values of a device, one shape for every vendor, newest first by default: the values carried by its messages (HARDWARIO and iottly payload leaves, Disruptive Technologies event values and samples, Izuma resource values), read with the same vendor calls as `listDeviceMessages` and paged the same way; Blynk keeps no value history its API can read, so a Blynk device lists its current datastream values. Readings are ordered as their messages (by `created_at`), then in the vendor\'s field order; `at` is when a value was measured, which may be a little before its message arrived. `at__gte` is answered from messages received at most 10 minutes before it, so a device clock running further ahead than that can hide a reading.',
    scope: 'read',
  })
  @ApiSandboxDeviceParam()
  @ApiListQuery(READING_FIELDS, 'DESC', 'Readings are ordered by their message\'s `created_at`, newest first by default.', {
    examples: { name: 'temperature', native_name: 'thermometer.temperature', id: 'sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8:thermometer.temperature' },
  })
  @ApiOkResponse({ description: 'A page of readings.', type: ReadingListDto })
  listDeviceReadings(
    @CurrentClient() client: ClientConfig,
    @Param('device_id') deviceId: string,
    @RawQuery() query: Record<string, string | string[] | undefined>,
    @Ctx() ctx: CallContext,
  ) {
    return this.readings.list(client, deviceId, parseListArgs(query, { fields: READING_FIELDS, defaultOrder: 'DESC' }), ctx);
  }
}
