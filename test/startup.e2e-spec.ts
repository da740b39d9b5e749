import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { START_LIMIT_MS } from './support/start-limit.js';

/** What the built gateway says at start about its files and where it listens. */

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');

/** Runs the gateway until `ready` matches its output (then stops it) or it exits; resolves with its output and exit code. */
function runUntil(env: NodeJS.ProcessEnv, ready: RegExp, whileUp: (output: string) => Promise<void> = async () => undefined): Promise<{ code: number | null; output: string; matched: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, PORT: '0', ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let matched = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (matched || !ready.test(output)) return;
      matched = true;
      whileUp(output).then(() => child.kill('SIGTERM'), (error: unknown) => (child.kill('SIGKILL'), fail(error)));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => done({ code, output, matched }));
  });
}

const reachable = (host: string, port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

describe('gateway start-up', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'devicegate-startup-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configWith = (dataDir: string, mode: number) => {
    const path = join(dir, `config-${mode.toString(8)}.yaml`);
    writeFileSync(path, `server: { data_dir: "${dataDir}" }\nconnections: []\n`);
    chmodSync(path, mode);
    return path;
  };

  it('stops with the data directory and the uid when it cannot write there', async () => {
    // Under a file: no user, root included, can create it.
    const result = await runUntil({ DEVICEGATE_CONFIG: configWith('/dev/null/data', 0o600) }, /listening; Swagger UI/);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`server.data_dir: /dev/null/data is not writable by uid ${process.getuid!()} (ENOTDIR)`);
  });

  it('creates the data directory 0700 and warns when the configuration file is readable by others', async () => {
    const data = join(dir, 'data');
    const quiet = await runUntil({ DEVICEGATE_CONFIG: configWith(data, 0o600) }, /listening; Swagger UI/);
    expect(quiet).toMatchObject({ code: 0, matched: true });
    expect(quiet.output).not.toContain('readable by other users');
    expect(statSync(data).mode & 0o777).toBe(0o700);
    const loud = await runUntil({ DEVICEGATE_CONFIG: configWith(data, 0o644) }, /listening; Swagger UI/);
    expect(loud).toMatchObject({ code: 0, matched: true });
    expect(loud.output).toContain('the configuration file is readable by other users');
  });

  // 127.0.0.2 is loopback too, but a socket bound to 127.0.0.1 does not answer there.
  it.each([
    [undefined, false],
    ['0.0.0.0', true],
  ])('sandbox mode with DEVICEGATE_SANDBOX_HOST=%s answers on another address: %s', async (host, answers) => {
    let seen: boolean | undefined;
    const result = await runUntil({ DEVICEGATE_CONFIG: '', ...(host ? { DEVICEGATE_SANDBOX_HOST: host } : {}) }, /Swagger UI:\s+http:\/\/127\.0\.0\.1:\d+/, async (output) => {
      const { port } = /Swagger UI:\s+http:\/\/127\.0\.0\.1:(?<port>\d+)/.exec(output)!.groups!;
      expect(await reachable('127.0.0.1', Number(port))).toBe(true);
      seen = await reachable('127.0.0.2', Number(port));
    });
    expect(result.code).toBe(0);
    expect(seen).toBe(answers);
  }, 2 * START_LIMIT_MS);
});
