import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { START_LIMIT_MS } from '../support/start-limit.js';
import { startSubscriber, waitFor } from './support.js';

const MAIN = resolve(process.cwd(), 'dist/apps/gateway/src/main.js');
const PUSH_SECRET = 'hw-durable-push-secret';

/** Starts the built gateway with a configuration file and waits until it listens. */
function startBuilt(configFile: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [MAIN, '--config', configFile], { env: { ...process.env, NODE_OPTIONS: '', PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not listening within ${START_LIMIT_MS / 1000} s:\n${output}`));
    }, START_LIMIT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Swagger UI at (http:\/\/127\.0\.0\.1:\d+)\/docs/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1] });
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

const killHard = async (child: ChildProcess) => {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
};

/**
 * Nothing lost: the gateway accepts a push and is killed (-9) before the webhook subscriber has the
 * event; started again on the same data directory it delivers it, and the subscriber, de-duplicating
 * by `Devicegate-Event-Id`, has it exactly once.
 */
describe('durable events and deliveries across a crash', () => {
  let dir: string;
  let gateway: ChildProcess | undefined;

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm test builds it first (pretest)`);
    dir = mkdtempSync(join(tmpdir(), 'devicegate-durable-'));
  });

  afterAll(async () => {
    if (gateway && gateway.exitCode === null) await killHard(gateway);
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a pushed event exactly once (by id) after kill -9 between accepting and delivering', async () => {
    const configFile = join(dir, 'devicegate.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1', data_dir: join(dir, 'data'), webhook_allowed_hosts: ['127.0.0.1'] },
        clients: [{ name: 'ops', key_sha256: createHash('sha256').update('ops-key').digest('hex'), scopes: ['read', 'write'] }],
        connections: [{ id: 'hw-main', provider: 'hardwario', space_id: 's', credentials: { api_key: 'k' }, base_url: 'http://127.0.0.1:9', push: { secret: PUSH_SECRET } }],
      }),
    );
    // The subscriber is failing when the push arrives: the event is accepted but not yet delivered.
    let healthy = false;
    const subscriber = await startSubscriber(() => (healthy ? 200 : 500));
    try {
      let running = await startBuilt(configFile);
      gateway = running.child;
      const created = await fetch(`${running.url}/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: 'Bearer ops-key', 'content-type': 'application/json' },
        body: JSON.stringify({ url: subscriber.url }),
      });
      expect(created.status).toBe(201);
      const webhook = (await created.json()) as { id: string };

      const job = {
        message: { id: '018f2a6c-1111-7000-8000-00000000d00d', type: 'data', direction: 'up', created_at: '2024-04-17T11:08:27.917Z', body: { thermometer: { temperature: 21.5 } } },
        device: { id: '018a1535-fd39-7293-bd36-52df3e62e962' },
      };
      const pushed = await fetch(`${running.url}/v1/hooks/hw-main`, { method: 'POST', headers: { authorization: `Bearer ${PUSH_SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(job) });
      expect(pushed.status).toBe(202);
      await waitFor(() => subscriber.received.length >= 1, 5000, 'the first (failing) attempt');
      await killHard(running.child);

      healthy = true;
      running = await startBuilt(configFile);
      gateway = running.child;
      await waitFor(() => subscriber.received.some((r, i) => i >= 1 && r.headers['devicegate-event-id'] !== undefined), 10_000, 'the delivery after the restart');

      const ids = subscriber.received.map((r) => r.headers['devicegate-event-id']);
      expect(new Set(ids)).toEqual(new Set(['hw-main:018f2a6c-1111-7000-8000-00000000d00d']));
      const delivered = subscriber.received.filter((_r, i) => i >= 1);
      expect(JSON.parse(delivered[0].body)).toMatchObject({ id: 'hw-main:018f2a6c-1111-7000-8000-00000000d00d', data: { data: { thermometer: { temperature: 21.5 } } } });

      // The API shows the delivery as succeeded, with the failed attempt before the crash.
      const deliveries = (await (await fetch(`${running.url}/v1/webhooks/${webhook.id}/deliveries`, { headers: { authorization: 'Bearer ops-key' } })).json()) as { data: Array<{ status: string; attempts: number; attempt_log: Array<{ status: number | null }> }> };
      expect(deliveries.data).toHaveLength(1);
      expect(deliveries.data[0].status).toBe('succeeded');
      expect(deliveries.data[0].attempt_log.at(-1)?.status).toBe(200);

      // The event survived too: a stream resumed from the start replays it.
      const controller = new AbortController();
      const stream = await fetch(`${running.url}/v1/events?last_event_id=0`, { headers: { authorization: 'Bearer ops-key' }, signal: controller.signal });
      const reader = stream.body!.getReader();
      let text = '';
      while (!text.includes('\n\ndata:') && !text.includes('event: message.created')) text += new TextDecoder().decode((await reader.read()).value);
      while (!text.includes('}\n\n', text.indexOf('data:'))) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      expect(text).toContain('"id":"hw-main:018f2a6c-1111-7000-8000-00000000d00d"');

      await killHard(running.child);
      // Another start delivers nothing again: the delivery is recorded as done.
      const before = subscriber.received.length;
      running = await startBuilt(configFile);
      gateway = running.child;
      await new Promise((r) => setTimeout(r, 500));
      expect(subscriber.received.length).toBe(before);
    } finally {
      await subscriber.close();
    }
  }, 3 * START_LIMIT_MS + 40_000);
});
