import type { HttpClient } from '@devicegate/http-client';
import type { CallContext } from './context.js';
import type { Filter } from './filters.js';
import type {
  Command,
  CommandOutcome,
  CreateDeviceInput,
  Device,
  DeviceStatus,
  Message,
  Order,
  Project,
  ProviderId,
  Reading,
  SendCommandInput,
  TransferInput,
  UpdateDeviceInput,
} from './models.js';

/**
 * The unified operations (the keys of a Connection's `capabilities`), each with the adapter member that
 * performs it. A provider supports an `optional` operation exactly when its connections have the method
 * (or the `keptBy` one: the gateway keeps what that method sent, and answers from it where the vendor
 * cannot be asked): capabilities are read off the adapter, never declared beside it.
 */
const OPERATIONS = {
  'projects.list': { member: 'projects' },
  'projects.get': { member: 'getProject' },
  'devices.list': { member: 'devices' },
  'devices.get': { member: 'getDevice' },
  'devices.create': { member: 'createDevice', optional: true },
  'devices.update': { member: 'updateDevice', optional: true },
  'devices.delete': { member: 'deleteDevice', optional: true },
  'devices.status': { member: 'getDeviceStatus' },
  'devices.transfer': { member: 'transferDevice', optional: true },
  'messages.list': { member: 'messages' },
  'commands.send': { member: 'sendCommand', optional: true },
  'commands.get': { member: 'getCommand', optional: true, keptBy: 'sendCommand' },
  passthrough: { member: 'authHeaders' },
} as const satisfies Record<string, { member: keyof ProviderConnection; optional?: true; keptBy?: keyof ProviderConnection }>;
export type Capability = keyof typeof OPERATIONS;
export type Capabilities = Record<Capability, boolean>;
export const CAPABILITIES = Object.keys(OPERATIONS) as Capability[];

/** The adapter member behind each capability, by member name. */
export type OperationMember = (typeof OPERATIONS)[Capability]['member'];

/** The capability each adapter member performs. */
export const CAPABILITY_OF = Object.fromEntries(CAPABILITIES.map((capability) => [OPERATIONS[capability].member, capability])) as Record<OperationMember, Capability>;

/**
 * What a connection class (its prototype) or a connection supports: every operation of the port, and each
 * optional one where the method exists.
 */
export function capabilitiesOf(connection: ProviderConnection | (abstract new (...args: never[]) => ProviderConnection)): Capabilities {
  const target = (typeof connection === 'function' ? connection.prototype : connection) as Record<string, unknown>;
  return Object.fromEntries(
    CAPABILITIES.map((capability) => {
      const { member, optional, keptBy } = OPERATIONS[capability] as { member: string; optional?: true; keptBy?: string };
      return [capability, optional ? typeof target[member] === 'function' || (keptBy !== undefined && typeof target[keptBy] === 'function') : true];
    }),
  ) as Capabilities;
}

/** Requests per window that a vendor account allows. */
export interface RateLimit {
  requests: number;
  windowMs: number;
}

/** Provider-specific connection keys, before a provider names their type. */
export type ConnectionSettings = Record<string, unknown>;

/** A validated connection of the configuration file (API.md §5); `S` is its provider's settings type. */
export interface ConnectionConfig<S = ConnectionSettings> {
  id: string;
  provider: ProviderId;
  display_name: string;
  base_url: string;
  timeout_ms: number;
  retries: number;
  rate_limit: RateLimit;
  /** When the connection's circuit opens (consecutive failures) and how long it stays open before a probe. */
  circuit: { failure_threshold: number; open_seconds: number };
  /** How long a vendor read may be answered again from devicegate's read cache (0: never). */
  cache?: { ttl_seconds: number };
  /**
   * Units the operator declares for readings whose vendor names none (`readings.units`): a reading's native name,
   * or else its common name, → UCUM code. Never converts a value; a unit the vendor gives wins.
   */
  readings?: { units: Readonly<Record<string, string>> };
  /** Provider-specific keys (space_id, organization_id, org_id, token_url …), as validated by the provider's schema. */
  settings: S;
  /** Vendor credentials; never logged, never answered. */
  credentials: Record<string, string>;
  /**
   * Present when the connection takes pushes at `/v1/hooks/{id}`; `secret` is what they are checked with
   * (optional only where the vendor signs with published keys). Never logged.
   */
  push?: { secret?: string; mode?: PushMode };
}

/**
 * How a connection receives its vendor's events: `push` (the vendor calls `/v1/hooks/{id}`), or `pull`
 * (devicegate holds the vendor's event stream or WebSocket itself; no public address needed).
 */
export type PushMode = 'push' | 'pull';

