import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import { ListOf } from '../../common/list.dto.js';
import { IsStringMap } from '../../common/validators.js';

const WEBHOOK_ID = 'whk_5f0c2a9e6b1d4f7a0c5e9b2d';
const DELIVERY_ID = 'dlv_8c1e4b7a2d5f0e3c6b9a1d4e';

@ApiSchema({ name: 'CreateWebhookRequest', description: 'A subscription: where to POST each event, and which events.' })
export class CreateWebhookDto {
  @ApiProperty({ description: 'The http(s) URL each event is POSTed to.', example: 'https://example.com/devicegate/events' })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'url must be an http or https URL' })
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ description: 'A note for people.', example: 'Alarm pipeline' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    description:
      'Event filters, written as the query parameters of `GET /v1/events`: `connection_id`, `provider`, `device_id`, `type`, `native_type`, `direction` (with `__eq`, `__neq`, `__in`, `__nin`) and `created_at__gte`/`__lte`. Without filters, every event of the connections the key may reach.',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { connection_id: 'sandbox-hardwario', type__in: 'data,status' },
  })
  @IsOptional()
  @IsStringMap({ maxEntries: 20 })
  filters?: Record<string, string>;
}

@ApiSchema({ name: 'Webhook', description: 'A webhook subscription.' })
export class WebhookDto {
  @ApiProperty({ description: 'Always `webhook`.', enum: ['webhook'], example: 'webhook' })
  object: 'webhook';

  @ApiProperty({ description: 'Its id.', example: WEBHOOK_ID })
  id: string;

  @ApiProperty({ description: 'Where events are POSTed.', example: 'https://example.com/devicegate/events' })
  url: string;

  @ApiProperty({ description: 'The note given at creation.', nullable: true, type: String, example: 'Alarm pipeline' })
  description: string | null;

  @ApiProperty({ description: 'The event filters.', type: 'object', additionalProperties: { type: 'string' }, example: { connection_id: 'sandbox-hardwario' } })
  filters: Record<string, string>;

  @ApiPropertyOptional({
    description:
      'The signing secret, answered only by `createWebhook`: keep it. Each delivery carries `Devicegate-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is HMAC-SHA256 with this secret over `<t>.<raw body>`.',
    example: 'whsec_3c9a0f6e2b7d4a1c8e5f0b3d6a9c2e7f1b4d8a0c3e6f9b2d',
  })
  secret?: string;

  @ApiProperty({ description: 'When it was created (RFC 3339 UTC).', type: String, format: 'date-time', example: '2024-04-17T11:08:27.917Z' })
  created_at: string;
}

export const WebhookListDto = ListOf(WebhookDto, 'WebhookList', WEBHOOK_ID);

@ApiSchema({ name: 'DeliveryAttempt', description: 'One try to deliver an event.' })
export class DeliveryAttemptDto {
  @ApiProperty({ description: 'Its number, from 1.', example: 1 })
  attempt: number;

  @ApiProperty({ description: 'When it started (RFC 3339 UTC).', type: String, format: 'date-time', example: '2024-04-17T11:08:28.120Z' })
  at: string;

  @ApiProperty({ description: "The subscriber's 2xx status when it succeeded; null when it failed.", nullable: true, type: Number, example: 204 })
  status: number | null;

  @ApiProperty({
    description:
      'Why it failed, or null: `answered 3xx`, `answered 4xx` or `answered 5xx` (only the class of what the subscriber answered), `no answer` (whatever kept an answer from coming: refused, reset, timed out, unreachable, or a name resolving to an address webhooks may not reach; the operator\'s log tells which), `refused: the url …` (the URL is no longer allowed), or `dropped: the delivery queue was full (server.max_pending_deliveries)` (never attempted; the event can still be replayed from `GET /v1/events`).',
    nullable: true,
    type: String,
    example: 'answered 5xx',
  })
  error: string | null;

  @ApiProperty({ description: 'How long it took, in milliseconds; null for `no answer` (how long a network takes to fail is not told).', nullable: true, type: Number, example: 12.4 })
  duration_ms: number | null;
}

@ApiSchema({
  name: 'WebhookDelivery',
  description:
    'The delivery of one event to one webhook. Delivery is at least once: an attempt that gets no 2xx is retried with exponential backoff (1 s, 2 s, 4 s … up to 1 h, 12 attempts), also across restarts of devicegate.',
})
export class WebhookDeliveryDto {
  @ApiProperty({ description: 'Always `webhook_delivery`.', enum: ['webhook_delivery'], example: 'webhook_delivery' })
  object: 'webhook_delivery';

  @ApiProperty({ description: 'Its id (sent as `Devicegate-Delivery-Id`).', example: DELIVERY_ID })
  id: string;

  @ApiProperty({ description: 'The webhook.', example: WEBHOOK_ID })
  webhook_id: string;

  @ApiProperty({ description: 'The event (sent as `Devicegate-Event-Id`).', example: 'sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8' })
  event_id: string;

  @ApiProperty({ description: 'The event sequence.', example: 42 })
  event_sequence: number;

  @ApiProperty({ description: '`pending` until a 2xx answer (`succeeded`) or the last attempt failed (`failed`).', enum: ['pending', 'succeeded', 'failed'], example: 'succeeded' })
  status: string;

  @ApiProperty({ description: 'Attempts made so far.', example: 2 })
  attempts: number;

  @ApiProperty({ description: 'When the next attempt is due, while pending.', nullable: true, type: String, format: 'date-time', example: null })
  next_attempt_at: string | null;

  @ApiProperty({ description: 'HTTP status of the last attempt when it succeeded; null otherwise (see `last_error`).', nullable: true, type: Number, example: 200 })
  last_status: number | null;

  @ApiProperty({ description: 'Error of the last attempt.', nullable: true, type: String, example: null })
  last_error: string | null;

  @ApiProperty({ description: 'Every attempt, oldest first.', type: [DeliveryAttemptDto] })
  attempt_log: DeliveryAttemptDto[];

  @ApiProperty({ description: 'When the event was queued for this webhook.', type: String, format: 'date-time', example: '2024-04-17T11:08:28.102Z' })
  created_at: string;

  @ApiProperty({ description: 'When it last changed.', type: String, format: 'date-time', example: '2024-04-17T11:08:29.311Z' })
  updated_at: string;
}

export const WebhookDeliveryListDto = ListOf(WebhookDeliveryDto, 'WebhookDeliveryList', DELIVERY_ID, 'DESC');

@ApiSchema({ name: 'PushReceipt', description: 'What devicegate answers a vendor push.' })
export class PushReceiptDto {
  @ApiProperty({ description: 'Always `push_receipt`.', enum: ['push_receipt'], example: 'push_receipt' })
  object: 'push_receipt';

  @ApiProperty({ description: 'The connection the push was for.', example: 'sandbox-hardwario' })
  connection_id: string;

  @ApiProperty({ description: 'Messages the push held.', example: 1 })
  received: number;

  @ApiProperty({ description: 'Of those, messages not seen before (the rest were repeats).', example: 1 })
  accepted: number;
}
