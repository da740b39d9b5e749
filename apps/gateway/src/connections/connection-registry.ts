import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  CAPABILITIES,
  CAPABILITY_OF,
  applyDeclaredUnits,
  capabilitiesOf,
  requireUnifiedId,
  type CallContext,
  type Capabilities,
  type Capability,
  type ConnectionConfig,
  type ConnectionStatus,
  type Filter,
  type ListSource,
  type Message,
  type OperationMember,
  type ProviderConnection,
  type ProviderDefinition,
  type ProviderRegistry,
  type Reading,
} from '@devicegate/core';
import { GatewayError, isGatewayError } from '@devicegate/errors';
import type { Redis } from 'ioredis';
import { HttpClient } from '@devicegate/http-client';
import { readingsOfMessages, type ListSegment } from '@devicegate/listing';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { PROVIDER_REGISTRY } from './connections.tokens.js';
import { LOGGER, REDIS } from '../app.tokens.js';
import { SharedVendorState, budgetWindows } from './vendor-accounts.js';
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

/** The port's methods that answer one call (every operation but the lists). */
type CallMember = Exclude<OperationMember, 'projects' | 'devices' | 'messages'>;
type Method<K extends CallMember> = NonNullable<ProviderConnection[K]>;
type Answer<K extends CallMember> = Awaited<ReturnType<Method<K>>>;
/** The arguments after the native id, for methods whose first argument is one. */
type AfterId<K extends CallMember> = Parameters<Method<K>> extends [infer First, ...infer Rest] ? (First extends string ? Rest : never) : never;
/** Methods on one device or project, named by its unified id. */
type IdMember = { [K in CallMember]: AfterId<K> extends never ? never : K }[CallMember];
/** Methods on a connection as a whole. */
type ConnectionMember = Exclude<CallMember, IdMember>;

/** The lists of a connection, and the lists of one of its devices. */
type ConnectionLists = { projects: ProviderConnection['projects']; devices: ProviderConnection['devices'] };
type DeviceLists = { messages: ListSource<Message>; readings: ListSource<Reading> };

/** A device's readings: the vendor's own list where it keeps only current values, else the values of its messages. */
const DEVICE_LISTS: { [K in keyof DeviceLists]: (adapter: ProviderConnection, nativeId: string) => DeviceLists[K] } = {
  messages: (adapter, nativeId) => adapter.messages(nativeId),
  readings: (adapter, nativeId) => adapter.readings?.(nativeId) ?? readingsOfMessages(adapter.messages(nativeId)),
};

/**
 * What `start` returns, or its synchronous failure as a rejected promise. The methods that answer one call
 * use it instead of being async functions themselves: each async frame in front of `invoke`/`track` costs
 * every single-item read and passthrough call a promise and a few turns of the microtask queue.
 */
function settled<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

const connectionOf = (id: string): string => (id.includes(':') ? id.slice(0, id.indexOf(':')) : '');
const valuesOf = (filter: Filter): string[] => (Array.isArray(filter.value) ? filter.value : [String(filter.value)]);

/** Errors that say the vendor side is unwell (as opposed to a caller's mistake). */
const HEALTH_FAILURES = new Set(['upstream_error', 'upstream_unavailable', 'upstream_timeout', 'upstream_auth_failed', 'upstream_rate_limited']);

/** Builds one provider adapter per configured connection and answers which of them a client may reach. */
@Injectable()
export class ConnectionRegistry implements OnApplicationShutdown {
  private readonly connections = new Map<string, LiveConnection>();
  private readonly secretFields = new Map<string, ReadonlySet<string>>();
  /** Connection ids in ascending order. */
  readonly ids: readonly string[];

