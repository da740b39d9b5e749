/** Process, load and measurement helpers of the benchmark (parent side). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool, request } from 'undici';

// ── child processes ─────────────────────────────────────────────────────────

/**
 * The node flags of the `start` script in `<root>/package.json` (`node <flags> dist/…/main.js`): the benchmark
 * and the soak run the gateway with them, and test/runtime-flags.e2e-spec.ts holds the image's CMD to them.
 */
export function startFlags(root: string): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json: the start script does not run node: ${scripts.start}`);
  return words.slice(1).filter((word) => word.startsWith('--'));
}

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** The last lines the child wrote on stderr (for error messages). */
  stderrTail(): string;
  stop(): Promise<void>;
}

function track(proc: ChildProcess): Child {
  children.add(proc);
  let tail = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    pid: proc.pid!,
    stderrTail: () => tail,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(proc);
    },
  };
}

/** Starts `node <args>` whose first stdout line is JSON, and answers that JSON (its later stdout is discarded). */
export async function spawnJsonChild<T>(nodeArgs: string[], cwd: string, timeoutMs = 60_000): Promise<{ child: Child; info: T }> {
  const proc = spawn(process.execPath, nodeArgs, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const child = track(proc);
  const lines = createInterface({ input: proc.stdout! });
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${nodeArgs.join(' ')}: no start-up line within ${timeoutMs} ms\n${child.stderrTail()}`)), timeoutMs);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as T);
      } catch (error) {
        reject(error as Error);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${nodeArgs.join(' ')} exited with ${code}\n${child.stderrTail()}`));
    });
  });
  lines.on('line', () => undefined); // keep draining
  return { child, info };
}

/** Starts `node <args>` with stdout discarded (the gateway's JSON logs go to /dev/null) and waits for `readyUrl` to answer 200. */
export async function spawnServerChild(nodeArgs: string[], cwd: string, readyUrl: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<Child> {
  const proc = spawn(process.execPath, nodeArgs, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const child = track(proc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${nodeArgs.join(' ')} exited with ${proc.exitCode}\n${child.stderrTail()}`);
    try {
      const res = await request(readyUrl);
      await res.body.dump();
      if (res.statusCode === 200) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${readyUrl} not ready within ${timeoutMs} ms\n${child.stderrTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A free loopback port (closed again; the child binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// ── memory ──────────────────────────────────────────────────────────────────

/** VmRSS and VmHWM (peak) of a process in bytes, from /proc. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime field 14, stime field 15 (1-based over the whole line).
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The machine's busy share (% of all cores) over `ms`. */
export async function machineBusyPercent(ms: number): Promise<number> {
  const before = machineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineTicks();
  return (100 * (after.busy - before.busy)) / Math.max(1, after.total - before.total);
}

/** Polls a process's RSS while a row runs; answers the highest value seen (and VmHWM at the end). */
export function sampleRss(pid: number, everyMs = 100): { stop(): { peakRss: number; hwm: number } } {
  let peak = memoryOf(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryOf(pid).rss);
    } catch {
      // process gone
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      const m = memoryOf(pid);
      return { peakRss: Math.max(peak, m.rss), hwm: m.hwm };
    },
  };
}

// ── load ────────────────────────────────────────────────────────────────────

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>, callback: (error: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadOptions {
  url: string;
  /** Paths (with query) to request in turn, shared round-robin by all connections, instead of the url's own. */
  paths?: string[];
  headers?: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Runs after the warm-up, before the measured run (reset vendor call counters here). */
  beforeMeasure?: () => Promise<void>;
  /** The process whose RSS is sampled during the measured run. */
  pid: number;
  /** Other processes whose CPU use is reported (e.g. the emulator). */
  otherPids?: number[];
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  failures: number;
  statusCodes: Record<string, number>;
  peakRssBytes: number;
  hwmBytes: number;
  /** CPU use during the measured run, in % of one core: the process under test, each of `otherPids`, and autocannon (this process); `machine` in % of all cores. */
  cpu: { tested: number; others: number[]; loadGenerator: number; machine: number; rest: number };
  /** The measured run on the monotonic clock, in microseconds (to cut a CPU profile to it). */
  window: { fromUs: number; toUs: number };
  /** Length of the measured run(s), in seconds. */
  seconds: number;
  /** Every 2xx response time in ms, sorted. */
  samples: Float64Array;
}

function runAutocannon(options: Record<string, unknown>, onResponse?: (status: number, ms: number) => void): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, status, _bytes, ms) => onResponse(status, ms));
  });
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Rate and latency of a run from its sorted 2xx response times. */
function latencyOf(sorted: Float64Array, seconds: number): Pick<LoadResult, 'requests' | 'rps' | 'p50' | 'p99' | 'mean'> {
  return {
    requests: sorted.length,
    rps: sorted.length / seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
  };
}

