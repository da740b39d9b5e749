/**
 * `npm run soak` (issue 19): what one read key and anyone on the network can throw at the real-time side
 * at once. Over 50,000 stored events, 50 `GET /v1/events?last_event_id=0` streams that never read a
 * byte, and 8 MB of 1 MB deeply nested JSON bodies posted in parallel to public routes (`/v1/hooks` with
 * the right and a wrong connection, and `/v1` without a key); `/healthz` is asked all along and after.
 * The gateway runs as `npm start` runs it (its node flags, the 192 MB heap cap). Prints the figures and
 * exits 1 when the heap went over the cap or `/healthz` took 50 ms or more at p99 after the storm.
 * The e2e test (test/realtime/soak.e2e-spec.ts) runs the same soak and asserts what does not depend on
 * the machine's speed.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Message } from '@devicegate/core';
import { EventStore } from '../apps/gateway/src/realtime/event-store.js';
import { freePort, quantile, spawnServerChild, startFlags } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/dist\/?$/, '/');
const GATEWAY_MAIN = join(ROOT, 'dist/apps/gateway/src/main.js');
const KEY = 'soak-read-key';
const PUSH_SECRET = 'soak-push-secret';

export interface SoakOptions {
  events?: number;
  streams?: number;
  /** Nested bodies of 1 MB each, posted all at once. */
  nestedBodies?: number;
}

export interface SoakResult {
  storedEvents: number;
  streams: number;
  streamsOpened: number;
  nestedBytes: number;
  /** HTTP status of each nested body's answer (0 when the connection failed). */
  nestedStatuses: number[];
  /** `/healthz` while the bodies were posted, and in 200 calls after. */
  during: Latency;
  after: Latency;
  heapUsedBytes: number;
  heapCapBytes: number;
  /** Whether the gateway was still running at the end. */
  alive: boolean;
}

export interface Latency {
  samples: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const message = (n: number): Message => ({
  object: 'message',
  id: `hw:soak-${n}`,
  device_id: 'hw:d1',
  connection_id: 'hw',
  provider: 'hardwario',
  direction: 'uplink',
  type: 'data',
  native_type: 'data',
  created_at: '2024-04-17T11:08:27.917Z',
  device_time: null,
  data: { n, padding: 'x'.repeat(800) },
});

function stalledStream(port: number): Promise<{ socket: Socket; opened: Promise<boolean> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(`GET /v1/events?last_event_id=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\n\r\n`);
      // The status line is read, then nothing more: the client stops reading.
      const opened = new Promise<boolean>((done) => {
        socket.once('data', (chunk: Buffer) => {
          socket.pause();
          done(chunk.toString('latin1').startsWith('HTTP/1.1 200'));
        });
        socket.once('close', () => done(false));
      });
      resolve({ socket, opened });
    });
    socket.on('error', reject);
  });
}

async function timedGet(url: string): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
    return { ms: performance.now() - started, ok: res.status === 200 };
  } catch {
    return { ms: performance.now() - started, ok: false };
  }
}

/**
 * `/healthz` asked every 10 ms from a process of its own, so the times are the gateway's and not this
 * process's, which is busy sending the nested bodies at the same moment.
 */
