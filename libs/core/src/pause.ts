/**
 * Waits `ms`, or less when `signal` aborts first; either way it resolves, and the loop around it checks its
 * signal. The abort listener goes when the wait ends: loops that wait again and again on one long-lived
 * signal (a stand-by's lease retries, a holder's back-off, a sampler's rounds) would otherwise gather one per wait.
 */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const end = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    signal.addEventListener('abort', end, { once: true });
  });
}
