import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { ConnectionConfig, ConnectionSettings, ProviderDefinition, ProviderRegistry, PushMode, RateLimit } from '@devicegate/core';
import { COMMON_CONNECTION_KEYS, CONFIG_SCHEMA } from './config.schema.js';
import type { ClientConfig, GatewayConfig, Scope } from './config.types.js';
import { allowedHostProblem } from '../realtime/webhook-targets.js';

/** A configuration problem; its message names the key, so the operator knows what to fix. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A week of events: `Last-Event-ID` replays and failed webhook deliveries can be looked at for that long. */
export const DEFAULT_EVENT_RETENTION_HOURS = 168;

/** Half of the 30 s most supervisors wait before they kill: time for vendor calls in flight (10 s timeouts) to end. */
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 15;

/** Relative to the working directory, like any relative `data_dir`. */
export const DEFAULT_DATA_DIR = 'data';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const keyPath = (parts: Array<string | number>): string =>
  parts.reduce<string>((path, part) => (typeof part === 'number' ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${VAR}` in every string value by the environment variable; a missing variable is an error naming the key. */
export function interpolate(value: Json, env: NodeJS.ProcessEnv, path: Array<string | number> = []): Json {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (_, name: string) => {
      const found = env[name];
      if (found === undefined) throw new ConfigError(`${keyPath(path) || '(root)'}: environment variable ${name} is not set`);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k])]));
  }
  return value;
}

function describeAjvError(error: ErrorObject, prefix: string): string {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  let path = keyPath(parts);
  if (prefix) path = path ? `${prefix}.${path}` : prefix;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${path ? `${path}.` : ''}${String(params.missingProperty)}: is required`;
  if (error.keyword === 'additionalProperties') return `${path ? `${path}.` : ''}${String(params.additionalProperty)}: is not a known key`;
  if (error.keyword === 'enum') return `${path || '(root)'}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
  return `${path || '(root)'}: ${error.message ?? 'is invalid'}`;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validateCommon = ajv.compile(CONFIG_SCHEMA);

/** Vendor reads are answered again from the cache for this long unless a connection says otherwise. */
const DEFAULT_CACHE_TTL_SECONDS = 3;

function rateLimitOf(value: unknown, fallback: RateLimit): RateLimit {
  if (typeof value === 'number') return { requests: value, windowMs: 1000 };
  if (value && typeof value === 'object') {
    const v = value as { requests: number; per_seconds: number };
    return { requests: v.requests, windowMs: v.per_seconds * 1000 };
  }
  return fallback;
}

/** Validates a parsed configuration document and turns it into the gateway's configuration. */
export function buildConfig(document: unknown, providers: ProviderRegistry, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  if (!document || typeof document !== 'object' || Array.isArray(document)) throw new ConfigError('(root): the configuration must be a YAML mapping');
  const raw = interpolate(document as Json, env) as Record<string, Json>;
  if (!validateCommon(raw)) throw new ConfigError(describeAjvError(validateCommon.errors![0], ''));

  const server = (raw.server ?? {}) as { port?: number; host?: string; rate_limit?: { per_second: number; burst?: number }; redis_url?: string; data_dir?: string; event_retention_hours?: number; expose_names?: boolean; failed_auth_limit?: { per_second: number; burst: number }; webhook_allowed_hosts?: string[]; cors?: { origins: string[]; max_age_seconds?: number }; token_secret?: string;
    max_event_streams?: number; max_event_streams_per_key?: number; max_webhooks_per_key?: number; max_pending_deliveries?: number; refused_hooks_per_minute?: number; shutdown_timeout_seconds?: number };
  const connections: ConnectionConfig[] = [];
  const seen = new Set<string>();
  (raw.connections as Array<Record<string, Json>>).forEach((entry, index) => {
    const at = `connections[${index}]`;
    const id = entry.id as string;
    if (seen.has(id)) throw new ConfigError(`${at}.id: '${id}' is used by another connection`);
    seen.add(id);
    const definition = providers.get(entry.provider as string);
    if (!definition) throw new ConfigError(`${at}.provider: provider '${String(entry.provider)}' is not available in this build`);
    const specific = Object.fromEntries(Object.entries(entry).filter(([key]) => !COMMON_CONNECTION_KEYS.has(key)));
    // The provider's schema is what types its settings: past this check they are the provider's `S`.
    const validate = ajv.compile<ConnectionSettings & { credentials?: Record<string, unknown> }>(definition.connectionSchema);
    if (!validate(specific)) throw new ConfigError(describeAjvError(validate.errors![0], at));
    const { credentials, ...settings } = specific;
    connections.push({
      id,
      provider: definition.id,
      display_name: (entry.display_name as string | undefined) ?? `${definition.displayName} (${id})`,
      base_url: ((entry.base_url as string | undefined) ?? definition.defaultBaseUrl).replace(/\/+$/, ''),
      timeout_ms: (entry.timeout_ms as number | undefined) ?? 10_000,
      retries: (entry.retries as number | undefined) ?? 2,
      rate_limit: rateLimitOf(entry.rate_limit, definition.defaultRateLimit),
      circuit: {
        failure_threshold: (entry.circuit as { failure_threshold?: number } | undefined)?.failure_threshold ?? 5,
        open_seconds: (entry.circuit as { open_seconds?: number } | undefined)?.open_seconds ?? 30,
      },
      cache: { ttl_seconds: (entry.cache as { ttl_seconds?: number } | undefined)?.ttl_seconds ?? DEFAULT_CACHE_TTL_SECONDS },
      ...(entry.readings ? { readings: { units: { ...(entry.readings as { units: Record<string, string> }).units } } } : {}),
      settings,
      credentials: Object.fromEntries(Object.entries(credentials ?? {}).map(([k, v]) => [k, String(v)])),
      ...(entry.push ? { push: pushOf(entry.push as { secret?: string; mode?: PushMode }, definition, settings, at) } : {}),
    });
  });

  const clients: ClientConfig[] = ((raw.clients ?? []) as Array<{ name: string; key_sha256: string; scopes: Scope[]; connections?: string[] }>).map((client, index) => {
    for (const [i, connection] of (client.connections ?? ['*']).entries()) {
      if (connection !== '*' && !seen.has(connection)) throw new ConfigError(`clients[${index}].connections[${i}]: no connection has the id '${connection}'`);
    }
    return {
      name: client.name,
      keySha256: Buffer.from(client.key_sha256.toLowerCase(), 'hex'),
      scopes: new Set(client.scopes),
      connections: new Set(client.connections ?? ['*']),
    };
  });
  // A client is known by its name everywhere (rate bucket, idempotency records, webhook ownership): two of one name would be one identity.
  const hashes = new Set<string>();
  const names = new Set<string>();
  clients.forEach((client, index) => {
    const hex = client.keySha256.toString('hex');
    if (hashes.has(hex)) throw new ConfigError(`clients[${index}].key_sha256: the same key is configured twice`);
    if (names.has(client.name)) throw new ConfigError(`clients[${index}].name: another client is already named '${client.name}'`);
    hashes.add(hex);
    names.add(client.name);
  });

  (server.webhook_allowed_hosts ?? []).forEach((entry, index) => {
    const problem = allowedHostProblem(entry);
    if (problem) throw new ConfigError(`server.webhook_allowed_hosts[${index}]: ${problem}`);
  });

  const port = env.PORT !== undefined ? Number(env.PORT) : (server.port ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT: '${env.PORT}' is not a port number`);
  const perSecond = server.rate_limit?.per_second ?? 50;
  return {
    server: {
      port,
      host: server.host ?? '0.0.0.0',
      rateLimit: { perSecond, burst: server.rate_limit?.burst ?? Math.max(1, Math.ceil(perSecond * 2)) },
      redisUrl: server.redis_url || undefined,
      dataDir: server.data_dir ?? DEFAULT_DATA_DIR,
      eventRetentionHours: server.event_retention_hours ?? DEFAULT_EVENT_RETENTION_HOURS,
      exposeNames: server.expose_names ?? false,
      ...(server.failed_auth_limit ? { failedAuthLimit: { perSecond: server.failed_auth_limit.per_second, burst: server.failed_auth_limit.burst } } : {}),
      webhookAllowedHosts: server.webhook_allowed_hosts,
      tokenSecret: server.token_secret,
      // Ten minutes: long enough to spare most preflights, short enough for a changed list to apply soon.
      ...(server.cors ? { cors: { origins: server.cors.origins, maxAgeSeconds: server.cors.max_age_seconds ?? 600 } } : {}),
      maxEventStreams: server.max_event_streams,
      maxEventStreamsPerKey: server.max_event_streams_per_key,
      maxWebhooksPerKey: server.max_webhooks_per_key,
      maxPendingDeliveries: server.max_pending_deliveries,
      refusedHooksPerMinute: server.refused_hooks_per_minute,
      shutdownTimeoutSeconds: server.shutdown_timeout_seconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
    },
    clients,
    connections,
    sandbox: false,
  };
}

