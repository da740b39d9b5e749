import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderId, ProviderRegistry } from '@devicegate/core';
import { startBlynkEmulator } from '@devicegate/emulators/blynk';
import { startDisruptiveEmulator } from '@devicegate/emulators/disruptive';
import { startHardwarioEmulator } from '@devicegate/emulators/hardwario';
import { startIottlyEmulator } from '@devicegate/emulators/iottly';
import { startIzumaEmulator } from '@devicegate/emulators/izuma';
import type { EmulatorServer } from '@devicegate/emulators/kit';
import { SANDBOX_ORIGINS } from '../common/cors.js';
import { buildConfig } from '../config/config.loader.js';
import type { GatewayConfig } from '../config/config.types.js';

/**
 * A sandbox is live: every few seconds a device of each vendor reports by itself, so the event stream and
 * webhooks show traffic within seconds of the start (about one event a second; Blynk's at its next sample).
 */
export const SANDBOX_LIVE_EVERY_MS = 4000;
/** How often the sandbox's Blynk connection samples datastream values: often enough that the live drift shows within a minute. */
export const SANDBOX_BLYNK_SAMPLE_SECONDS = 5;

/** The units of the iottly sandbox devices' payload values: by common name (`temperature`) or native name (`boiler.flow_temp`). */
export const IOTTLY_SANDBOX_UNITS: Readonly<Record<string, string>> = {
  temperature: 'Cel',
  humidity: '%',
  'greenhouse.soil_moisture': '%',
  'boiler.flow_temp': 'Cel',
  'boiler.return_temp': 'Cel',
  'inverter.grid_voltage': 'V',
  'air.pm25': 'ug/m3',
};

/** The key of sandbox mode, with every scope. */
export const SANDBOX_KEY = 'sandbox';

export interface SandboxOptions {
  /** Epoch ms the emulators' demo data ends at (default now). */
  now?: number;
  /** Latency added to every emulated vendor answer. */
  latencyMs?: number;
  /** Devices per emulator (default: each emulator's demo set). */
  deviceCount?: number;
  /** Only these providers (default: every provider this build ships). */
  providers?: ProviderId[];
  /** Fixed emulator ports by provider (default: free ports). */
  ports?: Partial<Record<ProviderId, number>>;
  /** Where the gateway listens (default 127.0.0.1; `0.0.0.0` inside a container, which publishes the port itself). */
  host?: string;
  /** The vendors' own rate limits in the emulators (default on, as the vendors do). */
  vendorRateLimits?: boolean;
  /** How often each emulator with push has one of its devices report by itself; 0 turns it off. Default `SANDBOX_LIVE_EVERY_MS`. */
  liveEveryMs?: number;
}

export interface SandboxEmulator {
  provider: ProviderId;
  connectionId: string;
  server: EmulatorServer;
  /** The vendor credentials it accepts, for the README and vendor clients. */
  credentials: Record<string, string | number>;
  /** The root its vendor paths hang off. */
  baseUrl: string;
  /** Points the emulator's push (connector, data connector, webhook, notification channel) at a URL; absent when the vendor has none. */
  connectPush?: (hookUrl: string, secret: string) => Promise<void>;
  /** The vendor offers a stream devicegate can hold itself: the sandbox connection pulls (push mode `pull`) instead of taking pushes. */
  pull?: boolean;
}

/**
 * The push secret of every sandbox connection: what the emulators present to `/v1/hooks/sandbox-*`
 * (the DT emulator signs with it). Fixed, like every sandbox credential, so pushes can be tried by hand.
 */
export const SANDBOX_PUSH_SECRET = 'sandbox-push-secret';

export interface Sandbox {
  config: GatewayConfig;
  emulators: SandboxEmulator[];
  banner(address: string): string;
  /** Makes every emulator with push deliver to the gateway at `gatewayUrl` (known only once it listens). */
  connectPush(gatewayUrl: string): Promise<void>;
  close(): Promise<void>;
}

type Starter = (
  options: SandboxOptions,
  port: number,
) => Promise<{ server: EmulatorServer; baseUrl: string; connection: Record<string, unknown>; credentials: Record<string, string | number>; connectPush?: SandboxEmulator['connectPush']; pull?: boolean }>;

