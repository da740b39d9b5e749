/** What every provider call gets from the request it serves. */
export interface CallContext {
  /** Sent on to the vendor as `X-Request-ID`. */
  readonly requestId: string;
  /** Aborted when the caller goes away or the request's deadline passes. */
  readonly signal?: AbortSignal;
  /** Who the call is for (the client key's name): a vendor budget is shared fairly between them. */
  readonly clientKey?: string;
  /** Epoch ms after which no retry should start. */
  readonly deadline?: number;
  /** Adds the time of one vendor call to the request's `Server-Timing`. */
  recordUpstream(durationMs: number): void;
}

/** A context for work that serves no HTTP request (start-up probes, background jobs, tests). */
export function backgroundContext(requestId = 'background'): CallContext & { upstreamCalls: number; upstreamMs: number } {
  const ctx = {
    requestId,
    upstreamCalls: 0,
    upstreamMs: 0,
    recordUpstream(durationMs: number) {
      ctx.upstreamCalls += 1;
      ctx.upstreamMs += durationMs;
    },
  };
  return ctx;
}
