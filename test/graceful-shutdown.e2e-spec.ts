import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHardwarioEmulator, type HardwarioEmulator } from '../libs/emulators/hardwario/src/index.js';
import { sha256hex } from './support/gateway-harness.js';
import { START_LIMIT_MS } from './support/start-limit.js';

/**
 * SIGTERM while a vendor call is in flight: the built gateway (as `npm start` runs it, with a
 * configuration file) finishes that request, refuses new connections, and exits 0.
 */

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');
const KEY = 'shutdown-test-key';

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
      reject(new Error(`not listening within ${START_LIMIT_MS / 1000} s:\n${output}`));
    }, START_LIMIT_MS);
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

/** The exit code, or a message when the process is still running after `ms`. */
const exitWithin = (exited: Promise<number | null>, ms: number) =>
  Promise.race([exited.then((code) => ({ code })), sleep(ms).then(() => ({ code: `still running ${ms} ms after its last request was answered` }))]);

/** One GET over a fresh TCP connection that the client closes after the answer (`agent: false`). */
// no-cache: each GET must reach the vendor, never the read cache the previous GET filled.
const LIVE = { Authorization: `Bearer ${KEY}`, 'Cache-Control': 'no-cache' };

function getOnce(url: string): Promise<{ status: number; body: { object?: string; id?: string } }> {
  return new Promise((done, fail) => {
    const request = httpGet(url, { agent: false, headers: LIVE }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(text) as { object?: string; id?: string } }));
    });
    request.on('error', fail);
  });
}

/** One GET with fetch, which keeps its connection open for reuse, as most HTTP clients and proxies do. */
async function getKeepAlive(url: string): Promise<{ status: number; body: { object?: string; id?: string } }> {
  const res = await fetch(url, { headers: LIVE });
  return { status: res.status, body: (await res.json()) as { object?: string; id?: string } };
}

describe('graceful shutdown of the built gateway (SIGTERM during a vendor call)', () => {
  let emulator: HardwarioEmulator;
  let dir: string;
  let configFile: string;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it first (pretest)`);
    emulator = await startHardwarioEmulator();
    dir = mkdtempSync(join(tmpdir(), 'devicegate-shutdown-'));
    configFile = join(dir, 'devicegate.yaml');
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
            // Every request here must be a vendor call in flight, never an answer from the read cache.
            cache: { ttl_seconds: 0 },
            credentials: { api_key: emulator.credentials.apiKey },
          },
        ],
      }),
    );
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts a gateway, sends one request whose vendor answer is held, sends SIGTERM while the vendor call is
   * in flight, probes for new connections until they are refused, then lets the vendor answer, and collects
   * what happened. What is checked is the order of events, not how fast they came.
   */
  async function stopDuringVendorCall(get: (url: string) => Promise<{ status: number; body: { object?: string; id?: string } }>) {
    const gateway = await startBuilt(configFile);
    running.push(gateway.child);
    const deviceId = `hw-slow:${emulator.demoDeviceIds()[0]}`;
    const url = `http://127.0.0.1:${gateway.port}/v1/devices/${encodeURIComponent(deviceId)}`;
    // Once without latency, so the vendor client is warm and the next call is a single slow vendor call.
    expect((await get(url)).status).toBe(200);

    // The vendor answers only when the test lets it: however slow the machine, the call is still in flight
    // when the gateway is told to stop, and stays so until new connections are refused (or a generous limit).
    const release = emulator.hold();
    let answered = false;
    try {
      const before = emulator.requestCount();
      const inFlight = get(url).then((answer) => {
        answered = true;
        return answer;
      });
      for (let i = 0; i < 3000 && emulator.requestCount() === before; i++) await sleep(10);
      expect(emulator.requestCount()).toBeGreaterThan(before);
      expect(gateway.child.kill('SIGTERM')).toBe(true);

      let probe = await tryConnect(gateway.port);
      for (let i = 0; i < 3000 && probe !== 'refused' && !answered; i++) {
        await sleep(20);
        probe = await tryConnect(gateway.port);
      }
      const refusedBeforeAnswer = probe === 'refused' && !answered;
      release();
      const answer = await inFlight;
      const exit = await exitWithin(gateway.exited, 60_000);
      return { deviceId, answer, probe, refusedBeforeAnswer, exit, output: gateway.output(), port: gateway.port };
    } finally {
      release();
    }
  }

  function expectGraceful(run: Awaited<ReturnType<typeof stopDuringVendorCall>>) {
    // New connections were refused while the old request was still waiting on the vendor.
    expect(run.probe).toBe('refused');
    expect(run.refusedBeforeAnswer).toBe(true);
    // The request in flight was answered in full.
    expect(run.answer.status).toBe(200);
    expect(run.answer.body).toMatchObject({ object: 'device', id: run.deviceId });
    expect(run.output).toContain('finishing requests in flight');
    // And then the process stopped by itself, with 0.
    expect(run.exit).toEqual({ code: 0 });
  }

  it('with a client that closes its connection after the answer', async () => {
    const run = await stopDuringVendorCall(getOnce);
    expectGraceful(run);
    expect(await tryConnect(run.port)).toBe('refused');
  }, START_LIMIT_MS + 60_000);

  it('with a keep-alive client (fetch), as proxies and most HTTP clients are', async () => {
    const run = await stopDuringVendorCall(getKeepAlive);
    expectGraceful(run);
  }, START_LIMIT_MS + 60_000);
});

