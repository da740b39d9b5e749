/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function, mapped back to the
 * TypeScript source through the build's source maps, and grouped into devicegate's own code (apps/,
 * libs/), the framework and libraries (node_modules), Node.js internals, GC and idle.
 *
 *   node dist/bench/cpu-profile.js <file.cpuprofile> [top N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  key: string;
  group: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  /** Whether only the samples of the given time window were counted. */
  windowed: boolean;
  totalMs: number;
  /** Non-idle time. */
  busyMs: number;
  groups: Array<{ group: string; selfMs: number; pct: number }>;
  top: FunctionCost[];
  devicegate: FunctionCost[];
  /** Inclusive (self + callees) time of devicegate's functions. */
  devicegateInclusive: FunctionCost[];
}

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | null {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : null);
  }
  return maps.get(file)!;
}

function groupOf(url: string, path: string): string {
  if (!url) return 'v8/native';
  if (url.startsWith('node:')) return 'node internals';
  if (path.includes('/node_modules/')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const pkg = m?.[1] ?? 'node_modules';
    if (pkg.startsWith('@nestjs/')) return 'framework: @nestjs';
    if (pkg === 'fastify' || pkg.startsWith('@fastify/') || pkg.startsWith('find-my-way') || pkg === 'light-my-request' || pkg === 'avvio') return 'framework: fastify';
    if (pkg === 'pino' || pkg === 'sonic-boom' || pkg === 'fast-redact' || pkg === 'pino-std-serializers') return 'lib: pino (logging)';
    if (pkg === 'undici') return 'lib: undici';
    if (pkg === 'class-validator' || pkg === 'class-transformer' || pkg === 'validator') return 'lib: class-validator/transformer';
    if (pkg === 'rxjs') return 'lib: rxjs';
    if (pkg === 'prom-client') return 'lib: prom-client';
    return `lib: ${pkg}`;
  }
  if (path.includes('/dist/apps/') || path.includes('/dist/libs/')) return 'devicegate (apps/, libs/)';
  return 'other';
}

/**
 * Summarises one profile; `root` is the repository (paths are shown relative to it). With `window`
 * (microseconds on the monotonic clock, as `process.hrtime.bigint() / 1000n` in any process of the
 * machine) only the samples taken inside it count, e.g. the measured run without start-up and warm-up.
 */
export function summarizeProfile(file: string, root: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const inWindow = window && window.fromUs > profile.startTime && window.fromUs < profile.endTime;
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (inWindow && (at < window.fromUs || at > window.toUs)) continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }

  const keyCache = new Map<number, { key: string; group: string }>();
  const keyOf = (node: ProfileNode): { key: string; group: string } => {
    const cached = keyCache.get(node.id);
    if (cached) return cached;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    let path = '';
    let where = '';
    if (url.startsWith('file://')) {
      path = fileURLToPath(url);
      where = `${relative(root, path)}:${lineNumber + 1}`;
      if (path.includes('/dist/')) {
        const entry = sourceMapOf(path)?.findEntry(lineNumber, columnNumber);
        if (entry && 'originalSource' in entry && entry.originalSource) {
          const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : entry.originalSource;
          const absolute = source.startsWith('/') ? source : fileURLToPath(new URL(source, pathToFileURL(path)));
          where = `${relative(root, absolute)}:${entry.originalLine + 1}`;
        }
      }
    } else if (url) {
      where = url;
    }
    const group = functionName === '(garbage collector)' ? 'GC' : functionName === '(program)' ? 'v8/native' : groupOf(url, path);
    const result = { key: `${functionName || '(anonymous)'} ${where}`.trim(), group };
    keyCache.set(node.id, result);
    return result;
  };

  const costs = new Map<string, { group: string; us: number }>();
  const inclusive = new Map<string, { group: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    total += us;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const { key, group } = keyOf(node);
    const cost = costs.get(key) ?? { group, us: 0 };
    cost.us += us;
    costs.set(key, cost);
    // Inclusive time: every distinct function on the stack (recursion counted once).
    const seen = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = parentOf.has(n.id) ? byId.get(parentOf.get(n.id)!) : undefined) {
      const k = keyOf(n);
      if (seen.has(k.key)) continue;
      seen.add(k.key);
      const c = inclusive.get(k.key) ?? { group: k.group, us: 0 };
      c.us += us;
      inclusive.set(k.key, c);
    }
  }
  const busy = total - idle;
  const list = (m: Map<string, { group: string; us: number }>) =>
    [...m.entries()].map(([key, c]) => ({ key, group: c.group, selfMs: c.us / 1000, selfPct: (100 * c.us) / (busy || 1) })).sort((a, b) => b.selfMs - a.selfMs);
  const all = list(costs);
  const groups = new Map<string, number>();
  for (const c of all) groups.set(c.group, (groups.get(c.group) ?? 0) + c.selfMs);
  return {
    windowed: Boolean(inWindow),
    totalMs: total / 1000,
    busyMs: busy / 1000,
    groups: [...groups.entries()].map(([group, ms]) => ({ group, selfMs: ms, pct: (100 * ms * 1000) / (busy || 1) })).sort((a, b) => b.selfMs - a.selfMs),
    top: all.slice(0, top),
    devicegate: all.filter((c) => c.group.startsWith('devicegate')).slice(0, top),
    devicegateInclusive: list(inclusive)
      .filter((c) => c.group.startsWith('devicegate'))
      .slice(0, top),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines = [
    `profile: ${(s.totalMs / 1000).toFixed(1)} s sampled${s.windowed ? ' (the measured run only)' : ' (whole process life)'}, ${(s.busyMs / 1000).toFixed(1)} s busy (percentages are of busy time)`,
    '',
    'self time by group:',
    ...s.groups.filter((g) => g.pct >= 0.1).map((g) => `  ${g.pct.toFixed(1).padStart(5)} %  ${g.group}`),
    '',
    'top functions by self time:',
    ...s.top.map((c) => `  ${c.selfPct.toFixed(2).padStart(6)} %  [${c.group}] ${c.key}`),
    '',
    "devicegate's own code (apps/, libs/), by self time:",
    ...s.devicegate.map((c) => `  ${c.selfPct.toFixed(2).padStart(6)} %  ${c.key}`),
    '',
    "devicegate's own code, inclusive time (self + everything it calls):",
    ...s.devicegateInclusive.map((c) => `  ${c.selfPct.toFixed(2).padStart(6)} %  ${c.key}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/bench/cpu-profile.js <file.cpuprofile> [top N]');
    process.exit(2);
  }
  const root = fileURLToPath(new URL('../..', import.meta.url));
  console.log(formatProfileSummary(summarizeProfile(file, root, Number(process.argv[3] ?? 30))));
}
