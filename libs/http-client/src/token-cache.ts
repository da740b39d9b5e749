import type { CallContext } from '@devicegate/core';

/** What one token exchange gave: the access token and how long it lives. */
export interface IssuedToken {
  token: string;
  ttlMs: number;
}

/** Past tokens kept to cut them out of error messages, should a vendor echo one after it was replaced. */
const RECENT_TOKENS = 4;
/**
 * After a fresh token was refused the same way as the old one, the refusal was not about the token (a
 * permission, a client without the API's scope): refusals are then passed on without a token exchange
 * for this long, so a lasting 403 does not cost an exchange and a second call on every request.
 */
const USELESS_REFRESH_PAUSE_MS = 60_000;

/**
 * The access token of one connection (OAuth2 and the like): fetched once and shared until shortly before
 * it expires. Concurrent callers that find no valid token wait for the same exchange (single flight).
 */
export class TokenCache {
  private current?: { value: string; refreshAt: number };
  private inflight?: Promise<string>;
  private readonly recent: string[] = [];
  private refreshPausedUntil = 0;

  constructor(
    private readonly exchange: (ctx: CallContext) => Promise<IssuedToken>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid token, and whether it came from the cache (only a cached token is worth a retry after a refusal). */
  private async acquire(ctx: CallContext): Promise<{ value: string; cached: boolean }> {
    if (this.current && this.now() < this.current.refreshAt) return { value: this.current.value, cached: true };
    if (!this.inflight) {
      // The exchange serves every waiting caller, so it must not die with the first caller's cancellation.
      const shared: CallContext = { requestId: ctx.requestId, recordUpstream: (ms) => ctx.recordUpstream(ms) };
      const started = this.now();
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

  /**
   * Sends a call with the current token. When the vendor refuses a cached token (`refused` decides which
   * answers mean that: the token may have been revoked or may have expired early), the token is dropped and
   * the call sent once more with a fresh one; concurrent refusals share one exchange.
   */
  async send<R>(ctx: CallContext, call: (token: string) => Promise<R>, refused: (response: R) => boolean): Promise<R> {
    const first = await this.acquire(ctx);
    const response = await call(first.value);
    if (!first.cached || !refused(response) || this.now() < this.refreshPausedUntil) return response;
    this.invalidate(first.value);
    const again = await call(await this.get(ctx));
    if (refused(again)) this.refreshPausedUntil = this.now() + USELESS_REFRESH_PAUSE_MS;
    return again;
  }

  /** Forgets a token the vendor refused (only if it is still the current one: another caller may have replaced it). */
  private invalidate(token: string): void {
    if (this.current?.value === token) this.current = undefined;
  }
}
