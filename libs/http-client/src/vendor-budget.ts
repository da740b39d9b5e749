/** Requests per window that a vendor account allows. */
export interface BudgetLimit {
  requests: number;
  windowMs: number;
}

/**
 * A token bucket of one vendor account: it holds `requests` calls and refills them over `windowMs`,
 * so devicegate spreads its calls as the vendor's documented limit asks, instead of provoking 429s.
 */
export class VendorBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: BudgetLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit.requests;
    this.at = now();
  }

  /** Takes one call's worth; returns 0 when it may go now, else the ms to wait (nothing is taken then). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.limit.requests, this.tokens + ((now - this.at) * this.limit.requests) / this.limit.windowMs);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * this.limit.windowMs) / this.limit.requests);
  }
}
