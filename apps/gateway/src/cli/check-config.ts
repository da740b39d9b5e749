import { backgroundContext, type ConnectionConfig, type ProviderRegistry } from '@devicegate/core';
import { isGatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { ConfigError, configPathFromArgs, loadConfigFile, readableByOthers } from '../config/config.loader.js';

/** What a probe of one connection found, in the words an operator acts on. */
const VERDICTS: Record<string, string> = {
  upstream_auth_failed: 'bad credentials',
  upstream_unavailable: 'unreachable',
  upstream_timeout: 'timeout',
};

/**
 * One cheap authenticated read through the connection's provider (the first page of its projects, the
 * provider fetching a token first where the vendor needs one), once, within the connection's timeout.
 */
async function probe(connection: ConnectionConfig, providers: ProviderRegistry): Promise<{ ok: boolean; text: string }> {
  const http = new HttpClient({ baseUrl: connection.base_url, timeoutMs: connection.timeout_ms, retries: 0, connectionId: connection.id, provider: connection.provider });
  const adapter = providers.get(connection.provider)!.create(connection, { http });
  const started = performance.now();
  try {
    await adapter.projects.fetchPage({ filters: [], order: 'ASC', pageSize: 2, includeTotal: false }, null, { ...backgroundContext('check-config'), deadline: Date.now() + connection.timeout_ms });
    return { ok: true, text: `ok (${Math.round(performance.now() - started)} ms)` };
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return { ok: false, text: `${VERDICTS[error.type] ?? error.type}: ${error.message}` };
  } finally {
    await adapter.close?.();
    await http.close();
  }
}

/**
 * `devicegate --check-config <file> [--probe]`: validates the file as the gateway would at start and,
 * with `--probe`, asks each connection's vendor once whether it answers and accepts the credentials.
 * Exit code 0 when all is well, 1 for an invalid file, 2 when a probe failed.
 */
export async function checkConfig(path: string, withProbe: boolean, providers: ProviderRegistry, print: (line: string) => void = console.log): Promise<number> {
  let config;
  try {
    config = loadConfigFile(path, providers);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print(`${path}: invalid: ${error.message}`);
    return 1;
  }
  print(`${path}: valid (${config.connections.length} connection(s), ${config.clients.length} client key(s))`);
  if (readableByOthers(path)) print(`${path}: warning: readable by other users (chmod o-r it): it holds key hashes and vendor credentials`);
  if (!withProbe) return 0;
  const results = await Promise.all(config.connections.map((connection) => probe(connection, providers)));
  results.forEach((result, i) => print(`  ${config.connections[i].id.padEnd(32)} ${config.connections[i].provider.padEnd(10)} ${result.text}`));
  return results.every((result) => result.ok) ? 0 : 2;
}

/** The command line: `--check-config <file>` (else `--config` / `DEVICEGATE_CONFIG`), `--probe`. */
export async function checkConfigCommand(argv: string[], providers: ProviderRegistry): Promise<number> {
  const named = argv[argv.indexOf('--check-config') + 1];
  const path = named && !named.startsWith('--') ? named : configPathFromArgs(argv);
  if (!path) {
    console.error('usage: devicegate --check-config <file> [--probe]');
    return 1;
  }
  return checkConfig(path, argv.includes('--probe'), providers);
}
