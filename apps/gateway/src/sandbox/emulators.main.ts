import { PROVIDER_IDS } from '@devicegate/core';
import { startEmulators } from './sandbox.js';

/**
 * `npm run emulators`: the five vendor emulators alone, for code that already speaks a vendor API.
 * Ports are fixed (41001…41005) unless EMULATOR_BASE_PORT says otherwise.
 */
async function main(): Promise<void> {
  const base = Number(process.env.EMULATOR_BASE_PORT ?? 41001);
  const emulators = await startEmulators(PROVIDER_IDS, { ports: Object.fromEntries(PROVIDER_IDS.map((id, i) => [id, base + i])) });
  console.log('Vendor emulators (loopback only):');
  for (const e of emulators) {
    console.log(`  ${e.provider.padEnd(11)} ${e.baseUrl.padEnd(36)} ${Object.entries(e.credentials).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  const stop = async () => {
    await Promise.all(emulators.map((e) => e.server.close()));
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

await main();
