import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCallbacks, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentClient } from '../auth/current-client.decorator.js';
import { ApiIdParam, ApiIdempotencyKey, V1Operation } from '../common/api.decorators.js';
import { RawQuery } from '../common/request.decorators.js';
import type { ClientConfig } from '../config/config.types.js';
import { EventDto } from './dto/event.dto.js';
import { CreateWebhookDto, WebhookDeliveryListDto, WebhookDto, WebhookListDto } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';
import { ValidBody } from '../common/validation.js';

const WEBHOOK_ID = 'whk_5f0c2a9e6b1d4f7a0c5e9b2d';
const WebhookIdParam = () => ApiIdParam('webhook_id', 'The webhook id.', WEBHOOK_ID);
const PageQuery = () => (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
  ApiQuery({ name: 'limit', required: false, description: 'Page size, from 2 to 1000.', schema: { type: 'integer', minimum: 2, maximum: 1000, default: 50 }, example: 50 })(target, key, descriptor);
  ApiQuery({ name: 'after', required: false, description: 'The id of the last item of the previous page.', schema: { type: 'string' } })(target, key, descriptor);
};

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @V1Operation({
    operationId: 'createWebhook',
    summary: 'Subscribe a webhook',
    description:
      'From now on every event (see `GET /v1/events`) that matches the filters, of the connections this key may reach, is POSTed to `url` as the Event JSON, with `Devicegate-Event-Id`, `Devicegate-Delivery-Id` and `Devicegate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`. A 2xx answer within 10 s counts as delivered; anything else is retried with exponential backoff, across restarts too. Delivery is at least once: de-duplicate by `Devicegate-Event-Id`. The answer holds the signing `secret`, shown this once. Webhooks go to public addresses only: a `url` whose host is loopback, private, link-local (cloud metadata services), shared, multicast, documentation or reserved, in any spelling (IPv4-mapped, NAT64 and 6to4 IPv6 forms are judged as the IPv4 address they reach), or a name resolving only there, is refused with 400 `validation_error`, unless the operator lists the host or its network in `server.webhook_allowed_hosts` (which, when set, also limits the hosts accepted); names are resolved again and checked at every delivery. A key may have `server.max_webhooks_per_key` webhooks (50 by default); one more is refused with 409 `conflict`.',
    scope: 'write',
    errors: [409, 413, 415],
  })
  @ApiIdempotencyKey()
  @ApiCallbacks({ name: 'event', callbackUrl: '{$request.body#/url}', method: 'post', requestBody: { type: EventDto }, expectedResponse: { status: 200, description: 'Any 2xx answer within 10 s counts as delivered.' } })
  @ApiCreatedResponse({ description: 'The webhook, with its signing secret.', type: WebhookDto })
  createWebhook(@CurrentClient() client: ClientConfig, @ValidBody() body: CreateWebhookDto) {
    return this.webhooks.create(client, body);
  }

  @Get()
  @V1Operation({ operationId: 'listWebhooks', summary: 'List webhooks', description: 'The webhooks this key created, oldest first (without secrets).', scope: 'read' })
  @PageQuery()
  @ApiOkResponse({ description: 'A page of webhooks.', type: WebhookListDto })
  listWebhooks(@CurrentClient() client: ClientConfig, @RawQuery() query: Record<string, string | string[] | undefined>) {
    return this.webhooks.list(client, query);
  }

  @Get(':webhook_id')
  @V1Operation({ operationId: 'getWebhook', summary: 'Get a webhook', description: 'One webhook this key created (without its secret).', scope: 'read' })
  @WebhookIdParam()
  @ApiOkResponse({ description: 'The webhook.', type: WebhookDto })
  getWebhook(@CurrentClient() client: ClientConfig, @Param('webhook_id') id: string) {
    return this.webhooks.get(client, id);
  }

  @Delete(':webhook_id')
  @HttpCode(204)
  @V1Operation({ operationId: 'deleteWebhook', summary: 'Delete a webhook', description: 'Ends the subscription; deliveries still pending are dropped.', scope: 'write' })
  @WebhookIdParam()
  @ApiNoContentResponse({ description: 'Deleted.' })
  deleteWebhook(@CurrentClient() client: ClientConfig, @Param('webhook_id') id: string): Promise<void> {
    return this.webhooks.delete(client, id);
  }

  @Get(':webhook_id/deliveries')
  @V1Operation({
    operationId: 'listWebhookDeliveries',
    summary: 'List deliveries of a webhook',
    description:
      "The deliveries of events to this webhook, newest first, each with its attempts and when the next one is due. A failed attempt tells only the class of the subscriber's answer (`answered 4xx`) or `no answer`, never which network error it was. When `server.max_pending_deliveries` deliveries are already waiting, a new event's delivery is stored `failed` with `last_error` `dropped: …` instead of being queued: it is never silent, and the event can be replayed from `GET /v1/events`.",
    scope: 'read',
  })
  @WebhookIdParam()
  @PageQuery()
  @ApiOkResponse({ description: 'A page of deliveries.', type: WebhookDeliveryListDto })
  listWebhookDeliveries(@CurrentClient() client: ClientConfig, @Param('webhook_id') id: string, @RawQuery() query: Record<string, string | string[] | undefined>) {
    return this.webhooks.deliveries(client, id, query);
  }
}
