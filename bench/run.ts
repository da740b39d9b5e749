/**
 * `npm run bench` (issue 8): one command that starts everything it needs on loopback and measures, in one
 * run and with one load generator (autocannon, in this process):
 *
 *   1. the HARDWARIO emulator called directly (single device; 1b: a list page of 50, the baseline of 4b);
 *   2. two minimal pass-through proxies (bench/minimal-proxy.ts): 2a streaming (node:http in, undici out),
 *      2b buffering (node:http in and out over a keep-alive agent); the faster is the practical limit;
 *   3. devicegate's passthrough route to the same emulator;
 *   4. devicegate's translated `GET /v1/devices/{id}` (4a) and `GET /v1/devices?limit=50` (4b);
 *   5. `GET /v1/devices` across five emulated vendors with 50 ms added to every vendor answer;
 *   6. paging 10,000 devices at `limit=100`, counting vendor calls against paging the vendor directly;
 *   7–9. with the vendors' rate limits on: bursts of identical reads, a dashboard, a DT newest-first page
 *      (bench/vendor-limits.ts).
 *
 * The emulators, the proxy and the gateway each run in their own child process (`node dist/...`); the
 * gateway's JSON logs go to /dev/null at the default level. It prints the table and writes BENCHMARKS.md.
 *
 * Rows 1, 2a, 2b, 3 and 4a are measured interleaved, in BENCH_ROUNDS rounds, so that they are compared under
 * the same machine conditions.
 *
 * Options: `--rows 1,3,4a` or BENCH_ROWS=1,3,4a (a subset: `2` is both proxies, `7` rows 7–9, `seed` the emulators' seeding times;
 * BENCHMARKS.md is then not written), `--no-write`,
 * `--profile [dir]` (row 4a unless `--rows` says otherwise, measured in one piece, with the gateway under
 * `--cpu-prof`, then a self-time summary).
 * Environment: BENCH_CONNECTIONS (32), BENCH_DURATION (10 s), BENCH_WARMUP (2 s), BENCH_ROUNDS (5), BENCH_DEVICES (10000),
 * BENCH_GATEWAY_NODE_ARGS (extra node flags for the gateway, e.g. `--max-old-space-size=128`), BENCH_FIXED_RATE (the
 * open-loop rate of the added-latency rows, 2000 req/s; 0 leaves them out).
 */
import { createHash } from 'node:crypto';
import { startBlynkEmulator } from '@devicegate/emulators/blynk';
import { startDisruptiveEmulator } from '@devicegate/emulators/disruptive';
import { startHardwarioEmulator } from '@devicegate/emulators/hardwario';
import { startIottlyEmulator } from '@devicegate/emulators/iottly';
import { startIzumaEmulator } from '@devicegate/emulators/izuma';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatProfileSummary, summarizeProfile } from './cpu-profile.js';
import { cpuPerAnswerUs, freePort, getJson, machineBusyPercent, measureFixedRate, measureLoad, memoryOf, mergeLoads, mergeSamples, quantile, resetVendorCalls, spawnJsonChild, spawnServerChild, startFlags, vendorCalls, type Child, type LoadResult } from './harness.js';
import type { EmulatorSetInfo, EmulatorSetSpec } from './types.js';
import { vendorLimitRows, vendorLimitSection, vendorLimitVerdicts, type VendorLimitResult } from './vendor-limits.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const GATEWAY_MAIN = join(DIST, 'apps/gateway/src/main.js');

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 2000);

const PAGING_DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const VENDOR_LATENCY_MS = 50;
const PAGE = 100;

/** The minimal proxies: row id and kind (bench/minimal-proxy.ts). `--rows 2` measures both. */
const PROXIES = [
  ['2a', 'streaming'],
  ['2b', 'buffering'],
] as const;

const KEY = 'bench-key';
const BEARER = { authorization: `Bearer ${KEY}` };
const HW_CONNECTION = 'bench-hw';

const args = process.argv.slice(2);
const profileAt = args.indexOf('--profile');
const profileDir = profileAt >= 0 ? (args[profileAt + 1] && !args[profileAt + 1].startsWith('--') ? args[profileAt + 1] : mkdtempSync(join(tmpdir(), 'devicegate-prof-'))) : undefined;
const rowsArg = (args.indexOf('--rows') >= 0 ? args[args.indexOf('--rows') + 1] : undefined) ?? (process.env.BENCH_ROWS || undefined);
const wanted = new Set((rowsArg ?? (profileDir ? '4a' : '1,1b,2,3,4a,4b,5,6,7,seed')).split(',').map((r) => r.trim()));
const fullRun = !rowsArg && !profileDir;
// A CPU profile is cut to one row's measured run, so profiling measures each row in one piece.
const ROUNDS = profileDir ? 1 : Number(process.env.BENCH_ROUNDS ?? 5);
const write = fullRun && !args.includes('--no-write');

// ── results ─────────────────────────────────────────────────────────────────

interface Row {
  id: string;
  title: string;
  process: string;
  load?: LoadResult;
  /** Vendor calls per request (or in total, for row 6). */
  vendorCalls?: number;
  vendorCallsNote?: string;
  /** p50/p99 added over this baseline row. */
  baseline?: string;
  /** Extra text for the notes column. */
  note?: string;
  /** When not BENCH_CONNECTIONS. */
  connections?: number;
  /** Row 6: sequential paging. */
  paging?: { pages: number; seconds: number; p50: number; p99: number; items: number; unique: number; gatewayCalls: number; directCalls: number; directPages: number; directSeconds: number; peakRssBytes: number };
}

