import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from '../app.setup.js';
import type { GatewayConfig } from '../config/config.types.js';
import { createProviderRegistry } from '../providers.js';
import { OpenApiDocument } from './openapi-document.js';

/**
 * Writes (`--write`) or checks (`--check`) the committed `openapi.yaml` against what the code generates.
 * The document does not depend on configuration, so an empty one is used.
 */
async function main(): Promise<void> {
  const mode = process.argv.includes('--write') ? 'write' : process.argv.includes('--check') ? 'check' : undefined;
  if (!mode) {
    console.error('usage: generate-openapi --write | --check');
    process.exit(2);
  }
  const config: GatewayConfig = {
    server: { port: 0, host: '127.0.0.1', rateLimit: { perSecond: 1, burst: 1 } },
    clients: [],
    connections: [],
    sandbox: false,
  };
  const app = await createApp(config, createProviderRegistry(), { logger: false });
  const generated = app.get(OpenApiDocument).yaml;
  await app.close();
  const file = resolve(process.cwd(), 'openapi.yaml');
  if (mode === 'write') {
    writeFileSync(file, generated);
    console.log(`wrote ${file}`);
    return;
  }
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file differs from any generated one.
  }
  if (committed !== generated) {
    console.error('openapi.yaml differs from what the code generates: run `npm run openapi:generate` and commit the result.');
    process.exit(1);
  }
  console.log('openapi.yaml is current');
}

await main();
