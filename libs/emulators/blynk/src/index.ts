import { closingWith, composeRouter, drift, listenOptions, seedCount, startEmulatorServer, startLive, type EmulatorOptions, type EmulatorServer } from '@devicegate/emulators/kit';
import { RateLimiter, TokenIssuer, type OAuthClient } from './blynk.auth.js';
import { blynkDataStreamRoutes } from './blynk.datastreams.routes.js';
import { blynkDeviceRoutes } from './blynk.device.routes.js';
import { blynkListRoutes } from './blynk.lists.routes.js';
import { blynkOAuthRoutes } from './blynk.oauth.routes.js';
import { blynkOwnershipRoutes } from './blynk.ownership.routes.js';
import { blynkError, blynkRoutes } from './blynk.routes.js';
import { blynkTemplateRoutes } from './blynk.templates.routes.js';
import { DEMO_DEVICE_COUNT, FOREIGN_DEVICE_ID, FOREIGN_ORG_ID, ORG_ID, SUB_ORG_ID } from './blynk.seed.js';
import { BlynkStore, type DeviceFullJson } from './blynk.store.js';
import type { BlynkTimelineEvent, StoredDevice } from './blynk.types.js';

export type { BlynkActionLogEntry, BlynkEventType, BlynkTimelineEvent } from './blynk.types.js';
export type { DeviceBaseInfoJson, DeviceFullJson, DeviceSummaryJson, MetaFieldJson } from './blynk.store.js';

/** The OAuth2 clients and organizations the sandbox Blynk emulator accepts; the same at every start. */
export const BLYNK_SANDBOX_CREDENTIALS = {
  /** OAuth2 client of organization 101 with the Platform API scope. */
  clientId: 'oa2-client-id_DevicegateSandbox',
  clientSecret: 'sandbox-blynk-secret-4c1f7e9a2b6d8053',
  /** The client's organization (`org_id` of the sandbox connection). */
  orgId: ORG_ID,
  /** A sub-organization of `orgId`, reachable with the same token. */
  subOrgId: SUB_ORG_ID,
  /** A client of the same organization without the Platform API scope: tokens work, API calls answer 403. */
  noScopeClientId: 'oa2-client-id_DevicegateNoScope',
  noScopeClientSecret: 'sandbox-blynk-noscope-9e2d41b7',
} as const;

export type BlynkSandboxCredentials = typeof BLYNK_SANDBOX_CREDENTIALS;

/**
 * Seeded timestamps are relative to `now`; `deviceCount` defaults to the 15 demo devices. With `liveEveryMs` the
 * online devices with a temperature datastream take turns writing a drifted temperature (as a device does through
 * the device HTTPS API): Blynk pushes nothing, so only a reader of the current values sees it.
 */
export interface BlynkEmulatorOptions extends EmulatorOptions {
  /** Access token lifetime; default 86,400 s as Blynk documents. */
  tokenTtlSeconds?: number;
  /** Requests per minute per organization before 429; default 10,000, `false` switches the limit off. */
  rateLimitPerMinute?: number | false;
  /**
   * Status for a missing, unknown (revoked) or expired bearer token. Blynk documents none (its pages list
   * 400, 403, 404, 429, 500): 401 (default) is the OAuth2 resource server's usual answer, 403 the other
   * plausible one.
   */
  refusedTokenStatus?: 401 | 403;
}

/** What a test adds to a device timeline; `code` is an event code of the device's template. */
export interface TimelineEventInput {
  code: string;
  description?: string | null;
  /** Epoch ms; default now. */
  ts?: number;
}

export interface BlynkEmulator extends EmulatorServer {
  /** Root the vendor paths hang off: `${baseUrl}/api/v1/organization/devices`, `${baseUrl}/oauth2/token`. */
  readonly baseUrl: string;
  readonly credentials: BlynkSandboxCredentials;
  readonly orgId: number;
  readonly subOrgId: number;
  /** A device of an organization the sandbox client cannot see (answers 404 like a missing one). */
  readonly foreignDeviceId: number;
  /** Ids of every device the sandbox client can see (organization and sub-organization), ascending. */
  deviceIds(): number[];
  /** The device as `GET …/device` would answer it, or undefined when it does not exist. */
  device(deviceId: number): DeviceFullJson | undefined;
  /** Adds a timeline event (online/offline ones also change the device's connection state). */
  addTimelineEvent(deviceId: number, input: TimelineEventInput): BlynkTimelineEvent;
  /** Requests that reached `POST /oauth2/token`, successful or not. */
  tokenRequestCount(): number;
  /** Makes every issued token expired, as if its lifetime had passed. */
  expireTokens(): void;
  /** Forgets every issued access and refresh token, as a revocation in Blynk.Console would. */
  revokeTokens(): void;
  setRateLimit(perMinute: number | false): void;
}