const rows: Row[] = [];
const limitedRows: VendorLimitResult[] = [];
/** How many devices the single-device rows read in turn. */
let rotationSize = 1;
let profileWindow: { fromUs: number; toUs: number } | undefined;
const diagnostics: string[] = [];
const log = (message: string) => process.stderr.write(`${message}\n`);
const mb = (bytes: number) => bytes / (1024 * 1024);

// ── set-ups ─────────────────────────────────────────────────────────────────

async function startEmulators(spec: EmulatorSetSpec): Promise<{ child: Child; info: EmulatorSetInfo }> {
  return spawnJsonChild<EmulatorSetInfo>(['--enable-source-maps', join(DIST, 'bench/emulators.js'), JSON.stringify(spec)], ROOT, 120_000);
}

/** Rows 1–6 measure the pipeline itself: vendor budgets far above the load and the read cache off. */
const PIPELINE_ONLY = { rate_limit: 1_000_000, cache: { ttl_seconds: 0 } };

async function startGateway(connections: Array<Record<string, unknown>>, extraNodeArgs: string[] = [], defaults: Record<string, unknown> = PIPELINE_ONLY): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'devicegate-bench-'));
  const file = join(dir, 'devicegate.yaml');
  // JSON is YAML; the client-key budget is set far above what the benchmark can send.
  const config = {
    server: { host: '127.0.0.1', port, rate_limit: { per_second: 1_000_000_000, burst: 1_000_000_000 } },
    clients: [{ name: 'bench', key_sha256: createHash('sha256').update(KEY).digest('hex'), scopes: ['read', 'passthrough'], connections: ['*'] }],
    connections: connections.map((c) => ({ timeout_ms: 10_000, ...defaults, ...c })),
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, PORT: String(port) };
  // The gateway runs with the node flags `npm start` gives it (read from package.json), plus any from the environment.
  const flags = [...startFlags(ROOT), ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
  const child = await spawnServerChild([...flags, ...extraNodeArgs, GATEWAY_MAIN, '--config', file], ROOT, `${url}/healthz`, env);
  return { child, url };
}

