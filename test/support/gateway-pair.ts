import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ProviderId } from '@devicegate/core';
import type { BlynkEmulator } from '@devicegate/emulators/blynk';
import type { DisruptiveEmulator } from '@devicegate/emulators/disruptive';
import type { HardwarioEmulator } from '@devicegate/emulators/hardwario';
import type { IottlyEmulator } from '@devicegate/emulators/iottly';
import type { IzumaEmulator } from '@devicegate/emulators/izuma';
import { startEmulators, type SandboxEmulator, type SandboxOptions } from '../../apps/gateway/src/sandbox/sandbox.js';
import { startRedis } from './redis-server.js';
import { START_LIMIT_MS } from './start-limit.js';

/*
 * Two devicegate instances behind one Redis, as two machines would run them.
 *
 *   const pair = await startGatewayPair({ providers: ['hardwario', 'disruptive'] });
 *   await fetch(`${pair.a.url}/v1/devices`, { headers: pair.headers });   // the key has every scope
 *   await pair.a.kill();                                                  // SIGKILL, waits for the exit
 *   await pair.a.start();                                                 // the same instance again (a new port)
 *   pair.emulator('hardwario').requests();                                // the typed emulator
 *   await pair.close();
 *
 * - One real `redis-server` on a free loopback port (declare the suite with `describeWith('redis-server')`).
 * - The emulators run in the test process, quiet (`liveEveryMs: 0`) unless `emulators` says otherwise; each
 *   is the connection `sandbox-<provider>` of both instances, with the push secret `PAIR_PUSH_SECRET`.
 *   `pair.pushTo(pair.b)` points every emulator's push at B's `/v1/hooks/…` (none is pointed anywhere at start).
 * - A and B are `node dist/apps/gateway/src/main.js --config <file>` (run `npm run build` first, as `npm test`
 *   does), each with its own `data_dir` and the same `redis_url` and `token_secret`; `server` and
 *   `connection(…)` add to or replace what the configuration file says.
 * - `instance.output()` is what the process printed (JSON log lines): put it in a failure message.
 */

/** The client key of both instances: every scope, every connection. */
export const PAIR_KEY = 'pair-key';
export const PAIR_PUSH_SECRET = 'pair-push-secret';
export const PAIR_TOKEN_SECRET = 'pair-token-secret-0123456789abcdef0123';

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');
const OUTPUT_LIMIT = 256 * 1024;

export interface PairEmulators {
  hardwario: HardwarioEmulator;
  disruptive: DisruptiveEmulator;
  iottly: IottlyEmulator;
  izuma: IzumaEmulator;
  blynk: BlynkEmulator;
}

export interface PairInstance {
  readonly name: 'a' | 'b';
  /** `http://127.0.0.1:<port>`; a new port after each `start()`. */
  readonly url: string;
  readonly dataDir: string;
  readonly configFile: string;
  /** The running process (undefined once it exited). */
  readonly child: ChildProcess | undefined;
  /** Starts the process again on the same configuration and data directory; resolves once it listens. */
  start(): Promise<void>;
  /** SIGKILL: nothing of the process runs after this resolves. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit (a graceful stop). */
  stop(): Promise<void>;
  output(): string;
}

export interface GatewayPairOptions {
  /** The emulators, hence the connections (default hardwario only). */
  providers?: ProviderId[];
  /** Options of the emulators (default quiet: `liveEveryMs: 0`). */
  emulators?: SandboxOptions;
  /** Added to (or replacing) each instance's `server` section. */
  server?: Record<string, unknown>;
  /** Added to (or replacing) the connection of each emulator. */
  connection?: (emulator: SandboxEmulator) => Record<string, unknown>;
  /** Environment of both processes, over the test's own. */
  env?: NodeJS.ProcessEnv;
}

export interface GatewayPair {
  a: PairInstance;
  b: PairInstance;
  redisUrl: string;
  /** `Authorization: Bearer PAIR_KEY`. */
  headers: Record<string, string>;
  emulators: SandboxEmulator[];
  emulator<P extends keyof PairEmulators>(provider: P): PairEmulators[P];
  /** The connection id of a provider's emulator (`sandbox-<provider>`). */
  connectionId(provider: ProviderId): string;
  /** Points every emulator's push at this instance. */
  pushTo(instance: PairInstance): Promise<void>;
  close(): Promise<void>;
}

