import type { Provider, Type } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.types.js';
import { EventRetention } from './event-retention.js';
import { EventStore } from './event-store.js';
import { EventsController, EventsService } from './events.controller.js';
import { HookRefusals } from './hook-refusals.js';
import { HooksController, HooksService } from './hooks.controller.js';
import { RawBodyCapture } from './raw-body.js';
import { realtimeLimits } from './realtime-limits.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookTargets } from './webhook-targets.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Vendor pushes in (`/v1/hooks`), the event stream and webhooks out. */
export const REALTIME_CONTROLLERS: Type[] = [HooksController, EventsController, WebhooksController];

export const REALTIME_PROVIDERS: Provider[] = [
  { provide: EventStore, useFactory: (config: GatewayConfig) => new EventStore(config.server.dataDir, undefined, realtimeLimits(config.server).pendingDeliveries), inject: [GATEWAY_CONFIG] },
  RawBodyCapture,
  { provide: HookRefusals, useFactory: (config: GatewayConfig) => new HookRefusals(realtimeLimits(config.server).refusedHooksPerMinute), inject: [GATEWAY_CONFIG] },
  HooksService,
  EventsService,
  WebhooksService,
  WebhookDispatcher,
  EventRetention,
  { provide: WebhookTargets, useFactory: (config: GatewayConfig) => new WebhookTargets(config.server.webhookAllowedHosts), inject: [GATEWAY_CONFIG] },
];