async function check(url: string, headers: Record<string, string>, what: string): Promise<unknown> {
  const res = await getJson(url, headers);
  if (res.status !== 200) throw new Error(`${what}: ${url} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body;
}

function load(
  url: string,
  headers: Record<string, string>,
  pid: number,
  statsUrls: string[],
  emulatorPid?: number,
  connections = CONNECTIONS,
  timing = { warmupSeconds: WARMUP, durationSeconds: DURATION },
  paths?: string[],
): Promise<LoadResult & { vendorCalls: number }> {
  return measureLoad({
    url,
    paths,
    headers,
    pid,
    otherPids: emulatorPid !== undefined && emulatorPid !== pid ? [emulatorPid] : [],
    connections,
    ...timing,
    beforeMeasure: () => resetVendorCalls(statsUrls),
  }).then(async (result) => ({ ...result, vendorCalls: (await vendorCalls(statsUrls)) / Math.max(1, result.requests + result.failures) }));
}

/** A target of the interleaved rows. */
interface Target {
  id: string;
  url: string;
  /** Paths read in turn (one device after another), instead of the url's. */
  paths?: string[];
  headers: Record<string, string>;
  pid: number;
  emulatorPid?: number;
}

/**
 * Rows 1–4a in ROUNDS rounds: each round measures every row once, in turn, for DURATION / ROUNDS seconds
 * after its own warm-up; a row's result is all its rounds together. Run back to back instead, a row would
 * carry whatever the shared machine was doing during its ten seconds, and the ratios to row 2 with it.
 */
async function interleaved(targets: Target[], statsUrls: string[]): Promise<Map<string, LoadResult & { vendorCalls: number; perRound: number[] }>> {
  const parts = new Map<string, Array<LoadResult & { vendorCalls: number }>>(targets.map((t) => [t.id, []]));
  const timing = { warmupSeconds: Math.max(1, WARMUP / 2), durationSeconds: DURATION / ROUNDS };
  // A process's first seconds under load are its JIT's: without this pass round 1 of whichever row first
  // loads a process (row 3 for devicegate) measured compilation, not the pipeline, and dragged its ratio.
  for (const t of targets) await load(t.url, t.headers, t.pid, statsUrls, t.emulatorPid, CONNECTIONS, { warmupSeconds: WARMUP, durationSeconds: 1 }, t.paths);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) {
      const r = await load(t.url, t.headers, t.pid, statsUrls, t.emulatorPid, CONNECTIONS, timing, t.paths);
      log(`  round ${round}/${ROUNDS}, row ${t.id}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(2)} ms, ${cpuPerAnswerUs(r).toFixed(0)} µs CPU/answer, ${r.vendorCalls.toFixed(2)} vendor calls/answer`);
      parts.get(t.id)!.push(r);
    }
  }
  const out = new Map<string, LoadResult & { vendorCalls: number; perRound: number[] }>();
  for (const [id, runs] of parts) {
    const merged = mergeLoads(runs);
    const calls = runs.reduce((sum, r) => sum + r.vendorCalls * (r.requests + r.failures), 0) / Math.max(1, merged.requests + merged.failures);
    out.set(id, { ...merged, vendorCalls: calls, perRound: runs.map((r) => r.rps) });
  }
  return out;
}

function describeLoad(id: string, r: LoadResult & { vendorCalls?: number }): void {
  const codes = Object.entries(r.statusCodes)
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  log(
    `  row ${id}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${cpuPerAnswerUs(r).toFixed(0)} µs CPU/answer, RSS ${mb(r.peakRssBytes).toFixed(0)} MB, vendor calls/req ${r.vendorCalls?.toFixed(2) ?? '-'}, CPU % ${cpuText(r)} [${codes}]${r.failures ? `, ${r.failures} failures` : ''}`,
  );
}

function cpuText(r: LoadResult): string {
  const others = r.cpu.others.length ? r.cpu.others.map((c) => c.toFixed(0)) : ['–'];
  return `${[r.cpu.tested.toFixed(0), ...others, r.cpu.loadGenerator.toFixed(0)].join(' / ')} (rest ${r.cpu.rest.toFixed(0)})`;
}

// ── rows 1–4 and 6: one HARDWARIO emulator with 10,000 devices ──────────────

async function hardwarioRows(): Promise<void> {
  log(`starting the HARDWARIO emulator (${PAGING_DEVICES} devices) …`);
  const emu = await startEmulators({ providers: ['hardwario'], latencyMs: 0, deviceCount: PAGING_DEVICES });
  const hw = emu.info.emulators[0];
  const stats = [hw.statsUrl];
  const space = hw.spaceId!;
  const deviceId = hw.sampleDeviceId!;
  const devicePath = (id: string) => `/v2/spaces/${space}/devices/${id}`;
  const vendorDevicePath = devicePath(deviceId);
  const vendorListPath = `/v2/spaces/${space}/devices?limit=50`;
  const vendorHeaders = hw.vendorHeaders ?? {};
  // The single-device rows read one device after another: identical reads in flight would share a vendor call.
  const rotation = hw.rotationDeviceIds ?? [deviceId];
  rotationSize = rotation.length;
  const proxies: Array<{ id: string; child: Child; url: string }> = [];
  let gateway: { child: Child; url: string } | undefined;
  try {
    await check(`${hw.baseUrl}${vendorDevicePath}`, vendorHeaders, 'row 1');

    // Everything the interleaved rows need runs before the first of them is measured.
    if (wanted.has('2')) {
      for (const [id, kind] of PROXIES) {
        log(`starting the ${kind} minimal proxy …`);
        const started = await spawnJsonChild<{ port: number }>(['--enable-source-maps', join(DIST, 'bench/minimal-proxy.js'), kind, hw.baseUrl, JSON.stringify(vendorHeaders)], ROOT);
        proxies.push({ id, child: started.child, url: `http://127.0.0.1:${started.info.port}` });
        await check(`${proxies.at(-1)!.url}${vendorDevicePath}`, {}, `row ${id}`);
      }
    }
    const needsGateway = ['3', '4a', '4b', '6'].some((r) => wanted.has(r));
    let listUrl = '';
    const passthroughPath = (id: string) => `/v1/connections/${HW_CONNECTION}/passthrough${devicePath(id)}`;
    const translatedPath = (id: string) => `/v1/devices/${HW_CONNECTION}:${id}`;
    if (needsGateway) {
      log('starting devicegate …');
      gateway = await startGateway(
        [{ id: HW_CONNECTION, provider: 'hardwario', base_url: hw.baseUrl, ...hw.connection }],
        profileDir ? [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`] : [],
      );
      const gw = gateway;
      diagnostics.push(`devicegate RSS after start-up, before any load: ${f(mb(memoryOf(gw.child.pid).rss), 0)} MB`);
      listUrl = `${gw.url}/v1/devices?limit=50`;
      await check(`${gw.url}${passthroughPath(deviceId)}`, BEARER, 'row 3');
      const device = (await check(`${gw.url}${translatedPath(deviceId)}`, BEARER, 'row 4a')) as { id?: string };
      if (device.id !== `${HW_CONNECTION}:${deviceId}`) throw new Error(`row 4a: unexpected device ${JSON.stringify(device).slice(0, 300)}`);
      const list = (await check(listUrl, BEARER, 'row 4b')) as { data?: unknown[] };
      if (list.data?.length !== 50) throw new Error(`row 4b: expected 50 devices, got ${list.data?.length}`);
    }

    const targets: Target[] = [];
    const rotate = (origin: string, path: (id: string) => string) => ({ url: `${origin}${path(deviceId)}`, paths: rotation.map(path) });
    if (wanted.has('1')) targets.push({ id: '1', ...rotate(hw.baseUrl, devicePath), headers: vendorHeaders, pid: emu.child.pid });
    for (const p of proxies) targets.push({ id: p.id, ...rotate(p.url, devicePath), headers: {}, pid: p.child.pid, emulatorPid: emu.child.pid });
    if (gateway && wanted.has('3')) targets.push({ id: '3', ...rotate(gateway.url, passthroughPath), headers: BEARER, pid: gateway.child.pid, emulatorPid: emu.child.pid });
    if (gateway && wanted.has('4a')) targets.push({ id: '4a', ...rotate(gateway.url, translatedPath), headers: BEARER, pid: gateway.child.pid, emulatorPid: emu.child.pid });
    const measured = await interleaved(targets, stats);
    const titles: Record<string, { title: string; process: string; baseline?: string }> = {
      '1': { title: 'emulator direct: `GET /v2/spaces/{s}/devices/{id}`', process: 'emulator' },
      '2a': { title: 'minimal proxy, streaming (node:http in, undici out) → emulator', process: 'proxy', baseline: '1' },
      '2b': { title: 'minimal proxy, buffering (node:http in and out, keep-alive `http.Agent`) → emulator', process: 'proxy', baseline: '1' },
      '3': { title: 'devicegate passthrough: `GET /v1/connections/{c}/passthrough/v2/…/devices/{id}`', process: 'gateway', baseline: '1' },
      '4a': { title: 'devicegate translated: `GET /v1/devices/{id}`', process: 'gateway', baseline: '1' },
    };
    for (const [id, r] of measured) {
      describeLoad(id, r);
      if (id === '3' || id === '4a') profileWindow ??= r.window;
      rows.push({ id, ...titles[id], load: r, vendorCalls: r.vendorCalls });
      if (ROUNDS > 1) diagnostics.push(`row ${id} per round: ${r.perRound.map((v) => f(v, 0)).join(', ')} req/s`);
    }
    if (FIXED_RATE > 0 && !profileDir && targets.some((t) => t.id === '1')) await fixedRateRows(targets);
    for (const p of proxies.splice(0)) await p.child.stop();

    if (wanted.has('1b')) {
      const r = await load(`${hw.baseUrl}${vendorListPath}`, vendorHeaders, emu.child.pid, stats);
      describeLoad('1b', r);
      rows.push({ id: '1b', title: 'emulator direct: `GET /v2/spaces/{s}/devices?limit=50` (baseline of 4b)', process: 'emulator', load: r, vendorCalls: r.vendorCalls });
    }

    if (gateway) {
      const gw = gateway;
      if (wanted.has('4b')) {
        const r = await load(listUrl, BEARER, gw.child.pid, stats, emu.child.pid);
        profileWindow ??= r.window;
        describeLoad('4b', r);
        rows.push({
          id: '4b',
          title: 'devicegate translated: `GET /v1/devices?limit=50`',
          process: 'gateway',
          load: r,
          vendorCalls: r.vendorCalls,
          baseline: wanted.has('1b') ? '1b' : undefined,
          note: r.vendorCalls < 0.9 ? `every connection reads the same first page, so identical reads in flight share vendor calls (${f(r.vendorCalls, 2)} per answer): its rate is not the pipeline's alone` : undefined,
        });
      }
      if (wanted.has('6')) rows.push(await pagingRow(gw, hw.baseUrl, space, vendorHeaders, stats));
    }
  } finally {
    await gateway?.child.stop();
    for (const p of proxies) await p.child.stop();
    await emu.child.stop();
  }
}

