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

/**
 * A seeded payload as a device reports it again on its `turn`-th live report: temperatures drift a few tenths
 * around their seeded values (a slow wave, the same at every start) and battery values drain a little each
 * turn (never below 80 % of the seeded value); other values are sent as seeded. `timestamp` leaves (epoch
 * seconds) move by `shiftSeconds`, so the device's own clock reads the new report's time.
 */
export function livePayload<T>(payload: T, turn: number, shiftSeconds = 0): T {
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item, path));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, `${path}.${key.toLowerCase()}`)]));
    if (typeof value !== 'number' || !Number.isFinite(value)) return value;
    const key = path.slice(path.lastIndexOf('.') + 1);
    if (key === 'timestamp') return value + shiftSeconds;
    if (/temp/.test(path)) return Math.round((value + 0.4 * Math.sin(turn / 6)) * 100) / 100;
    if (/batt|voltage/.test(path)) return Math.round(Math.max(value * 0.8, value * (1 - 0.0005 * turn)) * 1000) / 1000;
    return value;
  };
  return walk(payload, '') as T;
}
