/**
 * The benchmark's reference point: the least a Node.js reverse proxy can do — node:http in, undici out
 * over a keep-alive pool, the credential header added, the answer streamed back. No framework, no
 * validation, no logging. Prints `{"port":N}` on stdout once it listens.
 *
 *   node dist/bench/minimal-proxy.js <upstream origin> '<json of headers to add>'
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
const added = JSON.parse(process.argv[3] ?? '{}') as Record<string, string>;
if (!upstream) throw new Error('usage: minimal-proxy <upstream origin> [headers json]');

const dispatcher = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 64 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host']);

const server = createServer((req, res) => {
  const headers: Record<string, string> = { ...added };
  if (typeof req.headers.accept === 'string') headers.accept = req.headers.accept;
  if (typeof req.headers['content-type'] === 'string') headers['content-type'] = req.headers['content-type'];
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  request(`${upstream}${req.url ?? '/'}`, {
    method: (req.method ?? 'GET') as 'GET',
    headers,
    body: hasBody ? req : undefined,
    dispatcher,
  }).then(
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      res.writeHead(answer.statusCode, out);
      pipeline(answer.body, res, () => undefined);
    },
    () => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":"bad gateway"}');
    },
  );
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