/** How a provider's vendor pages a list, cursor opaque to everyone but the provider. JSON-serializable. */
export type VendorCursor = string | number | { [key: string]: string | number | boolean | null };

/** What the listing library asks a provider for: all filters of the call, the wanted order and a page size. */
export interface ListQuery {
  /**
   * The filters of the request but `connection_id` and `provider`, which the gateway decides before it asks
   * (see `PushDown` in the listing library). The provider pushes down what its vendor can evaluate; the
   * gateway evaluates all of them again.
   */
  filters: Filter[];
  order: Order;
  /** Items the gateway would like in this vendor page (the provider clamps it to the vendor's maximum). */
  pageSize: number;
  /** True when the caller asked for `include=total_count` (a provider may then ask its vendor for a total). */
  includeTotal: boolean;
}

/** What a provider can promise about a list before fetching it. */
export interface ListPlan {
  /** The order `fetchPage` yields items in. When it differs from the query's order the gateway reads all and reverses. */
  order: Order;
  /**
   * True when the vendor evaluates every filter of the query: its pages hold only matching items and a
   * `total` it reports counts exactly them. When false, the gateway asks for the vendor's largest pages,
   * since it drops part of each.
   */
  exactTotal: boolean;
}

export interface VendorPage<T> {
  /** Canonical items (unified ids, `native` set), in the plan's order. */
  items: T[];
  /** Cursor of the next vendor page, or null on the last one. */
  next: VendorCursor | null;
  /** The vendor's count of matching items, when it gives one cheaply. */
  total?: number;
}

/**
 * One list of a connection, in the vendor's own stable order. The gateway's listing library drives it:
 * it asks for pages, filters, merges connections and remembers where each served page ended.
 */
export interface ListSource<T> {
  plan(query: ListQuery): ListPlan;
  /** A vendor page. With a null cursor, the first one. Throws GatewayError (e.g. `not_found` for a missing parent). */
  fetchPage(query: ListQuery, cursor: VendorCursor | null, ctx: CallContext): Promise<VendorPage<T>>;
}

/**
 * One configured connection of a provider: the adapter between the contract and one vendor account.
 * Arguments are native ids (the gateway strips the `<connection_id>:` prefix); answers are canonical
 * objects whose ids (`id`, `project_id`, `device_id`) are already unified, as the mappers build them.
 * Every method throws GatewayError; an operation the provider lacks is absent, which is what makes its
 * capability false.
 */
export interface ProviderConnection {
  readonly projects: ListSource<Project>;
  readonly devices: ListSource<Device>;
  messages(deviceId: string): ListSource<Message>;
  /**
   * A device's readings, where they do not come from its messages (a vendor that keeps only current values).
   * Absent: readings are derived from `messages`, with their readings.
   */
  readings?(deviceId: string): ListSource<Reading>;

  getProject(projectId: string, ctx: CallContext): Promise<Project>;
  getDevice(deviceId: string, ctx: CallContext): Promise<Device>;
  createDevice?(input: CreateDeviceInput, ctx: CallContext): Promise<Device>;
  updateDevice?(deviceId: string, input: UpdateDeviceInput, ctx: CallContext): Promise<Device>;
  deleteDevice?(deviceId: string, ctx: CallContext): Promise<void>;
  getDeviceStatus(deviceId: string, ctx: CallContext): Promise<DeviceStatus>;
  transferDevice?(deviceId: string, target: TransferInput, ctx: CallContext): Promise<Device>;
  sendCommand?(deviceId: string, command: SendCommandInput, ctx: CallContext): Promise<Command>;
  /**
   * What the vendor knows of a command, where the vendor can be asked (absent otherwise: the gateway answers
   * from the commands it recorded). Throws `not_found` when the vendor has no record of it.
   */
  getCommand?(deviceId: string, commandId: string, ctx: CallContext): Promise<Command>;
  /** Headers that authenticate a raw vendor call (fetching or refreshing a token when the vendor needs one). */
  authHeaders(ctx: CallContext): Promise<Record<string, string>>;
  /** The vendor's event stream, held from the inside (push mode `pull`); present where the vendor offers one. */
  readonly pull?: PullSource;
  /** Releases sockets and timers. */
  close?(): Promise<void>;
}

/** What one holding of a vendor stream reports to whoever holds it. */
export interface PullSession {
  /** Aborted when devicegate lets go of the stream (shutdown, lost lease). */
  readonly signal: AbortSignal;
  /**
   * Vendor time (epoch ms) of the last event or keep-alive any earlier holding saw, when one did: where a
   * vendor keeps a history, what came after it is read again so a reconnect loses nothing.
   */
  readonly resumeFrom?: number;
  /** The vendor accepted the stream. */
  opened(): void;
  /** One vendor body, in the vendor's push format (what `PushSupport.parse` takes). */
  deliver(body: unknown): void;
  /** The vendor's clock reached `at` (epoch ms) on this stream: an event or keep-alive of that time arrived. */
  seen(at: number): void;
}

