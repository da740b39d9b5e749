import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineBatcher } from './logger.js';

/** The built logger module, as the gateway's process loads it (`npm test` builds first). */
const LOGGER = pathToFileURL(resolve(process.cwd(), 'dist/apps/gateway/src/ops/logger.js')).href;

const waitFor = async (done: () => boolean) => {
  for (const started = Date.now(); !done(); ) {
    if (Date.now() - started > 5000) throw new Error('not written within 5 s');
    await new Promise((next) => setTimeout(next, 5));
  }
};

/** Runs a script that logs through createLogger() to the real stdout; answers its stdout's messages and exit code. */
function run(script: string): { messages: string[]; status: number | null } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', `import { createLogger } from ${JSON.stringify(LOGGER)};\nconst log = createLogger();\n${script}`], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info' },
    timeout: 30_000,
  });
  const messages = child.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
  return { messages, status: child.status };
}

describe('LineBatcher', () => {
  it('holds lines back, then writes them in one write, in order', async () => {
    const writes: string[] = [];
    const lines = new LineBatcher({ write: (text: string) => writes.push(text) }, 20);
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    await waitFor(() => writes.length > 0);
    expect(writes).toEqual(['a\nb\nc\n']);
    lines.write('d\n');
    await waitFor(() => writes.length > 1);
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once when the pending lines reach the size limit, and on flush()', () => {
    const writes: string[] = [];
    const lines = new LineBatcher({ write: (text: string) => writes.push(text) }, 60_000, 10);
    lines.write('12345\n');
    expect(writes).toEqual([]);
    lines.write('67890\n');
    expect(writes).toEqual(['12345\n67890\n']);
    lines.write('x\n');
    lines.flush();
    lines.flush();
    expect(writes).toEqual(['12345\n67890\n', 'x\n']);
  });
});

describe('createLogger on stdout', () => {
  it('writes the lines still pending when the process exits in the same turn', () => {
    expect(run(`log.info('one'); log.warn('two'); process.exit(3);`)).toEqual({ messages: ['one', 'two'], status: 3 });
  });

  it('writes them when the process ends on its own, and before the error of a crash', () => {
    expect(run(`log.info('last');`)).toEqual({ messages: ['last'], status: 0 });
    expect(run(`log.info('before'); setImmediate(() => { throw new Error('crash'); });`)).toEqual({ messages: ['before'], status: 1 });
  });
});
