import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LOGGER } from '../app.tokens.js';
import { DEFAULT_EVENT_RETENTION_HOURS } from '../config/config.loader.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.types.js';
import type { Logger } from '../ops/logger.js';
import { EventLog } from './event-log.js';

/** How often stored events are checked against the retention. */
export const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Keeps the event store from growing without end: at start-up and then hourly, events older than
 * `server.event_retention_hours` go, with their finished deliveries. Events a webhook still waits for
 * stay until their delivery ends. `Last-Event-ID` replays and push de-duplication reach back as far as
 * the retention.
 */
@Injectable()
export class EventRetention implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: EventLog,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    void this.prune();
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async prune(now = Date.now()): Promise<{ events: number; deliveries: number } | undefined> {
    const hours = this.config.server.eventRetentionHours ?? DEFAULT_EVENT_RETENTION_HOURS;
    try {
      const removed = await this.store.prune(now - hours * 3_600_000);
      if (removed.events > 0 || removed.deliveries > 0) this.log.info({ ...removed, retentionHours: hours }, 'pruned stored events');
      return removed;
    } catch (error) {
      this.log.warn({ err: String(error) }, 'pruning stored events failed; trying again in an hour');
      return undefined;
    }
  }
}
