import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Router, type EmulatorRequest, type EmulatorResponse } from './router.js';

/** A fault the next matching request(s) get instead of the normal answer. */
export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'malformed-json' }
  | { kind: 'html'; status?: number }
  | { kind: 'body'; status?: number; body: unknown }
  | { kind: 'huge'; bytes: number; /** Content-Length announces the size up front (else chunked, so only reading tells). */ declared?: boolean }
  | { kind: 'trickle'; chunkDelayMs: number; chunks?: number };

export interface FaultRule {
  fault: Fault;
  /** How many requests it applies to (default 1; Infinity for all until cleared). */
  times?: number;
  /** Only requests whose path matches this regular expression source. */
  path?: string;
}

/** One request the emulator received, kept so tests can check what a client sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** Where an emulator listens and how slowly it answers: the same for every vendor. */
export interface EmulatorListenOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** Extra delay added before every vendor answer (for latency experiments). */
  latencyMs?: number;
}

export interface EmulatorServerOptions extends EmulatorListenOptions {
  /** Vendor name, used in logs and the `/_emulator/info` answer. */
  name: string;
  router: Router;
  /** Answer for a path that matches no route. */
  notFound: (req: EmulatorRequest) => EmulatorResponse;
  /** Answer for a path that matches a route with another method; defaults to `notFound`. */
  methodNotAllowed?: (req: EmulatorRequest) => EmulatorResponse;
  /** How many requests to remember for `requests()` (default 5000). */
  recordLimit?: number;
  /** Takes HTTP upgrades (WebSockets); without it they are refused. The socket counts as a stream for `dropStreams`. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** A running emulator: its address, its request statistics and its fault switchboard. */
export interface EmulatorServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Requests answered since start (or the last `resetStats`), `/_emulator/*` excluded. */
  requestCount(): number;
  /** The remembered requests, oldest first. */
  requests(): RecordedRequest[];
  resetStats(): void;
  /** The fault goes to the next matching request to arrive, not to one already in its latency or held. */
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  /**
   * Holds every vendor answer (after the latency) until the returned function is called, so a test can line
   * callers up behind a call in flight however slow the machine is, instead of racing a latency timer.
   */
  hold(): () => void;
  /**
   * Cuts every open event stream and WebSocket as a network failure would (no last chunk, no close frame),
   * so tests can check how clients recover. Also `DELETE /_emulator/streams`. Returns how many were cut.
   */
  dropStreams(): number;
  /** Event streams and WebSockets open now. */
  openStreams(): number;
  close(): Promise<void>;
}