/**
 * The `push` block of a connection: in `pull` mode nothing more (devicegate holds the vendor's stream with
 * the connection's credentials); else a secret, unless the vendor signs its pushes with keys it publishes.
 */
function pushOf(push: { secret?: string; mode?: PushMode }, definition: ProviderDefinition, settings: Record<string, unknown>, at: string): { secret?: string; mode: PushMode } {
  if (!definition.push) throw new ConfigError(`${at}.push: ${definition.displayName} has no push`);
  if (push.mode === 'pull') {
    if (!definition.pullable) throw new ConfigError(`${at}.push.mode: ${definition.displayName} offers no stream to pull; use mode push`);
    if (push.secret !== undefined) throw new ConfigError(`${at}.push.secret: is not used in pull mode (no push reaches /v1/hooks)`);
    return { mode: 'pull' };
  }
  if (definition.push.pulledOnly) throw new ConfigError(`${at}.push.mode: ${definition.displayName} pushes nothing; use mode pull (devicegate reads the vendor itself)`);
  for (const key of definition.push.requiredSettings ?? []) {
    if (settings[key] === undefined) throw new ConfigError(`${at}.${key}: is required when push is configured (it binds the vendor's signed pushes to this account)`);
  }
  if (push.secret === undefined && !definition.push.verifiesWithoutSecret) throw new ConfigError(`${at}.push.secret: is required`);
  return push.secret === undefined ? { mode: 'push' } : { secret: String(push.secret), mode: 'push' };
}

