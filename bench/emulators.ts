/**
 * Benchmark child process: starts vendor emulators on loopback (the vendors' own rate limits off unless asked) and
 * prints one JSON line (`EmulatorSetInfo`) on stdout once they listen. It stops on SIGTERM/SIGINT or when
 * its parent goes away (stdin closes).
 *
 *   node dist/bench/emulators.js '{"providers":["hardwario"],"latencyMs":0,"deviceCount":10000}'
 */
import { startBlynkEmulator } from '@devicegate/emulators/blynk';
import { DEMO_DEVICE_COUNT, startDisruptiveEmulator } from '@devicegate/emulators/disruptive';
import { startHardwarioEmulator } from '@devicegate/emulators/hardwario';
import { startIottlyEmulator } from '@devicegate/emulators/iottly';
import { startIzumaEmulator } from '@devicegate/emulators/izuma';
import type { EmulatorServer } from '@devicegate/emulators/kit';
import type { EmulatorSetInfo, EmulatorSetSpec, StartedEmulatorInfo } from './types.js';

/** Devices the single-device rows read in turn: far more than the load's connections, so no two reads in flight coincide. */
const ROTATION = 1000;

type Started = { server: EmulatorServer; info: StartedEmulatorInfo };

async function start(provider: string, spec: EmulatorSetSpec): Promise<Started> {
  const common = { port: 0, host: '127.0.0.1', latencyMs: spec.latencyMs, deviceCount: spec.deviceCount };
  switch (provider) {
    case 'hardwario': {
      const e = await startHardwarioEmulator(common);
      return {
        server: e,
        info: {
          provider,
          baseUrl: e.baseUrl,
          connection: { space_id: e.spaceId, credentials: { api_key: e.credentials.apiKey } },
          vendorHeaders: { 'x-api-key': e.credentials.apiKey },
          spaceId: e.spaceId,
          sampleDeviceId: e.demoDeviceIds()[0],
          rotationDeviceIds: e.deviceIds().slice(0, ROTATION),
          deviceCount: e.deviceIds().length,
        },
      };
    }
    case 'disruptive': {
      // The long history goes to one device beyond the demo set, spread over the last week like a busy sensor's.
      const history = spec.dtEvents ? { deviceCount: DEMO_DEVICE_COUNT + 1, historyEvents: spec.dtEvents } : {};
      const e = await startDisruptiveEmulator({ ...common, ...history, ...(spec.vendorRateLimits ? {} : { rateLimit: false }) });
      const busy = spec.dtEvents ? e.deviceIds().find((id) => e.events(id).length >= spec.dtEvents!) : undefined;
      return {
        server: e,
        info: {
          provider,
          baseUrl: e.baseUrl,
          sampleDeviceId: e.deviceIds()[0],
          busyDeviceId: busy,
          connection: { organization_id: e.organizationId, token_url: e.tokenUrl, credentials: { key_id: e.credentials.keyId, secret: e.credentials.secret, email: e.credentials.email } },
        },
      };
    }
    case 'iottly': {
      const e = await startIottlyEmulator(common);
      return { server: e, info: { provider, baseUrl: e.baseUrl, connection: { project_id: e.projectId, credentials: { api_key: e.credentials.apiKey } } } };
    }
    case 'izuma': {
      const e = await startIzumaEmulator({ ...common, ...(spec.vendorRateLimits ? {} : { rateLimits: false }) });
      return { server: e, info: { provider, baseUrl: e.baseUrl, connection: { credentials: { api_key: e.credentials.apiKey } } } };
    }
    case 'blynk': {
      const e = await startBlynkEmulator({ ...common, ...(spec.vendorRateLimits ? {} : { rateLimitPerMinute: false }) });
      return {
        server: e,
        info: {
          provider,
          baseUrl: e.baseUrl,
          connection: { org_id: e.orgId, include_sub_orgs: true, credentials: { client_id: e.credentials.clientId, client_secret: e.credentials.clientSecret } },
        },
      };
    }
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as EmulatorSetSpec;
  const started: Started[] = [];
  for (const provider of spec.providers) started.push(await start(provider, spec));
  const info: EmulatorSetInfo = { pid: process.pid, emulators: started.map((s) => ({ ...s.info, statsUrl: `${s.server.url}/_emulator/stats` })) };
  process.stdout.write(`${JSON.stringify(info)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(started.map((s) => s.server.close()));
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

await main();
