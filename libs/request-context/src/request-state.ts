import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallSignal, type CallContext, type VendorRead } from '@devicegate/core';

/** Per-request bookkeeping: when it started and what its vendor calls cost. */
export interface RequestState {
  startedAt: number;
  upstreamCalls: number;
  upstreamMs: number;
  context?: CallContext;
  /** How the request's vendor reads were answered (absent when it made none). */
  reads?: ReadSummary;
  /** The response being written: when it closes unfinished, the caller has gone and its vendor work stops. */
  response?: ServerResponse;
}

/** Every vendor read of one request, folded: the answer is as old as its oldest part. */
interface ReadSummary {
  hits: number;
  others: number;
  bypass: boolean;
  collapsed: boolean;
  ageMs: number;
  ttlMs: number;
  connections: string[];
}

const STATE = Symbol('devicegate.requestState');
type WithState = FastifyRequest & { [STATE]?: RequestState };

const CALLER_ID = /^[A-Za-z0-9._-]{1,32}$/;
/** Random bytes for the ids of the next 256 requests: one draw from the system's source for all of them. */
const ID_BYTES = 16;
let entropy = Buffer.alloc(0);
let used = 0;

/** The caller's `X-Request-ID` when it is acceptable, else 32 fresh lowercase hex characters (API.md §2.3). */
export function requestIdFor(header: string | string[] | undefined): string {
  if (typeof header === 'string' && CALLER_ID.test(header)) return header;
  if (used === entropy.length) {
    entropy = randomBytes(ID_BYTES * 256);
    used = 0;
  }
  return entropy.toString('hex', used, (used += ID_BYTES));
}

export function stateOf(request: FastifyRequest): RequestState {
  const req = request as WithState;
  req[STATE] ??= { startedAt: performance.now(), upstreamCalls: 0, upstreamMs: 0 };
  return req[STATE];
}

/** How long a request may keep calling vendors (retries stop before it). */
const REQUEST_BUDGET_MS = 60_000;

/** The CallContext that providers get for this request. */
export function callContext(request: FastifyRequest): CallContext {
  const state = stateOf(request);
  if (state.context) return state.context;
  const signal = new CallSignal();
  const response = state.response;
  response?.once('close', () => {
    if (!response.writableFinished) signal.abort(new Error('The caller closed the connection before the answer was complete.'));
  });
  state.context = {
    requestId: request.id,
    signal,
    clientKey: (request as { user?: { name?: string } }).user?.name,
    deadline: Date.now() + REQUEST_BUDGET_MS,
    noCache: NO_CACHE.test(request.headers['cache-control'] ?? ''),
    recordRead(read: VendorRead) {
      const reads = (state.reads ??= { hits: 0, others: 0, bypass: false, collapsed: false, ageMs: 0, ttlMs: Infinity, connections: [] });
      if (read.outcome === 'hit') {
        reads.hits += 1;
        reads.ageMs = Math.max(reads.ageMs, read.ageMs);
        reads.ttlMs = Math.min(reads.ttlMs, read.ttlMs ?? 0);
      } else reads.others += 1;
      if (read.outcome === 'bypass') reads.bypass = true;
      if (read.outcome === 'collapsed') reads.collapsed = true;
      if (!reads.connections.includes(read.connectionId)) reads.connections.push(read.connectionId);
    },
    recordUpstream(durationMs: number) {
      state.upstreamCalls += 1;
      state.upstreamMs += durationMs;
    },
  };
  return state.context;
}

const NO_CACHE = /(?:^|[\s,])(?:no-cache|max-age=0)(?:$|[\s,;])/i;

/**
 * `Age` and `Cache-Status` (RFC 9211) of an answer built from vendor reads, or undefined when it made
 * none: `devicegate; hit; ttl=3; detail="conn"` when every read came from the cache, else
 * `devicegate; fwd=miss` (`fwd=request` when the caller sent no-cache), with `collapsed` when a read was
 * shared with an identical one in flight. `Age` (when any part came from the cache) is the oldest part's, in whole seconds.
 */
export function cacheHeaders(request: FastifyRequest): { age?: string; cacheStatus: string } | undefined {
  const reads = stateOf(request).reads;
  if (!reads) return undefined;
  const detail = `detail="${reads.connections.sort().join(' ')}"`;
  const age = reads.hits > 0 ? String(Math.floor(reads.ageMs / 1000)) : undefined;
  if (reads.others === 0) return { age, cacheStatus: `devicegate; hit; ttl=${Math.max(0, Math.floor(reads.ttlMs / 1000))}; ${detail}` };
  return { age, cacheStatus: `devicegate; fwd=${reads.bypass ? 'request' : 'miss'}${reads.collapsed ? '; collapsed' : ''}; ${detail}` };
}

/** `Server-Timing: total;dur=…, upstream;dur=…;desc="n calls"` (API.md §2.7). */
export function serverTiming(request: FastifyRequest): string {
  const state = stateOf(request);
  const total = performance.now() - state.startedAt;
  const calls = state.upstreamCalls === 1 ? '1 call' : `${state.upstreamCalls} calls`;
  return `total;dur=${total.toFixed(1)}, upstream;dur=${state.upstreamMs.toFixed(1)};desc="${calls}"`;
}

export type { FastifyReply, FastifyRequest };