/**
 * A warm-up, then a measured run of `durationSeconds` at `connections` concurrent keep-alive connections.
 * Latency percentiles are exact (every 2xx response time in ms, from autocannon's response events), not
 * autocannon's whole-millisecond histogram.
 */
export async function measureLoad(options: LoadOptions): Promise<LoadResult> {
  const paths = options.paths;
  let next = 0;
  const rotation = paths?.length ? { requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, path: paths[next++ % paths.length] }) }] } : {};
  const base = { url: options.url, headers: options.headers ?? {}, connections: options.connections, pipelining: 1, timeout: 10, ...rotation };
  if (options.warmupSeconds > 0) await runAutocannon({ ...base, duration: options.warmupSeconds });
  await options.beforeMeasure?.();
  const times: number[] = [];
  let failures = 0;
  const sampler = sampleRss(options.pid);
  const others = options.otherPids ?? [];
  const cpuBefore = { tested: cpuSecondsOf(options.pid), others: others.map(cpuSecondsOf), self: process.cpuUsage(), machine: machineTicks() };
  const started = performance.now();
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const result = await runAutocannon({ ...base, duration: options.durationSeconds }, (status, ms) => {
    if (status >= 200 && status < 300) times.push(ms);
    else failures += 1;
  });
  const elapsed = (performance.now() - started) / 1000;
  const window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  const memory = sampler.stop();
  const self = process.cpuUsage(cpuBefore.self);
  const cpu = {
    tested: (100 * (cpuSecondsOf(options.pid) - cpuBefore.tested)) / elapsed,
    others: others.map((pid, i) => (100 * (cpuSecondsOf(pid) - cpuBefore.others[i])) / elapsed),
    loadGenerator: (100 * (self.user + self.system)) / 1e6 / elapsed,
    machine: ((m) => (100 * (m.busy - cpuBefore.machine.busy)) / Math.max(1, m.total - cpuBefore.machine.total))(machineTicks()),
    rest: 0,
  };
  cpu.rest = Math.max(0, (cpu.machine * cpus().length) - cpu.tested - cpu.others.reduce((a, b) => a + b, 0) - cpu.loadGenerator);
  const sorted = Float64Array.from(times).sort();
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    ...latencyOf(sorted, elapsed),
    failures: failures + result.errors + result.timeouts,
    statusCodes,
    peakRssBytes: memory.peakRss,
    hwmBytes: memory.hwm,
    cpu,
    window,
    seconds: elapsed,
    samples: sorted,
  };
}

export interface FixedRateOptions {
  url: string;
  /** Paths (with query) requested in turn, instead of the url's own. */
  paths?: string[];
  headers: Record<string, string>;
  /** Requests per second, due at even intervals whatever the answers do. */
  rate: number;
  warmupSeconds: number;
  durationSeconds: number;
}

/** Answer times of a fixed-rate run, each counted from when its request was due. */
export interface FixedRateResult {
  /** Every 2xx answer time in ms, sorted. */
  samples: Float64Array;
  failures: number;
}

/**
 * Open-loop load: requests fall due at a fixed rate whatever the answers do (autocannon's `overallRate` spends
 * each second's budget at once, then waits), and each answer is timed from when its request was due, not from
 * when it went out, so a stall also counts for the requests it held back. Below the rate a process saturates
 * at, the times are what it adds per request, not a queue that closed-loop load builds.
 */
