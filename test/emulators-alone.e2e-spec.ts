import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { PROVIDER_IDS, ProviderRegistry } from '@devicegate/core';
import { createProviderRegistry } from '../apps/gateway/src/providers.js';
import { startSandbox } from '../apps/gateway/src/sandbox/sandbox.js';

/** `npm run emulators` runs the built entry point: the five vendor emulators alone, on fixed ports. */

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/sandbox/emulators.main.js');

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const refused = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED'));
  });

/** Starts the emulators from `base`; resolves with the addresses once all five are printed. */
function startEmulators(base: number): Promise<{ child: ChildProcess; lines: string[] }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, EMULATOR_BASE_PORT: String(base), NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n').filter((line) => /^\s+[a-z]+\s+http:\/\//.test(line));
      if (lines.length === PROVIDER_IDS.length) done({ child, lines });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`emulators exited with ${code}:\n${output}`)));
  });
}

describe('npm run emulators', () => {
  let run: { child: ChildProcess; lines: string[] };
  let base: number;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it first (pretest)`);
    // Five consecutive ports from a free one are almost always free; another base if not.
    for (let attempt = 1; ; attempt++) {
      base = await freePort();
      try {
        run = await startEmulators(base);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }, 30_000);

  afterAll(() => run?.child.kill('SIGKILL'));

  it('prints five addresses on the fixed ports, with the credentials each accepts', () => {
    expect(run.lines.map((line) => line.trim().split(/\s+/)[0])).toEqual([...PROVIDER_IDS]);
    PROVIDER_IDS.forEach((_, i) => expect(run.lines[i]).toContain(`http://127.0.0.1:${base + i}`));
  });

  it('serves each vendor API: the key it printed is accepted, no key is refused', async () => {
    const hw = run.lines[0].trim().split(/\s+/);
    const apiKey = hw.find((word) => word.startsWith('api_key='))!.slice('api_key='.length);
    const spaceId = hw.find((word) => word.startsWith('space_id='))!.slice('space_id='.length);
    const devices = await fetch(`${hw[1]}/v2/spaces/${spaceId}/devices`, { headers: { 'X-Api-Key': apiKey } });
    expect(devices.status).toBe(200);
    expect(((await devices.json()) as unknown[]).length).toBeGreaterThan(0);
    const paths = ['/v2/spaces/x/devices', '/projects', '/project/59c19cacecc01400075f3bc9/inspect', '/v3/devices', '/api/v1/organization/devices'];
    for (const [i, path] of paths.entries()) {
      const res = await fetch(`${run.lines[i].trim().split(/\s+/)[1]}${path}`);
      expect([i, res.status]).toEqual([i, 401]);
    }
  });

  it('stops on SIGTERM and leaves no listener', async () => {
    const exited = new Promise<number | null>((done) => run.child.once('exit', done));
    run.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (let i = 0; i < PROVIDER_IDS.length; i++) expect(await refused(base + i)).toBe(true);
  });
});

describe('sandbox start-up failing after the emulators started', () => {
  it('closes the emulators it started', async () => {
    const port = await freePort();
    // A HARDWARIO without push: the sandbox's connection (which has push) is refused by the configuration.
    const real = createProviderRegistry();
    const registry = new ProviderRegistry(real.ids().map((id) => ({ ...real.get(id)!, push: undefined })));
    await expect(startSandbox(registry, { providers: ['hardwario'], ports: { hardwario: port } })).rejects.toThrow('connections[0].push: HARDWARIO Cloud v2 has no push');
    expect(await refused(port)).toBe(true);
  });
});
