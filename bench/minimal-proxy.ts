/**
 * The benchmark's reference points: the least a Node.js reverse proxy can do, in two kinds. No framework,
 * no validation, no logging; the credential header is added. Prints `{"port":N}` on stdout once it listens.
 *
 *   streaming: node:http in, undici out over a keep-alive pool, the answer streamed back;
 *   buffering: node:http in, node:http out over a keep-alive `http.Agent`, the answer read whole and
 *              written back in one piece with its Content-Length (what devicegate does with an answer).
 *
 * The faster of the two is the limit devicegate is measured against.
 *
 *   node dist/bench/minimal-proxy.js <streaming|buffering> <upstream origin> '<json of headers to add>'
 */
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { Agent, request } from 'undici';

const [kind, upstream, addedJson] = process.argv.slice(2);
const added = JSON.parse(addedJson ?? '{}') as Record<string, string>;
if ((kind !== 'streaming' && kind !== 'buffering') || !upstream) throw new Error('usage: minimal-proxy <streaming|buffering> <upstream origin> [headers json]');

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host']);

function requestHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = { ...added };
  if (typeof req.headers.accept === 'string') headers.accept = req.headers.accept;
  if (typeof req.headers['content-type'] === 'string') headers['content-type'] = req.headers['content-type'];
  return headers;
}

function badGateway(res: ServerResponse): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(502, { 'content-type': 'application/json' });
  res.end('{"error":"bad gateway"}');
}

const streamingDispatcher = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 64 });

function streaming(req: IncomingMessage, res: ServerResponse): void {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  request(`${upstream}${req.url ?? '/'}`, { method: (req.method ?? 'GET') as 'GET', headers: requestHeaders(req), body: hasBody ? req : undefined, dispatcher: streamingDispatcher }).then(
    (answer) => {
      // The caller left while the vendor answered (a load run ending): Node 22+ throws on piping into a
      // destroyed response, and the proxy must outlive its callers.
      if (res.destroyed) return void answer.body.dump();
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      res.writeHead(answer.statusCode, out);
      pipeline(answer.body, res, () => undefined);
    },
    () => badGateway(res),
  );
}

const target = new URL(upstream);
const bufferingAgent = new HttpAgent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 30_000 });

function readAll(stream: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.once('end', () => done(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
}

function buffering(req: IncomingMessage, res: ServerResponse): void {
  const send = (body: Buffer | undefined) => {
    const headers: OutgoingHttpHeaders = requestHeaders(req);
    if (body) headers['content-length'] = body.length;
    const out = httpRequest({ host: target.hostname, port: target.port, path: req.url ?? '/', method: req.method, headers, agent: bufferingAgent }, (answer) =>
      readAll(answer, (payload) => {
        const headersOut: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headersOut[name] = value;
        headersOut['content-length'] = payload.length;
        res.writeHead(answer.statusCode ?? 502, headersOut);
        res.end(payload);
      }),
    );
    out.once('error', () => badGateway(res));
    out.end(body);
  };
  if (req.method === 'GET' || req.method === 'HEAD') send(undefined);
  else readAll(req, send);
}

const server = createServer(kind === 'streaming' ? streaming : buffering);
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
