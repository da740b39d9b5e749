import { Writable } from 'node:stream';
import { AccessLog, type AccessEntry } from './access-log.js';
import { createLogger } from './logger.js';

function capture(level: string) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: new AccessLog(createLogger(level, destination)), lines };
}

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
  it('writes one JSON line in the logger format, escaping what needs it', () => {
    const { log, lines } = capture('info');
    log.write(entry);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'devicegate', ...entry, msg: 'request' });
  });

  it('leaves out an unknown client and writes nothing above info', () => {
    const quiet = capture('warn');
    quiet.log.write(entry);
    expect(quiet.lines).toHaveLength(0);
    const { log, lines } = capture('info');
    log.write({ ...entry, client: undefined });
    expect(JSON.parse(lines[0])).not.toHaveProperty('client');
  });
});
