import type { Provider, Type } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LOGGER, REDIS } from '../app.tokens.js';
import { DEFAULT_EVENT_RETENTION_HOURS } from '../config/config.loader.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.types.js';
import type { Logger } from '../ops/logger.js';
import { EventLog } from './event-log.js';
import { EventRetention } from './event-retention.js';
import { EventStore } from './event-store.js';
import { RedisEventLog } from './redis-event-log.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { EventsController, EventsService } from './events.controller.js';
import { HookRefusals } from './hook-refusals.js';
import { HooksController, HooksService } from './hooks.controller.js';
import { PullService } from './pull.service.js';
import { RawBodyCapture } from './raw-body.js';
import { realtimeLimits } from './realtime-limits.js';
import { DELIVERY_LEASE_MS, WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookTargets } from './webhook-targets.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Vendor pushes in (`/v1/hooks`) or pulled from vendor streams, the event stream and webhooks out. */
export const REALTIME_CONTROLLERS: Type[] = [HooksController, EventsController, WebhooksController];

export const REALTIME_PROVIDERS: Provider[] = [
  {
    // With Redis every instance shares one log; without it the data directory holds this instance's.
    provide: EventLog,
    useFactory: (config: GatewayConfig, redis: Redis | null, log: Logger): EventLog => {
      const maxPending = realtimeLimits(config.server).pendingDeliveries;
      if (redis) return new RedisEventLog(redis, log, { maxPending, retentionHours: config.server.eventRetentionHours ?? DEFAULT_EVENT_RETENTION_HOURS, leaseMs: DELIVERY_LEASE_MS });
      return new SqliteEventLog(new EventStore(config.server.dataDir, undefined, maxPending));
    },
    inject: [GATEWAY_CONFIG, REDIS, LOGGER],
  },
  RawBodyCapture,
  { provide: HookRefusals, useFactory: (config: GatewayConfig) => new HookRefusals(realtimeLimits(config.server).refusedHooksPerMinute), inject: [GATEWAY_CONFIG] },
  HooksService,
  PullService,
  EventsService,
  WebhooksService,
  WebhookDispatcher,
  EventRetention,
  { provide: WebhookTargets, useFactory: (config: GatewayConfig) => new WebhookTargets(config.server.webhookAllowedHosts), inject: [GATEWAY_CONFIG] },
];
