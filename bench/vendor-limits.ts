/**
 * Rows 7–9 of `npm run bench` (issue 20): devicegate against the five emulators with the vendors' own
 * documented rate limits ON and its own defaults (exact vendor budgets, coalescing, the 3 s read cache):
 *
 *   7a–7c. 100 concurrent identical reads (a DT device list, a DT device, a HARDWARIO device list);
 *   8.     a dashboard: 200 users over the five connections for 30 s, each reading a list or a device
 *          about once a second;
 *   9.     the first newest-first page of messages of a DT device with 50,000 events.
 *
 * Vendor calls and vendor 429 answers are counted by the emulators themselves.
 */
import { request } from 'undici';
import { getJson, quantile, resetVendorCalls } from './harness.js';
import type { EmulatorSetInfo } from './types.js';

export interface VendorLimitResult {
  id: string;
  title: string;
  requests: number;
  ok: number;
  nonOk: Record<string, number>;
  seconds: number;
  p50: number;
  p95: number;
  vendorCalls: number;
  vendor429: number;
  note?: string;
}

export interface VendorLimitTargets {
  burstSeconds: number;
  burstCalls: number;
  dashboardP95: number;
  historyCalls: number;
}

export const TARGETS: VendorLimitTargets = { burstSeconds: 1.5, burstCalls: 3, dashboardP95: 300, historyCalls: 3 };

const DASHBOARD_USERS = Number(process.env.BENCH_DASHBOARD_USERS ?? 200);
const DASHBOARD_SECONDS = Number(process.env.BENCH_DASHBOARD_SECONDS ?? 30);

async function stats(urls: string[]): Promise<{ calls: number; limited: number }> {
  let calls = 0;
  let limited = 0;
  for (const url of urls) {
    const body = (await (await request(url)).body.json()) as { requests: number; rate_limited?: number };
    calls += body.requests;
    limited += body.rate_limited ?? 0;
  }
  return { calls, limited };
}

const sortedOf = (times: number[]) => Float64Array.from(times).sort();

/** Sends `count` identical GETs at once; the row's time is until the last answer. */
async function burst(id: string, title: string, url: string, headers: Record<string, string>, statsUrls: string[]): Promise<VendorLimitResult> {
  await resetVendorCalls(statsUrls);
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: 100 }, () => getJson(url, headers)));
  const seconds = (performance.now() - started) / 1000;
  const { calls, limited } = await stats(statsUrls);
  const nonOk: Record<string, number> = {};
  for (const a of answers) if (a.status !== 200) nonOk[a.status] = (nonOk[a.status] ?? 0) + 1;
  const sorted = sortedOf(answers.map((a) => a.ms));
  return { id, title, requests: answers.length, ok: answers.filter((a) => a.status === 200).length, nonOk, seconds, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), vendorCalls: calls, vendor429: limited };
}

export async function vendorLimitRows(gatewayUrl: string, headers: Record<string, string>, emulators: EmulatorSetInfo, log: (m: string) => void): Promise<VendorLimitResult[]> {
  const of = (provider: string) => emulators.emulators.find((e) => e.provider === provider)!;
  const dt = of('disruptive');
  const hw = of('hardwario');
  const allStats = emulators.emulators.map((e) => e.statsUrl);
  const conn = (provider: string) => `bench-${provider}`;
  const rows: VendorLimitResult[] = [];

  // Tokens and project lists are fetched once beforehand, by reads the bursts do not repeat (so no answer of theirs is cached).
  for (const e of emulators.emulators) await getJson(`${gatewayUrl}/v1/projects?connection_id=${conn(e.provider)}`, headers);

  log('row 9: the first newest-first page of a DT device with 50,000 events …');
  await resetVendorCalls(allStats);
  const history = await getJson<{ data: Array<{ created_at: string }> }>(`${gatewayUrl}/v1/devices/${conn('disruptive')}:${dt.busyDeviceId}/messages?limit=50`, headers);
  const historyStats = await stats(allStats);
  const times = history.body.data?.map((m) => Date.parse(m.created_at)) ?? [];
  const newestFirst = times.length === 50 && times.every((t, i) => i === 0 || t <= times[i - 1]);
  rows.push({
    id: '9',
    title: 'DT newest-first `GET /v1/devices/{id}/messages?limit=50`, device with 50,000 events (first page, cold)',
    requests: 1,
    ok: history.status === 200 && newestFirst ? 1 : 0,
    nonOk: history.status === 200 ? {} : { [history.status]: 1 },
    seconds: history.ms / 1000,
    p50: history.ms,
    p95: history.ms,
    vendorCalls: historyStats.calls,
    vendor429: historyStats.limited,
    note: newestFirst ? '50 messages, newest first' : `unexpected page: ${JSON.stringify(history.body).slice(0, 200)}`,
  });

  log('rows 7a–7c: 100 concurrent identical reads …');
  rows.push(await burst('7a', '100 × `GET /v1/devices?connection_id=bench-disruptive&limit=50`', `${gatewayUrl}/v1/devices?connection_id=${conn('disruptive')}&limit=50`, headers, [dt.statsUrl]));
  rows.push(await burst('7b', '100 × `GET /v1/devices/{a DT device}`', `${gatewayUrl}/v1/devices/${conn('disruptive')}:${dt.sampleDeviceId}`, headers, [dt.statsUrl]));
  rows.push(await burst('7c', '100 × `GET /v1/devices?connection_id=bench-hardwario&limit=50`', `${gatewayUrl}/v1/devices?connection_id=${conn('hardwario')}&limit=50`, headers, [hw.statsUrl]));

  log(`row 8: a dashboard of ${DASHBOARD_USERS} users for ${DASHBOARD_SECONDS} s …`);
  // Each user watches one connection: its device list and, in turn, one of its first devices.
  const devices = new Map<string, string[]>();
  for (const e of emulators.emulators) {
    const list = await getJson<{ data?: Array<{ id: string }> }>(`${gatewayUrl}/v1/devices?connection_id=${conn(e.provider)}&limit=10`, headers);
    devices.set(e.provider, (list.body.data ?? []).map((d) => d.id));
  }
  await new Promise((r) => setTimeout(r, 3500));
  await resetVendorCalls(allStats);
  const latencies: number[] = [];
  const nonOk: Record<string, number> = {};
  const until = performance.now() + DASHBOARD_SECONDS * 1000;
  const user = async (index: number) => {
    const provider = emulators.emulators[index % emulators.emulators.length].provider;
    const ids = devices.get(provider) ?? [];
    // Users start spread over the first second, then look again every 0.5–1.5 s.
    await new Promise((r) => setTimeout(r, (index * 1000) / DASHBOARD_USERS));
    for (let turn = 0; performance.now() < until; turn++) {
      const path = turn % 2 === 0 || ids.length === 0 ? `/v1/devices?connection_id=${conn(provider)}&limit=50` : `/v1/devices/${ids[(index + turn) % ids.length]}`;
      const answer = await getJson(`${gatewayUrl}${path}`, headers);
      latencies.push(answer.ms);
      if (answer.status < 200 || answer.status > 299) nonOk[answer.status] = (nonOk[answer.status] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 500 + ((index * 7919 + turn * 104729) % 1000)));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: DASHBOARD_USERS }, (_, i) => user(i)));
  const seconds = (performance.now() - started) / 1000;
  const dashboard = await stats(allStats);
  const sorted = sortedOf(latencies);
  rows.push({
    id: '8',
    title: `dashboard: ${DASHBOARD_USERS} users over the five connections for ${DASHBOARD_SECONDS} s (a list or a device each, every 0.5–1.5 s)`,
    requests: latencies.length,
    ok: latencies.length - Object.values(nonOk).reduce((a, b) => a + b, 0),
    nonOk,
    seconds,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    vendorCalls: dashboard.calls,
    vendor429: dashboard.limited,
    note: `${(dashboard.calls / Math.max(1, latencies.length)).toFixed(3)} vendor calls per request`,
  });
  return rows;
}

