import { Controller, Get, Injectable, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { CallContext } from '@devicegate/core';
import { ListingEngine, MESSAGE_FIELDS, parseListArgs, type ListArgs } from '@devicegate/listing';
import { CurrentClient } from '../auth/current-client.decorator.js';
import type { ClientConfig } from '../config/config.types.js';
import { ApiIdParam, ApiListQuery, V1Operation } from '../common/api.decorators.js';
import { listBody, withoutReadings } from '../common/list-response.js';
import { Ctx, RawQuery } from '../common/request.decorators.js';
import { listRoute } from '../common/direct-routes.js';
import { ConnectionRegistry, reachOf } from '../connections/connection-registry.js';
import { MessageListDto } from './message.dto.js';

@Injectable()
export class MessagesService {
  constructor(
    private readonly listing: ListingEngine,
    private readonly registry: ConnectionRegistry,
  ) {}

  async list(client: ClientConfig, deviceId: string, args: ListArgs, ctx: CallContext) {
    const segments = this.registry.deviceList(client, deviceId, 'messages');
    const page = await this.listing.list({ kind: `messages:${deviceId}`, reach: reachOf(client), segments, args, fields: MESSAGE_FIELDS }, ctx);
    return listBody(page, args, withoutReadings, this.registry.hiddenNativeFields(client));
  }
}

@ApiTags('messages')
@Controller('v1/devices/:device_id/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get()
  @V1Operation({
    operationId: 'listDeviceMessages', capability: 'messages.list',
    summary: 'List device messages',
    description:
      'The messages of a device (HARDWARIO messages, Disruptive Technologies events, iottly messages, Izuma device events, Blynk timeline events), newest first by default. No time window applies unless `created_at__gte`/`created_at__lte` say so.',
    scope: 'read',
  })
  @ApiIdParam('device_id', 'Unified device id `<connection_id>:<native id>`.', 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f')
  @ApiListQuery(MESSAGE_FIELDS, 'DESC', 'Messages are ordered by `created_at`, newest first by default.')
  @ApiOkResponse({ description: 'A page of messages.', type: MessageListDto })
  listDeviceMessages(
    @CurrentClient() client: ClientConfig,
    @Param('device_id') deviceId: string,
    @RawQuery() query: Record<string, string | string[] | undefined>,
    @Ctx() ctx: CallContext,
  ) {
    return this.messages.list(client, deviceId, parseListArgs(query, { fields: MESSAGE_FIELDS, defaultOrder: 'DESC' }), ctx);
  }
}

/** listDeviceMessages is served outside Nest's router (common/direct-routes.ts), its answer shared between identical requests in flight. */
export const listDeviceMessagesRoute = listRoute(MessagesController, 'listDeviceMessages', '/v1/devices/:device_id/messages', (controller, client, query, ctx, params) => controller.listDeviceMessages(client, params.device_id, query, ctx));
