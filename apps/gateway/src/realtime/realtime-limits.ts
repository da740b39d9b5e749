import type { ServerConfig } from '../config/config.types.js';

/**
 * What one key, or everyone together, may hold open or queue on the real-time side. Each is a `server`
 * key of the configuration; these defaults keep a gateway on its 192 MB heap whatever the callers do.
 */
export interface RealtimeLimits {
  /** `server.max_event_streams`: `GET /v1/events` streams open at once, all keys together. */
  eventStreams: number;
  /** `server.max_event_streams_per_key`. */
  eventStreamsPerKey: number;
  /** `server.max_webhooks_per_key`. */
  webhooksPerKey: number;
  /** `server.max_pending_deliveries`: webhook deliveries waiting to be sent, all webhooks together. */
  pendingDeliveries: number;
  /** `server.refused_hooks_per_minute`: refused pushes to `/v1/hooks` one source address may make. */
  refusedHooksPerMinute: number;
}

export const DEFAULT_REALTIME_LIMITS: RealtimeLimits = {
  eventStreams: 200,
  eventStreamsPerKey: 10,
  webhooksPerKey: 50,
  pendingDeliveries: 100_000,
  refusedHooksPerMinute: 60,
};

export const realtimeLimits = (server: ServerConfig): RealtimeLimits => ({
  eventStreams: server.maxEventStreams ?? DEFAULT_REALTIME_LIMITS.eventStreams,
  eventStreamsPerKey: server.maxEventStreamsPerKey ?? DEFAULT_REALTIME_LIMITS.eventStreamsPerKey,
  webhooksPerKey: server.maxWebhooksPerKey ?? DEFAULT_REALTIME_LIMITS.webhooksPerKey,
  pendingDeliveries: server.maxPendingDeliveries ?? DEFAULT_REALTIME_LIMITS.pendingDeliveries,
  refusedHooksPerMinute: server.refusedHooksPerMinute ?? DEFAULT_REALTIME_LIMITS.refusedHooksPerMinute,
});