/** Rows 1–4a again at a fixed rate, open loop (harness measureFixedRate): what each adds per request when nothing queues. */
const fixedRate: Array<{ id: string; p50: number; p99: number; answers: number; failures: number }> = [];

async function fixedRateRows(targets: Target[]): Promise<void> {
  log(`rows 1–4a at a fixed ${FIXED_RATE} req/s, open loop …`);
  const parts = new Map<string, { samples: Float64Array[]; failures: number }>(targets.map((t) => [t.id, { samples: [], failures: 0 }]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) {
      const r = await measureFixedRate({ url: t.url, paths: t.paths, headers: t.headers, rate: FIXED_RATE, warmupSeconds: 1, durationSeconds: DURATION / ROUNDS });
      parts.get(t.id)!.samples.push(r.samples);
      parts.get(t.id)!.failures += r.failures;
    }
  }
  for (const [id, part] of parts) {
    const all = mergeSamples(part.samples);
    const row = { id, p50: quantile(all, 0.5), p99: quantile(all, 0.99), answers: all.length, failures: part.failures };
    fixedRate.push(row);
    log(`  fixed rate, row ${id}: p50 ${f(row.p50, 2)} ms, p99 ${f(row.p99, 2)} ms, ${row.failures} failures`);
  }
}

function fixedRateSection(): string[] {
  const direct = fixedRate.find((r) => r.id === '1');
  if (!direct || fixedRate.length < 2) return [];
  return [
    `## Added latency at a fixed ${FIXED_RATE.toLocaleString('en')} req/s`,
    '',
    `Rows 1–4a once more, open loop: a request falls due every ${f(1000 / FIXED_RATE, 2)} ms whatever the answers do, and each answer is timed from when its request was due, so a stall counts for every request it held back. ` +
      `${ROUNDS} interleaved rounds of ${f(DURATION / ROUNDS, 1)} s after 1 s at the same rate, the same devices in turn as above. ` +
      `At this rate no process here is saturated, so "added" is what a hop costs a request rather than the queue that ${CONNECTIONS} closed-loop connections build at saturation (the tables above). Information, not a target.`,
    '',
    '| # | answers | p50 ms | p99 ms | added p50 / p99 ms (vs 1) | non-2xx or errors |',
    '|---|---:|---:|---:|---:|---:|',
    ...fixedRate.map((r) => `| ${r.id} | ${r.answers} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${r.id === '1' ? '–' : `${f(r.p50 - direct.p50, 2)} / ${f(r.p99 - direct.p99, 2)}`} | ${r.failures} |`),
    '',
  ];
}

