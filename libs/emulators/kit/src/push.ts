/** One outgoing push of an emulated vendor cloud. */
export interface OutgoingPush {
  method: 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  /** Sent exactly as given (a vendor signature covers these bytes). */
  body: string;
}

export interface PushSenderOptions {
  /** Delays before each retry of a push that got no 2xx (default 0.5, 1, 2, 4 s). */
  retryDelaysMs?: readonly number[];
  /** How long the receiver may take (default 10 s, DT's documented limit). */
  timeoutMs?: number;
}

/**
 * Sends a cloud's pushes one after another, in order, retrying each until it gets a 2xx or runs out of
 * retries, as the vendors' connectors and channels do (with shorter delays). Delivery is in the
 * background: the emulated action that caused a push never waits for it.
 */
export class PushSender {
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;
  /** Answers each push got, for tests: the status of its last attempt (0 when none came). */
  readonly results: Array<{ url: string; status: number; attempts: number }> = [];

  constructor(options: PushSenderOptions = {}) {
    this.retryDelaysMs = options.retryDelaysMs ?? [500, 1000, 2000, 4000];
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  send(push: OutgoingPush): void {
    if (this.closed) return;
    this.queue = this.queue.then(() => this.deliver(push));
  }

  /** Resolves when every push queued so far has been delivered or given up. */
  idle(): Promise<void> {
    return this.queue;
  }

  close(): void {
    this.closed = true;
  }

  private async deliver(push: OutgoingPush): Promise<void> {
    let status = 0;
    let attempts = 0;
    for (let attempt = 0; attempt <= this.retryDelaysMs.length && !this.closed; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.retryDelaysMs[attempt - 1]).unref());
      attempts += 1;
      try {
        const response = await fetch(push.url, { method: push.method, headers: push.headers, body: push.body, signal: AbortSignal.timeout(this.timeoutMs) });
        status = response.status;
        await response.arrayBuffer();
        if (status >= 200 && status < 300) break;
      } catch {
        status = 0;
      }
    }
    this.results.push({ url: push.url, status, attempts });
  }
}
