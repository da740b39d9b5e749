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

/** Where a cloud's webhook posts, with the receiver's own headers (its `Authorization`, …). */
export interface PushTarget {
  url: string;
  headers?: Record<string, string>;
}

/** What an emulator with push offers the sandbox and tests. */
export interface PushControls<T extends PushTarget = PushTarget> {
  /** Starts delivering every new push to `target`; `null` stops it. */
  setPushTarget(target: T | null): void;
  /** Resolves when every push so far has been answered (or given up). */
  pushesSettled(): Promise<void>;
}

/** One webhook of a cloud: JSON posts to the registered target, in order, with retries; nothing without a target. */
export class Webhook {
  private target: PushTarget | null = null;
  private readonly sender: PushSender;

  constructor(options?: PushSenderOptions) {
    this.sender = new PushSender(options);
  }

  /** Whether a target is registered, so a cloud can skip building payloads nobody takes. */
  get active(): boolean {
    return this.target !== null;
  }

  set(target: PushTarget | null): void {
    this.target = target;
  }

  post(payload: unknown): void {
    if (!this.target) return;
    const { url, headers } = this.target;
    this.sender.send({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
  }

  settled(): Promise<void> {
    return this.sender.idle();
  }

  close(): void {
    this.sender.close();
  }

  controls(): PushControls {
    return { setPushTarget: (target) => this.set(target), pushesSettled: () => this.settled() };
  }
}