async function pagingRow(gw: { child: Child; url: string }, vendorBase: string, space: string, vendorHeaders: Record<string, string>, stats: string[]): Promise<Row> {
  log(`row 6: paging ${PAGING_DEVICES} devices at limit=${PAGE} …`);
  // Through devicegate: follow `after` until has_more is false.
  await resetVendorCalls(stats);
  const times: number[] = [];
  const ids = new Set<string>();
  let items = 0;
  let after: string | undefined;
  let peakRss = 0;
  const started = performance.now();
  for (;;) {
    const url = `${gw.url}/v1/devices?limit=${PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const page = await getJson<{ data: Array<{ id: string }>; has_more: boolean }>(url, BEARER);
    if (page.status !== 200) throw new Error(`row 6: ${url} answered ${page.status}: ${JSON.stringify(page.body).slice(0, 300)}`);
    times.push(page.ms);
    peakRss = Math.max(peakRss, memoryOf(gw.child.pid).rss);
    for (const d of page.body.data) ids.add(d.id);
    items += page.body.data.length;
    if (!page.body.has_more) break;
    after = page.body.data[page.body.data.length - 1].id;
    if (times.length > (PAGING_DEVICES / PAGE) * 3) throw new Error('row 6: paging does not end');
  }
  const seconds = (performance.now() - started) / 1000;
  const gatewayCalls = await vendorCalls(stats);

  // Directly: the vendor's own paging (`limit` + `offset` = last id) until an empty page.
  await resetVendorCalls(stats);
  let offset: string | undefined;
  let directPages = 0;
  let directItems = 0;
  const directStarted = performance.now();
  for (;;) {
    const url = `${vendorBase}/v2/spaces/${space}/devices?limit=${PAGE}${offset ? `&offset=${offset}` : ''}`;
    const page = await getJson<Array<{ id: string }>>(url, vendorHeaders);
    if (page.status !== 200) throw new Error(`row 6 (direct): ${url} answered ${page.status}`);
    directPages += 1;
    if (page.body.length === 0) break;
    directItems += page.body.length;
    offset = page.body[page.body.length - 1].id;
  }
  const directSeconds = (performance.now() - directStarted) / 1000;
  const directCalls = await vendorCalls(stats);
  if (directItems !== PAGING_DEVICES) diagnostics.push(`row 6: the vendor listed ${directItems} devices, expected ${PAGING_DEVICES}`);

  const sorted = Float64Array.from(times).sort();
  const paging = { pages: times.length, seconds, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), items, unique: ids.size, gatewayCalls, directCalls, directPages, directSeconds, peakRssBytes: peakRss };
  log(`  row 6: ${paging.pages} pages, ${items} items (${ids.size} unique) in ${seconds.toFixed(2)} s; vendor calls ${gatewayCalls} via devicegate vs ${directCalls} direct`);
  return {
    id: '6',
    title: `paging ${PAGING_DEVICES.toLocaleString('en')} devices at \`limit=${PAGE}\` (sequential, 1 client)`,
    process: 'gateway',
    paging,
    vendorCalls: gatewayCalls,
    note: `${gatewayCalls} vendor calls via devicegate vs ${directCalls} paging the vendor directly (${(gatewayCalls / directCalls).toFixed(2)}×); ${items} items, ${ids.size} unique`,
  };
}

// ── row 5: five emulated vendors, 50 ms each ────────────────────────────────

