import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSandboxGateway, type RunningSandbox } from './support/gateway-harness.js';

/**
 * README.md's capability matrix is generated from the providers' declared capabilities
 * (scripts/capability-matrix.mjs over the built code); it must be current, the check must notice a
 * stale table, and the table must say what the running gateway says on GET /v1/connections.
 */

const ROOT = process.cwd();
const SCRIPT = resolve(ROOT, 'scripts/capability-matrix.mjs');
const README = resolve(ROOT, 'README.md');

function runScript(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** The table between the markers: operation → provider → supported. */
function parseMatrix(markdown: string): Map<string, Map<string, boolean>> {
  const block = markdown.slice(markdown.indexOf('<!-- capability-matrix:start -->'), markdown.indexOf('<!-- capability-matrix:end -->'));
  const rows = block.split('\n').filter((line) => line.startsWith('| '));
  const header = rows[0].split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, ''));
  const matrix = new Map<string, Map<string, boolean>>();
  for (const row of rows.slice(2)) {
    const cells = row.split('|').slice(1, -1).map((cell) => cell.trim());
    const byProvider = new Map<string, boolean>();
    header.slice(2).forEach((provider, i) => byProvider.set(provider, cells[i + 2] === '✓'));
    matrix.set(cells[0].replace(/`/g, ''), byProvider);
  }
  return matrix;
}

describe('the capability matrix in README.md', () => {
  let dir: string;

  beforeAll(() => {
    if (!existsSync(resolve(ROOT, 'dist/apps/gateway/src/providers.js'))) throw new Error('dist/ is missing: npm test builds it first (pretest)');
    dir = mkdtempSync(join(tmpdir(), 'devicegate-matrix-'));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is up to date (scripts/capability-matrix.mjs --check exits 0)', async () => {
    const run = await runScript('--check');
    expect(run.output).toContain('up to date');
    expect(run.code).toBe(0);
  });

  it('--check exits 1 when a cell of the table is wrong', async () => {
    const stale = join(dir, 'README.md');
    const text = readFileSync(README, 'utf8');
    const flipped = text.replace(/(\| `devices\.transfer` \| [^|]+\| )(✓|—)/, (_m, head: string, mark: string) => head + (mark === '✓' ? '—' : '✓'));
    expect(flipped).not.toBe(text);
    writeFileSync(stale, flipped);
    const run = await runScript('--check', `--readme=${stale}`);
    expect(run.code).toBe(1);
    expect(run.output).toContain('out of date');
  });

  describe('against a running sandbox', () => {
    let gateway: RunningSandbox;

    beforeAll(async () => {
      gateway = await startSandboxGateway();
    });

    afterAll(async () => {
      await gateway?.close();
    });

    it('says what GET /v1/connections says for each provider', async () => {
      const matrix = parseMatrix(readFileSync(README, 'utf8'));
      const res = await fetch(`${gateway.url}/v1/connections?limit=100`, { headers: { Authorization: 'Bearer sandbox' } });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: Array<{ provider: string; capabilities: Record<string, boolean> }> };
      expect(data.length).toBeGreaterThanOrEqual(5);
      for (const connection of data) {
        const fromReadme = Object.fromEntries([...matrix].map(([operation, byProvider]) => [operation, byProvider.get(connection.provider)]));
        expect({ provider: connection.provider, capabilities: fromReadme }).toEqual({ provider: connection.provider, capabilities: connection.capabilities });
      }
    });
  });
});
