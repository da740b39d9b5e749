import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { AccessLog, type AccessEntry } from './access-log.js';
import { createLogger } from './logger.js';

function capture(level: string) {
  const lines: string[] = [];
  let writes = 0;
  const destination = new Writable({
    write(chunk, _encoding, done) {
      writes += 1;
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: new AccessLog(createLogger(level, destination)), lines, writes: () => writes };
}

const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

const entry: AccessEntry = {
  reqId: 'abc',
  method: 'GET',
  url: '/v1/devices?name__eq="quoted"\\back\u0001',
  route: '/v1/devices',
  status: 200,
  durationMs: 1.5,
  upstreamCalls: 2,
  upstreamMs: 0.8,
  client: 'app',
};

describe('AccessLog', () => {
  it('writes one JSON line in the logger format, escaping what needs it', async () => {
    const { log, lines } = capture('info');
    log.write(entry);
    await endOfTurn();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'devicegate', ...entry, msg: 'request' });
  });

  it('leaves out an unknown client and writes nothing above info', async () => {
    const quiet = capture('warn');
    quiet.log.write(entry);
    const { log, lines } = capture('info');
    log.write({ ...entry, client: undefined });
    await endOfTurn();
    expect(quiet.lines).toHaveLength(0);
    expect(JSON.parse(lines[0])).not.toHaveProperty('client');
  });

  it('writes the lines of one turn of the event loop together at its end, and at once when flushed', async () => {
    const { log, lines, writes } = capture('info');
    log.write({ ...entry, reqId: 'a' });
    log.write({ ...entry, reqId: 'b' });
    expect(lines).toHaveLength(0);
    await endOfTurn();
    expect(writes()).toBe(1);
    expect(lines.map((line) => (JSON.parse(line) as AccessEntry).reqId)).toEqual(['a', 'b']);
    log.write({ ...entry, reqId: 'c' });
    log.flush();
    expect(writes()).toBe(2);
    expect(lines).toHaveLength(3);
    await endOfTurn();
    expect(writes()).toBe(2);
  });

  it('writes the lines of the current turn when the process exits before its end (built gateway: run `npm run build` first)', () => {
    const built = (file: string) => JSON.stringify(resolve(process.cwd(), 'dist/apps/gateway/src/ops', file));
    const script = `
      import { AccessLog } from ${built('access-log.js')};
      import { createLogger } from ${built('logger.js')};
      const log = new AccessLog(createLogger('info'));
      log.write(${JSON.stringify({ ...entry, reqId: 'last' })});
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as AccessEntry).reqId)).toEqual(['last']);
  });
});
