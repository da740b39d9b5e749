export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long it stays open before one probe may pass (default 30 s). */
  openMs?: number;
  now?: () => number;
  /** Told when this circuit opens or closes by its own calls' outcomes (not by `adopt`), e.g. to tell other instances. */
  onChange?: (state: 'open' | 'closed', retryInMs: number) => void;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutive_failures: number;
  opened_at: string | null;
  /** When a probe may pass again (open circuits only). */
  retry_at: string | null;
}

/** The answer of a closed circuit, shared: the common case allocates nothing. */
const PASS = Object.freeze({ allowed: true, probe: false } as const);

/**
 * One connection's circuit: after repeated vendor failures it opens and calls fail at once; after a
 * pause it lets a single probe through, whose outcome closes or re-opens it.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private readonly onChange?: CircuitOptions['onChange'];

  constructor(options: CircuitOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange;
  }

  /** Whether a call may go out now; when not, how many ms until a probe may. */
  acquire(): { allowed: true; probe: boolean } | { allowed: false; retryInMs: number } {
    if (this.state === 'closed') return PASS;
    const elapsed = this.now() - this.openedAt;
    if (this.state === 'open' && elapsed >= this.openMs) this.state = 'half_open';
    if (this.state === 'half_open' && !this.probing) {
      this.probing = true;
      return { allowed: true, probe: true };
    }
    return { allowed: false, retryInMs: Math.max(0, this.openMs - elapsed) };
  }

  success(): void {
    const was = this.state;
    this.state = 'closed';
    this.failures = 0;
    this.probing = false;
    if (was !== 'closed') this.onChange?.('closed', 0);
  }

  failure(): void {
    this.failures += 1;
    this.probing = false;
    if (this.state === 'half_open' || this.failures >= this.threshold) {
      const was = this.state;
      this.state = 'open';
      this.openedAt = this.now();
      if (was !== 'open') this.onChange?.('open', this.openMs);
    }
  }

  /**
   * What another instance found: its circuit opened (calls here fail at once too, until its pause is over,
   * then this one probes on its own) or closed again.
   */
  adopt(state: 'open' | 'closed', retryInMs: number): void {
    if (state === 'closed') {
      this.state = 'closed';
      this.failures = 0;
      return;
    }
    this.state = 'open';
    this.failures = Math.max(this.failures, this.threshold);
    this.openedAt = this.now() - Math.max(0, this.openMs - retryInMs);
  }

  /** A call that ended without telling anything about the vendor's health (e.g. cancelled). */
  release(probe: boolean): void {
    if (probe) this.probing = false;
  }

  snapshot(): CircuitSnapshot {
    if (this.state === 'open' && this.now() - this.openedAt >= this.openMs) this.state = 'half_open';
    return {
      state: this.state,
      consecutive_failures: this.failures,
      opened_at: this.state === 'closed' ? null : new Date(this.openedAt).toISOString(),
      retry_at: this.state === 'open' ? new Date(this.openedAt + this.openMs).toISOString() : null,
    };
  }
}