/**
 * A vendor event stream devicegate holds itself (DT `devices:stream`, the Izuma WebSocket channel).
 * `hold` opens it and keeps it until the vendor ends it or the session's signal aborts: it resolves on an
 * end the vendor meant (or the abort) and rejects with a GatewayError on a failure. Whoever holds it
 * reconnects; vendor bodies are de-duplicated by their message ids downstream.
 */
export interface PullSource {
  /** How the vendor's stream is reached, for the documentation (one sentence). */
  readonly description: string;
  hold(session: PullSession, ctx: CallContext): Promise<void>;
}

/** What a provider definition receives to build a connection. */
export interface ProviderDeps {
  http: HttpClient;
}

/** A vendor push as it reached `/v1/hooks/{connection_id}`. */
export interface PushRequest {
  method: string;
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact bytes received: signatures are computed over them. */
  rawBody: Buffer;
  /** The body parsed as JSON. */
  body: unknown;
}

/** What a push is checked against: the connection's secret and settings, and the vendor's published keys. */
export interface PushVerification {
  /** The connection's `push.secret`, when it has one. */
  secret?: string;
  /** The connection's provider-specific settings. */
  settings: Readonly<Record<string, unknown>>;
  now: number;
  /** GETs a public JSON document (a vendor's signing keys): with a timeout, without credentials; rejects unless the answer is 200. */
  fetchJson(url: string): Promise<unknown>;
}

/**
 * How a provider receives its vendor's pushes (webhooks, connectors, notification channels). `verify`
 * decides on the connection's secret, or on a signature checked with the vendor's published keys;
 * `parse` maps the vendor's format to Messages whose ids are stable across the vendor's retries, so
 * they de-duplicate.
 */
export interface PushSupport {
  /** How the vendor proves a push, for the documentation (one sentence). */
  readonly authentication: string;
  /** True when pushes can be proven without a `push.secret` (the vendor signs with keys it publishes). */
  readonly verifiesWithoutSecret?: boolean;
  /** True when the vendor pushes nothing: its bodies come only from the connection's pull source (push mode `pull` only). */
  readonly pulledOnly?: boolean;
  /** Connection settings a connection with a `push` block must have (what binds the vendor's proof to this account). */
  readonly requiredSettings?: readonly string[];
  /** True when the push carries valid proof. Never throws (nor rejects). */
  verify(request: PushRequest, verification: PushVerification): boolean | Promise<boolean>;
  /** The push as Messages (possibly none); throws GatewayError `validation_error` for a body not in the vendor's format. */
  parse(body: unknown, connectionId: string, receivedAt: number): Message[];
  /** What the push reports of commands sent earlier (results of device requests), for vendors that report them. */
  commandOutcomes?(body: unknown, connectionId: string, receivedAt: number): CommandOutcome[];
}

/**
 * A provider: its defaults, its configuration schema, its capabilities and the factory of its connections.
 * `S` is the type of its settings; the configuration loader checks every connection against
 * `connectionSchema` before the provider sees it, which is what makes `connection.settings` an `S`.
 */
export interface ProviderDefinition<S extends ConnectionSettings = ConnectionSettings> {
  id: ProviderId;
  displayName: string;
  defaultBaseUrl: string;
  defaultRateLimit: RateLimit;
  /** JSON Schema (draft 2020-12 subset, checked with ajv) of the connection keys besides the common ones: `S` and `credentials`. */
  connectionSchema: Record<string, unknown>;
  /** What its connections support: `capabilitiesOf(<its connection class>)`; the gateway checks each connection agrees at start. */
  capabilities: Capabilities;
  /**
   * Keys of the vendor's objects that hold credentials (device auth tokens, license tokens, keys): in
   * `native`, at any depth, they are shown only to keys with the `passthrough` scope.
   */
  secretNativeFields?: readonly string[];
  /** Present when the vendor can push messages to devicegate. */
  push?: PushSupport;
  /**
   * The vendor account whose rate limit a connection spends, when the vendor counts by something wider than
   * one set of credentials (Blynk: the organization). Connections naming the same account share one budget;
   * by default each connection is its own account.
   */
  budgetAccount?(connection: ConnectionConfig<S>): string;
  /** True when its connections offer `pull` (push mode `pull`); their bodies are parsed by `push`. */
  pullable?: boolean;
  create(connection: ConnectionConfig<S>, deps: ProviderDeps): ProviderConnection;
}
