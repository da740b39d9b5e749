/**
 * Failed authentications per source address, as a token bucket: `burst` failures at once, then
 * `perSecond`. An address with no failure left is refused before its key is even looked at, so guessing
 * keys (or posting bodies with a bad key) stays cheap for the gateway.
 */
export class FailedAuthLimiter {
  private readonly sources = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond = 1,
    private readonly burst = 30,
    private readonly maxSources = 10_000,
  ) {}

  /** Milliseconds until `source` may try a key again; 0 when it may now. */
  retryAfterMs(source: string, now = Date.now()): number {
    const bucket = this.sources.get(source);
    if (!bucket) return 0;
    const tokens = this.refilled(bucket, now);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }

  fail(source: string, now = Date.now()): void {
    const bucket = this.sources.get(source);
    if (bucket) {
      bucket.tokens = this.refilled(bucket, now) - 1;
      bucket.at = now;
      return;
    }
    // Forget the address that failed longest ago: the map is in insertion order, so its first entry.
    if (this.sources.size >= this.maxSources) this.sources.delete(this.sources.keys().next().value as string);
    this.sources.set(source, { tokens: this.burst - 1, at: now });
  }

  private refilled(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
  }
}
