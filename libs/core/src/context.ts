/** What every provider call gets from the request it serves. */
export interface CallContext {
  /** Sent on to the vendor as `X-Request-ID`. */
  readonly requestId: string;
  /** Aborted when the caller goes away or the request's deadline passes. */
  readonly signal?: AbortSignal;
  /** Who the call is for (the client key's name): a vendor budget is shared fairly between them. */
  readonly clientKey?: string;
  /** The caller asked for live data (`Cache-Control: no-cache`): no read comes from the cache. */
  readonly noCache?: boolean;
  /** Told how each vendor read was answered, for the request's `Age` and `Cache-Status`. */
  recordRead?(read: VendorRead): void;
  /** Epoch ms after which no retry should start. */
  readonly deadline?: number;
  /** Adds the time of one vendor call to the request's `Server-Timing`. */
  recordUpstream(durationMs: number): void;
}

/** How one vendor read of a request was answered. */
export interface VendorRead {
  connectionId: string;
  /**
   * `hit`: from the read cache; `collapsed`: shared with an identical read already in flight; `miss`:
   * asked the vendor; `bypass`: asked the vendor because the caller wanted live data.
   */
  outcome: 'hit' | 'collapsed' | 'miss' | 'bypass';
  /** How old the answer is, in ms (0 unless it came from the cache). */
  ageMs: number;
  /** How long the cached answer stays fresh, in ms (hits only). */
  ttlMs?: number;
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