export async function measureFixedRate(options: FixedRateOptions): Promise<FixedRateResult> {
  const target = new URL(options.url);
  const paths = options.paths?.length ? options.paths : [`${target.pathname}${target.search}`];
  // More connections than can ever be busy at this rate: a request never waits for a free one.
  const pool = new Pool(target.origin, { connections: 256, pipelining: 1 });
  const run = async (seconds: number): Promise<FixedRateResult> => {
    const times: number[] = [];
    let failures = 0;
    const pending: Array<Promise<void>> = [];
    const interval = 1000 / options.rate;
    const start = performance.now();
    const total = Math.round(seconds * options.rate);
    for (let sent = 0; sent < total; ) {
      // Timers fire about every millisecond: whatever fell due since the last one goes out now.
      while (sent < total && sent * interval <= performance.now() - start) {
        const due = start + sent * interval;
        const path = paths[sent++ % paths.length];
        pending.push(
          pool.request({ method: 'GET', path, headers: options.headers, headersTimeout: 10_000, bodyTimeout: 10_000 }).then(
            async ({ statusCode, body }) => {
              await body.dump();
              if (statusCode >= 200 && statusCode < 300) times.push(performance.now() - due);
              else failures += 1;
            },
            () => void (failures += 1),
          ),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    return { samples: Float64Array.from(times).sort(), failures };
  };
  try {
    if (options.warmupSeconds > 0) await run(options.warmupSeconds);
    return await run(options.durationSeconds);
  } finally {
    await pool.close();
  }
}

/** The samples of several runs as one sorted array. */
export function mergeSamples(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all.sort();
}

/**
 * Several measured runs of the same target as one: requests and CPU over their summed time, percentiles
 * over all their samples, the highest RSS. The benchmark interleaves the runs of the rows it compares
 * (proxy, passthrough, translated, in turn), so a machine that drifts slower or faster during the
 * benchmark affects each row alike.
 */
export function mergeLoads(parts: LoadResult[]): LoadResult {
  if (parts.length === 1) return parts[0];
  const seconds = parts.reduce((sum, p) => sum + p.seconds, 0);
  const samples = mergeSamples(parts.map((p) => p.samples));
  const weighted = (pick: (p: LoadResult) => number) => parts.reduce((sum, p) => sum + pick(p) * p.seconds, 0) / seconds;
  const statusCodes: Record<string, number> = {};
  for (const p of parts) for (const [code, n] of Object.entries(p.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    ...latencyOf(samples, seconds),
    failures: parts.reduce((sum, p) => sum + p.failures, 0),
    statusCodes,
    peakRssBytes: Math.max(...parts.map((p) => p.peakRssBytes)),
    hwmBytes: Math.max(...parts.map((p) => p.hwmBytes)),
    cpu: {
      tested: weighted((p) => p.cpu.tested),
      others: parts[0].cpu.others.map((_, i) => weighted((p) => p.cpu.others[i])),
      loadGenerator: weighted((p) => p.cpu.loadGenerator),
      machine: weighted((p) => p.cpu.machine),
      rest: weighted((p) => p.cpu.rest),
    },
    window: parts[0].window,
    seconds,
    samples,
  };
}

// ── vendor call counters ────────────────────────────────────────────────────

export async function vendorCalls(statsUrls: string[]): Promise<number> {
  let total = 0;
  for (const url of statsUrls) {
    const res = await request(url);
    total += ((await res.body.json()) as { requests: number }).requests;
  }
  return total;
}

export async function resetVendorCalls(statsUrls: string[]): Promise<void> {
  for (const url of statsUrls) await (await request(url, { method: 'DELETE' })).body.dump();
}

/** One GET answering status and parsed JSON (for checks and the sequential paging rows). */
export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; ms: number }> {
  const started = performance.now();
  const res = await request(url, { headers });
  const text = await res.body.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.statusCode, body: body as T, ms };
}

/** CPU time the process under test spent per answer during the measured run, in microseconds: far steadier than req/s on a shared machine. */
export function cpuPerAnswerUs(r: LoadResult): number {
  return (r.cpu.tested * r.seconds * 1e4) / Math.max(1, r.requests + r.failures);
}
