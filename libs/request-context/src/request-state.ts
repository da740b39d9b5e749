import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '@devicegate/core';

/** Per-request bookkeeping: when it started and what its vendor calls cost. */
export interface RequestState {
  startedAt: number;
  upstreamCalls: number;
  upstreamMs: number;
  context?: CallContext;
  /** The response being written: when it closes unfinished, the caller has gone and its vendor work stops. */
  response?: ServerResponse;
}

const STATE = Symbol('devicegate.requestState');
type WithState = FastifyRequest & { [STATE]?: RequestState };

const CALLER_ID = /^[A-Za-z0-9._-]{1,32}$/;

/** The caller's `X-Request-ID` when it is acceptable, else 32 fresh lowercase hex characters (API.md §2.3). */
export function requestIdFor(header: string | string[] | undefined): string {
  if (typeof header === 'string' && CALLER_ID.test(header)) return header;
  // A version 4 UUID without its dashes: 32 lowercase hex characters, from Node's batched entropy.
  return randomUUID().replaceAll('-', '');
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
  const controller = new AbortController();
  const response = state.response;
  response?.once('close', () => {
    if (!response.writableFinished) controller.abort(new Error('The caller closed the connection before the answer was complete.'));
  });
  state.context = {
    requestId: request.id,
    signal: controller.signal,
    clientKey: (request as { user?: { name?: string } }).user?.name,
    deadline: Date.now() + REQUEST_BUDGET_MS,
    recordUpstream(durationMs: number) {
      state.upstreamCalls += 1;
      state.upstreamMs += durationMs;
    },
  };
  return state.context;
}

/** `Server-Timing: total;dur=…, upstream;dur=…;desc="n calls"` (API.md §2.7). */
export function serverTiming(request: FastifyRequest): string {
  const state = stateOf(request);
  const total = performance.now() - state.startedAt;
  const calls = state.upstreamCalls === 1 ? '1 call' : `${state.upstreamCalls} calls`;
  return `total;dur=${total.toFixed(1)}, upstream;dur=${state.upstreamMs.toFixed(1)};desc="${calls}"`;
}

export type { FastifyReply, FastifyRequest };
