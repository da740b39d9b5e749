import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startSandboxGateway, type RunningSandbox } from './support/gateway-harness.js';

/**
 * Every curl example of README.md — in ```sh blocks and in inline code — runs against a sandbox gateway,
 * in README order, with `localhost:3000` / `127.0.0.1:3000` pointed at the test gateway. Each must answer
 * 2xx with JSON, or the status (and error type) its trailing comment names: `# → 400 validation_error`.
 */

interface Example {
  command: string;
  status?: number;
  errorType?: string;
}

const README = readFileSync(resolve(process.cwd(), 'README.md'), 'utf8');
const DEFAULT_ADDRESS = /\b(?:localhost|127\.0\.0\.1):3000\b/g;
const EXPECTATION = /\s+#\s*→\s*(\d{3})(?:\s+([a-z_]+))?\s*$/;

/** The logical lines of every ```sh block (continuations joined), comment lines and blank lines left out. */
function shellLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    const joined = block[1].replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const trimmed = line.trim();
      if (trimmed && !trimmed.startsWith('#')) lines.push(trimmed);
    }
  }
  return lines;
}

function examples(markdown: string): { curl: Example[]; other: string[] } {
  const curl: Example[] = [];
  const other: string[] = [];
  const outsideBlocks = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const inline = [...outsideBlocks.matchAll(/`(curl [^`]+)`/g)].map((m) => m[1]);
  for (const line of [...inline, ...shellLines(markdown)]) {
    if (!line.startsWith('curl ')) {
      other.push(line);
      continue;
    }
    const expectation = EXPECTATION.exec(line);
    // A trailing shell comment (outside quotes) is not part of the command.
    const command = expectation ? line.slice(0, expectation.index) : line.replace(/\s+#[^'"]*$/, '');
    curl.push({
      command,
      status: expectation ? Number(expectation[1]) : undefined,
      errorType: expectation?.[2],
    });
  }
  return { curl, other };
}

const found = examples(README);

/** Runs a shell command without blocking this process (the gateway under test lives in it). */
function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('/bin/sh', ['-c', command], { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('README.md curl examples against the sandbox', () => {
  let gateway: RunningSandbox;

  beforeAll(async () => {
    gateway = await startSandboxGateway();
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('has the quick-start examples: list, filter, one device, status, messages, paging, count, rename, command, error', () => {
    const commands = found.curl.map((e) => e.command);
    const some = (pattern: RegExp) => commands.some((c) => pattern.test(c));
    expect(found.curl.length).toBeGreaterThanOrEqual(10);
    expect(some(/\/v1\/devices'?$/)).toBe(true);
    expect(some(/labels\.\w+=/)).toBe(true);
    expect(some(/\/v1\/devices\/sandbox-hardwario:[0-9a-f-]+'?$/)).toBe(true);
    expect(some(/\/status'?$/)).toBe(true);
    expect(some(/\/messages/)).toBe(true);
    expect(some(/[?&]after=/)).toBe(true);
    expect(some(/include=total_count/)).toBe(true);
    expect(some(/-X PATCH/)).toBe(true);
    expect(some(/-X POST .*\/commands'?$/)).toBe(true);
    expect(found.curl.some((e) => e.status !== undefined && e.status >= 400)).toBe(true);
    // Every example talks to the address README promises, so the test can point it at its own gateway.
    for (const command of commands) expect({ command, local: new RegExp(DEFAULT_ADDRESS.source).test(command) }).toEqual({ command, local: true });
  });

  it('has no other shell commands than npm scripts (covered by their own tests)', () => {
    for (const line of found.other) expect(line).toMatch(/^npm (ci|start|test|run [a-z:-]+)\b/);
  });

  it('runs the latest-temperature script: a temperature of every vendor, with its unit where the vendor gives one', async () => {
    const script = /<!-- readings-script:start -->\n```js\n([\s\S]*?)```\n<!-- readings-script:end -->/.exec(README)?.[1];
    expect(script).toBeDefined();
    const run = await new Promise<{ stdout: string; stderr: string }>((done, fail) => {
      execFile(process.execPath, ['--input-type=module', '-e', script!], { timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '', DEVICEGATE_URL: gateway.url } }, (error, stdout, stderr) =>
        error ? fail(error) : done({ stdout, stderr }),
      );
    });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    for (const provider of ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk']) expect(lines.some((line) => line.startsWith(provider))).toBe(true);
    expect(lines.filter((line) => / -?\d+(\.\d+)? Cel /.test(line)).length).toBeGreaterThan(10);
  });

  it.each(found.curl.map((example, i) => [`example ${i + 1}: ${example.command}`, example] as const))('%s', async (_name, example) => {
    const address = new URL(gateway.url).host;
    const command = `${example.command.replace(DEFAULT_ADDRESS, address)} --silent --show-error --write-out '\\n%{http_code}'`;
    const run = await shell(command);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const cut = run.stdout.lastIndexOf('\n');
    const status = Number(run.stdout.slice(cut + 1));
    const body = JSON.parse(run.stdout.slice(0, cut)) as { object?: string; type?: string };
    if (example.status !== undefined) {
      expect({ status, body }).toMatchObject({ status: example.status, body: { object: 'error', ...(example.errorType ? { type: example.errorType } : {}) } });
    } else {
      expect({ status, body }).toMatchObject({ status: expect.any(Number), body: { object: expect.stringMatching(/^(list|device|device_status|command|message|project|connection|token)$/) } });
      expect(status).toBeGreaterThanOrEqual(200);
      expect(status).toBeLessThan(300);
    }
  });
});
