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

type AbortListener = Parameters<AbortSignal['addEventListener']>[1];

/**
 * The abort signal of one request's vendor work. Node's AbortSignal costs microseconds to create and to
 * give its first listener, on every request; this is the part of it that vendor calls use — `aborted`,
 * `reason`, 'abort' listeners, each called at most once, in the order added — for the price of an object.
 * `abort()` is the controller's half, for whoever owns the request.
 */
export class CallSignal implements AbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;
  private listeners?: AbortListener[];

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    this.dispatchEvent(new Event('abort'));
  }

  addEventListener(type: string, listener: AbortListener): void {
    if (type !== 'abort') return;
    // As EventTarget: the same listener twice is one listener.
    if (!this.listeners) this.listeners = [listener];
    else if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: AbortListener): void {
    if (type !== 'abort' || !this.listeners) return;
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  dispatchEvent(event: Event): boolean {
    if (event.type !== 'abort') return true;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of [this.onabort, ...listeners]) {
      if (!listener) continue;
      try {
        if (typeof listener === 'function') listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        // As EventTarget: a failing listener does not stop the others, and its error is not swallowed.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    return true;
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }
}

/** Work that several callers wait for together (identical reads in flight): it stops when the last of them has gone. */
export interface SharedWork<T> {
  readonly promise: Promise<T>;
  /** Callers waiting for it now. */
  callers: number;
  /** What the work itself listens to: aborted when `callers` falls to 0. */
  readonly controller: CallSignal;
}

/**
 * Starts work that callers will share (each waits with `awaitShared`). It runs as its first caller — that
 * caller's request id, budget key and deadline, its vendor calls counted in that caller's `Server-Timing` —
 * on a signal of its own, aborted only when the last caller has gone. `reads` says how the work's vendor
 * reads are made and told, when the work is more than one read (a whole list).
 */
export function startShared<T>(first: CallContext, start: (shared: CallContext) => Promise<T>, reads?: Pick<CallContext, 'noCache' | 'recordRead'>): SharedWork<T> {
  const controller = new CallSignal();
  const shared: CallContext = {
    requestId: first.requestId,
    clientKey: first.clientKey,
    deadline: first.deadline,
    signal: controller,
    noCache: reads?.noCache,
    recordRead: reads?.recordRead,
    recordUpstream: (ms) => first.recordUpstream(ms),
  };
  return { callers: 0, controller, promise: start(shared) };
}

/**
 * One caller's wait for shared work. The caller can leave on its own (its `signal`): it is answered with the
 * signal's reason at once, and when it was the last one waiting, the work is cancelled too.
 */
export function awaitShared<T>(work: SharedWork<T>, signal: AbortSignal | undefined): Promise<T> {
  work.callers += 1;
  if (!signal) return work.promise;
  return new Promise<T>((resolve, reject) => {
    const leave = () => {
      work.callers -= 1;
      if (work.callers === 0) work.controller.abort(signal.reason);
      reject(signal.reason);
    };
    if (signal.aborted) return leave();
    signal.addEventListener('abort', leave, { once: true });
    work.promise.then(
      (value) => {
        signal.removeEventListener('abort', leave);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', leave);
        reject(error);
      },
    );
  });
}