export function vendorLimitSection(rows: VendorLimitResult[]): string[] {
  const f = (n: number, d = 1) => n.toFixed(d);
  const lines = [
    '## With the vendors\' rate limits on',
    '',
    'Rows 7–9 run devicegate with its defaults — each vendor\'s documented budget (DT 25 calls in any 5 s, Blynk 10,000 a minute, HARDWARIO/iottly 10/s, Izuma 20/s), coalescing and the 3 s read cache — against the five emulators with their own rate limits on and 50 ms added to every vendor answer. Vendor calls (OAuth token calls included) and vendor 429 answers are counted by the emulators.',
    '',
    '| # | what | answers | 200 | other | time s | p50 ms | p95 ms | vendor calls | vendor 429 | notes |',
    '|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.id} | ${r.title} | ${r.requests} | ${r.ok} | ${Object.entries(r.nonOk).map(([s, n]) => `${s}×${n}`).join(' ') || '–'} | ${f(r.seconds, 2)} | ${f(r.p50)} | ${f(r.p95)} | ${r.vendorCalls} | ${r.vendor429} | ${r.note ?? ''} |`),
    '',
  ];
  return lines;
}

export function vendorLimitVerdicts(rows: VendorLimitResult[]): Array<{ target: string; measured: string; met: boolean }> {
  const out: Array<{ target: string; measured: string; met: boolean }> = [];
  for (const r of rows.filter((row) => row.id.startsWith('7'))) {
    out.push({
      target: `row ${r.id}: 100 identical reads all 200 within ${TARGETS.burstSeconds} s, ≤ ${TARGETS.burstCalls} vendor calls, no vendor 429`,
      measured: `${r.ok} × 200 in ${r.seconds.toFixed(2)} s, ${r.vendorCalls} vendor calls, ${r.vendor429} vendor 429`,
      met: r.ok === 100 && r.seconds <= TARGETS.burstSeconds && r.vendorCalls <= TARGETS.burstCalls && r.vendor429 === 0,
    });
  }
  const dashboard = rows.find((r) => r.id === '8');
  if (dashboard) {
    out.push({
      target: `row 8: dashboard p95 ≤ ${TARGETS.dashboardP95} ms, no non-2xx, no vendor 429`,
      measured: `p50 ${dashboard.p50.toFixed(1)} ms, p95 ${dashboard.p95.toFixed(1)} ms, ${dashboard.requests - dashboard.ok} non-2xx, ${dashboard.vendor429} vendor 429`,
      met: dashboard.p95 <= TARGETS.dashboardP95 && dashboard.ok === dashboard.requests && dashboard.vendor429 === 0,
    });
  }
  const history = rows.find((r) => r.id === '9');
  if (history) {
    out.push({
      target: `row 9: newest-first first page of a 50,000-event DT device ≤ ${TARGETS.historyCalls} vendor calls`,
      measured: `${history.vendorCalls} vendor calls, ${history.vendor429} vendor 429, ${history.ok ? 'right page' : 'wrong page'}`,
      met: history.vendorCalls <= TARGETS.historyCalls && history.ok === 1 && history.vendor429 === 0,
    });
  }
  return out;
}
