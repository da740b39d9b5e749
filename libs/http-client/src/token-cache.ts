import type { CallContext } from '@devicegate/core';

/** What one token exchange gave: the access token and how long it lives. */
export interface IssuedToken {
  token: string;
  ttlMs: number;
}

/** Past tokens kept to cut them out of error messages, should a vendor echo one after it was replaced. */
const RECENT_TOKENS = 4;

/**
 * The access token of one connection (OAuth2 and the like): fetched once and shared until shortly before
 * it expires. Concurrent callers that find no valid token wait for the same exchange (single flight).
 */
export class TokenCache {
  private current?: { value: string; refreshAt: number };
  private inflight?: Promise<string>;
  private readonly recent: string[] = [];

  constructor(private readonly exchange: (ctx: CallContext) => Promise<IssuedToken>) {}

  /** A valid token, and whether it came from the cache (only a cached token is worth one retry after a 401). */
  async acquire(ctx: CallContext): Promise<{ value: string; cached: boolean }> {
    if (this.current && Date.now() < this.current.refreshAt) return { value: this.current.value, cached: true };
    if (!this.inflight) {
      // The exchange serves every waiting caller, so it must not die with the first caller's cancellation.
      const shared: CallContext = { requestId: ctx.requestId, recordUpstream: (ms) => ctx.recordUpstream(ms) };
      const started = Date.now();
      this.inflight = this.exchange(shared)
        .then(({ token, ttlMs }) => {
          // Refresh a tenth of the lifetime early (at most a minute), so no call leaves with a token about to lapse.
          this.current = { value: token, refreshAt: started + ttlMs - Math.min(60_000, ttlMs / 10) };
          this.recent.push(token);
          if (this.recent.length > RECENT_TOKENS) this.recent.shift();
          return token;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return { value: await this.inflight, cached: false };
  }

  async get(ctx: CallContext): Promise<string> {
    return (await this.acquire(ctx)).value;
  }

  /** The last few tokens (the current one included), to keep them out of error messages even after a refresh. */
  recentTokens(): string[] {
    return [...this.recent];
  }

  /** Forgets a token the vendor refused (only if it is still the current one: another caller may have replaced it). */
  invalidate(token: string): void {
    if (this.current?.value === token) this.current = undefined;
  }
}
