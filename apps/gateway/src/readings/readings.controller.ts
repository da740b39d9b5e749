import { Controller, Get, Injectable, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { withDeclaredUnit, type CallContext } from '@devicegate/core';
import { ListingEngine, READING_FIELDS, parseListArgs, readingsOfPushes, type ListArgs, type PushHistory } from '@devicegate/listing';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiListQuery, V1Operation } from '../common/api.decorators.js';
import { listBody } from '../common/list-response.js';
import { Ctx, RawQuery } from '../common/request.decorators.js';
import { listRoute } from '../common/direct-routes.js';
import { ConnectionRegistry, reachOf } from '../connections/connection-registry.js';
import { ApiSandboxDeviceParam } from '../devices/sandbox-examples.js';
import { EventLog } from '../realtime/event-log.js';
import { ReadingListDto } from './reading.dto.js';

@Injectable()
export class ReadingsService {
  constructor(
    private readonly listing: ListingEngine,
    private readonly registry: ConnectionRegistry,
    private readonly events: EventLog,
  ) {}

  async list(client: ClientConfig, deviceId: string, args: ListArgs, ctx: CallContext) {
    let segments = this.registry.deviceList(client, deviceId, 'readings');
    const live = this.registry.locate(client, deviceId);
    // A vendor that keeps only current values but pushes them (Izuma) or is sampled (Blynk): what devicegate recorded is the history.
    if (live.config.push && live.adapter.readings) {
      // Units declared after a push was recorded apply to it too.
      const units = live.config.readings?.units ?? {};
      const history: PushHistory = async (before, limit) =>
        (await this.events.deviceEvents(deviceId, before, limit)).map((event) => ({ seq: event.seq, receivedAt: event.receivedAt, readings: (event.message.readings ?? []).map((reading) => withDeclaredUnit(reading, units)) }));
      segments = segments.map((segment) => ({ ...segment, source: readingsOfPushes(history, segment.source) }));
    }
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
      'The measured values of a device, one shape for every vendor, newest first by default: the values carried by its messages (HARDWARIO and iottly payload leaves, Disruptive Technologies event values and samples), read with the same vendor calls as `listDeviceMessages` and paged the same way. ' +
      '**Izuma** keeps no history of resource values: where the connection takes pushes (`push`, in push or pull mode), an Izuma device lists the resource notifications devicegate received and recorded in its event log, which keeps them for `server.event_retention_hours` (default 168, a week; with `server.redis_url` also at most about a million events of all devices), merged by time with the latest values Device Echo reports that are newer than every recorded one of their resource (one vendor call, on the first page). Before any notification is recorded, and on a connection without `push`, it lists Device Echo\'s latest values only. ' +
      '**Blynk** pushes nothing and its data export allows 10 reads per device per day. On a connection in push mode `pull` devicegate samples each device\'s current datastream values every `sample_interval_seconds` (default 60; spending at most a tenth of the connection\'s `rate_limit`, so with many devices each is sampled less often) and records each value whose `updatedAt` moved as a `data` message (`native_type` `datastream`, id `ds-<device>-<pin>-<updatedAt>`, `created_at` and the reading\'s `at` being Blynk\'s `updatedAt`); a Blynk device lists those recorded samples (kept as long as the event log keeps events, see Izuma), merged with the current values as for Izuma. A value a device wrote and overwrote between two samples is never seen; history starts with the first sample. Without pull mode a Blynk device lists its current datastream values only, one per datastream. ' +
      'Readings are ordered as their messages (by `created_at`; recorded notifications and samples as devicegate received them), then in the vendor\'s field order; `at` is when a value was measured, which may be a little before its message arrived. `at__gte` is answered from messages received at most 10 minutes before it, so a device clock running further ahead than that can hide a reading.',
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

/** listDeviceReadings is served outside Nest's router (common/direct-routes.ts), its answer shared between identical requests in flight. */
export const listDeviceReadingsRoute = listRoute(ReadingsController, 'listDeviceReadings', '/v1/devices/:device_id/readings', (controller, client, query, ctx, params) => controller.listDeviceReadings(client, params.device_id, query, ctx));