/** How each vendor's emulator is started and which connection the sandbox points at it. */
const STARTERS: Record<ProviderId, Starter> = {
  hardwario: async (o, port) => {
    const e = await startHardwarioEmulator({ port, now: o.now, latencyMs: o.latencyMs, deviceCount: o.deviceCount, liveEveryMs: o.liveEveryMs });
    return {
      server: e,
      baseUrl: e.baseUrl,
      credentials: { api_key: e.credentials.apiKey, space_id: e.spaceId },
      connection: { space_id: e.spaceId, credentials: { api_key: e.credentials.apiKey } },
      connectPush: async (url, secret) => e.setPushTarget({ url, headers: { authorization: `Bearer ${secret}` } }),
    };
  },
  disruptive: async (o, port) => {
    const e = await startDisruptiveEmulator({ port, now: o.now, latencyMs: o.latencyMs, deviceCount: o.deviceCount, liveEveryMs: o.liveEveryMs, rateLimit: o.vendorRateLimits === false ? false : undefined });
    return {
      server: e,
      baseUrl: e.baseUrl,
      credentials: { key_id: e.credentials.keyId, secret: e.credentials.secret, email: e.credentials.email, organization_id: e.organizationId, token_url: e.tokenUrl },
      connection: {
        organization_id: e.organizationId,
        token_url: e.tokenUrl,
        push_issuer: e.pushIssuer,
        credentials: { key_id: e.credentials.keyId, secret: e.credentials.secret, email: e.credentials.email },
      },
      // As DT sets connectors up today: no signatureSecret, so pushes carry only Dt-Asymmetric-Signature.
      connectPush: async (url) => e.setPushTarget({ url }),
      pull: true,
    };
  },
  iottly: async (o, port) => {
    const e = await startIottlyEmulator({ port, now: o.now, latencyMs: o.latencyMs, deviceCount: o.deviceCount, liveEveryMs: o.liveEveryMs });
    return {
      server: e,
      baseUrl: e.baseUrl,
      credentials: { api_key: e.credentials.apiKey, project_id: e.projectId },
      // iottly payloads name no units; whoever runs the devices knows them and declares them, as the emulated ones report them.
      connection: { project_id: e.projectId, credentials: { api_key: e.credentials.apiKey }, readings: { units: IOTTLY_SANDBOX_UNITS } },
      connectPush: async (url, secret) => e.setPushTarget({ url, headers: { authorization: `Bearer ${secret}` } }),
    };
  },
  izuma: async (o, port) => {
    const e = await startIzumaEmulator({ port, now: o.now, latencyMs: o.latencyMs, deviceCount: o.deviceCount, liveEveryMs: o.liveEveryMs });
    return {
      server: e,
      baseUrl: e.baseUrl,
      credentials: { api_key: e.credentials.apiKey },
      connection: { credentials: { api_key: e.credentials.apiKey } },
      connectPush: (url, secret) => e.setPushTarget({ url, headers: { authorization: secret } }),
      pull: true,
    };
  },
  blynk: async (o, port) => {
    const e = await startBlynkEmulator({ port, now: o.now, latencyMs: o.latencyMs, deviceCount: o.deviceCount, liveEveryMs: o.liveEveryMs, rateLimitPerMinute: o.vendorRateLimits === false ? false : undefined });
    return {
      server: e,
      baseUrl: e.baseUrl,
      credentials: { client_id: e.credentials.clientId, client_secret: e.credentials.clientSecret, org_id: e.orgId },
      connection: {
        org_id: e.orgId,
        include_sub_orgs: true,
        sample_interval_seconds: SANDBOX_BLYNK_SAMPLE_SECONDS,
        credentials: { client_id: e.credentials.clientId, client_secret: e.credentials.clientSecret },
      },
      // Blynk pushes nothing: devicegate samples its current values (a few vendor calls every few seconds).
      pull: true,
    };
  },
};