const MAX_BODY = 32 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function send(res: ServerResponse, answer: EmulatorResponse): void {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  let payload: string | undefined;
  if (answer.body !== undefined) {
    if (typeof answer.body === 'string') {
      payload = answer.body;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else {
      payload = JSON.stringify(answer.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(answer.status, headers);
  res.end(payload);
}

/** Starts an emulator on loopback. Handlers are plain functions over parsed requests. */
export async function startEmulatorServer(options: EmulatorServerOptions): Promise<EmulatorServer> {
  const { router, name } = options;
  const recordLimit = options.recordLimit ?? 5000;
  let latency = options.latencyMs ?? 0;
  let held: { until: Promise<void>; release: () => void } | undefined;
  let count = 0;
  /** Requests answered 429 (the vendor's own rate limit), for benchmarks that must show none. */
  let rateLimited = 0;
  let recorded: RecordedRequest[] = [];
  let faults: Array<Required<Pick<FaultRule, 'fault' | 'times'>> & { path?: RegExp }> = [];
  const sockets = new Set<Socket>();
  /** Sockets of the event streams and WebSockets open now. */
  const streams = new Set<Duplex>();
  const track = (socket: Duplex, until: NodeJS.EventEmitter = socket) => {
    streams.add(socket);
    until.once('close', () => streams.delete(socket));
  };
  const dropStreams = () => {
    const cut = streams.size;
    for (const socket of streams) socket.destroy();
    streams.clear();
    return cut;
  };

  const takeFault = (path: string): Fault | undefined => {
    const index = faults.findIndex((rule) => !rule.path || rule.path.test(path));
    if (index < 0) return undefined;
    const rule = faults[index];
    rule.times -= 1;
    if (rule.times <= 0) faults.splice(index, 1);
    return rule.fault;
  };

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string, raw: string) => {
    if (path === '/_emulator/info' && req.method === 'GET') return send(res, { status: 200, body: { name, requests: count } });
    if (path === '/_emulator/stats' && req.method === 'GET') return send(res, { status: 200, body: { requests: count, rate_limited: rateLimited } });
    if (path === '/_emulator/stats' && req.method === 'DELETE') {
      count = 0;
      rateLimited = 0;
      recorded = [];
      return send(res, { status: 204 });
    }
    if (path === '/_emulator/faults' && req.method === 'POST') {
      try {
        const rule = JSON.parse(raw) as FaultRule;
        handle.injectFault(rule);
        return send(res, { status: 201, body: rule });
      } catch {
        return send(res, { status: 400, body: { error: 'fault rule must be JSON' } });
      }
    }
    if (path === '/_emulator/streams' && req.method === 'GET') return send(res, { status: 200, body: { open: streams.size } });
    if (path === '/_emulator/streams' && req.method === 'DELETE') return send(res, { status: 200, body: { dropped: dropStreams() } });
    if (path === '/_emulator/faults' && req.method === 'DELETE') {
      faults = [];
      return send(res, { status: 204 });
    }
    if (path === '/_emulator/latency' && req.method === 'PUT') {
      const ms = Number((JSON.parse(raw || '{}') as { ms?: unknown }).ms);
      if (!Number.isFinite(ms) || ms < 0) return send(res, { status: 400, body: { error: 'ms must be a number >= 0' } });
      latency = ms;
      return send(res, { status: 200, body: { ms } });
    }
    return send(res, { status: 404, body: { error: 'unknown emulator control path' } });
  };

  const applyFault = async (res: ServerResponse, fault: Fault, answer: () => Promise<EmulatorResponse>) => {
    switch (fault.kind) {
      case 'status':
        return send(res, { status: fault.status, body: fault.body, headers: fault.headers });
      case 'hang':
        return; // never answers; the socket is closed when the emulator stops
      case 'reset':
        res.socket?.destroy();
        return;
      case 'malformed-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"truncated": [1, 2');
        return;
      case 'html':
        res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>');
        return;
      case 'body':
        return send(res, { status: fault.status ?? 200, body: fault.body });
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json', ...(fault.declared ? { 'content-length': String(fault.bytes + '{"padding":""}'.length) } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let left = fault.bytes;
        res.write('{"padding":"');
        while (left > 0) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
        }
        res.end('"}');
        return;
      }
      case 'trickle': {
        const real = await answer();
        const text = real.body === undefined ? '' : typeof real.body === 'string' ? real.body : JSON.stringify(real.body);
        const pieces = Math.max(1, fault.chunks ?? 10);
        const size = Math.ceil(text.length / pieces) || 1;
        res.writeHead(real.status, { 'content-type': 'application/json', ...(real.headers ?? {}) });
        for (let i = 0; i < text.length; i += size) {
          if (res.destroyed) return;
          res.write(text.slice(i, i + size));
          await delay(fault.chunkDelayMs);
        }
        res.end();
        return;
      }
    }
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const raw = await readBody(req);
      if (url.pathname.startsWith('/_emulator/')) return await admin(req, res, url.pathname, raw);
      count += 1;
      let body: unknown;
      let bodyInvalid = false;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          bodyInvalid = true;
        }
      }
      const request: EmulatorRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        params: {},
        query: url.searchParams,
        headers: req.headers,
        rawBody: raw,
        body,
        bodyInvalid,
      };
      const record: RecordedRequest = { method: request.method, path: url.pathname, query: url.search, headers: req.headers, body: raw, status: 0 };
      recorded.push(record);
      if (recorded.length > recordLimit) recorded.splice(0, recorded.length - recordLimit);
      // A fault belongs to the next request to arrive: taken after the latency, it could go to one that came in
      // before it was injected (a slow request left over from earlier) instead of the one it was meant for.
      const fault = takeFault(url.pathname);
      if (latency > 0) await delay(latency);
      if (held) await held.until;
      const answer = async (): Promise<EmulatorResponse> => {
        const found = router.match(request.method, request.path);
        if (!found.handler) {
          return found.methodMismatch && options.methodNotAllowed ? options.methodNotAllowed(request) : options.notFound(request);
        }
        request.params = found.params;
        return found.handler(request);
      };
      if (fault) {
        record.status = fault.kind === 'status' ? fault.status : -1;
        return await applyFault(res, fault, answer);
      }
      const result = await answer();
      record.status = result.status;
      if (result.status === 429) rateLimited += 1;
      if (result.stream && req.socket) {
        res.writeHead(result.status, result.headers ?? {});
        res.flushHeaders();
        track(req.socket, res);
        result.stream(res);
        return;
      }
      send(res, result);
    } catch (error) {
      if (!res.headersSent) send(res, { status: 500, body: { error: `emulator fault: ${(error as Error).message}` } });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!options.onUpgrade) return socket.destroy();
    count += 1;
    track(socket);
    options.onUpgrade(req, socket, head);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const handle: EmulatorServer = {
    name,
    url: `http://${host}:${address.port}`,
    port: address.port,
    requestCount: () => count,
    requests: () => [...recorded],
    resetStats: () => {
      count = 0;
      recorded = [];
    },
    injectFault: (rule) => {
      faults.push({ fault: rule.fault, times: rule.times ?? 1, path: rule.path ? new RegExp(rule.path) : undefined });
    },
    clearFaults: () => {
      faults = [];
    },
    setLatency: (ms) => {
      latency = ms;
    },
    hold: () => {
      let release = () => {};
      const gate = { until: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        gate.release();
      };
    },
    dropStreams,
    openStreams: () => streams.size,
    close: () =>
      new Promise<void>((resolve) => {
        held?.release();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return handle;
}
