import { closingWith, composeRouter, drift, listenOptions, PushSender, seedCount, startEmulatorServer, startLive, type EmulatorOptions, type EmulatorServer, type PushControls, type PushTarget } from '@devicegate/emulators/kit';
import { RateLimiter, TokenService, type RateLimit } from './disruptive.auth.js';
import { disruptiveDataConnectorRoutes } from './disruptive.dataconnectors.routes.js';
import { disruptiveDeviceRoutes } from './disruptive.devices.routes.js';
import { disruptiveEmulatorApiRoutes } from './disruptive.emulator-api.routes.js';
import { disruptiveOAuthRoutes } from './disruptive.oauth.routes.js';
import { disruptiveOrganizationRoutes } from './disruptive.organizations.routes.js';
import { disruptiveProjectRoutes } from './disruptive.projects.routes.js';
import type { DtDataConnector, DtDevice, DtEvent, DtRole } from './disruptive.types.js';
import { disruptiveRoutes, dtError } from './disruptive.routes.js';
import { DEMO_DEVICE_COUNT, DISRUPTIVE_SANDBOX_CREDENTIALS, seedStore } from './disruptive.seed.js';
import { AsymmetricSigner, signPush } from './disruptive.push.js';
import { DisruptiveStore, type DataConnectorPush, type EmittedEvent } from './disruptive.store.js';
import { EventStreams } from './disruptive.stream.js';

export { DISRUPTIVE_SANDBOX_CREDENTIALS, DEMO_DEVICE_COUNT } from './disruptive.seed.js';
export { DT_TOKEN_URL, JWT_BEARER_GRANT, type RateLimit } from './disruptive.auth.js';
export { PayloadError } from './disruptive.events.js';
export { signPush } from './disruptive.push.js';
export type { DataConnectorPush, EmittedEvent } from './disruptive.store.js';
export type * from './disruptive.types.js';

/** The vendor's documented limit: 25 requests per 5 seconds. */
export const DISRUPTIVE_DEFAULT_RATE_LIMIT: RateLimit = { requests: 25, windowMs: 5_000 };

/**
 * `now` ends the seeded week of events (a few minutes before it); of `deviceCount` devices the first 16 are the
 * demo set (the default), more get only their latest state; live temperature sensors publish temperature events.
 */
export interface DisruptiveEmulatorOptions extends EmulatorOptions {
  /** Access-token lifetime in seconds (default 3600, as DT). */
  tokenTtlSeconds?: number;
  /** Requests per window per key (default 25 per 5 s, as DT); `false` switches limiting off. */
  rateLimit?: RateLimit | false;
  /** Whether the service account accepts HTTP Basic auth (default true). */
  enableBasicAuth?: boolean;
  /** The service account's role everywhere (default `roles/organization.admin`). */
  role?: DtRole;
  /**
   * What `/events` does with a `start_time` further back than the 30 days DT keeps: lists what there is
   * (`listed`, default) or answers 400 (`rejected`). DT does not document which.
   */
  olderHistoryStart?: 'listed' | 'rejected';
  /**
   * A long history for load tests: this many temperature events, evenly over the week before `now`, on the
   * last seeded device (give `deviceCount` above the demo set, whose devices have their own histories).
   */
  historyEvents?: number;
}

export interface DisruptiveCredentials {
  readonly keyId: string;
  readonly secret: string;
  readonly email: string;
  readonly serviceAccountId: string;
  readonly organizationId: string;
  readonly projectIds: readonly string[];
}