function startSampler(url: string): { started: Promise<void>; stop(): Promise<Array<{ ms: number; ok: boolean }>> } {
  const script = `
    const http = require('node:http');
    let on = true;
    process.on('SIGTERM', () => { on = false; });
    const ask = () => {
      if (!on) return process.exit(0);
      const started = performance.now();
      const done = (ok) => { process.stdout.write(JSON.stringify({ ms: performance.now() - started, ok }) + '\\n'); setTimeout(ask, 10); };
      http.get(${JSON.stringify(url)}, { timeout: 30000 }, (res) => { res.resume(); res.on('end', () => done(res.statusCode === 200)); }).on('error', () => done(false));
    };
    ask();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    started,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { ms: number; ok: boolean });
    },
  };
}

function latency(samples: Array<{ ms: number; ok: boolean }>): Latency {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { samples: samples.length, failures: samples.filter((s) => !s.ok).length, p50Ms: round(quantile(sorted, 0.5)), p99Ms: round(quantile(sorted, 0.99)), maxMs: round(sorted.at(-1) ?? 0) };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (!line) throw new Error(`/metrics has no ${name}`);
  return Number(line.split(' ').at(-1));
}

export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const events = options.events ?? 50_000;
  const streams = options.streams ?? 50;
  const nestedBodies = options.nestedBodies ?? 8;
  const dir = mkdtempSync(join(tmpdir(), 'devicegate-soak-'));
  const sockets: Socket[] = [];
  let stop = async () => undefined as void;
  try {
    const dataDir = join(dir, 'data');
    const store = new EventStore(dataDir);
    for (let from = 0; from < events; from += 1000) store.append(Array.from({ length: Math.min(1000, events - from) }, (_, i) => message(from + i)), 'hw');
    store.close();

    const port = await freePort();
    const file = join(dir, 'devicegate.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        server: { host: '127.0.0.1', port, data_dir: dataDir, max_event_streams_per_key: streams, rate_limit: { per_second: 100_000, burst: 100_000 } },
        clients: [{ name: 'soak', key_sha256: createHash('sha256').update(KEY).digest('hex'), scopes: ['read'] }],
        connections: [{ id: 'hw', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, push: { secret: PUSH_SECRET }, base_url: 'http://127.0.0.1:9' }],
      }),
      { mode: 0o600 },
    );
    const base = `http://127.0.0.1:${port}`;
    const child = await spawnServerChild([...startFlags(ROOT), GATEWAY_MAIN, '--config', file], ROOT, `${base}/healthz`, { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn' });
    stop = () => child.stop();

    const opened: Array<Promise<boolean>> = [];
    for (let i = 0; i < streams; i++) {
      const stream = await stalledStream(port);
      sockets.push(stream.socket);
      opened.push(stream.opened);
    }
    const streamsOpened = (await Promise.all(opened)).filter(Boolean).length;

    const nested = Buffer.from('['.repeat(1_000_000));
    const targets: Array<{ path: string; headers: Record<string, string> }> = [
      { path: '/v1/hooks/hw', headers: { authorization: `Bearer ${PUSH_SECRET}` } },
      { path: '/v1/hooks/hw', headers: { authorization: 'Bearer wrong' } },
      { path: '/v1/hooks/nosuch', headers: {} },
      { path: '/v1/webhooks', headers: {} },
    ];
    const sampler = startSampler(`${base}/healthz`);
    await sampler.started;
    const nestedStatuses = await Promise.all(
      Array.from({ length: nestedBodies }, (_, i) => {
        const target = targets[i % targets.length];
        return fetch(`${base}${target.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: nested, signal: AbortSignal.timeout(60_000) }).then(
          async (res) => (await res.arrayBuffer(), res.status),
          () => 0,
        );
      }),
    );
    const duringSamples = await sampler.stop();

    const afterSamples: Array<{ ms: number; ok: boolean }> = [];
    for (let i = 0; i < 200; i++) afterSamples.push(await timedGet(`${base}/healthz`));
    const heapUsedBytes = await metric(`${base}/metrics`, 'devicegate_nodejs_heap_size_used_bytes');
    const capFlag = startFlags(ROOT).find((flag) => flag.startsWith('--max-old-space-size='));
    return {
      storedEvents: events,
      streams,
      streamsOpened,
      nestedBytes: nested.length * nestedBodies,
      nestedStatuses,
      during: latency(duringSamples),
      after: latency(afterSamples),
      heapUsedBytes,
      heapCapBytes: Number(capFlag?.split('=')[1] ?? Infinity) * 1024 * 1024,
      alive: child.proc.exitCode === null && child.proc.signalCode === null,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runSoak();
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  console.log(`stored events            ${result.storedEvents}`);
  console.log(`streams that never read  ${result.streamsOpened} of ${result.streams} opened`);
  console.log(`nested JSON posted       ${mb(result.nestedBytes)}, answered ${result.nestedStatuses.join(' ')}`);
  console.log(`/healthz during (apart)  p50 ${result.during.p50Ms} ms, p99 ${result.during.p99Ms} ms, max ${result.during.maxMs} ms (${result.during.samples} calls, ${result.during.failures} failed)`);
  console.log(`/healthz after           p50 ${result.after.p50Ms} ms, p99 ${result.after.p99Ms} ms, max ${result.after.maxMs} ms (${result.after.samples} calls, ${result.after.failures} failed)`);
  console.log(`heap used                ${mb(result.heapUsedBytes)} of a ${mb(result.heapCapBytes)} cap; gateway ${result.alive ? 'still running' : 'DIED'}`);
  const met = result.alive && result.heapUsedBytes < result.heapCapBytes && result.after.failures === 0 && result.after.p99Ms < 50 && result.during.samples > 0 && result.during.failures === 0 && result.during.maxMs < 50;
  console.log(met ? 'target met: /healthz under 50 ms, heap under its cap' : 'target NOT met');
  process.exit(met ? 0 : 1);
}