/**
 * Parses YAML in which `${VAR}` may stand anywhere a value can. `${` is not YAML: in a flow map
 * (`{ api_key: ${KEY} }`) its braces would open another map. So each `${VAR}` becomes a plain
 * alphanumeric placeholder (a fresh random tag, so nothing in the file can be mistaken for one), the
 * text is parsed, and the placeholders in the parsed keys and values turn back into `${VAR}` for
 * `interpolate`: a variable's value is never read as YAML, whatever it holds.
 */
export function parseConfigText(text: string): unknown {
  const tag = `dgvar${randomBytes(8).toString('hex')}`;
  const names: string[] = [];
  const document = parseYaml(text.replace(VARIABLE, (_, name: string) => `${tag}x${names.push(name) - 1}x`)) as unknown;
  const placeholder = new RegExp(`${tag}x(\\d+)x`, 'g');
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(placeholder, (_, i: string) => `\${${names[Number(i)]}}`);
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [restore(k) as string, restore(v)]));
    return value;
  };
  return names.length ? restore(document) : document;
}

/** The configuration file named by `--config <file>`, `--config=<file>` or `DEVICEGATE_CONFIG`. */
export function configPathFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const at = argv.indexOf('--config');
  if (at >= 0) return argv[at + 1];
  const inline = argv.find((arg) => arg.startsWith('--config='));
  return inline ? inline.slice('--config='.length) : env.DEVICEGATE_CONFIG || undefined;
}

/** Reads and validates the YAML file at `path`. */
export function loadConfigFile(path: string, providers: ProviderRegistry, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let document: unknown;
  try {
    document = parseConfigText(text);
  } catch (error) {
    throw new ConfigError(`${path}: is not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  return buildConfig(document, providers, env);
}

/** True when users other than the owner and group may read the file: it holds key hashes and, often, vendor credentials. */
export const readableByOthers = (path: string): boolean => (statSync(path).mode & 0o004) !== 0;

/**
 * Creates the data directory (0700: events hold device data) and checks this process may write its
 * database there, so a volume the container user cannot write stops the start with what to fix
 * instead of SQLite's "unable to open database file".
 */
export function prepareDataDir(dataDir: string): void {
  const dir = resolve(dataDir);
  const db = join(dir, 'devicegate.db');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.X_OK);
    if (existsSync(db)) accessSync(db, constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`server.data_dir: ${dir} is not writable by uid ${process.getuid?.() ?? '?'} (${code}); make it writable by that user (a mounted volume: chown it), or point server.data_dir elsewhere`);
  }
}

export const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
