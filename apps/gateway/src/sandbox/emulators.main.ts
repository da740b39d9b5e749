import { PROVIDER_IDS, ProviderRegistry } from '@devicegate/core';
import { startSandbox } from './sandbox.js';

/**
 * `npm run emulators`: the five vendor emulators alone, for code that already speaks a vendor API.
 * Ports are fixed (41001…41005) unless EMULATOR_BASE_PORT says otherwise.
 */
async function main(): Promise<void> {
  const base = Number(process.env.EMULATOR_BASE_PORT ?? 41001);
  const ports = Object.fromEntries(PROVIDER_IDS.map((id, i) => [id, base + i]));
  // Emulators need no provider code; a registry of bare ids selects them all.
  const registry = new ProviderRegistry(
    PROVIDER_IDS.map((id) => ({
      id,
      displayName: id,
      defaultBaseUrl: 'http://127.0.0.1',
      defaultRateLimit: { requests: 1, windowMs: 1000 },
      connectionSchema: { type: 'object' },
      capabilities: {} as never,
      create: () => {
        throw new Error('no provider in emulator-only mode');
      },
    })),
  );
  const sandbox = await startSandbox(registry, { ports });
  console.log('Vendor emulators (loopback only):');
  for (const e of sandbox.emulators) {
    console.log(`  ${e.provider.padEnd(11)} ${e.baseUrl.padEnd(36)} ${Object.entries(e.credentials).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

await main();
