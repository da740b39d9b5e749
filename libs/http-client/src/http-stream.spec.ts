import { backgroundContext } from '@devicegate/core';
import { Router, startEmulatorServer, type EmulatorServer } from '@devicegate/emulators/kit';
import { HttpClient } from './http-client.js';

/** `openStream`: a vendor event stream has a timeout too — for its headers, and for every silence after them. */
describe('HttpClient.openStream', () => {
  let server: EmulatorServer;
  let lines: string[] = [];

  beforeAll(async () => {
    const router = new Router()
      .get('/stream', () => ({ status: 200, headers: { 'content-type': 'application/json' }, stream: (out) => lines.forEach((line) => out.write(`${line}\n`)) }))
      .get('/refused', () => ({ status: 401, body: { error: 'unauthenticated', code: 401 } }));
    server = await startEmulatorServer({ name: 'stream-test', router, notFound: () => ({ status: 404 }) });
  });
  afterAll(() => server.close());

  const client = () => new HttpClient({ baseUrl: server.url, timeoutMs: 2000, connectionId: 'c-1', provider: 'test' });

  it('yields the lines as they come, then ends with upstream_timeout once the vendor stays silent past the idle limit', async () => {
    lines = ['{"a":1}', '{"b":2}'];
    const opened = await client().openStream({ method: 'GET', path: '/stream' }, backgroundContext(), 300);
    if (!('stream' in opened)) throw new Error('expected a stream');
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const line of opened.stream.lines()) seen.push(line);
      })(),
    ).rejects.toMatchObject({ type: 'upstream_timeout' });
    expect(seen).toEqual(lines);
  });

  it('reads a refusal whole, for the provider to map, and ends with upstream_unavailable when the vendor cuts the stream', async () => {
    const refused = await client().openStream({ method: 'GET', path: '/refused' }, backgroundContext(), 300);
    expect('response' in refused && refused.response.status).toBe(401);
    lines = [];
    const opened = await client().openStream({ method: 'GET', path: '/stream' }, backgroundContext(), 10_000);
    if (!('stream' in opened)) throw new Error('expected a stream');
    const reading = (async () => {
      for await (const line of opened.stream.lines()) void line;
    })();
    while (server.openStreams() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    server.dropStreams();
    await expect(reading).rejects.toMatchObject({ type: 'upstream_unavailable' });
  });
});