  /** One read cache for every connection (each keeps its answers for its own TTL), and with Redis for every instance. */
  private readonly shared: SharedVendorState;
  private forgotten = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(PROVIDER_REGISTRY) providers: ProviderRegistry,
    private readonly metrics: GatewayMetrics,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(REDIS) redis: Redis | null,
  ) {
    const windows = budgetWindows(config.connections, providers, redis);
    this.shared = new SharedVendorState(redis);
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
        budgetWindow: windows.get(connection.id),
        cache: { ttlMs: (connection.cache?.ttl_seconds ?? 0) * 1000, store: this.shared.readCache },
        circuit: { failureThreshold: connection.circuit.failure_threshold, openMs: connection.circuit.open_seconds * 1000, onChange: this.shared.circuitChanged(connection.id) },
        onForget: () => void (this.forgotten += 1),
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
      const adapter = definition.create(connection, { http });
      const disagreeing = CAPABILITIES.filter((capability) => capabilitiesOf(adapter)[capability] !== definition.capabilities[capability]);
      if (disagreeing.length > 0) throw new Error(`provider '${definition.id}' declares capabilities its connections do not have: ${disagreeing.join(', ')}`);
      this.connections.set(connection.id, {
        config: connection,
        definition,
        adapter,
        http,
        health: { lastOkAt: null, lastFailureAt: null, lastFailureType: null, recentFailures: 0 },
      });
    }
    this.ids = [...this.connections.keys()].sort();
    this.shared.listen((id) => this.connections.get(id)?.http, this.ids);
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

  /**
   * Runs one operation on the device or project a unified id names: the id must be of a connection the
   * client may reach (404 otherwise), the provider must support the operation (501 otherwise); the
   * answer or failure is the connection's (health, error attribution).
   */
  call<K extends IdMember>(client: ClientConfig, id: string, operation: K, ...args: AfterId<K>): Promise<Answer<K>> {
    return settled(() => {
      const { connectionId, nativeId } = requireUnifiedId(id);
      const live = this.resolve(client, connectionId, CAPABILITY_OF[operation].startsWith('projects.') ? 'project' : 'device');
      return this.invoke(live, operation, [nativeId, ...args]);
    });
  }

  /** The connection of a unified id the client may reach (404 otherwise, naming `what`). */
  locate(client: ClientConfig, id: string, what = 'device'): LiveConnection {
    return this.resolve(client, requireUnifiedId(id).connectionId, what);
  }

  supports(live: LiveConnection, capability: Capability): boolean {
    return live.definition.capabilities[capability];
  }

  /** Runs one operation on a connection as a whole (creating a device, authenticating a raw call), as `call` does. */
  callConnection<K extends ConnectionMember>(client: ClientConfig, connectionId: string, operation: K, ...args: Parameters<Method<K>>): Promise<Answer<K>> {
    return settled(() => this.invoke(this.resolve(client, connectionId), operation, args));
  }

  /**
   * The segments of a list over connections: those the client may reach, narrowed by the `connection_id`,
   * `provider` and id filters (`idFields`). Their vendor pages count for each connection's health.
   */
  lists<K extends keyof ConnectionLists>(client: ClientConfig, list: K, filters: readonly Filter[], idFields: readonly string[] = ['id']): ListSegment<ConnectionLists[K] extends ListSource<infer T> ? T : never>[] {
    return this.reachable(client, filters, idFields).map((live) => this.segment(live, live.adapter[list] as ListSource<ConnectionLists[K] extends ListSource<infer T> ? T : never>));
  }

  /** The one segment of a device's list (messages, readings), as `call` resolves a device. */
  deviceList<K extends keyof DeviceLists>(client: ClientConfig, deviceId: string, list: K): ListSegment<DeviceLists[K] extends ListSource<infer T> ? T : never>[] {
    const live = this.locate(client, deviceId);
    this.requireCapability(live, 'messages.list');
    return [this.segment(live, DEVICE_LISTS[list](live.adapter, requireUnifiedId(deviceId).nativeId) as ListSource<DeviceLists[K] extends ListSource<infer T> ? T : never>)];
  }

  /** Runs raw vendor calls of a connection (passthrough), keeping its health and attributing its errors. */
  run<T>(live: LiveConnection, capability: Capability, operation: () => Promise<T>): Promise<T> {
    return settled(() => {
      this.requireCapability(live, capability);
      return this.track(live, operation);
    });
  }

  /**
   * The connections a list or a stream must read: those the client may reach, narrowed by `connection_id`,
   * `provider` and id filters. Naming a connection the client may not reach is a 404, exactly as for one
   * that does not exist (API.md §2.2).
   */
  reachable(client: ClientConfig, filters: readonly Filter[], idFields: readonly string[] = ['id']): LiveConnection[] {
    for (const filter of filters) {
      if (filter.op !== 'eq' && filter.op !== 'in') continue;
      const named = filter.field === 'connection_id' ? valuesOf(filter) : idFields.includes(filter.field) ? valuesOf(filter).map(connectionOf) : [];
      for (const connectionId of named) {
        if (!this.connections.has(connectionId) || !mayReach(client, connectionId)) {
          throw new GatewayError('not_found', `The filter '${filter.param}' names a connection that does not exist.`);
        }
      }
    }
    return this.visibleTo(client).filter((live) =>
      filters.every((filter) => {
        const { id, provider } = live.config;
        switch (`${filter.field}:${filter.op}`) {
          case 'connection_id:eq':
          case 'connection_id:in':
            return valuesOf(filter).includes(id);
          case 'connection_id:neq':
          case 'connection_id:nin':
            return !valuesOf(filter).includes(id);
          case 'provider:eq':
          case 'provider:in':
            return valuesOf(filter).includes(provider);
          case 'provider:neq':
          case 'provider:nin':
            return !valuesOf(filter).includes(provider);
          case 'id:eq':
          case 'id:in':
            return idFields.includes('id') ? valuesOf(filter).some((v) => connectionOf(v) === id) : true;
          default:
            return true;
        }
      }),
    );
  }

  private async invoke<K extends CallMember>(live: LiveConnection, operation: K, args: unknown[]): Promise<Answer<K>> {
    this.requireCapability(live, CAPABILITY_OF[operation]);
    // The one place a port method is called by name; its arguments were typed by `call`/`callConnection`.
    const method = live.adapter[operation] as unknown as (...args: unknown[]) => Promise<Answer<K>>;
    // What `track` does, without its closure and promise: this is every single-item read's path.
    let answer: Answer<K>;
    try {
      answer = await method.apply(live.adapter, args);
    } catch (error) {
      throw this.failed(live, error);
    }
    this.recordOk(live);
    return live.config.readings ? applyDeclaredUnits(answer, live.config.readings.units) : answer;
  }

  private segment<T>(live: LiveConnection, source: ListSource<T>): ListSegment<T> {
    const units = live.config.readings?.units;
    return {
      connectionId: live.config.id,
      provider: live.config.provider,
      source: {
        plan: (query) => source.plan(query),
        fetchPage: async (query, cursor, ctx: CallContext) => {
          const page = await this.track(live, () => source.fetchPage(query, cursor, ctx));
          return units ? { ...page, items: page.items.map((item) => applyDeclaredUnits(item, units)) } : page;
        },
      },
    };
  }

  /** Throws 501 `not_supported` when the connection's provider lacks the operation. */
  private requireCapability(live: LiveConnection, capability: Capability): void {
    if (!this.supports(live, capability)) {
      throw new GatewayError('not_supported', `The ${live.definition.displayName} provider does not support '${capability}'.`, {
        connectionId: live.config.id,
        provider: live.config.provider,
      });
    }
  }

  /** Attributes an operation's errors to the connection and keeps the connection's health. */
  private async track<T>(live: LiveConnection, operation: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      throw this.failed(live, error);
    }
    this.recordOk(live);
    return result;
  }

  /** Counts a failed operation for the connection's health; the error to throw, attributed to the connection. */
  private failed(live: LiveConnection, error: unknown): unknown {
    this.recordFailure(live, error);
    return isGatewayError(error) ? error.withConnection(live.config.id, live.config.provider) : error;
  }

  /**
   * Grows whenever some connection's reads in flight are forgotten (a write, a pushed event, another
   * instance's invalidation): an answer being built since before then may be stale, and no one joins it.
   */
  get readGeneration(): number {
    return this.forgotten;
  }

  /** Something changed at the vendor (a pushed event): the connection's reads are asked afresh. */
  async invalidateReads(connectionId: string): Promise<void> {
    await this.connections.get(connectionId)?.http.invalidate();
  }

  private recordOk(live: LiveConnection): void {
    live.health.lastOkAt = Date.now();
    live.health.recentFailures = 0;
  }

  private recordFailure(live: LiveConnection, error: unknown): void {
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
    await this.shared.close();
  }
}

/** What a client may see, as a cache key: its connection ids in order (`*` for all). */
export const reachOf = (client: ClientConfig): string => [...client.connections].sort().join(',');

export const mayReach = (client: ClientConfig, connectionId: string): boolean => client.connections.has('*') || client.connections.has(connectionId);
