import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');

/** Starts the built gateway as `npm start` does, without configuration, and waits for its banner. */
function startBuilt(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string; address: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // A generous limit: it catches a gateway that never comes up; start-up speed belongs to `npm run bench`.
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Swagger UI:\s+(http:\/\/127\.0\.0\.1:\d+)\/docs/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, output: () => output, address: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${output}`));
    });
  });
}

describe('npm start without configuration (sandbox mode)', () => {
  let run: Awaited<ReturnType<typeof startBuilt>>;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it first (pretest)`);
    run = await startBuilt({ PORT: '0', DEVICEGATE_CONFIG: '' });
  }, 90_000);

  afterAll(async () => {
    if (!run) return;
    const exited = new Promise<number | null>((r) => run.child.once('exit', (code) => r(code)));
    run.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('serves on loopback and prints the Swagger UI address and the key', () => {
    expect(run.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.output()).toContain('Authorize with the key: sandbox');
    expect(run.output()).toMatch(/sandbox-hardwario\s+http:\/\/127\.0\.0\.1:\d+/);
  });

  it('answers GET /v1/devices with at least 12 sandbox-hardwario devices', async () => {
    const res = await fetch(`${run.address}/v1/devices?connection_id=sandbox-hardwario`, { headers: { Authorization: 'Bearer sandbox' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe('list');
    expect(body.data.length).toBeGreaterThanOrEqual(12);
    for (const device of body.data) expect(device.id.startsWith('sandbox-hardwario:')).toBe(true);
  });

  it('serves Swagger UI, the published spec and the operational endpoints without a key', async () => {
    const docs = await fetch(`${run.address}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
    const spec = (await (await fetch(`${run.address}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toContain('/v1/devices');
    expect((await fetch(`${run.address}/openapi.yaml`)).headers.get('content-type')).toContain('yaml');
    expect((await fetch(`${run.address}/healthz`)).status).toBe(200);
    const ready = (await (await fetch(`${run.address}/readyz`)).json()) as { sandbox: boolean; connections: Array<{ id: string }> };
    expect(ready.sandbox).toBe(true);
    expect(ready.connections.map((c) => c.id)).toContain('sandbox-hardwario');
    const metrics = await (await fetch(`${run.address}/metrics`)).text();
    expect(metrics).toContain('devicegate_http_requests_total');
  });

  it('stops with a clear message when a configuration file is wrong', async () => {
    const child = spawn(process.execPath, [MAIN, '--config', resolve(process.cwd(), 'test/fixtures/bad-config.yaml')], { env: { ...process.env, NODE_OPTIONS: '' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(stderr).toContain('connections[0].credentials.api_key: is required');
  });
});