export interface DisruptiveEmulator extends EmulatorServer, PushControls<DisruptivePushTarget> {
  /** REST API root a client uses in place of `https://api.disruptive-technologies.com/v2`. */
  readonly baseUrl: string;
  /** Emulator API root in place of `https://emulator.disruptive-technologies.com/v2`. */
  readonly emulatorBaseUrl: string;
  /** OAuth2 token endpoint in place of `https://identity.disruptive-technologies.com/oauth2/token`. */
  readonly tokenUrl: string;
  readonly credentials: DisruptiveCredentials;
  readonly organizationId: string;
  readonly projectIds: readonly string[];
  /** Device ids (all projects, or one), in listing order. */
  deviceIds(projectId?: string): string[];
  /** A device as `GET …/devices/{id}` shows it. */
  getDevice(deviceId: string): DtDevice | undefined;
  /** A device's stored history, oldest first. */
  events(deviceId: string): DtEvent[];
  /**
   * Publishes an event to any device as the Emulator API would (`{"temperature": {"value": 21}}`):
   * stored in history, applied to `reported`, handed to listeners and data connectors.
   * Throws PayloadError for an invalid body and Error for an unknown device.
   */
  publish(deviceId: string, event: Record<string, unknown>): DtEvent;
  /** The issuer of `Dt-Asymmetric-Signature` (its OIDC discovery document and JWKS are served here). */
  pushIssuer: string;
  /** Requests made to the token endpoint so far. */
  tokenRequestCount(): number;
  /** Invalidates every access token issued so far. */
  expireTokens(): void;
  /** Forgets the rate-limit windows. */
  resetRateLimit(): void;
  /** The emulator clock (epoch ms): starts at `now` and runs in real time. */
  clock(): number;
  dataConnectors(projectId?: string): DtDataConnector[];
  /** Every event, including `labelsChanged`; returns an unsubscribe function. */
  onEvent(listener: (event: EmittedEvent) => void): () => void;
  /** Hook for data-connector delivery: one call per push an active, matching connector would receive. */
  onDataConnectorPush(listener: (push: DataConnectorPush) => void): () => void;
  /**
   * Creates an HTTP_PUSH data connector in every project that forwards every event to `url`, signed with
   * `X-Dt-Signature` when `signatureSecret` is given, and delivers its pushes over HTTP (connectors
   * created through the REST API are only reported to `onDataConnectorPush`). `null` deletes them again.
   */
  setPushTarget(target: DisruptivePushTarget | null): void;
  /**
   * Ends every open `:stream` with an in-stream error `{"error":{"code","message"}}` (HTTP status 200, as
   * DT does); returns how many. `dropStreams()` instead cuts them as a network failure would.
   */
  failStreams(code: number, message: string): number;
}

export interface DisruptivePushTarget extends PushTarget {
  signatureSecret?: string;
}

