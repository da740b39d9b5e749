import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROVIDER_IDS } from '@devicegate/core';
import { startEmulators } from '../apps/gateway/src/sandbox/sandbox.js';

/**
 * `devicegate --check-config <file> [--probe]` (the built entry point, as `npm run check-config` runs it):
 * a file is validated as at start; each connection's vendor is asked once, here the emulators with good
 * and bad credentials, a loopback port nothing listens on and one that never answers.
 */

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env, NODE_OPTIONS: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const listen = (server: Server): Promise<number> => new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as { port: number }).port)));

/** Replaces every string credential by one no vendor accepts (Izuma's keys keep their `ak_` form). */
const spoiled = (credentials: Record<string, unknown>) => Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, k === 'api_key' ? `ak_${v}-wrong` : k === 'key_id' || k === 'email' || k === 'client_id' ? v : `${String(v)}-wrong`]));

describe('devicegate --check-config', () => {
  let emulators: Awaited<ReturnType<typeof startEmulators>>;
  const silent = createServer((socket: Socket) => socket.on('error', () => undefined));
  let dir: string;
  let closedPort: number;
  let silentPort: number;

  beforeAll(async () => {
    emulators = await startEmulators(PROVIDER_IDS);
    silentPort = await listen(silent);
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((done) => closed.close(done));
    dir = mkdtempSync(join(tmpdir(), 'devicegate-check-'));
  });

  afterAll(async () => {
    await Promise.all(emulators.map((e) => e.server.close()));
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text, { mode: 0o600 });
    return join(dir, name);
  };

  it('probes each connection once: ok, bad credentials, unreachable, timeout', async () => {
    const connections: Array<Record<string, unknown>> = emulators.flatMap((e) => {
      const { credentials, ...settings } = e.connection as { credentials: Record<string, unknown> };
      return [
        { id: `${e.provider}-good`, provider: e.provider, base_url: e.baseUrl, ...settings, credentials },
        { id: `${e.provider}-bad`, provider: e.provider, base_url: e.baseUrl, ...settings, credentials: spoiled(credentials) },
      ];
    });
    const hw = emulators[0].connection;
    connections.push(
      { id: 'nothing-there', provider: 'hardwario', base_url: `http://127.0.0.1:${closedPort}`, ...hw, credentials: { api_key: '${HW_KEY}' } },
      { id: 'never-answers', provider: 'hardwario', base_url: `http://127.0.0.1:${silentPort}`, timeout_ms: 300, ...hw, credentials: { api_key: '${HW_KEY}' } },
    );
    const path = write('probe.yaml', JSON.stringify({ connections }));
    const { code, output } = await run(['--check-config', path, '--probe'], { HW_KEY: 'from-the-environment' });
    const verdicts = Object.fromEntries(
      output
        .split('\n')
        .map((line) => /^\s+(\S+)\s+[a-z]+\s+(ok|bad credentials|unreachable|timeout)\b/.exec(line))
        .filter((m) => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    expect(verdicts).toEqual({
      ...Object.fromEntries(PROVIDER_IDS.flatMap((p) => [[`${p}-good`, 'ok'], [`${p}-bad`, 'bad credentials']])),
      'nothing-there': 'unreachable',
      'never-answers': 'timeout',
    });
    expect(output).toContain(`${path}: valid (12 connection(s), 0 client key(s))`);
    expect(output).not.toContain('from-the-environment');
    expect(code).toBe(2);
  });

  it('exits 0 for a valid file whose vendors all answer, and validates without calling them', async () => {
    const e = emulators[0];
    const path = write('good.yaml', `connections:\n  - { id: hw, provider: hardwario, base_url: ${e.baseUrl}, space_id: ${String(e.connection.space_id)}, credentials: { api_key: \${HW_KEY} } }\n`);
    const key = { HW_KEY: String(e.credentials.api_key) };
    expect(await run(['--check-config', path, '--probe'], key)).toMatchObject({ code: 0, output: expect.stringMatching(/hw\s+hardwario\s+ok \(\d+ ms\)/) });
    const offline = write('offline.yaml', `connections:\n  - { id: hw, provider: hardwario, base_url: http://127.0.0.1:${closedPort}, space_id: s, credentials: { api_key: \${HW_KEY} } }\n`);
    expect(await run(['--check-config', offline], key)).toEqual({ code: 0, output: `${offline}: valid (1 connection(s), 0 client key(s))\n` });
    chmodSync(offline, 0o644);
    expect((await run(['--check-config', offline], key)).output).toContain(`${offline}: warning: readable by other users`);
  });

  it('exits 1 naming the key of an invalid file, and the variable that is not set', async () => {
    const path = write('bad.yaml', 'connections:\n  - { id: hw, provider: hardwario, credentials: { api_key: ${HW_KEY} } }\n');
    expect(await run(['--check-config', path], { HW_KEY: 'k' })).toEqual({ code: 1, output: `${path}: invalid: connections[0].space_id: is required\n` });
    const unset = write('unset.yaml', 'connections:\n  - { id: hw, provider: hardwario, space_id: s, credentials: { api_key: ${HW_KEY_NOT_SET} } }\n');
    expect(await run(['--check-config', unset])).toMatchObject({ code: 1, output: expect.stringContaining('connections[0].credentials.api_key: environment variable HW_KEY_NOT_SET is not set') });
  });
});
