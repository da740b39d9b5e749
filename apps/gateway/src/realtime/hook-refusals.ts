/** Sources remembered at once; past it the longest-known is forgotten (it can only have been refilling). */
const MAX_SOURCES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * `/v1/hooks` is public, so what it costs to refuse a push is paid for whoever sends it. Each source
 * address may have `perMinute` pushes refused (bad or missing proof, unknown connection, a body nested
 * too deep) in a burst, refilled at that rate; past that, everything it sends is answered 429 before its
 * body is read. A vendor whose pushes are refused that often is misconfigured and retries anyway.
 */
export class HookRefusals {
  private readonly sources = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  private bucket(source: string): Bucket | undefined {
    const bucket = this.sources.get(source);
    if (!bucket) return undefined;
    const now = this.clock();
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    return bucket;
  }

  /** Seconds `source` must wait before it is heard again, or undefined when it may send now. */
  blocked(source: string): number | undefined {
    const bucket = this.bucket(source);
    if (!bucket || bucket.tokens >= 1) return undefined;
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** Counts a refused push against `source`. */
  refused(source: string): void {
    const bucket = this.bucket(source) ?? { tokens: this.perMinute, at: this.clock() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.sources.delete(source);
    this.sources.set(source, bucket);
    if (this.sources.size > MAX_SOURCES) this.sources.delete(this.sources.keys().next().value!);
  }
}