describe('bounded shutdown: the process exits whatever is still pending', () => {
  let emulator: HardwarioEmulator;
  let dir: string;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    dir = mkdtempSync(join(tmpdir(), 'devicegate-deadline-'));
  });

  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await emulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits (1) at server.shutdown_timeout_seconds while a vendor call is still pending', async () => {
    const configFile = join(dir, 'deadline.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1', shutdown_timeout_seconds: 1 },
        clients: [{ name: 'shutdown-test', key_sha256: sha256hex(KEY), scopes: ['read'] }],
        connections: [{ id: 'hw-stuck', provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, timeout_ms: 60_000, retries: 0, credentials: { api_key: emulator.credentials.apiKey } }],
      }),
    );
    const gateway = await startBuilt(configFile);
    running.push(gateway.child);
    // The vendor never answers until the process is gone.
    const release = emulator.hold();
    try {
      const before = emulator.requestCount();
      const pending = getOnce(`http://127.0.0.1:${gateway.port}/v1/devices/${encodeURIComponent(`hw-stuck:${emulator.demoDeviceIds()[0]}`)}`).catch(() => 'cut');
      for (let i = 0; i < 1000 && emulator.requestCount() === before; i++) await sleep(10);
      expect(gateway.child.kill('SIGTERM')).toBe(true);
      // Any exit while the vendor holds its answer shows the deadline at work, and code 1 that it cut the call.
      expect(await exitWithin(gateway.exited, 60_000)).toEqual({ code: 1 });
      expect(gateway.output()).toContain('not stopped within server.shutdown_timeout_seconds');
      expect(await pending).toBe('cut');
    } finally {
      release();
    }
  }, START_LIMIT_MS + 60_000);

  it('exits (0) though a client holds a connection it never sent a request on, as browsers and pools open spares ahead of need', async () => {
    const configFile = join(dir, 'spare.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1' },
        clients: [{ name: 'shutdown-test', key_sha256: sha256hex(KEY), scopes: ['read'] }],
        connections: [{ id: 'hw', provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey } }],
      }),
    );
    const gateway = await startBuilt(configFile);
    running.push(gateway.child);
    const spare = await new Promise<ReturnType<typeof connect>>((done, fail) => {
      const socket = connect({ host: '127.0.0.1', port: gateway.port }, () => done(socket));
      socket.once('error', fail);
    });
    const cut = new Promise<'closed'>((done) => spare.once('close', () => done('closed')));
    spare.on('error', () => undefined);
    // Connections are accepted in the order they came: once a later one is answered, the spare one is the
    // gateway's too (and not one still waiting in the kernel, which closing the listener would refuse).
    expect((await getOnce(`http://127.0.0.1:${gateway.port}/healthz`)).status).toBe(200);
    expect(gateway.child.kill('SIGTERM')).toBe(true);
    try {
      // 0, not the 1 of the shutdown deadline (15 s by default) that such a connection used to run into.
      expect(await exitWithin(gateway.exited, 60_000)).toEqual({ code: 0 });
      expect(await cut).toBe('closed');
    } finally {
      spare.destroy();
    }
  }, START_LIMIT_MS + 60_000);

  it('a sandbox-mode gateway under load (streams that never read, pushes, vendor calls) exits 0 soon after SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, NODE_OPTIONS: '', PORT: '0', DEVICEGATE_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < START_LIMIT_MS / 50 && !/Live events:.*(http:\/\/127\.0\.0\.1:\d+)\/v1\/events/.test(output); i++) await sleep(50);
    const base = /Live events:.*?(http:\/\/127\.0\.0\.1:\d+)\/v1\/events/.exec(output)?.[1];
    if (!base) throw new Error(`the sandbox did not start:\n${output}`);
    const { port } = new URL(base);

    // About 20 MB of stored events: far more than the socket buffers of a client that never reads.
    const padding = 'x'.repeat(500_000);
    for (let n = 0; n < 40; n++) {
      const job = { message: { id: `018eebbe-0000-7000-8000-${String(n).padStart(12, '0')}`, type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { padding } }, device: { id: '018a1535-fd39-7293-bd36-52df3e62e962', name: 'meteo', serial_number: '2159020389' } };
      const pushed = await fetch(`${base}/v1/hooks/sandbox-hardwario`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sandbox-push-secret' }, body: JSON.stringify(job) });
      expect(pushed.status).toBe(202);
    }
    const stalled = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<ReturnType<typeof connect>>((done) => {
            const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
              socket.write(`GET /v1/events?last_event_id=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sandbox\r\n\r\n`);
              socket.pause();
              done(socket);
            });
            socket.on('error', () => undefined);
          }),
      ),
    );
    // Vendor calls and pushes still coming when the signal arrives.
    const load = Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? fetch(`${base}/v1/devices?limit=5`, { headers: { authorization: 'Bearer sandbox' } }) : fetch(`${base}/v1/hooks/sandbox-hardwario`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sandbox-push-secret' }, body: '{}' })).then(
        (res) => res.status,
        () => 'cut',
      ),
    );
    await sleep(300);
    expect(child.kill('SIGTERM')).toBe(true);
    try {
      // 0, not the 1 of the shutdown deadline: nothing held the process (the limit here only catches a hang).
      expect(await exitWithin(exited, 60_000)).toEqual({ code: 0 });
    } finally {
      for (const socket of stalled) socket.destroy();
      await Promise.all(load);
    }
  }, START_LIMIT_MS + 60_000);
});
