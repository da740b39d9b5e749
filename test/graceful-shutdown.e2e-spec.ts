import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHardwarioEmulator, type HardwarioEmulator } from '../libs/emulators/hardwario/src/index.js';
import { sha256hex } from './support/gateway-harness.js';

/**
 * SIGTERM while a vendor call is in flight: the built gateway (as `npm start` runs it, with a
 * configuration file) finishes that request, refuses new connections, and exits 0.
 */

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');
const KEY = 'shutdown-test-key';
const VENDOR_LATENCY_MS = 1500;

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

function startBuilt(configFile: string): Promise<Started> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, '--config', configFile], {
      env: { ...process.env, NODE_OPTIONS: '', PORT: '0', DEVICEGATE_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not listening within 15 s:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Swagger UI at http:\/\/127\.0\.0\.1:(\d+)\/docs/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, port: Number(match[1]), output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${output}`));
    });
  });
}

/** Resolves 'refused' when a TCP connection to the port is refused, 'accepted' when one is made. */
function tryConnect(port: number): Promise<'refused' | 'accepted' | string> {
  return new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      done('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : String(error.code)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown of the built gateway', () => {
  let emulator: HardwarioEmulator;
  let dir: string;
  let gateway: Started | undefined;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it first (pretest)`);
    emulator = await startHardwarioEmulator();
    dir = mkdtempSync(join(tmpdir(), 'devicegate-shutdown-'));
    const configFile = join(dir, 'devicegate.yaml');
    // JSON is YAML: the configuration document written as JSON.
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1' },
        clients: [{ name: 'shutdown-test', key_sha256: sha256hex(KEY), scopes: ['read'], connections: ['*'] }],
        connections: [
          {
            id: 'hw-slow',
            provider: 'hardwario',
            base_url: emulator.baseUrl,
            space_id: emulator.spaceId,
            timeout_ms: 10_000,
            retries: 0,
            credentials: { api_key: emulator.credentials.apiKey },
          },
        ],
      }),
    );
    gateway = await startBuilt(configFile);
  }, 20_000);

  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the request in flight, refuses new connections and exits 0', async () => {
    const { child, port, exited } = gateway!;
    const deviceId = `hw-slow:${emulator.demoDeviceIds()[0]}`;
    const url = `http://127.0.0.1:${port}/v1/devices/${encodeURIComponent(deviceId)}`;

    // Warm up once without latency: the connection and the vendor client are ready.
    const warm = await fetch(url, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();

    emulator.setLatency(VENDOR_LATENCY_MS);
    const before = emulator.requestCount();
    const started = Date.now();
    const inFlight = fetch(url, { headers: { Authorization: `Bearer ${KEY}` } }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { object?: string; id?: string },
      ms: Date.now() - started,
    }));

    // Wait until the vendor has the call, then stop the gateway while the vendor is still "thinking".
    for (let i = 0; i < 100 && emulator.requestCount() === before; i++) await sleep(10);
    expect(emulator.requestCount()).toBeGreaterThan(before);
    expect(child.kill('SIGTERM')).toBe(true);
    const signalledAt = Date.now();

    // New connections are refused while the old request is still being served.
    await sleep(300);
    const attempt = await tryConnect(port);
    const attemptAt = Date.now();

    const answer = await inFlight;
    const code = await exited;

    expect(attempt).toBe('refused');
    expect(attemptAt - signalledAt).toBeLessThan(VENDOR_LATENCY_MS);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object: 'device', id: deviceId });
    expect(answer.ms).toBeGreaterThanOrEqual(VENDOR_LATENCY_MS - 50);
    expect(code).toBe(0);
    expect(gateway!.output()).toContain('finishing requests in flight');
    expect(await tryConnect(port)).toBe('refused');
  }, 30_000);
});