/** Starts the emulators of `providers` on loopback (`options.ports`, else free ports); on a failure, those already started are closed. */
export async function startEmulators(providers: readonly ProviderId[], options: SandboxOptions = {}): Promise<Array<SandboxEmulator & { connection: Record<string, unknown> }>> {
  const emulators: Array<SandboxEmulator & { connection: Record<string, unknown> }> = [];
  try {
    for (const provider of providers) {
      const started = await STARTERS[provider]({ ...options, liveEveryMs: options.liveEveryMs ?? SANDBOX_LIVE_EVERY_MS }, options.ports?.[provider] ?? 0);
      emulators.push({ provider, connectionId: `sandbox-${provider}`, ...started });
    }
  } catch (error) {
    await Promise.all(emulators.map((e) => e.server.close()));
    throw error;
  }
  return emulators;
}

/**
 * Starts one emulator per provider on loopback, seeded with the same demo data at every start, and the
 * configuration that points a `sandbox-<provider>` connection at each, with the key `sandbox`.
 */
export async function startSandbox(registry: ProviderRegistry, options: SandboxOptions = {}): Promise<Sandbox> {
  const emulators = await startEmulators((options.providers ?? registry.ids()).filter((id) => registry.get(id)), options);
  // Without the vendors' own limits (benchmarks, tests) devicegate's budgets step aside too.
  const budget = options.vendorRateLimits === false ? { rate_limit: 1_000_000 } : {};
  const connections = emulators.map((e) => ({
    id: e.connectionId,
    provider: e.provider,
    base_url: e.baseUrl,
    timeout_ms: 10_000,
    ...budget,
    // Where the vendor has a stream devicegate can hold, the sandbox pulls it: no inbound push needed.
    ...(e.pull ? { push: { mode: 'pull' } } : e.connectPush ? { push: { secret: SANDBOX_PUSH_SECRET } } : {}),
    ...e.connection,
  }));
  // The sandbox's events and webhooks live as long as the sandbox: a fresh database at every start.
  const dataDir = mkdtempSync(join(tmpdir(), 'devicegate-sandbox-'));
  const close = async () => {
    await Promise.all(emulators.map((e) => e.server.close()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  const document = {
    // Webhooks to subscribers on this machine are what a sandbox is tried with; other private networks stay refused.
    server: { host: options.host || '127.0.0.1', rate_limit: { per_second: 500, burst: 1000 }, data_dir: dataDir, cors: { origins: SANDBOX_ORIGINS }, webhook_allowed_hosts: ['*', 'localhost', '127.0.0.0/8', '::1'], expose_names: true },
    clients: [{ name: 'sandbox', key_sha256: createHash('sha256').update(SANDBOX_KEY).digest('hex'), scopes: ['read', 'write', 'commands', 'passthrough'], connections: ['*'] }],
    connections,
  };
  let config: GatewayConfig;
  try {
    config = { ...buildConfig(document, registry), sandbox: true };
  } catch (error) {
    await close();
    throw error;
  }
  return {
    config,
    emulators,
    banner: (address) =>
      [
        '',
        'devicegate is running in sandbox mode (no configuration file given).',
        `  Swagger UI:   ${address}/docs   (Authorize with the key: ${SANDBOX_KEY})`,
        `  Try:          curl -H 'Authorization: Bearer ${SANDBOX_KEY}' ${address}/v1/devices`,
        '  Emulated vendor clouds (point a vendor client at them; credentials below):',
        ...emulators.map((e) => `    ${e.connectionId.padEnd(20)} ${e.baseUrl.padEnd(36)} ${Object.entries(e.credentials).map(([k, v]) => `${k}=${v}`).join(' ')}`),
        `  Live events:  curl -N -H 'Authorization: Bearer ${SANDBOX_KEY}' ${address}/v1/events   (HARDWARIO and iottly push to ${address}/v1/hooks/<connection>; DT's stream and Izuma's WebSocket are pulled, Blynk's values sampled)`,
        '',
      ].join('\n'),
    connectPush: async (gatewayUrl) => {
      const base = gatewayUrl.replace(/\/+$/, '');
      await Promise.all(emulators.map((e) => (e.pull ? undefined : e.connectPush?.(`${base}/v1/hooks/${e.connectionId}`, SANDBOX_PUSH_SECRET))));
    },
    close,
  };
}