function launch(configFile: string, env: NodeJS.ProcessEnv, log: (text: string) => void): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, '--config', configFile], {
      env: { ...process.env, NODE_OPTIONS: '', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway not listening within ${START_LIMIT_MS / 1000} s:\n${seen}`));
    }, START_LIMIT_MS);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log(text);
      if (seen.length < OUTPUT_LIMIT) seen += text;
      const match = /Swagger UI at (http:\/\/127\.0\.0\.1:\d+)\/docs/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${seen}`));
    });
  });
}

const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));

function instance(name: 'a' | 'b', dir: string, document: Record<string, unknown>, env: NodeJS.ProcessEnv): PairInstance {
  const dataDir = join(dir, name, 'data');
  const configFile = join(dir, name, 'devicegate.json');
  const server = { ...(document.server as Record<string, unknown>), data_dir: dataDir };
  let output = '';
  let url = '';
  let child: ChildProcess | undefined;
  const self: PairInstance = {
    name,
    get url() {
      return url;
    },
    dataDir,
    configFile,
    get child() {
      return child && child.exitCode === null && child.signalCode === null ? child : undefined;
    },
    async start() {
      if (self.child) throw new Error(`instance ${name} is already running`);
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(configFile, JSON.stringify({ ...document, server }), { mode: 0o600 });
      const started = await launch(configFile, env, (text) => {
        output = (output + text).slice(-OUTPUT_LIMIT);
      });
      child = started.child;
      url = started.url;
    },
    async kill() {
      if (!child) return;
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
    async stop() {
      if (!child) return;
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
    },
    output: () => output,
  };
  return self;
}

/** Starts Redis, the emulators and instances A and B; on a failure, what was started is stopped. */
export async function startGatewayPair(options: GatewayPairOptions = {}): Promise<GatewayPair> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  const dir = mkdtempSync(join(tmpdir(), 'devicegate-pair-'));
  const redis = await startRedis();
  let emulators: SandboxEmulator[] = [];
  const instances: PairInstance[] = [];
  const close = async () => {
    await Promise.all(instances.map((i) => i.kill()));
    await Promise.all(emulators.map((e) => e.server.close()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    emulators = await startEmulators(options.providers ?? ['hardwario'], { liveEveryMs: 0, ...options.emulators });
    const document = {
      server: {
        host: '127.0.0.1',
        redis_url: redis.url,
        token_secret: PAIR_TOKEN_SECRET,
        rate_limit: { per_second: 1000, burst: 2000 },
        webhook_allowed_hosts: ['127.0.0.1'],
        expose_names: true,
        ...options.server,
      },
      clients: [{ name: 'pair', key_sha256: createHash('sha256').update(PAIR_KEY).digest('hex'), scopes: ['read', 'write', 'commands', 'passthrough'], connections: ['*'] }],
      connections: (emulators as Array<SandboxEmulator & { connection: Record<string, unknown> }>).map((e) => ({
        id: e.connectionId,
        provider: e.provider,
        base_url: e.baseUrl,
        ...(e.connectPush ? { push: { secret: PAIR_PUSH_SECRET } } : {}),
        ...e.connection,
        ...options.connection?.(e),
      })),
    };
    instances.push(instance('a', dir, document, options.env ?? {}), instance('b', dir, document, options.env ?? {}));
    await Promise.all(instances.map((i) => i.start()));
  } catch (error) {
    await close();
    throw error;
  }
  const [a, b] = instances;
  const find = (provider: ProviderId) => {
    const found = emulators.find((e) => e.provider === provider);
    if (!found) throw new Error(`the pair has no ${provider} emulator (options.providers)`);
    return found;
  };
  return {
    a,
    b,
    redisUrl: redis.url,
    headers: { authorization: `Bearer ${PAIR_KEY}` },
    emulators,
    emulator: <P extends keyof PairEmulators>(provider: P) => find(provider).server as PairEmulators[P],
    connectionId: (provider) => find(provider).connectionId,
    pushTo: async (target) => {
      await Promise.all(emulators.map((e) => e.connectPush?.(`${target.url}/v1/hooks/${e.connectionId}`, PAIR_PUSH_SECRET)));
    },
    close,
  };
}