async function fiveVendorRow(): Promise<void> {
  log(`row 5: starting five emulators with ${VENDOR_LATENCY_MS} ms latency …`);
  const emu = await startEmulators({ providers: ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk'], latencyMs: VENDOR_LATENCY_MS });
  let gateway: { child: Child; url: string } | undefined;
  try {
    const connections = emu.info.emulators.map((e) => ({ id: `bench-${e.provider}`, provider: e.provider, base_url: e.baseUrl, ...e.connection }));
    gateway = await startGateway(connections, profileDir ? [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`] : []);
    const url = `${gateway.url}/v1/devices`;
    const body = (await check(url, BEARER, 'row 5')) as { data?: Array<{ id: string }> };
    const seen = new Set((body.data ?? []).map((d) => d.id.split(':')[0]));
    const stats = emu.info.emulators.map((e) => e.statsUrl);

    // Diagnostics: each connection alone, sequentially (one request at a time), with its vendor calls.
    for (const e of emu.info.emulators) {
      const one = `${url}?connection_id=bench-${e.provider}`;
      await check(one, BEARER, `row 5 (${e.provider})`);
      await resetVendorCalls([e.statsUrl]);
      const times: number[] = [];
      for (let i = 0; i < 10; i++) times.push((await getJson(one, BEARER)).ms);
      const calls = (await vendorCalls([e.statsUrl])) / 10;
      const sorted = Float64Array.from(times).sort();
      diagnostics.push(`row 5, \`bench-${e.provider}\` alone, 1 client: p50 ${quantile(sorted, 0.5).toFixed(1)} ms, ${calls.toFixed(1)} vendor calls per list`);
    }

    const r = await load(url, BEARER, gateway.child.pid, stats, emu.child.pid);
    // This gateway starts after the one of rows 3–4b, so its profile is the newest, the one summarised.
    if (profileDir) profileWindow = r.window;
    describeLoad('5', r);
    rows.push({
      id: '5',
      title: `devicegate translated: \`GET /v1/devices\` across 5 vendors, +${VENDOR_LATENCY_MS} ms each`,
      process: 'gateway',
      load: r,
      vendorCalls: r.vendorCalls,
      note: `the first page spans ${seen.size} connections; every list reads all five concurrently`,
    });
    const one = await load(url, BEARER, gateway.child.pid, stats, emu.child.pid, 1);
    describeLoad('5′', one);
    rows.push({
      id: '5′',
      title: `the same as 5 with 1 connection (no queueing)`,
      process: 'gateway',
      load: one,
      vendorCalls: one.vendorCalls,
      connections: 1,
    });
    // Row 5's clients all ask the same list, so they share its vendor reads and its answer. Here each asks a
    // list of its own (limits 20 to 51): no two in flight are alike and nothing is shared — what the same
    // load costs when every dashboard asks something else.
    const own = Array.from({ length: CONNECTIONS }, (_, i) => `/v1/devices?limit=${20 + i}`);
    const apart = await load(url, BEARER, gateway.child.pid, stats, emu.child.pid, CONNECTIONS, undefined, own);
    describeLoad('5″', apart);
    rows.push({
      id: '5″',
      title: `the same as 5, each client a list of its own (\`limit\` 20–${19 + CONNECTIONS}): nothing shared`,
      process: 'gateway',
      load: apart,
      vendorCalls: apart.vendorCalls,
    });
  } finally {
    await gateway?.child.stop();
    await emu.child.stop();
  }
}

// ── rows 7–9: the vendors' rate limits on, devicegate's defaults ───────────────

async function vendorLimitedRows(): Promise<void> {
  log(`rows 7–9: starting five emulators with their rate limits on, ${VENDOR_LATENCY_MS} ms latency, a DT device with 50,000 events …`);
  const emu = await startEmulators({ providers: ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk'], latencyMs: VENDOR_LATENCY_MS, vendorRateLimits: true, dtEvents: 50_000 });
  let gateway: { child: Child; url: string } | undefined;
  try {
    const connections = emu.info.emulators.map((e) => ({ id: `bench-${e.provider}`, provider: e.provider, base_url: e.baseUrl, ...e.connection }));
    gateway = await startGateway(connections, [], {});
    for (const r of await vendorLimitRows(gateway.url, BEARER, emu.info, log)) {
      log(`  row ${r.id}: ${r.ok}/${r.requests} × 200 in ${r.seconds.toFixed(2)} s, p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, ${r.vendorCalls} vendor calls, ${r.vendor429} vendor 429`);
      limitedRows.push(r);
    }
  } finally {
    await gateway?.child.stop();
    await emu.child.stop();
  }
}

// ── report ──────────────────────────────────────────────────────────────────

const f = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));

function table(): string {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const proxy = fasterProxy()?.load;
  const header = `| # | what | req/s | p50 ms | p99 ms | added p50 / p99 ms | peak RSS MB | vendor calls | req/s ÷ row ${fasterProxy()?.id ?? '2'} | CPU µs per answer (tested) | CPU % of a core: tested / emulator / autocannon (rest) |`;
  const lines = [header, '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const row of rows) {
    if (row.paging) {
      const p = row.paging;
      lines.push(
        `| ${row.id} | ${row.title} | ${f(p.pages / p.seconds, 0)} pages/s | ${f(p.p50, 2)} | ${f(p.p99, 2)} | – | ${f(mb(p.peakRssBytes), 0)} (gateway) | ${p.gatewayCalls} vs ${p.directCalls} direct (${f(p.gatewayCalls / p.directCalls, 2)}×) | – | – | – |`,
      );
      continue;
    }
    const r = row.load!;
    const base = row.baseline ? byId.get(row.baseline)?.load : undefined;
    let added = '–';
    if (base) added = `${f(r.p50 - base.p50, 2)} / ${f(r.p99 - base.p99, 2)} (vs ${row.baseline})`;
    else if (row.id.startsWith('5')) added = `${f(r.p50 - VENDOR_LATENCY_MS, 2)} / ${f(r.p99 - VENDOR_LATENCY_MS, 2)} (vs ${VENDOR_LATENCY_MS} ms vendor)`;
    lines.push(
      `| ${row.id} | ${row.title} | ${f(r.rps, 0)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${added} | ${f(mb(r.peakRssBytes), 0)} (${row.process}) | ${f(row.vendorCalls, 2)}/req | ${proxy ? `${f((100 * r.rps) / proxy.rps, 0)} %` : '–'} | ${f(cpuPerAnswerUs(r), 0)} | ${cpuText(r)} |`,
    );
  }
  return lines.join('\n');
}

interface Verdict {
  target: string;
  measured: string;
  met: boolean | undefined;
  /** Measured on rows other work disturbed: the verdict says so. */
  disturbed?: boolean;
}

/** The faster of the minimal proxies measured: the limit rows 3 and 4a are held against. */
function fasterProxy(): Row | undefined {
  return rows.filter((r) => PROXIES.some(([id]) => id === r.id) && r.load).sort((a, b) => b.load!.rps - a.load!.rps)[0];
}

function verdicts(): Verdict[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const l = (id: string) => byId.get(id)?.load;
  const out: Verdict[] = [];
  const faster = fasterProxy();
  const proxy = faster?.load;
  const direct = l('1');
  const noisy = new Set(disturbed().map((d) => d.split(' ')[0]));
  const isDisturbed = (...ids: string[]) => ids.some((id) => noisy.has(id));
  const versus = (id: string, share: number, what: string) => {
    const r = l(id)!;
    // Identical reads in flight are made once: a row with fewer vendor calls than answers measures coalescing, not the pipeline.
    const calls = byId.get(id)?.vendorCalls ?? 1;
    const coalesced = calls < 0.9;
    out.push({
      target: `${what} ≥ ${share * 100} % of the faster minimal proxy’s req/s (row ${id} vs row ${faster!.id}, ${f(calls, 2)} vendor calls per answer)`,
      measured:
        `${f(r.rps, 0)} vs ${f(proxy!.rps, 0)} req/s = ${f((100 * r.rps) / proxy!.rps, 0)} %; CPU per answer ${f(cpuPerAnswerUs(r), 0)} vs ${f(cpuPerAnswerUs(proxy!), 0)} µs` +
        (coalesced ? ` — but identical reads were coalesced, so this is not the pipeline alone` : ''),
      met: coalesced ? undefined : r.rps >= share * proxy!.rps,
      disturbed: isDisturbed(id, faster!.id),
    });
  };
  if (proxy && l('4a')) versus('4a', 0.6, 'translated single-device GET');
  if (proxy && l('3')) versus('3', 0.8, 'passthrough');
  if (direct) {
    for (const id of ['3', '4a']) {
      const r = l(id);
      // For comparison, not the target: how much of it the faster minimal proxy adds itself at the same load.
      const versusProxy = proxy && r ? `; the faster minimal proxy's own is ${f(proxy.p99 - direct.p99, 2)} ms, so ${f(r.p99 - proxy.p99, 2)} ms above it` : '';
      if (r) out.push({ target: `p99 added latency at ${CONNECTIONS} connections ≤ 5 ms (row ${id} vs row 1)`, measured: `${f(r.p99, 2)} − ${f(direct.p99, 2)} = ${f(r.p99 - direct.p99, 2)} ms${versusProxy}`, met: r.p99 - direct.p99 <= 5, disturbed: isDisturbed(id, '1') });
    }
  }
  for (const id of ['5', '5′']) {
    const r = l(id);
    const c = byId.get(id)?.connections ?? CONNECTIONS;
    if (r) out.push({ target: `five-connection list p50 ≤ slowest vendor latency + 15 ms (${VENDOR_LATENCY_MS + 15} ms), ${c} connection${c === 1 ? '' : 's'} (row ${id})`, measured: `p50 ${f(r.p50, 2)} ms`, met: r.p50 <= VENDOR_LATENCY_MS + 15 });
  }
  const paging = byId.get('6')?.paging;
  if (paging) {
    const ok = paging.unique === PAGING_DEVICES && paging.items === PAGING_DEVICES;
    out.push({ target: 'paging 10,000 devices ≤ 1.1 × the vendor calls of paging the vendor directly', measured: `${paging.gatewayCalls} vs ${paging.directCalls} = ${f(paging.gatewayCalls / paging.directCalls, 2)}×${ok ? '' : ` (but ${paging.items} items, ${paging.unique} unique)`}`, met: paging.gatewayCalls <= 1.1 * paging.directCalls && ok });
  }
  const gatewayPeaks = rows.filter((r) => r.process === 'gateway').map((r) => ({ id: r.id, rss: r.paging ? r.paging.peakRssBytes : r.load!.peakRssBytes }));
  if (gatewayPeaks.length) {
    const worst = gatewayPeaks.reduce((a, b) => (b.rss > a.rss ? b : a));
    out.push({ target: 'gateway peak RSS under the heaviest row < 250 MB', measured: `${f(mb(worst.rss), 0)} MB (row ${worst.id})`, met: worst.rss < 250 * 1024 * 1024 });
  }
  out.push(...vendorLimitVerdicts(limitedRows));
  return out;
}

/** Rows during which other work (not the benchmark's processes) took a noticeable share of the machine. */
function disturbed(): string[] {
  return rows.filter((r) => r.load && r.load.cpu.rest > 40).map((r) => `${r.id} (${r.load!.cpu.rest.toFixed(0)} %)`);
}

function report(startedAt: Date, seconds: number): string {
  const cpu = cpus();
  const noisy = disturbed();
  const v = verdicts();
  return [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` (bench/run.ts) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, one run of ${f(seconds, 0)} s.`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${f(totalmem() / 2 ** 30, 1)} GiB RAM, Linux ${release()}, Node.js ${process.version}.`,
    '',
    'Reproduce with:',
    '',
    '```sh',
    'npm run bench        # builds, then node --enable-source-maps dist/bench/run.js; rewrites this file',
    '```',
    '',
    `Load: autocannon, ${CONNECTIONS} keep-alive connections, loopback only. Rows 1, 2a, 2b, 3 and 4a are measured interleaved: ${ROUNDS} rounds, each measuring every one of them in turn ` +
      `for ${f(DURATION / ROUNDS, 1)} s after a ${f(Math.max(1, WARMUP / 2), 0)} s warm-up, so that the shared machine's drift affects them alike (before round 1 each is loaded once for ${WARMUP + 1} s, unmeasured, so that no round measures a process's start-up compilation); the other rows get a ${WARMUP} s warm-up, then ${DURATION} s measured. ` +
      'The emulator(s), the minimal proxy and devicegate each run in their own Node.js process; autocannon runs in the benchmark process. ' +
      `devicegate runs from \`dist/\` as \`npm start\` runs it (node ${startFlags(ROOT).join(' ')}), with a configuration whose client-key budget and vendor budgets are far above the load, ` +
      'logging at its default level (`info`, one access line per request) to /dev/null, and with the read cache off (`cache.ttl_seconds: 0`), so rows 1–6 measure the pipeline itself. The vendor emulators run with their own rate limits off in rows 1–6. ' +
      'Latency percentiles are exact over every 2xx answer of the measured run. Peak RSS is the highest VmRSS of the process under test, sampled every 100 ms from /proc. ' +
      'CPU is from /proc during the measured run, in % of one core; "rest" is the machine\'s remaining busy time (kernel loopback work and any other process). ' +
      '"CPU µs per answer" is the process under test\'s CPU time (user + system) over the answers it gave: far less sensitive to other load on the machine than req/s.',
    '',
    table(),
    '',
    '- Rows 1–4 and 6 use one HARDWARIO emulator seeded with ' + PAGING_DEVICES.toLocaleString('en') + ` devices; rows 1–4a read ${rotationSize.toLocaleString('en')} of them in turn (all connections share one rotation), so no two reads in flight ask for the same device and none is coalesced. Row 1b is the direct baseline of row 4b.`,
    '- Vendor calls per answer include the calls still in flight when a measured run ends (up to one per connection), so a row with few answers reads slightly above 1.00.',
    '- "added" is the difference to the direct call of the same kind (row 1, or 1b for 4b); for row 5 it is the difference to the 50 ms every vendor answer is delayed by.',
    `- Row 5: five connections (HARDWARIO, DT, iottly, Izuma, Blynk) on five emulators in one process, each answer delayed ${VENDOR_LATENCY_MS} ms; the vendor-call count includes OAuth token calls. Its clients all ask the same list, so identical lists in flight share their vendor reads and one answer (README, Shared lists); in row 5″ each client asks a list of its own and nothing is shared.`,
    '- Row 6 pages sequentially with one client and follows `after`; "directly" pages the HARDWARIO API with `limit=100` and `offset=<last id>` until an empty page.',
    ...rows.filter((r) => r.note).map((r) => `- Row ${r.id}: ${r.note}`),
    ...diagnostics.map((d) => `- ${d}`),
    ...(noisy.length
      ? [`- **Disturbed rows:** ${noisy.join(', ')} of a core went to work outside the benchmark's processes (undisturbed rows show 0–25 % of kernel loopback work); those rows read low. Re-run on a quiet machine.`]
      : ['- No row was disturbed by work outside the benchmark\'s processes ("rest" ≤ 40 % of a core).']),
    '',
    ...fixedRateSection(),
    ...(limitedRows.length ? vendorLimitSection(limitedRows) : []),
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...v.map((t) => `| ${t.target} | ${t.measured} | ${t.met === undefined ? '–' : t.met ? 'met' : '**missed**'}${t.disturbed ? ' (disturbed rows: not conclusive, re-run on a quiet machine)' : ''} |`),
    '',
  ].join('\n');
}

// ── main ────────────────────────────────────────────────────────────────────

/** The machine's busy share over one second before the run: other work distorts every number. */
async function quietCheck(): Promise<void> {
  const busy = await machineBusyPercent(1000);
  const note = `machine busy ${busy.toFixed(0)} % of ${cpus().length} cores in the second before the run`;
  if (busy > 15) {
    log(`warning: ${note}; other processes compete with the benchmark`);
    diagnostics.push(`**Warning:** ${note}; other processes competed with the benchmark.`);
  } else diagnostics.push(`${note.charAt(0).toUpperCase()}${note.slice(1)}.`);
}

/** Each emulator seeds 10,000 devices in plain Node within SEED_TARGET_MS (timed here, not in the tests). */
const SEED_TARGET_MS = 1000;
async function seedTimes(): Promise<void> {
  const starts: Array<[string, () => Promise<{ close(): Promise<void> }>]> = [
    ['hardwario', () => startHardwarioEmulator({ deviceCount: 10_000 })],
    ['disruptive', () => startDisruptiveEmulator({ deviceCount: 10_000, rateLimit: false })],
    ['iottly', () => startIottlyEmulator({ deviceCount: 10_000 })],
    ['izuma', () => startIzumaEmulator({ deviceCount: 10_000 })],
    ['blynk', () => startBlynkEmulator({ deviceCount: 10_000 })],
  ];
  const times: string[] = [];
  let slow = false;
  for (const [provider, start] of starts) {
    const t0 = performance.now();
    const emulator = await start();
    const ms = performance.now() - t0;
    await emulator.close();
    slow ||= ms >= SEED_TARGET_MS;
    times.push(`${provider} ${ms.toFixed(0)} ms`);
  }
  log(`seed: ${times.join(', ')}`);
  diagnostics.push(`${slow ? '**Warning:** over target: ' : ''}Seeding 10,000 devices in an emulator (target under ${SEED_TARGET_MS} ms each): ${times.join(', ')}.`);
}

async function main(): Promise<void> {
  await quietCheck();
  const startedAt = new Date();
  const t0 = performance.now();
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  if (['1', '1b', '2', '3', '4a', '4b', '6'].some((r) => wanted.has(r))) await hardwarioRows();
  if (wanted.has('5')) await fiveVendorRow();
  if (wanted.has('7')) await vendorLimitedRows();
  if (wanted.has('seed')) await seedTimes();
  const order = ['1', '1b', '2a', '2b', '3', '4a', '4b', '6', '5', '5′', '5″'];
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const seconds = (performance.now() - t0) / 1000;
  const text = report(startedAt, seconds);
  console.log(text);
  if (disturbed().length) log(`warning: rows disturbed by other work: ${disturbed().join(', ')}`);
  if (write) {
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), text);
    log(`wrote ${join(ROOT, 'BENCHMARKS.md')}`);
  }
  if (profileDir) {
    const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
    if (files.length === 0) throw new Error(`no .cpuprofile written to ${profileDir}`);
    const latest = join(profileDir, files.sort().at(-1)!);
    console.log(`\nCPU profile of the gateway under row ${[...wanted].join(', ')}: ${latest}\n`);
    console.log(formatProfileSummary(summarizeProfile(latest, ROOT, 30, profileWindow)));
  }
}

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