const DEFAULT_TOKEN_TTL_SECONDS = 86_400;
const DEFAULT_RATE_LIMIT = 10_000;

/** Starts a local Blynk.Cloud Platform API (Devices, OAuth2 token endpoint) seeded with demo data. */
export async function startBlynkEmulator(options: BlynkEmulatorOptions = {}): Promise<BlynkEmulator> {
  const now = options.now ?? Date.now();
  const deviceCount = seedCount(options.deviceCount, DEMO_DEVICE_COUNT, 1);
  const store = new BlynkStore(now, deviceCount);
  const clients: OAuthClient[] = [
    { clientId: BLYNK_SANDBOX_CREDENTIALS.clientId, clientSecret: BLYNK_SANDBOX_CREDENTIALS.clientSecret, orgId: ORG_ID, platformApiScope: true },
    { clientId: BLYNK_SANDBOX_CREDENTIALS.noScopeClientId, clientSecret: BLYNK_SANDBOX_CREDENTIALS.noScopeClientSecret, orgId: ORG_ID, platformApiScope: false },
  ];
  const tokens = new TokenIssuer(clients, options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS);
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT);
  let tokenRequests = 0;
  const clock = () => Date.now();
  const refusedTokenStatus = options.refusedTokenStatus ?? 401;
  const routes = blynkRoutes({ store, tokens, limiter, clock, refusedTokenStatus, onTokenRequest: () => (tokenRequests += 1) });
  const router = composeRouter(routes, blynkOAuthRoutes, blynkListRoutes, blynkDeviceRoutes, blynkTemplateRoutes, blynkOwnershipRoutes, blynkDataStreamRoutes);

  const server = await startEmulatorServer({
    ...listenOptions(options),
    name: 'blynk',
    router,
    // Not documented; the service's own error shape is the most plausible answer for unknown routes.
    notFound: () => blynkError(404, 'Not found.'),
    methodNotAllowed: (req) => blynkError(405, `Method ${req.method} is not allowed for this path.`),
  });

  const sandboxTree = store.orgTree(ORG_ID);
  const temperatures = (device: StoredDevice) => device.template.dataStreams.filter((stream) => !stream.control && /temp/i.test(stream.label));
  const ticker = startLive(
    options.liveEveryMs,
    () => store.devicesOf(sandboxTree).filter((device) => device.connected && temperatures(device).length > 0),
    // Each temperature datastream's seeded value, which the device's writes drift around.
    (device) =>
      new Map(
        temperatures(device).flatMap((stream) => {
          const value = device.values.get(stream.id)?.value;
          return typeof value === 'number' ? [[stream.id, value] as const] : [];
        }),
      ),
    (device, seeded, { round }) => {
      const updatedAt = clock();
      for (const [id, value] of seeded) device.values.set(id, { value: drift(value, round / 6), updatedAt });
    },
  );
  return {
    ...closingWith(server, ticker),
    baseUrl: server.url,
    credentials: BLYNK_SANDBOX_CREDENTIALS,
    orgId: ORG_ID,
    subOrgId: SUB_ORG_ID,
    foreignDeviceId: FOREIGN_DEVICE_ID,
    deviceIds: () => store.devicesOf(sandboxTree).map((d) => d.id),
    device: (deviceId) => {
      const device = store.devices.get(deviceId);
      return device ? store.full(device) : undefined;
    },
    addTimelineEvent: (deviceId, input) => {
      const device = store.devices.get(deviceId);
      if (!device || device.orgId === FOREIGN_ORG_ID) throw new Error(`no device ${deviceId}`);
      const event = device.template.events.find((e) => e.code === input.code);
      if (!event) throw new Error(`template ${device.template.templateId} has no event ${input.code}`);
      return { ...store.addEvent(device, { eventId: event.id, eventType: event.type, description: input.description ?? null, ts: input.ts ?? clock() }) };
    },
    tokenRequestCount: () => tokenRequests,
    expireTokens: () => tokens.expireAll(),
    revokeTokens: () => tokens.revokeAll(),
    setRateLimit: (perMinute) => limiter.set(perMinute),
  };
}
