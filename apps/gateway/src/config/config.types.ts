import type { ConnectionConfig } from '@devicegate/core';

export const SCOPES = ['read', 'write', 'commands', 'passthrough'] as const;
export type Scope = (typeof SCOPES)[number];

/** A caller of devicegate: its key is kept only as a SHA-256 hash. */
export interface ClientConfig {
  name: string;
  keySha256: Buffer;
  scopes: ReadonlySet<Scope>;
  /** Connection ids it may reach; `*` means all. */
  connections: ReadonlySet<string>;
  /** Epoch ms a short-lived token used instead of the key expires; absent for the key itself. */
  tokenExpiresAt?: number;
}

/** Which browser pages may call `/v1` (API.md §2.7b). */
export interface CorsConfig {
  /** Exact origins or patterns (`https://*.example.com`, `http://localhost:*`, `*`). */
  origins: string[];
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds: number;
}

export interface ServerConfig {
  port: number;
  host: string;
  rateLimit: { perSecond: number; burst: number };
  redisUrl?: string;
  /**
   * Where the SQLite database of accepted events, webhooks and pending deliveries lives (`devicegate.db`
   * inside it); `:memory:` (and no value, as in a configuration built by hand) keeps them in memory only.
   */
  dataDir?: string;
  /** How long accepted events (and finished webhook deliveries) are kept, in hours (default a week). */
  eventRetentionHours?: number;
  /** Failed authentications allowed per source address (token bucket); default 1/s, burst 30 (auth/failed-auth.ts). */
  failedAuthLimit?: { perSecond: number; burst: number };
  /** Whether the public `/readyz` and `/metrics` name each connection and client (default: aggregates only). */
  exposeNames?: boolean;
  /** The only hosts webhooks may be sent to (`*.example.com` for subdomains); any host when absent. */
  webhookAllowedHosts?: string[];
  /** Cross-origin access for browser pages; none when absent. */
  cors?: CorsConfig;
  /** Limits of the real-time side; each has its default in `realtime/realtime-limits.ts`. */
  maxEventStreams?: number;
  maxEventStreamsPerKey?: number;
  maxWebhooksPerKey?: number;
  maxPendingDeliveries?: number;
  refusedHooksPerMinute?: number;
  /** After SIGTERM, how long requests in flight may take before the process exits anyway (default 15 s). */
  shutdownTimeoutSeconds?: number;
  /** Signs short-lived tokens; instances that share clients need the same one (random per process when absent). */
  tokenSecret?: string;
}

export interface GatewayConfig {
  server: ServerConfig;
  clients: ClientConfig[];
  connections: ConnectionConfig[];
  /** True when devicegate runs on its embedded emulators (no configuration file). */
  sandbox: boolean;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
