import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Capabilities, ConnectionConfig, ConnectionStatus, ProviderConnection, ProviderDefinition, ProviderRegistry } from '@devicegate/core';
import { GatewayError, isGatewayError } from '@devicegate/errors';
import { HttpClient, MemoryReadCache } from '@devicegate/http-client';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { PROVIDER_REGISTRY } from './connections.tokens.js';
import { LOGGER } from '../app.tokens.js';
import { GatewayMetrics } from '../ops/metrics.js';
import type { Logger } from '../ops/logger.js';
import type { HiddenNativeFields } from '../common/list-response.js';

/** Vendor calls slower than this are logged at info level even when they succeed. */
const SLOW_CALL_MS = 1000;

/** A configured connection with its provider adapter and what recent calls said about it. */
export interface LiveConnection {
  config: ConnectionConfig;
  definition: ProviderDefinition;
  adapter: ProviderConnection;
  http: HttpClient;
  health: { lastOkAt: number | null; lastFailureAt: number | null; lastFailureType: string | null; recentFailures: number };
}

/** Errors that say the vendor side is unwell (as opposed to a caller's mistake). */
const HEALTH_FAILURES = new Set(['upstream_error', 'upstream_unavailable', 'upstream_timeout', 'upstream_auth_failed', 'upstream_rate_limited']);

/** Builds one provider adapter per configured connection and answers which of them a client may reach. */
@Injectable()
export class ConnectionRegistry implements OnApplicationShutdown {
  private readonly connections = new Map<string, LiveConnection>();
  private readonly secretFields = new Map<string, ReadonlySet<string>>();
  /** Connection ids in ascending order. */
  readonly ids: readonly string[];

  /** One bounded read cache for every connection; each connection keeps its answers for its own TTL. */
  private readonly readCache = new MemoryReadCache();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(PROVIDER_REGISTRY) providers: ProviderRegistry,
    private readonly metrics: GatewayMetrics,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    for (const connection of config.connections) {
      const definition = providers.get(connection.provider)!;
      if (definition.secretNativeFields?.length) this.secretFields.set(definition.id, new Set(definition.secretNativeFields));
      const http = new HttpClient({
        baseUrl: connection.base_url,
        timeoutMs: connection.timeout_ms,
        retries: connection.retries,
        connectionId: connection.id,
        provider: connection.provider,
        budget: connection.rate_limit,
        cache: { ttlMs: (connection.cache?.ttl_seconds ?? 0) * 1000, store: this.readCache },
        circuit: { failureThreshold: connection.circuit.failure_threshold, openMs: connection.circuit.open_seconds * 1000 },
        onCall: (event) => {
          this.metrics.vendorCall(event);
          const failed = event.error !== undefined || (event.status ?? 0) >= 500;
          const level = failed || event.durationMs > SLOW_CALL_MS ? 'info' : 'debug';
          if (!this.log.isLevelEnabled(level)) return;
          this.log[level](
            { reqId: event.requestId, connection: event.connectionId, provider: event.provider, method: event.method, path: event.path, status: event.status, error: event.error, durationMs: Math.round(event.durationMs * 10) / 10, attempt: event.attempt },
            'vendor call',
          );
        },
      });
      this.metrics.watchCircuit(connection.id, connection.provider, () => http.circuitSnapshot());
      this.connections.set(connection.id, {
        config: connection,
        definition,
        adapter: definition.create(connection, { http }),
        http,
        health: { lastOkAt: null, lastFailureAt: null, lastFailureType: null, recentFailures: 0 },
      });
    }
    this.ids = [...this.connections.keys()].sort();
    this.log.info({ connections: this.ids }, `${this.ids.length} connection(s)`);
  }

  /** The connections a client may reach, in id order. */
  visibleTo(client: ClientConfig): LiveConnection[] {
    return this.ids.filter((id) => mayReach(client, id)).map((id) => this.connections.get(id)!);
  }

  /** A connection the client may reach; one it may not reach is answered exactly like one that does not exist. */
  resolve(client: ClientConfig, connectionId: string, what = 'connection'): LiveConnection {
    const live = this.connections.get(connectionId);
    if (!live || !mayReach(client, connectionId)) {
      throw new GatewayError('not_found', what === 'connection' ? `No connection has the id '${connectionId.slice(0, 100)}'.` : `No ${what} has this id.`);
    }
    return live;
  }

  all(): LiveConnection[] {
    return this.ids.map((id) => this.connections.get(id)!);
  }

  /** Runs one provider operation, attributing its errors to the connection and keeping the connection's health. */
  async call<T>(live: LiveConnection, operation: (adapter: ProviderConnection) => Promise<T>): Promise<T> {
    try {
      const result = await operation(live.adapter);
      this.recordOk(live);
      return result;
    } catch (error) {
      this.recordFailure(live, error);
      throw isGatewayError(error) ? error.withConnection(live.config.id, live.config.provider) : error;
    }
  }

  /** Something changed at the vendor (a pushed event): the connection's reads are asked afresh. */
  invalidateReads(connectionId: string): void {
    this.connections.get(connectionId)?.http.invalidate();
  }

  recordOk(live: LiveConnection): void {
    live.health.lastOkAt = Date.now();
    live.health.recentFailures = 0;
  }

  recordFailure(live: LiveConnection, error: unknown): void {
    if (!isGatewayError(error) || !HEALTH_FAILURES.has(error.type)) return;
    if (error.type === 'upstream_rate_limited') this.metrics.vendorRateLimited(live.config.id);
    live.health.lastFailureAt = Date.now();
    live.health.lastFailureType = error.type;
    live.health.recentFailures += 1;
  }

  status(live: LiveConnection): ConnectionStatus {
    const circuit = live.http.circuitSnapshot().state;
    if (circuit === 'open') return 'unavailable';
    if (circuit === 'half_open') return 'degraded';
    const { lastOkAt, lastFailureAt, recentFailures } = live.health;
    if (lastOkAt === null && lastFailureAt === null) return 'unknown';
    if (recentFailures === 0) return 'ok';
    return recentFailures >= 5 ? 'unavailable' : 'degraded';
  }

  /**
   * The credential fields of `native` a client may not see, per provider: none for a `passthrough` key,
   * which can read them from the vendor anyway.
   */
  hiddenNativeFields(client: ClientConfig): HiddenNativeFields | undefined {
    return client.scopes.has('passthrough') ? undefined : (provider) => this.secretFields.get(provider);
  }

  /** The capability map of a connection, as the provider declares it. */
  capabilities(live: LiveConnection): Capabilities {
    return { ...live.definition.capabilities };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all().map(async (live) => {
      await live.adapter.close?.();
      await live.http.close();
    }));
  }
}

/** What a client may see, as a cache key: its connection ids in order (`*` for all). */
export const reachOf = (client: ClientConfig): string => [...client.connections].sort().join(',');

export const mayReach = (client: ClientConfig, connectionId: string): boolean => client.connections.has('*') || client.connections.has(connectionId);