/** Starts a local Disruptive Technologies cloud: REST API v2, Emulator API and OAuth2 token endpoint. */
export async function startDisruptiveEmulator(options: DisruptiveEmulatorOptions = {}): Promise<DisruptiveEmulator> {
  const deviceCount = seedCount(options.deviceCount, DEMO_DEVICE_COUNT);
  const store = new DisruptiveStore(options.now ?? Date.now());
  seedStore(store, { now: options.now ?? Date.now(), deviceCount });
  if (options.historyEvents && deviceCount > DEMO_DEVICE_COUNT) {
    const record = [...store.devices.values()].at(-1)!;
    const endUs = ((options.now ?? Date.now()) - 60_000) * 1000;
    const stepUs = Math.floor((7 * 86_400_000_000) / options.historyEvents);
    for (let i = options.historyEvents - 1; i >= 0; i--) {
      const us = endUs - i * stepUs;
      const updateTime = new Date(us / 1000).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}Z`);
      store.seedEvent(record, 'temperature', { value: 20 + (i % 50) / 10, updateTime }, us, store.newId(us / 1e6));
    }
    // Merged in time order with the device's own seeded events.
    const order = record.times.map((_, i) => i).sort((a, b) => record.times[a] - record.times[b]);
    const events = order.map((i) => record.events[i]);
    const times = order.map((i) => record.times[i]);
    for (let i = 0; i < order.length; i++) {
      record.events[i] = events[i];
      record.times[i] = times[i];
    }
  }

  const creds = DISRUPTIVE_SANDBOX_CREDENTIALS;
  let tokenUrl = '';
  const tokens = new TokenService(
    [{ keyId: creds.keyId, secret: creds.secret, email: creds.email, enableBasicAuth: options.enableBasicAuth ?? true }],
    options.tokenTtlSeconds ?? 3600,
    () => [tokenUrl],
  );
  const rateLimit = options.rateLimit === undefined ? DISRUPTIVE_DEFAULT_RATE_LIMIT : options.rateLimit;
  const limiter = rateLimit ? new RateLimiter(rateLimit) : undefined;
  const streams = new EventStreams(store, (authorization) => tokens.authenticate(authorization) !== undefined);
  const routes = disruptiveRoutes({ store, tokens, limiter, role: options.role ?? 'roles/organization.admin', olderHistoryStart: options.olderHistoryStart ?? 'listed', streams });
  const router = composeRouter(routes, disruptiveOAuthRoutes, disruptiveOrganizationRoutes, disruptiveProjectRoutes, disruptiveDeviceRoutes, disruptiveDataConnectorRoutes, disruptiveEmulatorApiRoutes);

  const server = await startEmulatorServer({
    ...listenOptions(options),
    name: 'disruptive',
    router,
    notFound: () => dtError(404),
    methodNotAllowed: () => dtError(405),
  });
  tokenUrl = `${server.url}/oauth2/token`;
  // The data-connector issuer (identity host in production) is served by the emulator itself.
  const signer = new AsymmetricSigner(`${server.url}/data-connector`);
  router.get('/data-connector/.well-known/openid-configuration', () => ({ status: 200, body: signer.discovery() }));
  router.get('/data-connector/.well-known/jwks.json', () => ({ status: 200, body: signer.jwks() }));

  const device = (id: string) => {
    const found = store.devices.get(id);
    if (!found) throw new Error(`unknown device ${id}`);
    return found;
  };

  const sender = new PushSender();
  const pushConnectors = new Set<string>();
  store.onDataConnectorPush((push) => {
    const http = push.connector.httpConfig;
    if (!http || !pushConnectors.has(push.connector.name)) return;
    // Compact JSON in the documented key order: the signature covers these exact bytes.
    const body = JSON.stringify(push.body);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...http.headers };
    if (http.signatureSecret) headers['x-dt-signature'] = signPush(body, http.signatureSecret, store.nowMs());
    const organizationId = store.projects.get(push.projectId)?.organizationId;
    if (organizationId) headers['dt-asymmetric-signature'] = signer.sign(body, organizationId, store.nowMs());
    sender.send({ method: 'POST', url: http.url, headers, body });
  });
  const setPushTarget = (target: DisruptivePushTarget | null) => {
    for (const connector of [...store.connectors.values()]) {
      if (!pushConnectors.has(connector.resource.name)) continue;
      store.connectors.delete(connector.id);
      pushConnectors.delete(connector.resource.name);
    }
    if (!target) return;
    for (const projectId of store.sortedProjects().map((p) => p.id)) {
      const id = store.newId();
      const resource: DtDataConnector = {
        name: `projects/${projectId}/dataconnectors/${id}`,
        displayName: 'devicegate',
        type: 'HTTP_PUSH',
        status: 'ACTIVE',
        events: [],
        labels: ['name'],
        httpConfig: { url: target.url, signatureSecret: target.signatureSecret ?? '', headers: { ...(target.headers ?? {}) } },
      };
      store.connectors.set(id, { id, projectId, resource, metrics: { successCount: 0, errorCount: 0, latency99p: '0s' } });
      pushConnectors.add(resource.name);
    }
  };

  // Live: the temperature sensors take turns publishing their temperature, as a new event, drifting a few
  // tenths around the seeded one.
  const ticker = startLive(
    options.liveEveryMs,
    () => [...store.devices.values()].filter((d) => d.type === 'temperature' && d.reported.temperature),
    (sensor) => (sensor.reported.temperature as { value: number }).value,
    (sensor, seeded, { phase }) => store.publish(sensor, { temperature: { value: drift(seeded, phase) } }),
  );

  return {
    ...closingWith(server, ticker, sender),
    setPushTarget,
    pushesSettled: () => sender.idle(),
    failStreams: (code, message) => streams.fail(code, message),
    baseUrl: `${server.url}/v2`,
    emulatorBaseUrl: `${server.url}/emulator/v2`,
    tokenUrl,
    pushIssuer: signer.issuer,
    credentials: { ...creds, projectIds: [...creds.projectIds] },
    organizationId: creds.organizationId,
    projectIds: [...creds.projectIds],
    deviceIds: (projectId) =>
      store
        .sortedProjects()
        .filter((p) => projectId === undefined || p.id === projectId)
        .flatMap((p) => p.devices.map((d) => d.id)),
    getDevice: (id) => {
      const found = store.devices.get(id);
      return found ? store.deviceWire(found) : undefined;
    },
    events: (id) => structuredClone(device(id).events),
    publish: (id, event) => structuredClone(store.publish(device(id), event)),
    tokenRequestCount: () => tokens.requestCount(),
    expireTokens: () => tokens.expireAll(),
    resetRateLimit: () => limiter?.reset(),
    clock: () => store.nowMs(),
    dataConnectors: (projectId) =>
      [...store.connectors.values()].filter((c) => projectId === undefined || c.projectId === projectId).map((c) => structuredClone(c.resource)),
    onEvent: (listener) => store.onEvent(listener),
    onDataConnectorPush: (listener) => store.onDataConnectorPush(listener),
  };
}
