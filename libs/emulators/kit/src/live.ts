/** A running ticker of a live emulator. */
export interface Ticker {
  stop(): void;
}

/**
 * Makes an emulated cloud live: `report` runs every `everyMs` with a running count (from 0), so a
 * cloud can let its devices take turns reporting through its own "new message → push" path, as real
 * devices do without anyone asking. The timer never keeps the process alive, and a report that
 * throws (a device deleted meanwhile) skips that turn only.
 */
export function startTicker(everyMs: number, report: (tick: number) => void): Ticker {
  let tick = 0;
  const timer = setInterval(() => {
    try {
      report(tick++);
    } catch {
      // The next turn goes to the next device.
    }
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
