import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSandboxGateway, type RunningSandbox } from '../support/gateway-harness.js';

/**
 * The committed openapi.yaml is good enough to generate a typed client from: openapi-typescript turns it
 * into types, a strict TypeScript program (client-calls.mts) calls a sandbox gateway through openapi-fetch
 * with them, and the compiler both accepts that program and rejects deliberately wrong calls.
 */

const ROOT = process.cwd();
const DIR = resolve(ROOT, 'test/client');
const GENERATED = join(DIR, 'generated');
const TYPES = join(GENERATED, 'openapi.d.ts');
const TSC = resolve(ROOT, 'node_modules/typescript/bin/tsc');
const OPENAPI_TS = resolve(ROOT, 'node_modules/openapi-typescript/bin/cli.js');

/** Runs a Node script as a separate process (without Jest's NODE_OPTIONS) and collects its output. */
function node(args: string[]): { status: number | null; output: string; stdout: string } {
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, stdout: run.stdout };
}

/** The same, without blocking: the gateway under test runs in this process and must keep answering. */
function nodeAsync(args: string[]): Promise<{ status: number | null; output: string; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: `${stdout}${stderr}`, stdout });
    });
  });
}

const tsc = (project: string, ...extra: string[]) => node([TSC, '-p', join(DIR, project), '--pretty', 'false', ...extra]);

describe('a client generated from openapi.yaml (openapi-typescript + openapi-fetch)', () => {
  let gateway: RunningSandbox;

  beforeAll(async () => {
    rmSync(GENERATED, { recursive: true, force: true });
    mkdirSync(GENERATED, { recursive: true });
    const generated = node([OPENAPI_TS, resolve(ROOT, 'openapi.yaml'), '--output', TYPES]);
    if (generated.status !== 0) throw new Error(`openapi-typescript failed:\n${generated.output}`);
    gateway = await startSandboxGateway();
  }, 30_000);

  afterAll(async () => {
    await gateway?.close();
  });

  it('generates types for every operation of the spec', () => {
    expect(existsSync(TYPES)).toBe(true);
    const types = readFileSync(TYPES, 'utf8');
    for (const operation of ['listDevices', 'getDevice', 'updateDevice', 'sendDeviceCommand', 'listDeviceMessages', 'getDeviceStatus', 'listConnections', 'listProjects']) {
      expect(types).toContain(`    ${operation}: {`);
    }
    expect(types).toContain('"/v1/devices/{device_id}/commands": {');
  });

  it('type checks the client program without an error', () => {
    const check = tsc('tsconfig.json', '--noEmit');
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  it('reports every deliberately wrong call, and only those', () => {
    const source = readFileSync(join(DIR, 'wrong-calls.mts'), 'utf8').split('\n');
    const expected = new Map<number, string>();
    source.forEach((line, index) => {
      const mark = /\/\/ wrong: (TS\d+)/.exec(line);
      if (mark) expected.set(index + 1, mark[1]);
    });
    expect(expected.size).toBeGreaterThanOrEqual(5);

    const check = tsc('tsconfig.wrong.json', '--noEmit');
    expect(check.status).not.toBe(0);
    const reported = new Map<number, string[]>();
    for (const match of check.output.matchAll(/wrong-calls\.mts\((\d+),\d+\): error (TS\d+)/g)) {
      const line = Number(match[1]);
      reported.set(line, [...(reported.get(line) ?? []), match[2]]);
    }
    expect([...reported.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()]);
    for (const [line, code] of expected) expect({ line, codes: reported.get(line) }).toEqual({ line, codes: expect.arrayContaining([code]) });
  });

  it('lists, gets, renames, commands and gets a typed 404 from the sandbox', async () => {
    const compiled = tsc('tsconfig.json', '--noEmitOnError');
    expect(compiled.output).toBe('');
    const run = await nodeAsync([join(GENERATED, 'out/client-calls.mjs'), gateway.url]);
    expect(run.output).not.toContain('Error');
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;

    expect(result.list).toMatchObject({ status: 200, has_more: true });
    expect(result.list.ids).toHaveLength(3);
    expect(result.list.total_count).toBeGreaterThanOrEqual(12);
    const id = (result.list.ids as string[])[0];
    expect(id).toMatch(/^sandbox-hardwario:/);

    expect(result.get).toEqual({ status: 200, id, name: expect.any(String), provider: 'hardwario' });
    expect(result.update).toMatchObject({ status: 200, id, name: 'renamed-by-typed-client' });
    expect(result.update.labels).toMatchObject({ checked_by: 'typed-client' });
    expect(result.command).toMatchObject({ status: 202, device_id: id, name: 'downlink', params: { relay: true, setpoint: 21.5 } });
    expect(result.command.id).toMatch(/^sandbox-hardwario:/);
    expect(['queued', 'sent', 'delivered']).toContain(result.command.state);
    expect(result.error).toMatchObject({ status: 404, data: null, body: { object: 'error', code: 404, type: 'not_found', retryable: false } });
    expect((result.error.body as { request_id: string }).request_id).toMatch(/^[0-9a-f]{32}$/);

    // The rename reached the vendor: a plain read sees it.
    const again = await fetch(`${gateway.url}/v1/devices/${encodeURIComponent(id)}`, { headers: { Authorization: 'Bearer sandbox' } });
    expect(((await again.json()) as { name: string }).name).toBe('renamed-by-typed-client');
  });
});
